"""Pathway (d): co-deposition of the electrolyte's cations (Na, Li, K, Ca, Ba) at the cathode.

The exchange MXn(melt) + (n/3) Al = M(in Al) + (n/3) AlX3(melt) holds at the cathode
(Thonstad et al. 2001, [Thonstad2001]; Fellner et al. 2004, [Fellner2004]), so
the metal takes

    x_M = a_MXn a_Al^(n/3) / (gamma_M K a_AlX3^(n/3)),   K = exp(-n F delta_E / R T),

with a_MXn = gamma_s x_s the halide's activity in the electrolyte and gamma_M the Henrian activity
coefficient of M in liquid Al (Na: large positive deviation, Mitchell 1971, [Mitchell-nd]).
delta_E < 0 for the cations, so K >> 1. Deposited Al carries x_M / (1 - x_M) moles of M per
mole of Al; the AlX3 activity of the electrolyte (``LumpedModel.alf3_activity``) moves x_M as the
electrolyte's acidity drifts: a basic electrolyte (low a_AlX3) gives more Na.
"""

from __future__ import annotations

import math

from ..units import FARADAY, GAS_CONSTANT
from .equilibria import CATION_VALENCE, delta_E


def metal_mole_fraction(cation: str, family: str, T: float, a_alx3: float, a_al: float,
                        x_salt: float, gamma_salt: float, gamma_metal: float,
                        equilibria: str = "janaf") -> float:
    """Equilibrium mole fraction of ``cation``'s metal in the cathode Al."""
    n = CATION_VALENCE[cation]
    T_eq = T if equilibria == "janaf" else 1000.0
    dE = float(delta_E(cation, family, T_eq))
    K = math.exp(-n * FARADAY * dE / (GAS_CONSTANT * T))
    return gamma_salt * x_salt * a_al ** (n / 3.0) / (gamma_metal * K * a_alx3 ** (n / 3.0))


def codeposition_rate(x_metal: float, al_deposition: float) -> float:
    """mol/s of the cation deposited with ``al_deposition`` mol/s of Al."""
    return x_metal / (1.0 - x_metal) * max(al_deposition, 0.0)
