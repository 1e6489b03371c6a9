"""A pot whose electrolyte freezes across cannot carry an imposed current: the field levels say
so by name instead of letting the Joule heat of the solid salt run away (it reached 3.9e7 degC
before this check). The case: a quiescent salt (molecular mixing only) heated from the anode
alloy below, a thin side wall, the set point 5 K above the liquidus; the top of the salt
freezes (a hand estimate: ~10 kW through 4.5 cm of salt at 0.8 W/(m K) over 0.6 m2 is a
~900 K drop, far more than 5 K)."""

import pytest

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.fields.axisymmetric import ElectrolyteFrozen

pytestmark = pytest.mark.integration

THIN = '''extends = "rusal-3kA"
[meta]
name = "thin-wall"
[lining]
use = "rusal-3kA"
[[lining.side]]
name = "magnesia brick"
material = "magnesia"
thickness = "0.115 m"
thermal_conductivity = "4 W/(m K)"
[[lining.side]]
name = "steel shell"
material = "steel"
thickness = "0.01 m"
thermal_conductivity = "40 W/(m K)"
'''


@pytest.mark.parametrize("level", ["axisymmetric", "3d"])
def test_frozen_across_is_named(tmp_path, level):
    path = tmp_path / "thin.toml"
    path.write_text(THIN)
    cfg = load_config(str(path), [f'numerics.model="{level}"', 'numerics.resolution="coarse"',
                                  'operation.temperature="705 degC"', 'schedule.duration="1 d"',
                                  'electrolyte.eddy_diffusivity="0 m2/s"'])
    with pytest.raises(ElectrolyteFrozen, match=r"frozen across at z = .* m .*liquidus \(700.0 degC\)"):
        run_campaign(cfg)


def test_the_same_pot_runs_with_a_mixed_salt(tmp_path):
    # 705.5 degC, not 705: the heater holds the electrolyte at the set point to round-off, and 705 degC
    # is the window's edge (liquidus 700 + min_superheat 5), passed or not by the last bit
    path = tmp_path / "thin.toml"
    path.write_text(THIN)
    cfg = load_config(str(path), ['numerics.resolution="coarse"', 'operation.temperature="705.5 degC"',
                                  'schedule.duration="6 h"'])
    result = run_campaign(cfg)
    assert result.series["temperature"][-1] == pytest.approx(cfg.operation.temperature, abs=0.05)
