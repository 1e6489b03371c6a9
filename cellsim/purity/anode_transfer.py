"""Pathway (c): non-selective transfer from the anode alloy.

* Co-dissolution: Al reaches the alloy surface through the metal-side film at most at the
  limiting current density j_lim = 3 F k_metal c_Al (c_Al the Al molar concentration of the
  alloy). Above it the surface is stripped of Al and the excess current dissolves the alloy
  as it is (congruently): per second (j - j_lim) A / (F sum_i x_i n_i) moles of alloy, x_i
  its mole fractions and n_i the valences (Al 3). Below j_lim nothing (the exchange
  equilibrium, with the surface depletion of the field level, covers that range).
* Entrainment: alloy carried bodily into the product (droplets through the electrolyte, splashing
  at the feed well, metal bridging), a mass ``alpha`` of alloy per mass of Al deposited. No
  measured coefficient exists; alpha is calibrated on one datum (Cu 20-40 ppm in industrial
  three-layer metal from an Al-Cu ~33 % anode, [HighPurityAluminum-nd]) and the other product data
  stay independent checks (docs/purity.md).
"""

from __future__ import annotations

import numpy as np

from ..units import FARADAY


def al_limiting_current_density(k_metal: float, c_al: float) -> float:
    """Largest anodic current density [A/m2] the alloy film can feed with Al (c_al [mol/m3])."""
    return 3.0 * FARADAY * k_metal * c_al


def codissolution_flux(current_density: float, limit: float, area: float, x: np.ndarray,
                       valence: np.ndarray) -> np.ndarray:
    """mol/s of each element (mole fractions ``x`` and valences over the same elements)
    dissolved congruently by the current density above ``limit``."""
    excess = max(current_density - limit, 0.0) * area
    if excess == 0.0:
        return np.zeros_like(np.asarray(x, dtype=float))
    return np.asarray(x, dtype=float) * excess / (FARADAY * float(np.dot(x, valence)))


def entrained_alloy(alpha: float, al_deposited: float, alloy: np.ndarray) -> np.ndarray:
    """kg of each element of the alloy (masses ``alloy``) carried into the product when
    ``al_deposited`` kg of Al deposit."""
    alloy = np.asarray(alloy, dtype=float)
    return alpha * max(al_deposited, 0.0) * alloy / alloy.sum()
