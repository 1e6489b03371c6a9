"""`cellsim converge` as a user runs it: the time-step study at the lumped level shows the
campaign integrator's first order (backward Euler with a split step), the grid study at the
r-z level reports each grid's values as separate runs give them, and bad options are input
errors naming the option and the value."""

import json

import pytest
from clitools import LUMPED_SET, run_cli

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.convergence import outputs_of


def test_time_step_study_shows_first_order_and_writes_json(tmp_path):
    out = tmp_path / "ts.json"
    r = run_cli("converge", "rusal-3kA", "--duration", "2 d", "-o", out, sets=(LUMPED_SET,))
    assert r.exit_code == 0, r.output
    assert "time step convergence of rusal-3kA over 2 d" in r.output
    data = json.loads(out.read_text())
    assert data["study"] == "time-step" and data["refinement_ratio"] == 2.0
    assert [lv["label"] for lv in data["levels"]] == ["3 h", "1.5 h", "0.75 h"]
    # backward Euler: the error halves with the step (an independent property of the scheme)
    for key in ("specific_energy", "current_efficiency", "product_impurity"):
        o = data["outputs"][key]
        assert o["condition"] == "monotone", (key, o)
        assert 0.9 < o["observed_order"] < 1.1, (key, o["observed_order"])
        assert o["safety_factor"] == 1.25
    # the 3 h level's value is what a run at 3 h gives
    cfg = load_config("rusal-3kA", (LUMPED_SET, 'schedule.duration="2 d"'))
    own = outputs_of(run_campaign(cfg).summary)
    assert data["levels"][0]["outputs"]["specific_energy"]["value"] == own["specific_energy"]
    assert data["levels"][0]["outputs"]["specific_energy"]["unit"] == "J/kg"


def test_grid_study_two_levels_at_rz(tmp_path):
    out = tmp_path / "grid.json"
    r = run_cli("converge", "rusal-3kA", "--grids", "coarse,default", "--duration", "1 d",
                "--tolerance", "50 %", "-o", out)
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["study"] == "grid" and data["own_level"] == "default"
    runs = {}
    for name in ("coarse", "default"):
        cfg = load_config("rusal-3kA", ('schedule.duration="1 d"', f'numerics.resolution="{name}"'))
        runs[name] = outputs_of(run_campaign(cfg).summary)
    e = data["outputs"]["mean_heater_power"]
    c, d = runs["coarse"]["mean_heater_power"], runs["default"]["mean_heater_power"]
    assert e["relative_change_to_next_finer"][0] == pytest.approx((c - d) / d, rel=1e-9)
    # two levels: the nominal second order, safety factor 3 [Roache1997]
    assert e["condition"] == "two levels" and e["order_used"] == 2.0 and e["safety_factor"] == 3.0
    assert e["extrapolated"] == pytest.approx(d - (c - d) / 3, rel=1e-12)
    assert e["own_level_gci"] == pytest.approx(3 * abs(d - e["extrapolated"]) / d, rel=1e-9)
    assert data["levels"][1]["cells"] == 4 * data["levels"][0]["cells"]


def test_tolerance_exceeded_is_exit_one():
    # the coarse grid's heater is several per cent off: a 0.01 % band cannot hold
    r = run_cli("converge", "rusal-3kA", "--grids", "coarse,default", "--duration", "6 h",
                "--tolerance", "0.01 %")
    assert r.exit_code == 1, r.output
    assert "default NOT within 0.01 %" in r.output


@pytest.mark.parametrize("args, sets, message", [
    (("--study", "grid"), (LUMPED_SET,), "the lumped level has no grid"),
    (("--grids", "coarse,medium"), (), "--grids: unknown resolution 'medium'"),
    (("--duration", "ten days"), (), "--duration 'ten days'"),
    (("--tolerance", "150 %"), (), "--tolerance '150 %': expected a fraction between 0 and 100 %"),
    (("--study", "time-step", "--time-steps", "3 h,1 h,0.5 h"), (LUMPED_SET,),
     "--time-steps: the levels must refine by one constant ratio"),
    ((), ('geometry.acd="-1 cm"',), "geometry.acd"),
])
def test_bad_options_are_input_errors(args, sets, message):
    r = run_cli("converge", "rusal-3kA", *args, sets=sets)
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output


def test_a_level_outside_the_window_gives_no_estimate_and_exit_three(monkeypatch):
    import cellsim.convergence as conv

    real = conv.run_level

    def fake(config, overrides, level, duration):
        run = real(config, overrides, level, duration)
        if level.label == "1.5 h":  # as if this run had left the operating window
            run.window = "melt 1100 degC above window.max_temperature"
            run.outputs = {k: float("nan") for k in run.outputs}
        return run

    monkeypatch.setattr(conv, "run_level", fake)
    r = run_cli("converge", "rusal-3kA", "--duration", "12 h", sets=(LUMPED_SET,))
    assert r.exit_code == 3, r.output
    assert "no estimate: 1.5 h: left the operating window (melt 1100 degC" in r.output
    assert "specific energy [kWh/t]: not finite" in r.output


def test_a_failed_level_is_named():
    r = run_cli("converge", "rusal-3kA", "--grids", "coarse,default", "--duration", "1 d",
                sets=('operation.current="12 kA"',))
    assert r.exit_code == 1, r.output
    assert "a run of the study failed: level " in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("level", ["axisymmetric", "3d"])
def test_grid_cells_are_the_built_grids(level):
    from cellsim.fields.pot import grid_cells
    from cellsim.models import make_model

    cfg = load_config("rusal-3kA", (f'numerics.model="{level}"', 'numerics.resolution="coarse"'))
    grid = make_model(cfg).physics.mesh.pot.grid
    n = 1
    for k in grid.shape:
        n *= k
    assert grid_cells(cfg) == n
