"""Pathway (a): mass-transfer-limited deposition of noble ions from the electrolyte.

A noble ion (delta_E > 0, equilibrium salt/metal ratio S << 1) that reaches the electrolyte is
reduced at whichever metal it meets: the interface concentration on the salt side is ~0 at
both the cathode and the anode alloy, so each electrode takes it at the rate its salt film
allows, N = k_salt A c_bulk (SINTEF impurity theory, [SINTEFImpurity-nd]). The
three-pool exchange of ``cellsim.lumped.chemistry`` (and the species field) already carries
this flux; this module gives the closed forms used to attribute the product's content to
what fed the electrolyte, and the tests' hand calculations:

* the limiting flux density k c [mol/(m2 s)];
* the cathode's share of a noble input to the electrolyte, g_c / (g_c + g_a) with the two
  conductances g = A / (1/k_salt + S/k_metal) (one half when both films are alike);
* the steady product content that a melt concentration sustains at a current density j,
  w = k c M / (j M_Al / 3F).
"""

from __future__ import annotations

import numpy as np

from ..elements import ELEMENTS
from ..units import FARADAY

M_AL = ELEMENTS["Al"].molar_mass


def limiting_flux_density(k_salt: float, c_bulk) -> np.ndarray:
    """Transport-limited deposition flux density k c [mol/(m2 s)] (c [mol/m3], k [m/s])."""
    return k_salt * np.asarray(c_bulk, dtype=float)


def cathode_share(g_cathode, g_anode) -> np.ndarray:
    """Fraction of a noble input to the electrolyte that deposits at the cathode (the rest returns to
    the anode alloy): the ratio of the film conductances [m3/s]."""
    g_c, g_a = np.asarray(g_cathode, dtype=float), np.asarray(g_anode, dtype=float)
    return g_c / (g_c + g_a)


def product_fraction_from_melt(w_melt, melt_density: float, molar_mass, k_salt: float,
                               current_density: float) -> np.ndarray:
    """Mass fraction in freshly deposited Al sustained by a melt mass fraction ``w_melt``:
    deposition k c M over the Al deposition j M_Al / 3F (dilute product)."""
    c = np.asarray(w_melt, dtype=float) * melt_density / np.asarray(molar_mass, dtype=float)
    deposit = limiting_flux_density(k_salt, c) * np.asarray(molar_mass, dtype=float)
    return deposit / (current_density * M_AL / (3.0 * FARADAY))
