"""cellsim design: the search machinery on analytic problems with known optima, and bad input."""

import pytest

from cellsim.config import load_config
from cellsim.design import (DesignError, Variable, design_toml, parse_constraint, parse_objective,
                            parse_vary, solve)

X = Variable("geometry.acd", 0.0, 3.0, "number", "dimensionless", "")
Y = Variable("geometry.freeboard", 0.0, 3.0, "number", "dimensionless", "")


def bowl(x):
    """Objective (x - 1)^2 + (y - 2)^2; 'product_al' = x + y (reporting units)."""
    return {"specific_energy": (x[0] - 1.0) ** 2 + (x[1] - 2.0) ** 2, "product_al": x[0] + x[1],
            "liquidus": 0.0}


@pytest.mark.parametrize("method", ["cobyla", "slsqp"])
def test_constrained_optimum_of_an_analytic_bowl(method):
    # min (x-1)^2 + (y-2)^2 s.t. x + y <= 2: the projection of (1, 2) on the line, (0.5, 1.5)
    res = solve(bowl, (X, Y), "specific_energy", (parse_constraint("product_al <= 2"),),
                method=method, maxiter=200)
    assert res.feasible
    assert res.best.x == pytest.approx((0.5, 1.5), abs=2e-3)
    assert res.best.objective == pytest.approx(0.5, abs=5e-3)
    assert res.binding == ["product_al <= 2"]


def test_interior_optimum_has_no_binding_constraint():
    res = solve(bowl, (X, Y), "specific_energy", (parse_constraint("product_al <= 5"),),
                maxiter=200)
    assert res.best.x == pytest.approx((1.0, 2.0), abs=2e-3) and res.binding == []


def test_maximise_hits_the_bound():
    res = solve(bowl, (X, Y), "specific_energy", (), sense="max", method="de", maxiter=30)
    # the farthest corner of [0, 3]^2 from (1, 2) is (3, 0): 4 + 4
    assert res.best.objective == pytest.approx(8.0, abs=0.05)
    local = solve(bowl, (X, Y), "specific_energy", (), sense="max", maxiter=100)
    assert local.best.x == pytest.approx((3.0, 0.0), abs=1e-9)
    assert local.binding == ["geometry.acd at its upper bound",
                             "geometry.freeboard at its lower bound"]


def test_infeasible_problem_names_the_binding_constraint():
    res = solve(bowl, (X, Y), "specific_energy",
                (parse_constraint("product_al >= 10"), parse_constraint("specific_energy <= 100")),
                maxiter=50)
    assert not res.feasible
    assert res.binding == ["product_al >= 10"] and "product_al >= 10" in res.message
    # the least-infeasible design is the corner that comes closest: x + y = 6
    assert sum(res.least_infeasible.x) == pytest.approx(6.0, abs=1e-3)


def test_failed_evaluations_count_as_infeasible():
    def flaky(x):
        if x[0] > 1.5:
            raise RuntimeError("campaign failed")
        return bowl(x)

    res = solve(flaky, (X, Y), "specific_energy", (parse_constraint("product_al <= 2"),),
                maxiter=100)
    assert res.feasible and res.best.x[0] <= 1.5
    assert any(e.error for e in res.history) or all(e.x[0] <= 1.5 for e in res.history)


def test_parse_vary_units_and_errors():
    v = parse_vary("geometry.acd=4 cm..6 cm")
    assert (v.low, v.high, v.unit) == (pytest.approx(0.04), pytest.approx(0.06), "cm")
    assert parse_vary("kinetics.alpha_anodic=0.3..0.7").kind == "number"
    for bad, words in [("geometry.acd=4..6 cm", "with units"), ("geometry.acd", "KEY=LOW..HIGH"),
                       ("geometry.acd=6 cm..4 cm", "LOW < HIGH"),
                       ("schedule.feed_mode=1..2", "not a number"),
                       ("geometry.nope=1 m..2 m", "'nope' is not one of"),
                       ("kinetics.alpha_anodic=a..b", "plain numbers")]:
        with pytest.raises(DesignError, match=words):
            parse_vary(bad)


def test_parse_constraint_and_objective_errors():
    c = parse_constraint("mean_temperature >= liquidus + 20")
    assert c.margin({"mean_temperature": 750.0, "liquidus": 700.0}) == 30.0
    for bad, words in [("purity >= 99.7", "unknown output 'purity'"),
                       ("product_al = 99.7", "EXPR >= EXPR"),
                       ("product_al >= __import__('os')", "unknown output|only numbers"),
                       ("product_al >= 'a'", "only numbers")]:
        with pytest.raises(DesignError, match=words):
            parse_constraint(bad)
    with pytest.raises(DesignError, match="unknown output"):
        parse_objective("kwh")


def test_design_toml_extends_the_base_and_round_trips(tmp_path):
    acd = parse_vary("geometry.acd=4 cm..6 cm")
    side = parse_vary("lining.side[2].thickness=5 cm..50 cm")
    x = (0.052, 0.31)
    cfg = load_config("rusal-3kA", [acd.override(x[0]), side.override(x[1])])
    path = tmp_path / "design.toml"
    path.write_text(design_toml("rusal-3kA", (acd, side), x, cfg, "test"))
    back = load_config(path)
    assert back.geometry.acd == pytest.approx(0.052, rel=1e-12)
    assert back.lining.side[2].thickness == pytest.approx(0.31, rel=1e-12)
    assert back.lining.side[0] == cfg.lining.side[0] and len(back.lining.side) == 4
    assert back.operation == cfg.operation
