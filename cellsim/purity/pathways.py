"""The purity and current-efficiency pathways of one cell, read from its configuration.

``Pathways`` turns ``[purity]`` and ``[current_efficiency]`` into rates for the model's
time step (``cellsim.lumped.model.LumpedModel.step`` calls it; the field levels inherit the
step): each method returns SI rates for the present state and leaves the booking to the
model, so that every transfer moves mass between the model's inventories.
"""

from __future__ import annotations

import numpy as np

from ..elements import ALL_ELEMENTS, ELEMENTS, IMPURITIES
from ..units import FARADAY
from . import anode_transfer, codeposition, efficiency, salt_entrainment, sources
from .equilibria import CATION_MOLAR_MASS, CATION_VALENCE, HALOGEN_MOLAR_MASS

M_AL = ELEMENTS["Al"].molar_mass
_MOLAR = np.array([ELEMENTS[s].molar_mass for s in ALL_ELEMENTS])
_VALENCE = np.array([ELEMENTS[s].valence for s in ALL_ELEMENTS], dtype=float)


class Pathways:
    def __init__(self, config):
        self.config = config
        self.p, self.ce = config.purity, config.current_efficiency
        self.cations = tuple(self.p.cation_salt_mole_fraction) if self.p.codeposition else ()
        self.cation_valence = np.array([CATION_VALENCE[c] for c in self.cations], dtype=float)
        halogen = HALOGEN_MOLAR_MASS[config.electrolyte.family]
        self.cation_molar_mass = np.array([CATION_MOLAR_MASS[c] for c in self.cations])
        self.cation_salt_molar_mass = self.cation_molar_mass + self.cation_valence * halogen

    # ------------------------------------------------------------------ (c) anode alloy
    def codissolution(self, alloy: np.ndarray, alloy_density: float, current: float) -> np.ndarray:
        """mol/s of each impurity co-dissolved (over IMPURITIES); zeros when switched off."""
        if not self.p.codissolution:
            return np.zeros(len(IMPURITIES))
        moles = alloy / _MOLAR
        c_al = moles[0] / (alloy.sum() / alloy_density)
        k = self.config.anode_alloy.metal_mass_transfer_coefficient
        area = self.config.geometry.area
        j_lim = anode_transfer.al_limiting_current_density(k, c_al)
        if current / area <= j_lim:  # below the limiting current: nothing (codissolution_flux)
            return np.zeros(len(IMPURITIES))
        x = moles / moles.sum()
        flux = anode_transfer.codissolution_flux(current / area, j_lim, area, x, _VALENCE)
        return flux[1:]

    def entrainment(self, al_deposited: float, alloy: np.ndarray) -> np.ndarray:
        """kg of each element (ALL_ELEMENTS) of alloy carried into the product."""
        if not self.p.entrainment:
            return np.zeros(len(ALL_ELEMENTS))
        return anode_transfer.entrained_alloy(self.p.alloy_entrainment, al_deposited, alloy)

    def salt_carried(self, al_deposited: float, salt_mass: float) -> float:
        """Fraction of the electrolyte carried into the product as salt inclusions while
        ``al_deposited`` kg of Al deposit; 0 when switched off."""
        if not self.p.salt_entrainment:
            return 0.0
        return salt_entrainment.carried_fraction(self.p.salt_inclusions, al_deposited, salt_mass)

    # ------------------------------------------------------------------ (b) sources
    def makeup(self, alf3_mass: float, base_mass: float) -> np.ndarray:
        """kg of each impurity the make-up salt carries into the electrolyte."""
        if not self.p.makeup_salts:
            return np.zeros(len(IMPURITIES))
        el = self.config.electrolyte
        return sources.makeup_impurities(alf3_mass, base_mass, el.alf3_impurities,
                                         el.base_salt_impurities)

    def lining(self, ledge_thickness: float) -> np.ndarray:
        """kg/s of each impurity released by the wetted side lining into the electrolyte."""
        if not self.p.lining:
            return np.zeros(len(IMPURITIES))
        geo = self.config.geometry
        area = sources.wetted_lining_area(geo.perimeter, geo.acd, ledge_thickness)
        return sources.lining_release(self.p.lining_release, area)

    def collectors(self, cathode: np.ndarray, cathode_depth: float) -> np.ndarray:
        """kg/s of each impurity the rods release into the cathode metal."""
        if not self.p.collectors:
            return np.zeros(len(IMPURITIES))
        col = self.config.collectors
        area = sources.wetted_rod_area(col.rod_count, col.rod_diameter, cathode_depth)
        w_fe = cathode[ALL_ELEMENTS.index("Fe")] / cathode.sum()
        return sources.collector_dissolution(
            col.rod_material, area, self.config.cathode_metal.metal_mass_transfer_coefficient,
            ELEMENTS["Al"].liquid_density, self.p.iron_saturation, w_fe)

    # ------------------------------------------------------------------ (d) electrolyte cations
    def cation_fractions(self, T: float, a_alx3: float, a_al: float) -> np.ndarray:
        """Equilibrium mole fraction of each cation's metal in the cathode Al."""
        p, fam = self.p, self.config.electrolyte.family
        return np.array([codeposition.metal_mole_fraction(
            c, fam, T, a_alx3, a_al, p.cation_salt_mole_fraction[c],
            p.cation_salt_activity_coefficient[c], p.cation_metal_activity_coefficient[c],
            p.equilibria) for c in self.cations])

    def cation_rates(self, T: float, a_alx3: float, a_al: float, al_deposition: float) -> np.ndarray:
        """mol/s of each cation co-deposited with ``al_deposition`` mol/s of Al."""
        x = self.cation_fractions(T, a_alx3, a_al)
        return np.array([codeposition.codeposition_rate(xi, al_deposition) for xi in x])

    # ------------------------------------------------------------------ (f) losses
    def dissolved_metal(self, T: float, a_al_cathode: float, a_al_alloy: float,
                        ratio: float | None = None) -> float:
        """Al carried from the cathode to the alloy [mol/s] (current_efficiency.dissolved_metal);
        ``ratio``: the electrolyte's NaF/AlF3 mass ratio now (None: the configured one)."""
        el, geo, ce = self.config.electrolyte, self.config.geometry, self.ce
        if ce.dissolved_metal == "films":  # the earlier form, kept bit for bit
            c_sat = el.dissolved_al_solubility * el.density / M_AL
            return max(0.5 * el.mass_transfer_coefficient * geo.area * c_sat
                       * (a_al_cathode - a_al_alloy), 0.0)
        w = efficiency.al_solubility(el.dissolved_al_solubility, T, ce.solubility_reference_temperature,
                                     ce.solubility_temperature_coefficient,
                                     self.ratio_change(ratio), ce.solubility_ratio_coefficient)
        return efficiency.dissolved_metal_flux(w * el.density / M_AL, a_al_cathode, a_al_alloy,
                                               el.mass_transfer_coefficient, geo.area, geo.acd,
                                               el.eddy_diffusivity + efficiency.D_AL_MOLECULAR)

    def reference_ratio(self) -> float | None:
        """NaF/AlF3 mass ratio at which the configured solubility holds
        (current_efficiency.solubility_reference_ratio, else the configured fresh salt's; None
        if it names neither)."""
        if self.ce.solubility_reference_ratio is not None:
            return self.ce.solubility_reference_ratio
        comp = self.config.electrolyte.composition or {}
        if comp.get("NaF", 0.0) > 0.0 and comp.get("AlF3", 0.0) > 0.0:
            return comp["NaF"] / comp["AlF3"]
        return None

    def ratio_change(self, ratio: float | None) -> float:
        """Change of the NaF/AlF3 mass ratio from the configured salt's (0 without a ratio)."""
        ref = self.reference_ratio()
        if ratio is None or ref is None or self.ce.solubility_ratio_coefficient == 0.0:
            return 0.0
        return ratio - ref

    def oxidation(self) -> float:
        """Al oxidised at the exposed cathode-metal surface [kg/s]."""
        col, geo = self.config.collectors, self.config.geometry
        exposed = geo.area - col.rod_count * 0.25 * np.pi * col.rod_diameter**2
        return self.ce.oxidation_rate * max(exposed, 0.0)

    def shunt_current(self, current: float) -> float:
        return self.ce.shunt_fraction * current


def charge_of(moles_per_s: np.ndarray) -> float:
    """Current [A] carried by the reduction of ``moles_per_s`` of IMPURITIES."""
    return FARADAY * float(np.dot(_VALENCE[1:], moles_per_s))
