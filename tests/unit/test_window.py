"""The operating window (cellsim.window): limits, state checks, impossible designs, and the
runner stopping and marking a campaign that leaves it."""

import math

import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import ConfigError, load_config
from cellsim.models import make_model
from cellsim.window import FAMILY_MAX_TEMPERATURE, OutsideWindow, limits, violation

LUMPED = ['numerics.model="lumped"']
C0 = 273.15


def test_limits_follow_the_electrolyte_family_and_the_overrides():
    cfg = load_config("rusal-3kA", LUMPED)
    lim = limits(cfg)
    assert cfg.electrolyte.family == "fluoride"
    assert lim.max_temperature == FAMILY_MAX_TEMPERATURE["fluoride"] == 1000.0 + C0
    assert lim.min_temperature == cfg.electrolyte.liquidus + 5.0
    assert lim.min_acd == 0.02
    chloride = load_config("rusal-3kA", LUMPED + ['electrolyte.family="chloride"'])
    assert limits(chloride).max_temperature == 850.0 + C0
    own = load_config("rusal-3kA", LUMPED + ['window.max_temperature="900 degC"',
                                             'window.min_superheat="20 K"'])
    assert limits(own).max_temperature == pytest.approx(900.0 + C0)
    assert limits(own).min_temperature == pytest.approx(cfg.electrolyte.liquidus + 20.0)


@pytest.fixture(scope="module")
def model():
    return make_model(load_config("rusal-3kA", LUMPED))


def _with(model, **state):
    import copy

    m = copy.copy(model)
    m.state = copy.deepcopy(model.state)
    for k, v in state.items():
        setattr(m.state, k, v)
    return m


def test_the_reference_state_is_inside(model):
    assert violation(model.config, model, 0.95) is None


@pytest.mark.parametrize("ce, word", [(0.0, "current efficiency"), (-0.2, "current efficiency"),
                                      (1.01, "current efficiency"), (math.nan, "current efficiency")])
def test_ce_outside_0_1_is_outside(model, ce, word):
    assert word in violation(model.config, model, ce)


def test_negative_inventories_are_outside(model):
    cathode = model.state.cathode.copy()
    cathode[0] = -0.5
    msg = violation(model.config, _with(model, cathode=cathode), 0.9)
    assert "negative cathode metal inventory" in msg and "-0.5 kg" in msg
    msg = violation(model.config, _with(model, alf3=-1.0), 0.9)
    assert "AlX3" in msg
    alloy = model.state.alloy.copy()
    alloy[2] = math.nan
    assert "non-finite anode alloy" in violation(model.config, _with(model, alloy=alloy), 0.9)


def test_hot_and_cold_melts_name_their_cause(model):
    import dataclasses

    hot = dataclasses.replace(model.derived, temperature=1100.0 + C0)
    m = _with(model)
    m.derived = hot
    msg = violation(model.config, m, 0.9)
    assert "overheats" in msg and "1100.0 degC" in msg and "1000 degC" in msg
    m.derived = dataclasses.replace(model.derived, temperature=model.config.electrolyte.liquidus + 2.0)
    msg = violation(model.config, m, 0.9)
    assert "freezing" in msg and "705 degC" in msg


@pytest.mark.parametrize("sets, key", [
    (['geometry.acd="1 mm"'], "geometry.acd"),
    (['geometry.acd="90 cm"'], "geometry.acd"),
    (['collectors.rod_count=1000'], "collectors.rod_count"),
    (['scrap.metallic_yield=5e-324'], "scrap.metallic_yield"),
    (['operation.temperature="702 degC"'], "operation.temperature"),
    (['operation.temperature="1100 degC"', 'window.max_temperature="1050 degC"'], "operation.temperature"),
])
def test_impossible_designs_are_refused_by_key(sets, key):
    with pytest.raises(ConfigError) as err:
        load_config("rusal-3kA", LUMPED + sets)
    assert err.value.key == key


def test_the_acd_floor_is_lifted_with_the_window_off():
    cfg = load_config("rusal-3kA", LUMPED + ['geometry.acd="1 cm"', "window.enabled=false"])
    assert cfg.geometry.acd == 0.01


def test_a_cell_that_produces_no_metal_stops_outside_the_window():
    # 1e-9 A deposits I M/(3F) = 9.3e-14 kg/s of Al; the dissolved-metal loss of the
    # reference melt is far larger, so the cumulative CE is negative from the first step.
    cfg = load_config("rusal-3kA", LUMPED + ['operation.current="1e-9 A"', 'schedule.duration="1500 d"',
                                             'schedule.time_step="1 d"'])
    result = run_campaign(cfg)
    assert result.window.startswith("current efficiency") and result.stop_reason.startswith("outside")
    assert result.summary["campaign_length"] == 86400.0  # stopped at the first step
    for key in ("specific_energy", "current_efficiency", "product_al", "energy_electrolyte_ohmic"):
        assert math.isnan(result.summary[key])
    s = result.series  # only the start was recorded: nothing from outside the window
    assert s["time"].tolist() == [0.0]
    assert np.all(s["cathode_depth"] >= 0) and np.all(s["alloy_depth"] >= 0)
    text = result.format_summary()
    assert text.startswith("OUTSIDE THE OPERATING WINDOW") and "nan" not in text


def test_an_overheating_design_does_not_start():
    # the lumped 8 cm pot settles at 1019 degC from the start (surplus Joule heat)
    with pytest.raises(OutsideWindow, match="initial state.*1000 degC.*overheats"):
        run_campaign(load_config("rusal-3kA", LUMPED + ['geometry.acd="8 cm"']))


def test_a_cell_that_heats_up_stops_before_recording_the_hot_state():
    # a current step from 3 to 4.5 kA at day 2: the lumped pot jumps to about 1190 degC
    cfg = load_config("rusal-3kA", LUMPED + [
        'schedule.duration="5 d"', 'schedule.current_program="steps"',
        'schedule.current_steps=[{time="2 d", current="4.5 kA"}]'])
    result = run_campaign(cfg)
    dt = cfg.schedule.time_step  # the first step at 4.5 kA
    assert "overheats" in result.window and result.summary["campaign_length"] == 2 * 86400 + dt
    assert np.all(result.series["temperature"] <= 1000.0 + C0)  # no recorded state outside
    assert result.series["time"][-1] <= 2 * 86400


def test_a_run_inside_the_window_records_only_physical_values():
    result = run_campaign(load_config("rusal-3kA", LUMPED + ['schedule.duration="10 d"']))
    assert result.window == ""
    ce = result.series["current_efficiency"][1:]  # the start has passed no charge: undefined
    assert np.all((ce > 0) & (ce <= 1))
    for name, values in result.series.items():
        if name != "current_efficiency":
            assert np.all(np.isfinite(values)), name
    assert np.all(result.series["cathode_depth"] > 0)


def test_a_runaway_names_overheating_or_freezing(model):
    import dataclasses

    from cellsim.schedule import check_physical as _check_finite

    m = _with(model)
    m.derived = dataclasses.replace(model.derived, temperature=4000.0 + C0)
    with pytest.raises(FloatingPointError, match="overheated") as hot:
        _check_finite(m)
    assert "froze" not in str(hot.value)
    m.derived = dataclasses.replace(model.derived, temperature=-150.0 + C0)
    with pytest.raises(FloatingPointError, match="froze across"):
        _check_finite(m)
    m.derived = dataclasses.replace(model.derived, voltage={"electrolyte_ohmic": 439.0})
    with pytest.raises(FloatingPointError, match="froze across"):  # 750 degC but 439 V
        _check_finite(m)
