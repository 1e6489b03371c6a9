"""The species field in the axisymmetric campaign: conservation and purity against the lumped level.

Four days of rusal-3kA held at 800 degC by the heater in both levels (so both see the same
mean salt temperature), coarse r-z grid, 2-day taps. Measured: every element conserved to
~1e-15 relative in both levels; the product's total impurity 1 - Al is 2.8 % lower with the
field (1.065e-6 against 1.096e-6), per element Fe +5.3 %, Zn +4.7 %, Cu and Si +3.7 %,
Mn +3.1 %, Ti +0.3 %, Mg -6.7 %. Asserted: 1e-10 on conservation, 5 % on 1 - Al, 10 % on each
element.

Why they differ (measured by switching the differences off one at a time):
* finite mixing (species mixing factor 1e5 [E], D_eff = 2e-4 m2/s): the resolved core adds a
  resistance L/D_eff to the two films, so the noble elements reach the cathode 1.1 % slower
  (Mg unchanged: it is limited by the alloy's metal film); with mixing 1e9, the scalar mean
  temperature and no surface depletion, the field reproduces the lumped level to 6e-7;
* surface depletion by the local current density (docs/species.md): +0.2 % noble leak;
* local temperature at the interfaces, the largest part: the heat field's salt cells next to
  the alloy are 2.4 K above the salt mean (the heater heats the alloy) and those next to the
  cathode 5.9 K below it; the exchange ratio S of the noble elements grows with T, so +4 to
  +6 % leaks from the anode, while Mg, whose cathode uptake is capped by its equilibrium
  share c_salt / S_c, deposits 6.7 % less.
"""

import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.elements import IMPURITIES
from cellsim.lumped import chemistry
from cellsim.models import make_model

pytestmark = pytest.mark.integration

CASE = ['operation.temperature="800 degC"', 'schedule.duration="4 d"', 'numerics.resolution="coarse"']


@pytest.fixture(scope="module")
def levels():
    return {level: run_campaign(load_config("rusal-3kA", CASE + [f'numerics.model="{level}"']))
            for level in ("lumped", "axisymmetric")}


def test_elements_conserved_by_the_species_field():
    model = make_model(load_config("rusal-3kA", CASE + ['numerics.model="axisymmetric"']))
    for step in range(1, 97):
        model.step(3600.0)
        if step % 48 == 0:
            model.tap()
    species = model.physics.species
    assert model.physics.mesh.remeshes >= 4  # the concentration field was remapped
    s = model.state
    scale = np.abs(model.initial) + s.scrap_metal + s.tapped + s.sludge
    assert np.all(np.abs(model.totals() - model.initial) <= 1e-10 * scale)
    # the salt inventory is the field's, and the field holds it in the electrolyte only
    # (a remesh remaps c cell by cell, c_new = c_old V_old / V_new: equal to rounding)
    np.testing.assert_allclose(species.field.inventory(species.concentration) * chemistry.MOLAR_MASS,
                               s.electrolyte, rtol=1e-14, atol=0.0)
    assert np.all(species.concentration[:, ~species.field.mask] == 0.0)
    assert s.electrolyte[IMPURITIES.index("Mg")] > 0.0


def test_product_purity_agrees_with_the_lumped_level(levels):
    lumped, field = levels["lumped"].summary, levels["axisymmetric"].summary
    assert levels["axisymmetric"].summary["taps"] == lumped["taps"] == 2
    for result in levels.values():
        assert np.max(np.abs(result.mass_balance)) < 1e-12 * result.summary["scrap_fed"]
    assert 1.0 - field["product_al"] == pytest.approx(1.0 - lumped["product_al"], rel=0.05)
    for el in IMPURITIES:
        assert field[f"product_{el}"] == pytest.approx(lumped[f"product_{el}"], rel=0.10), el
