"""Scheduled operations and stop criteria of [schedule]: anode alloy bleed, electrolyte
additions, the AlX3 activity, thermal limits (ledge gone, electrolyte frozen, too hot), the
lumped heater limit, and their configuration errors.

References: element conservation (model.totals(), the inventories plus everything that left
less everything that came in), hand calculations of a bleed's mixing and of the top-up
mass, the Henrian proportionality a = a0 w / w0, the steady heat balance (Joule heat +
heater = losses + feed sink), and the volume mean of the heat field's liquid fraction
computed here from the r-z cell volumes (2 pi r dr dz).
"""

import dataclasses
import math

import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.config.loader import ConfigError
from cellsim.elements import ALL_ELEMENTS
from cellsim import campaign, schedule
from cellsim.cell import composition_array
from cellsim.io import read_result, write_result
from cellsim.models import make_model
from cellsim.window import OutsideWindow

LUMPED = ['numerics.model="lumped"']
FIELD = ['numerics.model="axisymmetric"', 'numerics.resolution="coarse"']
BLEED = ['schedule.bleed_mode="interval"', 'schedule.bleed_interval="2 d"', 'schedule.bleed_fraction=0.25']


def _relative_balance(result, model_or_totals) -> float:
    return float(np.max(np.abs(result.mass_balance)) / np.sum(np.abs(model_or_totals)))


# ------------------------------------------------------------------------- alloy bleed
def test_bleed_removes_the_alloy_composition_and_refills_the_initial_one():
    cfg = load_config("rusal-3kA", LUMPED)
    model = make_model(cfg)
    for _ in range(48):
        model.step(3600.0)
        model.tap()
    before = model.state.alloy.copy()
    M, m = before.sum(), 100.0
    bled, fresh = model.bleed(m)
    w0 = composition_array(cfg.anode_alloy.initial_composition)
    np.testing.assert_allclose(bled, m * before / M, rtol=1e-14)
    np.testing.assert_allclose(fresh, m * w0, rtol=1e-14)
    # hand calculation of the mixture: (M - m)/M of the old alloy plus m of fresh alloy
    np.testing.assert_allclose(model.state.alloy, before * (M - m) / M + m * w0, rtol=1e-13, atol=1e-12)
    assert model.state.alloy.sum() == pytest.approx(M, rel=1e-14)
    np.testing.assert_allclose(model.totals(), model.initial, rtol=0, atol=1e-12 * M)
    with pytest.raises(ValueError, match="alloy bleed"):
        model.bleed(2 * M)


def test_interval_bleeds_are_booked_and_conserve_every_element():
    cfg = load_config("rusal-3kA", LUMPED + BLEED + ['schedule.duration="9 d"',
                                                     'schedule.bleed_refill_composition_wt_pct={Cu=40}'])
    result = run_campaign(cfg)
    assert [round(b.time / 86400, 6) for b in result.bleeds] == [2.0, 4.0, 6.0, 8.0]
    model = make_model(cfg)
    assert _relative_balance(result, model.initial) < 1e-12
    s = result.summary
    bled = sum(b.mass * b.composition for b in result.bleeds)
    assert s["alloy_bled"] == pytest.approx(bled.sum(), rel=1e-12)
    for i, e in enumerate(ALL_ELEMENTS):
        assert s[f"bled_{e}"] == pytest.approx(bled[i] / bled.sum(), rel=1e-9, abs=1e-15)
    assert s["fresh_Cu"] == pytest.approx(0.40 * s["fresh_alloy"], rel=1e-12)
    assert s["fresh_alloy"] == pytest.approx(s["alloy_bled"], rel=1e-12)
    for b in result.bleeds:  # a quarter of the alloy each time
        assert b.fresh_composition[ALL_ELEMENTS.index("Cu")] == pytest.approx(0.40)
    assert "anode alloy bled (4 bleeds)" in result.format_summary()


