"""Field heat balance of rusal-3kA against the lumped heat_loss at the set point.

The field model holds the electrolyte mean at the operating temperature with the
controlled heater (no Joule heat: the heater power is then the total loss). Measured
(coarse grid, 7 cm side vermiculite): field 7.78 kW, lumped 6.49 kW (ratio 1.20); by face
side 4.13/3.51, bottom 1.03/0.95, lid 1.12/0.88, collectors 1.51/1.16 kW. Before the lumped
model's corner allowance (docs/model.md) the ratio was 1.45: the lumped paths used the cavity
footprint for the lid and bottom and the cavity height for the side. What remains is the rods
(a 1D conductance in the lumped model, a resolved cylinder through the lid in the field) and
2D conduction round the lid corner.
Asserted: 1.05 <= field / lumped <= 1.35, every face within 0.9x-1.45x, the balance closes.
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
    assert 1.05 <= bal.total_loss / lumped.total <= 1.35
    for face, value in lumped.by_face().items():
        assert 0.9 <= bal.losses[face] / value <= 1.45, (face, bal.losses[face], value)
    _, ledge = ledge_profile(pot.grid, state.frac, "electrolyte")
    assert np.all(ledge >= 0.0) and lumped.ledge_thickness == 0.0
