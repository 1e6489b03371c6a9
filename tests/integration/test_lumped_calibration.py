"""The field-calibrated lumped level (numerics.heat_paths = "field") agrees with the
axisymmetric level it was calibrated on, and its cache follows the geometry.

The independent reference is the axisymmetric campaign itself (a 2D r-z field solve every
step); the lumped level sees one steady field solve at the start and nothing else.
"""

import dataclasses

import pytest

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.lumped import calibration

SHORT = ['schedule.duration="4 d"']
FIELD = ['numerics.model="lumped"', 'numerics.heat_paths="field"']
# The field grid follows the moving layers in jumps of numerics.remesh_threshold: placed at the
# depths of the moment (remesh_placement "at_depth", 5 mm) its metal sits up to 5 mm below the
# inventories' depth that the lumped level uses every step between two rebuilds, which lowers the
# field's heater by 3-8 W (docs/uq.md, section 1); placed ahead (the default) it is as often above
# as below. 0.25 mm is below what a step deposits at 0.35-0.65 A/cm2 (0.5-0.9 mm per hour): the
# grid follows the metal every step.
EVERY_STEP = ['numerics.model="axisymmetric"', 'numerics.remesh_threshold="0.25 mm"']
LAGGED = ['numerics.model="axisymmetric"', 'numerics.remesh_threshold="5 mm"',
          'numerics.remesh_placement="at_depth"']
CORNER = ['geometry.acd="3 cm"', 'operation.current="3.9 kA"']  # the smallest heater of the sweep


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CELLSIM_CACHE_DIR", str(tmp_path / "cache"))
    calibration._MEMORY.clear()


def _summary(cell, extra):
    return run_campaign(load_config(cell, SHORT + extra)).summary


@pytest.mark.parametrize("cell,sets", [
    ("rusal-3kA", []),
    ("rusal-500A", []),
    # corners of the ACD-current sweep (configs/sweeps/acd-current.toml: 0.35 and 0.65 A/cm2
    # over the 0.6 m2 cavity)
    ("rusal-3kA", ['geometry.acd="6 cm"', 'operation.current="2.1 kA"']),
    ("rusal-3kA", ['geometry.acd="3 cm"', 'operation.current="3.9 kA"']),
])
def test_calibrated_lumped_within_2_percent_of_axisymmetric(cell, sets):
    field = _summary(cell, sets + ['numerics.model="axisymmetric"'])
    lumped = _summary(cell, sets + FIELD)
    for key in ("specific_energy", "mean_temperature"):
        assert lumped[key] == pytest.approx(field[key], rel=0.02), key
    # Heater: the 2 % of the field's heater (booked heater energy over the campaign).
    # Measured (4 d, graded 48 x 68 r-z grid): 3 kA +0.43 %, 500 A +0.04 %, 6 cm / 2.1 kA
    # +0.16 %, 3 cm / 3.9 kA +1.22 % (+4.7 W of 383 W; docs/uq.md, section 1, has the whole
    # campaigns and the sweep).
    assert lumped["mean_heater_power"] == pytest.approx(field["mean_heater_power"], rel=0.02)
    if not sets:  # the calibration is what closes the gap (the lining estimate is > 2 % off)
        plain = _summary(cell, sets + ['numerics.model="lumped"'])
        assert abs(plain["specific_energy"] / field["specific_energy"] - 1) > 0.02


def test_the_heater_gap_at_the_sweep_corner_is_the_field_grids_remesh_lag():
    """3 cm / 3.9 kA, where the pot nearly self-heats (0.38 kW of heater against 8 kW of Joule
    heat), so that watts are percent: with the grid rebuilt every step, the field's heater rises
    towards the lumped level's (its metal no longer lags the inventories' depth), and the lumped
    heater is within 0.5 % of it. Measured (4 d, graded 48 x 68 grid): lumped - field +4.7 W
    (+1.22 %) at 5 mm, -1.2 W (-0.30 %) at 0.25 mm (the grid at the depths of the moment). The
    default grid (10 mm, placed ahead of the layers) is nearer the every-step one than that:
    measured every step 385.02 W, lagged 5 mm 381.63 W, ahead 10 mm 386.53 W (lumped 384.71 W;
    over 4 days the taps cut the ahead grid's intervals short, docs/campaign.md)."""
    lumped = _summary("rusal-3kA", CORNER + FIELD)["mean_heater_power"]
    lagged = _summary("rusal-3kA", CORNER + LAGGED)["mean_heater_power"]
    fine = _summary("rusal-3kA", CORNER + EVERY_STEP)["mean_heater_power"]
    ahead = _summary("rusal-3kA", CORNER + ['numerics.model="axisymmetric"'])["mean_heater_power"]
    # W: the lagged grid's metal sits lower: less loss, more Joule heat in longer rods
    assert fine > lagged + 2.0
    assert abs(lumped - fine) < 0.5 * abs(lumped - lagged)
    assert lumped == pytest.approx(fine, rel=0.005)
    assert abs(ahead - fine) < abs(lagged - fine)


@pytest.mark.slow  # ~60-120 s per case at load 2; the 4-day tests above cover the same claims
@pytest.mark.parametrize("sets", [CORNER, ['geometry.acd="3 cm"', 'operation.current="2.1 kA"'],
                                  ['geometry.acd="6 cm"', 'operation.current="2.1 kA"']])