def test_threshold_bleed_keeps_the_limited_elements_near_the_threshold_and_extends_the_campaign():
    base = LUMPED + ['schedule.duration="100 d"']
    plain = run_campaign(load_config("rusal-3kA", base))
    assert plain.stop_reason.startswith("anode alloy") and plain.summary["campaign_length"] < 100 * 86400
    cfg = load_config("rusal-3kA", base + ['schedule.bleed_mode="threshold"',
                                           'schedule.bleed_threshold_wt_pct=10'])
    result = run_campaign(cfg)
    assert result.stop_reason == "duration reached"
    limited = [ALL_ELEMENTS.index(e) for e in cfg.anode_alloy.limited_elements]
    w0 = composition_array(cfg.anode_alloy.initial_composition)
    for b in result.bleeds:
        L = b.composition[limited].sum()
        assert L > 0.10  # bled only once past the threshold
        # right after the bleed: 3/4 of the old alloy and 1/4 fresh alloy (hand calculation)
        assert 0.75 * L + 0.25 * w0[limited].sum() < 0.10
    series = result.series["alloy_composition"][:, limited].sum(axis=1)
    assert series.max() < 0.1005
    model = make_model(cfg)
    assert _relative_balance(result, model.initial) < 1e-12


def test_bleeds_and_additions_are_written_to_the_result_file(tmp_path):
    cfg = load_config("rusal-3kA", LUMPED + BLEED + [
        'schedule.duration="5 d"', 'schedule.salt_additions="interval"',
        'schedule.addition_interval="1 d"', 'schedule.addition_alf3="2 kg"',
        'schedule.addition_base_salt="1 kg"'])
    result = run_campaign(cfg)
    path = write_result(result, tmp_path / "r.h5")
    back = read_result(path)
    assert [b.time for b in back.bleeds] == [b.time for b in result.bleeds]
    np.testing.assert_array_equal(back.bleeds[0].composition, result.bleeds[0].composition)
    assert [(a.time, a.alf3, a.base_salt) for a in back.additions] == \
        [(a.time, a.alf3, a.base_salt) for a in result.additions]
    import h5py

    with h5py.File(path) as h5:
        assert h5["bleeds/mass"].attrs["units"] == "kg" and h5["bleeds/time"].attrs["units"] == "s"
        assert list(h5["bleeds/composition"].attrs["columns"]) == list(ALL_ELEMENTS)
        assert h5["additions/alf3"].attrs["units"] == "kg"
        assert h5["summary/alloy_bled"].attrs["units"] == "kg"
        assert h5["summary/fresh_Cu"].attrs["units"] == "kg"


