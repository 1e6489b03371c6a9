"""cellsim.convergence's estimates against sequences whose limit and order are known: f(h) =
f0 + C h^p exactly (Richardson must return f0 and p), sequences with a second-order term (the
estimate's error shrinks as the levels refine), and the fallbacks the GCI method prescribes
[Roache1997] for two levels and for levels that do not converge monotonically."""

import math

import pytest

from cellsim.convergence import (FS_THREE, FS_TWO, estimate, grid_levels, outputs_of,
                                 time_step_levels)


def power_law(f0, c, p, hs):
    return [f0 + c * h ** p for h in hs]


@pytest.mark.parametrize("p", [0.8, 1.0, 1.5, 2.0])
@pytest.mark.parametrize("ratio", [2.0, 1.5])
def test_exact_power_law_gives_its_limit_and_order(p, ratio):
    f0, c = 8764.0, -310.0
    hs = [1.0, 1 / ratio, 1 / ratio ** 2]
    e = estimate(power_law(f0, c, p, hs), ratio, nominal=2.0)
    assert e.condition == "monotone"
    assert e.observed_order == pytest.approx(p, rel=1e-9)
    assert e.extrapolated == pytest.approx(f0, rel=1e-12)
    for h, err, gci, v in zip(hs, e.errors, e.gci, e.values):
        assert err == pytest.approx(c * h ** p / f0, rel=1e-7)
        assert gci == pytest.approx(FS_THREE * abs(c * h ** p) / abs(v), rel=1e-7)
    # relative change to the next finer level
    assert e.changes[0] == pytest.approx((e.values[0] - e.values[1]) / e.values[1])


def test_order_above_nominal_is_capped_and_the_band_stays_conservative():
    f0, c, p = 1.0, 0.2, 3.0
    e = estimate(power_law(f0, c, p, [1, 0.5, 0.25]), 2.0, nominal=2.0)
    assert e.observed_order == pytest.approx(3.0)
    assert e.order == 2.0
    true_err = [c * h ** p for h in (1, 0.5, 0.25)]
    for est, true, v in zip(e.errors, true_err, e.values):
        assert abs(est) * abs(e.extrapolated) >= abs(true) * 0.999  # never smaller than the truth


def test_second_order_term_estimate_improves_with_refinement():
    # f = f0 + h + 4 h^2: first order asymptotically, pre-asymptotic on coarse levels
    f = lambda h: 10.0 + h + 4.0 * h * h  # noqa: E731
    coarse = estimate([f(1), f(0.5), f(0.25)], 2.0, 2.0)
    fine = estimate([f(0.25), f(0.125), f(0.0625)], 2.0, 2.0)
    assert abs(fine.extrapolated - 10.0) < abs(coarse.extrapolated - 10.0) / 3
    assert abs(fine.observed_order - 1.0) < abs(coarse.observed_order - 1.0)
    # the band is an estimate, not a bound: with the observed order above the asymptotic one
    # (1.2 here against 1) it falls a little short of the finest level's true error
    assert 0.8 * (f(0.0625) - 10.0) < fine.gci[-1] * fine.values[-1] < 1.25 * (f(0.0625) - 10.0)


def test_two_levels_use_the_nominal_order_and_safety_factor_three():
    e = estimate([1.02, 1.005], 2.0, nominal=2.0)
    assert e.condition == "two levels" and e.observed_order is None
    assert e.order == 2.0 and e.safety_factor == FS_TWO
    assert e.extrapolated == pytest.approx(1.005 - 0.015 / 3)
    assert e.gci[1] == pytest.approx(3 * abs(1.005 - e.extrapolated) / 1.005)


def test_oscillatory_and_divergent_levels_are_named_and_fall_back():
    osc = estimate([1.0, 1.2, 1.1], 2.0, nominal=1.0)
    assert osc.condition == "oscillatory" and osc.safety_factor == FS_TWO and osc.order == 1.0
    assert osc.extrapolated == pytest.approx(1.1 - (1.2 - 1.1) / (2 - 1))
    div = estimate([1.0, 1.1, 1.3], 2.0, nominal=2.0)
    assert div.condition == "divergent" and div.safety_factor == FS_TWO
    slow = estimate(power_law(5.0, 1.0, 0.3, [1, 0.5, 0.25]), 2.0, 2.0)
    assert slow.condition == "pre-asymptotic"
    assert slow.extrapolated == pytest.approx(5.0)


def test_converged_to_round_off_and_not_finite():
    e = estimate([2.0, 2.0 * (1 + 1e-15), 2.0], 2.0, 2.0)
    assert e.condition == "round-off" and e.gci == [0.0, 0.0, 0.0]
    n = estimate([1.0, math.nan, 1.0], 2.0, 2.0)
    assert n.condition == "not finite" and all(math.isnan(g) for g in n.gci)


def test_bad_levels_are_errors_naming_the_option():
    with pytest.raises(ValueError, match="at least two"):
        estimate([1.0], 2.0, 2.0)
    with pytest.raises(ValueError, match="ratio"):
        estimate([1.0, 2.0], 1.0, 2.0)
    with pytest.raises(ValueError, match="--grids: unknown resolution 'medium'"):
        grid_levels(["coarse", "medium"])
    with pytest.raises(ValueError, match="--grids: give at least two"):
        grid_levels(["default"])
    with pytest.raises(ValueError, match="--time-steps: the levels must refine by one constant ratio"):
        time_step_levels([3600.0, 1800.0, 600.0])


def test_levels_are_ordered_coarsest_first_with_their_ratio():
    levels, r = grid_levels(["fine", "coarse", "default"])
    assert [lv.label for lv in levels] == ["coarse", "default", "fine"] and r == 2.0
    assert levels[2].override == 'numerics.resolution="fine"'
    steps, r = time_step_levels([2700.0, 10800.0, 5400.0])
    assert [lv.size for lv in steps] == [10800.0, 5400.0, 2700.0] and r == 2.0
    assert [lv.label for lv in steps] == ["3 h", "1.5 h", "0.75 h"]


def test_outputs_take_the_impurity_as_one_minus_al():
    s = {"specific_energy": 3.6e7, "mean_heater_power": 1.3e3, "mean_cell_voltage": 2.45,
         "current_efficiency": 0.99, "product_al": 0.99995}
    out = outputs_of(s)
    assert out["product_impurity"] == pytest.approx(5e-5)
    assert out["specific_energy"] == 3.6e7


def test_json_report_has_no_nan_or_infinity():
    from cellsim.export import _plain

    assert _plain(float("nan")) is None and _plain(float("inf")) is None and _plain(-math.inf) is None
    assert _plain(2.5) == 2.5 and _plain(True) is True
