"""A strongly mixed melt (D_t = 2e-3 m2/s: k_eff ~ 4800 W/(m K) in the salt against 0.1 in the
insulation) must still run: the heat solve then stalls at the float64 floor above a 1e-10
relative residual, which is machine precision and accepted (it used to abort the campaign)."""

import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import load_config

pytestmark = pytest.mark.integration


def test_strong_mixing_runs_and_holds_the_set_point():
    d = '"2e-3 m2/s"'
    cfg = load_config("rusal-3kA", ['numerics.model="axisymmetric"', 'schedule.duration="1 d"',
                                    f"electrolyte.eddy_diffusivity={d}", f"anode_alloy.eddy_diffusivity={d}",
                                    f"cathode_metal.eddy_diffusivity={d}"])
    result = run_campaign(cfg)
    s = result.summary
    assert np.isfinite(s["specific_energy"])
    # the electrolyte is isothermal to within a few kelvin at this mixing: the salt mean is the set point
    # after every heat step. A record taken right after a remesh (the salt layer moved: the
    # enthalpy remap puts former metal cells into the salt) sits up to ~2 K off until the next
    # heat step brings it back, so: most records at the set point, none far from it.
    T = result.series["temperature"]
    assert np.median(T) == pytest.approx(cfg.operation.temperature, abs=0.05)
    assert np.all(np.abs(T - cfg.operation.temperature) < 2.5)
