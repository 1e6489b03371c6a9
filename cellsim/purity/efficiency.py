"""Pathway (f): current efficiency from its loss mechanisms.

* Dissolved metal: Al dissolves in the electrolyte at the cathode to c_sat a_Al,c and is re-oxidised
  at the alloy, where the electrolyte holds c_sat a_Al,a (solubility proportional to the metal's Al
  activity, Arthur 1974, [Arthur1974]). The flux crosses the cathode film, the bulk
  melt over the ACD (eddy diffusivity D_t: more stirring, more loss) and the alloy film:

      N = A c_sat (a_Al,c - a_Al,a) / (1/k_salt + ACD/D_eff + 1/k_salt)     [mol/s]

  The loss grows with k_salt (CE falls linearly with the mass-transfer coefficient,
  Solheim et al. 2018, [Solheim2018]), with temperature through c_sat, and falls with the
  ACD; at a given loss CE rises with the current. The solubility's temperature coefficient
  is [C] from the cryolite correlation of Ødegård et al. 1988 [Odegard1988]: 2.99e-4 wt%
  per K against 0.047 wt% at 1000 degC and NaF/AlF3 = 1.5, i.e. 6e-3 per K, carried over to
  refining melts [E]. The composition term of the same correlation, +0.0268 wt% per unit of
  the NaF/AlF3 mass ratio R, is 0.52 per unit R relative to its 0.0517 wt% at 1000 degC and
  R = 1.5 [C]: a basic electrolyte (more NaF) dissolves more Al, an acidic one less. It is applied
  about the configured electrolyte's R with the R of the salt of the moment (cellsim.electrolyte:
  the AlF3 consumed by the scrap's Mg raises R) [E] for refining melts, whose R (0.74 for the
  Gadeau bath) lies below the correlation's cryolite range. ``films`` (the earlier form) keeps
  only the two films at the configured solubility.
* Oxidation of the exposed cathode metal through the gas space at a rate per area [E]
  (recognised in three-layer practice, no measured rate found).
* Shunt: a fraction of the current passing without electrolysis; no source gives one for a
  refining cell, so it is 0 unless configured.
"""

from __future__ import annotations

import math

LOSSES = ("dissolved_metal", "oxidation", "shunt", "impurity_current", "cation_current",
          "entrained_al")
"""Terms of 1 - CE (kg of Al per kg at 100 % CE); entrained_al is a gain (negative)."""


def al_solubility(w_ref: float, T: float, T_ref: float, coefficient: float,
                  ratio_change: float = 0.0, ratio_coefficient: float = 0.0) -> float:
    """Mass fraction of dissolved Al in equilibrium with pure Al at T [K] and a NaF/AlF3 mass
    ratio ``ratio_change`` above the reference electrolyte's: linear in both about the reference
    value (the additive form of the cryolite correlation, [Odegard1988]), never negative."""
    return max(w_ref * (1.0 + coefficient * (T - T_ref) + ratio_coefficient * ratio_change), 0.0)


def dissolved_metal_flux(c_sat: float, a_al_cathode: float, a_al_alloy: float, k_salt: float,
                         area: float, acd: float = 0.0, diffusivity: float = math.inf) -> float:
    """Al carried from the cathode to the alloy [mol/s] through both films and the bulk."""
    resistance = 2.0 / k_salt + (acd / diffusivity if acd > 0.0 else 0.0)
    return max(area * c_sat * (a_al_cathode - a_al_alloy) / resistance, 0.0)

D_AL_MOLECULAR = 5e-9
"""Molecular diffusivity of dissolved Al species [m2/s] [E]: the upper end of the 1-5e-9 m2/s
taken for dissolved complexes at 700-800 degC (Fe(II) 2.8e-9, [Chryssoulakis1978]), for the small
Al(I)/Na species; the eddy diffusivity adds to it and dominates."""