# ----------------------------------------------------------------- electrolyte additions
def test_interval_top_up_restores_the_initial_fraction_and_is_counted():
    cfg = load_config("rusal-3kA", LUMPED + ['schedule.duration="4 d"', 'schedule.salt_additions="interval"',
                                             'schedule.addition_interval="1 d"'])
    result = run_campaign(cfg)
    model = make_model(cfg)
    w0 = cfg.electrolyte.alf3_mass_fraction
    t, w = result.series["time"], result.series["alf3_fraction"]
    assert len(result.additions) == 4
    at_addition = np.isin(np.round(t / 86400, 9), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(w[at_addition], w0, rtol=1e-12)
    assert np.all(w[~at_addition & (t > 0)] < w0)  # consumed in between
    assert result.summary["alf3_added"] == pytest.approx(sum(a.alf3 for a in result.additions), rel=1e-12)
    assert _relative_balance(result, model.initial) < 1e-12


def test_top_up_mass_is_the_hand_calculation():
    cfg = load_config("rusal-3kA", LUMPED + ['schedule.salt_additions="interval"',
                                             'schedule.addition_interval="1 d"'])
    model = make_model(cfg)
    s = model.state
    s.alf3 *= 0.8
    b = s.electrolyte_base + 10.0
    w0 = cfg.electrolyte.alf3_mass_fraction
    expected = w0 * b / (1 - w0) - s.alf3
    added, base = model.add_salt(None, 10.0)
    assert added == pytest.approx(expected, rel=1e-12) and base == 10.0
    assert model.alf3_fraction() == pytest.approx(w0, rel=1e-12)


def test_table_additions_at_their_times():
    cfg = load_config("rusal-3kA", LUMPED + [
        'schedule.duration="3 d"', 'schedule.salt_additions="table"',
        'schedule.additions=[{time="2 d", alf3="3 kg"}, {time="12 h", alf3="1 kg", base_salt="4 kg"}]'])
    result = run_campaign(cfg)
    assert [(a.time / 3600, a.alf3, a.base_salt) for a in result.additions] == [(12.0, 1.0, 4.0), (48.0, 3.0, 0.0)]
    assert result.summary["base_salt_added"] == 4.0
    # AlX3 mass at the end = start + added - used, the use being what the continuous make-up
    # replaces over the same 3 days (the same within the small activity effect)
    continuous = run_campaign(load_config("rusal-3kA", LUMPED + ['schedule.duration="3 d"']))
    w, w0 = result.summary["final_alf3_fraction"], cfg.electrolyte.alf3_mass_fraction
    model = make_model(cfg)
    a0, b = model.state.alf3, model.state.electrolyte_base + 4.0
    expected = a0 + 4.0 - continuous.summary["alf3_added"]
    assert w * b / (1 - w) == pytest.approx(expected, rel=1e-3)
    assert w != w0


NO_FEEDBACK = ["electrolyte.composition_feedback=false"]  # the configured electrolyte's own AlX3 law


def test_henrian_activity_follows_the_alf3_fraction():
    cfg = load_config("rusal-3kA", LUMPED + NO_FEEDBACK)
    model = make_model(cfg)
    a0, w0 = cfg.electrolyte.alf3_activity, cfg.electrolyte.alf3_mass_fraction
    assert model.alf3_activity() == a0
    s = model.state
    s.alf3 *= 0.5
    w = s.alf3 / (s.alf3 + s.electrolyte_base)
    assert model.alf3_activity() == pytest.approx(a0 * w / w0, rel=1e-12)
    const = make_model(load_config("rusal-3kA", LUMPED + ['electrolyte.alf3_activity_model="constant"']))
    const.state.alf3 *= 0.5
    assert const.alf3_activity() == a0
    const = make_model(load_config("rusal-3kA", LUMPED + NO_FEEDBACK +
                                   ['electrolyte.alf3_activity_model="constant"']))
    const.state.alf3 *= 0.5
    assert const.alf3_activity() == a0


def test_continuous_make_up_keeps_the_initial_fraction_with_every_pathway_on():
    # Every purity pathway on, among them the two that take base salt out of the electrolyte (cation
    # co-deposition: NaX; salt inclusions: melt of the moment): the make-up restores the AlX3
    # fraction (the schema's contract), not the AlX3 mass, so the fraction and the Henrian
    # activity a0 w / w0 stay at their set point. On the bare cell (no Mg removal: with it the
    # exchange can turn net AlX3 producer and the electrolyte then runs above its set point, which a
    # make-up cannot correct) and without renewals (they change the salt).
    result = run_campaign(load_config("rusal-3kA", LUMPED + NO_FEEDBACK + [
        'schedule.duration="3 d"', "scrap.mg_removal_efficiency=0",
        'schedule.salt_renewal_mode="none"']))
    p = result.config.purity
    assert all((p.codeposition, p.salt_entrainment, p.makeup_salts, p.lining, p.collectors,
                p.codissolution, p.entrainment))
    w0 = result.config.electrolyte.alf3_mass_fraction
    np.testing.assert_allclose(result.series["alf3_fraction"][1:], w0, rtol=1e-12)
    a0 = result.config.electrolyte.alf3_activity
    np.testing.assert_allclose(result.series["alf3_activity"][1:], a0, rtol=1e-12)


def test_continuous_make_up_is_the_fraction_hand_calculation():
    """One step with base salt removed by hand: the make-up is w0 b / (1 - w0) - a of the electrolyte
    after the step (add_salt's top-up), not the initial AlX3 mass."""
    cfg = load_config("rusal-3kA", LUMPED + ["scrap.mg_removal_efficiency=0"])
    model = make_model(cfg)
    s = model.state
    a_initial = s.alf3
    s.electrolyte_base *= 0.9  # as if inclusions/co-deposition had taken 10 % of the base salt
    s.alf3 *= 0.85  # and the electrolysis some AlX3
    model.step(60.0)
    w0 = model.alf3_w0
    assert model.alf3_fraction() == pytest.approx(w0, rel=1e-12)
    assert s.alf3 == pytest.approx(w0 * s.electrolyte_base / (1.0 - w0), rel=1e-12)
    assert s.alf3 == pytest.approx(0.9 * a_initial, rel=1e-6)  # the mass rule: a_initial


def test_a_lower_alf3_activity_lets_less_of_the_less_noble_elements_into_the_salt():
    """Mg (less noble than Al) enters the salt by exchange with AlX3: with a^(2/3) smaller,
    its interface ratio is smaller, so less Mg sits in the salt after a day."""
    out = {}
    for frac in (1.0, 0.5):
        model = make_model(load_config("rusal-3kA", LUMPED + NO_FEEDBACK + ['schedule.salt_additions="table"',
                                                              'schedule.additions=[{time="99 d", alf3="1 kg"}]']))
        model.state.alf3 *= frac
        for _ in range(24):
            model.step(3600.0)
        out[frac] = model.state.electrolyte[list(ALL_ELEMENTS[1:]).index("Mg")]
    assert out[0.5] < out[1.0]


# ------------------------------------------------------------------------ thermal limits
def test_defaults_do_not_stop_the_reference_cells_at_start():
    for cell in ("rusal-3kA", "rusal-500A"):
        for level in (LUMPED, FIELD):
            model = make_model(load_config(cell, level))
            assert model.thermal_limit_broken() is None, (cell, level)


def test_ledge_gone_stops_and_names_itself():
    # The reference pot runs without a ledge, so any minimum stops it at once.
    result = run_campaign(load_config("rusal-3kA", LUMPED + ['schedule.min_ledge_thickness="1 mm"']))
    assert result.stop_reason.startswith("sidewall ledge gone")
    assert result.summary["campaign_length"] == result.config.schedule.time_step  # the first step
    # A melt 20 degC above the liquidus behind a thin (magnesia + steel) wall keeps a ledge.
    thin = ['lining.side=[{name="magnesia", material="magnesia", thickness="0.115 m", thermal_conductivity="4 W/(m K)"}, '
            '{name="steel", material="steel", thickness="0.01 m", thermal_conductivity="40 W/(m K)"}]',
            'operation.temperature="720 degC"', 'schedule.duration="1 d"']
    kept = run_campaign(load_config("rusal-3kA", LUMPED + thin + ['schedule.min_ledge_thickness="1 mm"']))
    assert kept.stop_reason == "duration reached"
    assert kept.series["ledge_thickness"].min() > 1e-3


def test_lumped_liquid_fraction_is_the_band_inside_the_ledge():
    thin = ['lining.side=[{name="magnesia", material="magnesia", thickness="0.115 m", thermal_conductivity="4 W/(m K)"}, '
            '{name="steel", material="steel", thickness="0.01 m", thermal_conductivity="40 W/(m K)"}]',
            'operation.temperature="720 degC"']
    model = make_model(load_config("rusal-3kA", LUMPED + thin))
    R, delta = model.config.geometry.inner_radius, model.derived.heat.ledge_thickness
    assert delta > 0
    assert model.electrolyte_liquid_fraction() == pytest.approx((R - delta) ** 2 / R**2, rel=1e-12)


def test_limited_heater_lets_the_melt_cool_and_the_balance_close():
    model = make_model(load_config("rusal-3kA", LUMPED + ['operation.heater_max_power="3 kW"',
                                                          'operation.current="2 kA"']))
    d = model.derived
    assert d.heater_power == 3000.0
    assert model.config.electrolyte.liquidus < d.temperature < model.config.operation.temperature
    residual = d.joule_heat + d.heater_power - d.heat.total - d.feed_sink
    assert abs(residual) < 1e-6 * d.heat.total


def test_frozen_electrolyte_stops_a_low_current_campaign_and_names_itself():
    # 1 kA and no heater: Joule heat ~0.85 kW against ~5.8 kW of losses at the liquidus.
    sets = ['operation.heater_max_power="0 W"', 'operation.current="1 kA"']
    with pytest.raises(OutsideWindow, match="freezing"):  # the window refuses a frozen start
        run_campaign(load_config("rusal-3kA", LUMPED + sets))
    result = run_campaign(load_config("rusal-3kA", LUMPED + sets + ["window.enabled=false"]))
    assert result.stop_reason.startswith("electrolyte frozen")
    assert result.summary["campaign_length"] == result.config.schedule.time_step  # the first step
    off = run_campaign(load_config("rusal-3kA", LUMPED + sets + [
        "window.enabled=false", "schedule.stop_on_frozen_electrolyte=false", 'schedule.duration="2 h"']))
    assert off.stop_reason == "duration reached" and not off.window
    # without the frozen-electrolyte stop, the operating window ends a campaign that cools mid-run
    cools = ['operation.heater_max_power="0 W"', 'schedule.current_program="steps"',
             'schedule.current_steps=[{time="1 d", current="1 kA"}]',
             "schedule.stop_on_frozen_electrolyte=false", 'schedule.duration="3 d"']
    window = run_campaign(load_config("rusal-3kA", LUMPED + cools))
    assert window.stop_reason.startswith("outside the operating window: melt")
    assert "freezing" in window.window and math.isnan(window.summary["specific_energy"])
    assert window.summary["campaign_length"] == 86400.0 + window.config.schedule.time_step


def test_field_level_liquid_fraction_is_the_volume_mean_of_the_heat_field():
    cfg = load_config("rusal-3kA", FIELD + ['schedule.min_electrolyte_liquid_fraction=0.6'])
    model = make_model(cfg)
    assert model.electrolyte_liquid_fraction() == 1.0 and model.thermal_limit_broken() is None
    thermal = model.physics.thermal
    g, hs = model.physics.mesh.pot.grid, thermal.heat_state
    mask = g.region_mask("electrolyte")
    rf, zf = g.faces[0], g.faces[2]
    vol = (np.pi * (rf[1:] ** 2 - rf[:-1] ** 2))[:, None] * np.diff(zf)[None, :]
    frac = hs.frac.copy()
    rc = 0.5 * (rf[1:] + rf[:-1])
    outer = (rc > 0.5 * cfg.geometry.inner_radius)[:, None, None]  # freeze the electrolyte outside R/2
    frac[mask & outer] = 0.0
    thermal.heat_state = dataclasses.replace(hs, frac=frac)  # (the current stays: same version)
    model.update_state()
    m2 = mask[:, 0, :]
    expected = np.sum(frac[:, 0, :][m2] * vol[m2]) / vol[m2].sum()
    assert model.electrolyte_liquid_fraction() == pytest.approx(expected, rel=1e-12)
    assert expected < 0.6
    assert model.thermal_limit_broken().startswith("electrolyte frozen: liquid fraction")


def test_max_temperature_stops_and_names_itself():
    # the lumped reference pot settles near 763 degC (surplus heat)
    result = run_campaign(load_config("rusal-3kA", LUMPED + ['schedule.max_temperature="755 degC"']))
    assert result.stop_reason.startswith("melt too hot")


# -------------------------------------------------------------------------- config errors
@pytest.mark.parametrize("sets, key", [
    (['schedule.bleed_mode="interval"'], "schedule.bleed_interval"),
    (['schedule.bleed_mode="interval"', 'schedule.bleed_interval="10 min"'], "schedule.bleed_interval"),
    (['schedule.bleed_mode="threshold"'], "schedule.bleed_threshold_wt_pct"),
    (['schedule.bleed_mode="both"', 'schedule.bleed_interval="5 d"', 'schedule.bleed_threshold_wt_pct=12'],
     "schedule.bleed_threshold_wt_pct"),
    (['schedule.bleed_refill_composition_wt_pct={Cu=5}'], "schedule.bleed_refill_composition_wt_pct"),
    (['schedule.bleed_refill_composition_wt_pct={Xx=5}'], "schedule.bleed_refill_composition_wt_pct.Xx"),
    (['schedule.bleed_mass="5 t"'], "schedule.bleed_mass"),
    (['schedule.bleed_fraction=0.95'], "schedule.bleed_fraction"),
    (['schedule.bleed_mode="sometimes"'], "schedule.bleed_mode"),
    (['schedule.salt_additions="interval"'], "schedule.addition_interval"),
    (['schedule.salt_additions="interval"', 'schedule.addition_interval="1 min"'], "schedule.addition_interval"),
    (['schedule.salt_additions="table"'], "schedule.additions"),
    (['schedule.additions=[{time="1 d"}]'], "schedule.additions[0].alf3"),
    (['schedule.max_temperature="740 degC"'], "schedule.max_temperature"),
    (['schedule.min_electrolyte_liquid_fraction=0'], "schedule.min_electrolyte_liquid_fraction"),
    (['schedule.min_ledge_thickness="2 m"'], "schedule.min_ledge_thickness"),
    (['operation.heater_max_power="1 kW"', 'numerics.model="axisymmetric"'], "operation.heater_max_power"),
    (['operation.heater_max_power="-1 kW"'], "operation.heater_max_power"),
    (['electrolyte.alf3_activity_model="raoultian"'], "electrolyte.alf3_activity_model"),
])
def test_schedule_errors_name_key_value_and_expectation(sets, key):
    with pytest.raises(ConfigError) as err:
        load_config("rusal-3kA", LUMPED + sets)
    assert err.value.key == key
    assert "expected" in str(err.value) and err.value.expected
    # a key that is required by another but absent is said to be missing, not "= None"
    assert ("is missing" in str(err.value)) == (err.value.value is None)
    assert "None" not in str(err.value).split(": expected")[0]


def test_reference_cells_default_to_the_axisymmetric_level():
    for cell in ("rusal-3kA", "rusal-500A"):
        assert load_config(cell).numerics.model == "axisymmetric"


# ------------------------------------------------------------------------------- restart
class _Interrupt(Exception):
    pass


def test_resume_with_bleeds_and_additions_is_bit_for_bit(tmp_path):
    from cellsim.checkpoint import RunFile

    cfg = load_config("rusal-3kA", LUMPED + [
        'schedule.duration="5 d"', 'numerics.checkpoint_interval="1 d"', 'schedule.bleed_mode="interval"',
        'schedule.bleed_interval="36 h"', 'schedule.salt_additions="table"',
        'schedule.additions=[{time="1 d", alf3="1 kg"}, {time="3 d", alf3="2 kg", base_salt="1 kg"}]'])

    def run(path, stop_at=None, resume=False):
        rf = RunFile(path, resume=resume)

        def progress(t, info):
            if stop_at is not None and t > stop_at:
                raise _Interrupt

        return run_campaign(None if resume else cfg, progress, run=rf,
                            resume=rf.load_checkpoint() if resume else None)

    whole = run(tmp_path / "a.h5")
    with pytest.raises(_Interrupt):
        run(tmp_path / "b.h5", stop_at=2.5 * 86400)
    resumed = run(tmp_path / "b.h5", resume=True)
    assert [b.time for b in whole.bleeds] == [b.time for b in resumed.bleeds] == [1.5 * 86400, 3 * 86400, 4.5 * 86400]
    assert [(a.time, a.alf3) for a in whole.additions] == [(a.time, a.alf3) for a in resumed.additions]
    assert whole.summary == resumed.summary
    for name, values in whole.series.items():
        assert np.array_equal(values, resumed.series[name], equal_nan=True), name


# ------------------------------------------------------------------- operations as data
class _Probe(schedule.Operation):
    """A test operation: counts the steps it saw and stops the campaign at ``until`` [s]."""

    def __init__(self, until):
        self.until, self.seen = until, []

    def after(self, cell, step):
        self.seen.append((step.index, cell.state.time))
        return "probe says stop" if cell.state.time >= self.until else None


def test_a_new_operation_is_one_class_and_the_loop_calls_it_every_step(monkeypatch):
    probe = _Probe(30 * 3600.0)
    monkeypatch.setattr(campaign, "operations_of", lambda cfg: schedule.operations_of(cfg) + [probe])
    result = run_campaign(load_config("rusal-3kA", LUMPED))
    assert result.stop_reason == "probe says stop"
    dt = result.config.schedule.time_step
    assert probe.seen == [(k, k * dt) for k in range(1, round(30 * 3600.0 / dt) + 1)]
    assert result.series["time"][-1] == 30 * 3600.0  # the stop step is recorded


def test_the_schedule_of_a_config_lists_its_operations_in_step_order():
    cfg = load_config("rusal-3kA", LUMPED + BLEED + ['schedule.salt_additions="interval"', 'schedule.addition_interval="2 d"', 'schedule.feed_mode="batch"'])
    names = [type(op).__name__ for op in schedule.operations_of(cfg)]
    assert names == ["CurrentSchedule", "BatchFeed", "AlloyBleed", "ElectrolyteAdditions", "SaltRenewal", "PhysicalWindow",
                     "CathodeTap", "Limits", "OperatingWindow", "Recording", "Snapshots", "SyncPoints"]
    plain = [type(op).__name__ for op in schedule.operations_of(load_config("rusal-3kA", LUMPED))]
    assert "AlloyBleed" not in plain and "ElectrolyteAdditions" not in plain