def test_calibrated_lumped_within_2_percent_at_the_sweep_corners_over_40_days(sets):
    """The ACD-current sweep's corners over its 40 days (6 cm / 3.9 kA overheats at both
    levels), against the field with its grid following the metal every step. Measured:
    3 cm / 3.9 kA heater +0.6 W (+0.15 %; +8.3 W, +2.04 %, against the field at its default
    5 mm remesh threshold); 3 cm / 2.1 kA +0.05 %; 6 cm / 2.1 kA: docs/uq.md."""
    sets = sets + ['schedule.duration="40 d"']
    field = run_campaign(load_config("rusal-3kA", sets + EVERY_STEP)).summary
    lumped = run_campaign(load_config("rusal-3kA", sets + FIELD)).summary
    for key in ("specific_energy", "mean_heater_power", "mean_temperature"):
        assert lumped[key] == pytest.approx(field[key], rel=0.02), key


@pytest.mark.slow  # ~75 s at load 2; test_factors_follow_the_metal_top... covers the mechanism
@pytest.mark.parametrize("cell", ["rusal-3kA", "rusal-500A"])
def test_calibrated_lumped_within_2_percent_over_the_whole_campaign(cell):
    """The whole default campaign (69 d): the 3 kA anode alloy grows by 11 mm, which raised the
    field's rod, lid and side losses and left a lumped heater keyed on the cathode depth alone
    25 W (2 %) low by the end of the 3 kA campaign. Measured with the metal-top slope (graded
    48 x 68 r-z grid): 3 kA kWh/t +0.16 %, heater +0.69 %, melt -0.03 K; 500 A +0.12 %, +0.13 %,
    -0.01 K."""
    field = run_campaign(load_config(cell, ['numerics.model="axisymmetric"'])).summary
    lumped = run_campaign(load_config(cell, FIELD)).summary
    assert lumped["campaign_length"] == pytest.approx(field["campaign_length"], rel=0.02)
    for key in ("specific_energy", "mean_heater_power", "mean_temperature"):
        assert lumped[key] == pytest.approx(field[key], rel=0.02), key


def test_factors_cached_per_geometry_and_recomputed_when_it_changes(monkeypatch):
    calls = []
    real = calibration.field_factors
    monkeypatch.setattr(calibration, "field_factors", lambda c: calls.append(1) or real(c))
    base = load_config("rusal-500A", FIELD)
    f1 = calibration.factors(base)
    assert calibration.factors(base) is f1 and len(calls) == 1  # memory
    calibration._MEMORY.clear()
    assert calibration.factors(base)["side"] == f1["side"] and len(calls) == 1  # disk
    # schedule and product do not enter the thermal configuration
    other = dataclasses.replace(base, schedule=dataclasses.replace(base.schedule, duration=86400.0))
    assert calibration.thermal_key(other) == calibration.thermal_key(base)
    wider = load_config("rusal-500A", FIELD + ['geometry.inner_radius="0.2 m"'])
    assert calibration.thermal_key(wider) != calibration.thermal_key(base)
    f2 = calibration.factors(wider)
    assert len(calls) == 2 and f2["side"] != f1["side"]


def test_factors_reproduce_the_field_losses_at_the_calibration_point():
    from cellsim.lumped import thermal

    cfg = load_config("rusal-500A", FIELD)
    f = calibration.factors(cfg)
    loss = calibration.calibrated(cfg, thermal.heat_loss(cfg, f["temperature"], 0.12, 0.06))
    for face in ("side", "bottom", "lid"):
        assert loss.by_face()[face] == pytest.approx(f["field_losses"][face], rel=1e-9)
    assert f["metal_top"] == pytest.approx(0.12 + cfg.geometry.acd + 0.06, rel=1e-9)
    # and at the second solve's deeper cathode metal, through the slopes in the metal top
    deep = f["deeper"]["cathode_depth"]
    assert deep > f["cathode_depth"] + 0.01
    top = calibration.metal_top(cfg, 0.12, deep)
    assert top == pytest.approx(f["deeper"]["metal_top"], rel=1e-9)
    loss = calibration.calibrated(cfg, thermal.heat_loss(cfg, f["temperature"], 0.12, deep), top)
    for face in ("side", "bottom", "lid"):
        assert loss.by_face()[face] == pytest.approx(f["deeper"]["field_losses"][face], rel=1e-3)
    # the field loses more through the lid as the metal rises towards it; the 1D estimate
    # does not see the depth there, so the slope carries it
    assert f["deeper"]["field_losses"]["lid"] > f["field_losses"]["lid"]
    assert f["slopes"]["lid"] > 0


def test_factors_follow_the_metal_top_whichever_layer_raised_it():
    """Over a campaign the anode alloy grows too (3 kA: +11 mm in 69 days), raising the metal
    towards the lid as cathode metal does. The factors of the configured pot, moved along
    their slope in the metal top, reproduce every face of a field solve with both layers
    deeper (independent: a steady field solve of that pot); the slope in the cathode depth
    alone misses the lid and rods by several times more."""
    base = load_config("rusal-3kA", FIELD)
    alloy, cathode = 0.135, 0.08
    field = calibration._solve(base, cathode, alloy)  # the shape factors the field pot has
    k = calibration.factors(base)
    by_top = calibration.shape_factors(base, calibration.metal_top(base, alloy, cathode))
    by_cathode = calibration.shape_factors(
        base, calibration.metal_top(base, base.geometry.anode_alloy_depth, cathode))
    for face in ("side", "bottom", "lid", "collectors"):
        assert by_top[face] == pytest.approx(field[face], rel=1e-3), face
    for face in ("lid", "collectors"):
        assert abs(by_cathode[face] / field[face] - 1) > 3 * abs(by_top[face] / field[face] - 1)
    assert k["slopes"]["collectors"] > 0 and k["slopes"]["lid"] > 0
