"""Schedules: the current program (constant, steps, CSV) and taps by level."""

import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import ConfigError, load_config
from cellsim.program import current_program, read_current_csv

LUMPED = ['numerics.model="lumped"']  # explicit: these tests need the 0D level's speed or numbers

F, M_AL = 96485.33212, 26.9815e-3
PURE = ["scrap.composition_wt_pct={}", "electrolyte.dissolved_al_solubility=0.0"]


def test_steps_program_and_faraday_charge():
    cfg = load_config("rusal-3kA", LUMPED + PURE + ["purity={}", "current_efficiency={}"]
                      + ['schedule.duration="4 d"', 'schedule.current_program="steps"',
                                           'schedule.current_steps=[{time="1 d", current="2 kA"}, '
                                           '{time="3 d", current="3.5 kA"}]'])
    program = current_program(cfg)
    assert [program(t * 86400) for t in (0, 0.99, 1, 2.5, 3, 10)] == [3000, 3000, 2000, 2000, 3500, 3500]
    result = run_campaign(cfg)
    charge = (3000 + 2000 * 2 + 3500) * 86400.0
    # the initial alloy's impurities still deposit (their current is ~1e-9 of the charge): the
    # Al produced and their share of the current carry the programmed charge together
    faraday = charge * M_AL / (3 * F)
    impurity = result.summary["ce_loss_impurity_current"]
    assert 0.0 < impurity < 1e-8
    assert result.summary["al_produced"] / faraday + impurity == pytest.approx(1.0, abs=1e-12)
    current = result.series["cell_current"]
    assert set(np.unique(current)) == {2000.0, 3000.0, 3500.0}
    # the ledger books U I dt with the programmed I
    u = result.series["cell_voltage"]
    assert u[current == 2000.0].mean() < u[current == 3500.0].mean()


def test_csv_program_interpolates_and_reports_bad_files(tmp_path):
    good = tmp_path / "profile.csv"
    good.write_text("# a windy day\ntime [h], current [kA]\n0, 3\n12, 1.5\n24, 3\n")
    p = read_current_csv(good)
    assert p(0) == 3000 and p(6 * 3600) == pytest.approx(2250) and p(12 * 3600) == 1500
    assert p(48 * 3600) == 3000  # held after the last row
    bad = tmp_path / "bad.csv"
    bad.write_text("time [h], current [kg]\n0, 3\n")
    with pytest.raises(ValueError, match="current"):
        read_current_csv(bad)
    bad.write_text("time [h], current [A]\n0, 3\n0, 4\n")
    with pytest.raises(ValueError, match="increase"):
        read_current_csv(bad)
    cfg = load_config("rusal-3kA", LUMPED + ['schedule.duration="2 d"', 'schedule.current_program="csv"',
                                    f'schedule.current_file="{good}"'])
    result = run_campaign(cfg)
    # recorded: the current of the step ending at the record, sampled at its start (12 h - dt)
    start = 12.0 - cfg.schedule.time_step / 3600.0
    assert result.series["cell_current"].min() == pytest.approx(3000 - 1500 * start / 12, rel=1e-12)


def test_taps_by_level():
    cfg = load_config("rusal-3kA", LUMPED + ['schedule.duration="8 d"', 'schedule.tap_mode="level"',
                                    'schedule.tap_level="9 cm"'])
    result = run_campaign(cfg)
    depth = result.series["cathode_depth"]
    dt = cfg.schedule.time_step
    step = 24.1 * dt / 86400 / (2349 * cfg.geometry.area)  # m of Al deposited in one step
    assert depth.max() < 0.09 + 1.5 * step  # one step of deposit above the level at most
    times = np.array([t.time for t in result.taps[:-1]])
    # 3 cm over 0.6 m2 of Al at ~24 kg/d: a tap every ~1.75 d, at the end of the step that
    # passes the level (so up to one step later)
    gap = np.diff(times) / 86400
    expected = 0.03 * cfg.geometry.area * 2349 / 24.1
    assert np.all(gap > 0.95 * expected) and np.all(gap < 1.05 * expected + dt / 86400), gap


def test_schedule_cross_checks():
    with pytest.raises(ConfigError, match="tap_level"):
        load_config("rusal-3kA", LUMPED + ['schedule.tap_mode="level"', 'schedule.tap_level="3 cm"'])
    with pytest.raises(ConfigError, match="current_steps"):
        load_config("rusal-3kA", LUMPED + ['schedule.current_program="steps"'])
