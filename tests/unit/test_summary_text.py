"""The human summary says what was run and prints small numbers with their digits."""

import math

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.results import _ppm


def test_header_names_level_acd_electrolyte_set_point_and_a_current_programs_mean():
    cfg = load_config("rusal-3kA", ['numerics.model="lumped"', 'schedule.duration="2 d"',
                                    'schedule.current_program="steps"',
                                    'schedule.current_steps=[{time="0 d", current="2.5 kA"}, '
                                    '{time="1 d", current="3.5 kA"}]'])
    result = run_campaign(cfg)
    rows = {label.strip(): (value, unit) for label, value, unit in result.summary_rows()}
    assert rows["model level"][0] == "lumped"
    assert rows["ACD"] == ("4.5", "cm") and rows["set point"] == ("750", "degC")
    assert rows["electrolyte"][0] == cfg.electrolyte.name
    value, unit = rows["current (mean of the program)"]
    # one day at 2.5 kA and one at 3.5 kA: 3.0 kA mean, charge / time
    assert value == "3000" and "2500 to 3500 A" in unit
    assert "current" not in rows or rows.get("current") is None


def test_small_impurities_keep_their_digits():
    assert _ppm(0.00036) == "0.00036" and _ppm(2.9e-9) == "2.9e-09"
    assert _ppm(0.0) == "0" and _ppm(16.23) == "16.2" and _ppm(math.nan) == "n/a"
