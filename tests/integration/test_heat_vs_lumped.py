"""Field heat balance of rusal-3kA against the lumped heat_loss at the set point.

The field model holds the electrolyte mean at the operating temperature with the
controlled heater (no Joule heat: the heater power is then the total loss). Measured:
field 9.37 kW, lumped 6.48 kW (ratio 1.45). The difference is geometric and expected
(docs/heat.md): the lumped paths use the cavity area for the lid and bottom and the cavity
height for the side bands, while the field model loses heat through the whole outer
shell (outer radius 0.707 m vs cavity 0.437 m: 2.6x the lid and bottom area, and side
walls 0.935 m tall vs 0.575 m of bands) and conducts through the lining corners.
Asserted: 1.2 <= field / lumped <= 1.7, every face within 0.8x-2.6x, the balance closes.
"""

import numpy as np
import pytest

from cellsim.config import load_config
from cellsim.fields.heat import ledge_profile
from cellsim.fields.pot import build_pot
from cellsim.lumped.thermal import heat_loss

pytestmark = pytest.mark.integration


def test_field_and_lumped_heat_loss_agree_within_geometry():
    cfg = load_config("rusal-3kA")
    pot = build_pot(cfg, "coarse")
    T = cfg.operation.temperature
    state, bal = pot.heat_solver().steady(heater=pot.heater(T))
    lumped = heat_loss(cfg, T, cfg.geometry.anode_alloy_depth, cfg.geometry.cathode_metal_depth)
    assert bal.relative_residual <= 1e-10
    assert bal.heater == pytest.approx(bal.total_loss, rel=1e-9)
    assert 1.2 <= bal.total_loss / lumped.total <= 1.7
    for face, value in lumped.by_face().items():
        assert 0.8 <= bal.losses[face] / value <= 2.6, (face, bal.losses[face], value)
    _, ledge = ledge_profile(pot.grid, state.frac, "electrolyte")
    assert np.all(ledge >= 0.0) and lumped.ledge_thickness == 0.0
