"""Lumped electrical model: the cell voltage as a sum of named terms (docs/model.md, "Voltage").

U = E_rev + eta_a + eta_c + I (R_salt + R_alloy + R_cathode + R_collectors) + external drops.
Each layer is a uniform slab, R = thickness / (sigma * area), so the current density is I/A
everywhere; the field solver (``cellsim.fields``) refines this with the real current paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config.schema import Config, Electrolyte
from ..kernels import roots
from ..units import FARADAY, GAS_CONSTANT

N_AL = 3  # electrons per Al


def electrolyte_conductivity(electrolyte: Electrolyte, T: float) -> float:
    """Arrhenius conductivity kappa(T) [S/m] from the reference value and activation energy."""
    Ea = electrolyte.conductivity_activation_energy
    T_ref = electrolyte.conductivity_reference_temperature
    return electrolyte.conductivity * math.exp(-Ea / GAS_CONSTANT * (1.0 / T - 1.0 / T_ref))


def overpotential(j: float, i0: float, alpha_a: float, alpha_c: float, T: float, model: str,
                  n: int = N_AL) -> float:
    """Magnitude of the charge-transfer overpotential [V] that drives |j| [A/m2].

    Butler-Volmer: j = i0 (exp(alpha_a n F eta / RT) - exp(-alpha_c n F eta / RT)), solved for
    eta by Newton from the symmetric (asinh) solution, which is exact when alpha_a = alpha_c.
    Linear: eta = R T j / ((alpha_a + alpha_c) n F i0), the small-eta limit of the same law.
    The Newton iteration is the kernel ``kernels/roots.slab_overpotential`` (the lumped heat
    balance's kernel calls it too).
    """
    j = abs(j)
    f = n * FARADAY / (GAS_CONSTANT * T)
    if model == "linear":
        return j / ((alpha_a + alpha_c) * f * i0)
    return roots.slab_overpotential(j, i0, alpha_a, alpha_c, f)  # the Newton iteration


def reversible_voltage(T: float, a_al_cathode: float, a_al_anode: float) -> float:
    """Concentration-cell voltage (R T / 3 F) ln(a_Al,cathode / a_Al,anode alloy) [V]."""
    return GAS_CONSTANT * T / (N_AL * FARADAY) * math.log(a_al_cathode / a_al_anode)


@dataclass(frozen=True, slots=True)
class Resistances:
    """Ohmic resistances of the stack [ohm]."""

    electrolyte: float
    anode_alloy: float
    cathode_metal: float
    bottom_collector: float
    rods: float
    contacts: float

    @property
    def collectors(self) -> float:
        return self.bottom_collector + self.rods + self.contacts


def resistances(config: Config, T: float, alloy_depth: float, cathode_depth: float,
                alloy_resistivity: float | None = None) -> Resistances:
    """Series resistances of the uniform layer stack at temperature T [K] and given depths [m]."""
    area = config.geometry.area
    col = config.collectors
    rho_alloy = alloy_resistivity if alloy_resistivity is not None else config.anode_alloy.resistivity
    rod_area = col.rod_count * math.pi * col.rod_diameter**2 / 4.0
    return Resistances(
        electrolyte=_electrolyte_resistance(config, T),
        anode_alloy=rho_alloy * alloy_depth / area,
        cathode_metal=config.cathode_metal.resistivity * cathode_depth / area,
        bottom_collector=col.bottom_resistivity * col.bottom_thickness / area,
        rods=col.rod_resistivity * col.rod_length / rod_area,
        contacts=col.contact_resistance,
    )


def _electrolyte_resistance(config: Config, T: float) -> float:
    kappa = electrolyte_conductivity(config.electrolyte, T)
    return config.geometry.acd / (kappa * config.geometry.area)


def at_temperature(R: Resistances, config: Config, T: float) -> Resistances:
    """``R`` (from :func:`resistances`) with its one temperature-dependent term, the
    electrolyte's, at T [K]: what ``resistances`` gives at T, without recomputing the rest."""
    return Resistances(_electrolyte_resistance(config, T), R.anode_alloy, R.cathode_metal,
                       R.bottom_collector, R.rods, R.contacts)


VOLTAGE_TERMS = (
    "electrolyte_ohmic", "anode_alloy_ohmic", "cathode_metal_ohmic", "collectors_ohmic",
    "anode_overpotential", "cathode_overpotential", "reversible", "external",
)
"""Names of the voltage terms, in reporting order; they sum to the cell voltage."""


def voltage_breakdown(config: Config, I: float, T: float, R: Resistances,
                      a_al_anode: float, a_al_cathode: float = 1.0) -> dict[str, float]:
    """Cell voltage terms [V] for current I [A] at temperature T [K]; they sum to U."""
    kin = config.kinetics
    j = I / config.geometry.area
    return {
        "electrolyte_ohmic": I * R.electrolyte,
        "anode_alloy_ohmic": I * R.anode_alloy,
        "cathode_metal_ohmic": I * R.cathode_metal,
        "collectors_ohmic": I * R.collectors,
        "anode_overpotential": overpotential(j, kin.anode_exchange_current_density,
                                             kin.alpha_anodic, kin.alpha_cathodic, T, kin.model),
        "cathode_overpotential": overpotential(j, kin.cathode_exchange_current_density,
                                               kin.alpha_anodic, kin.alpha_cathodic, T, kin.model),
        "reversible": reversible_voltage(T, a_al_cathode, a_al_anode),
        "external": config.operation.external_voltage_drop,
    }


def balance_args(config: Config, I: float, R: Resistances, a_al_anode: float,
                 a_al_cathode: float = 1.0) -> np.ndarray:
    """What :func:`voltage_breakdown` needs besides the temperature, as the ``el`` array of
    ``kernels/roots.heat_balance`` (its layout there): the terms that do not depend on T
    (``R`` from :func:`resistances`; its electrolyte term is recomputed at each T), the
    conductivity's Arrhenius law, the kinetics and the Al activities. With the same
    expressions as here, the kernel's voltage terms are these functions' bit for bit."""
    el, kin, geo = config.electrolyte, config.kinetics, config.geometry
    area = geo.area
    return np.array([
        I, I / area, I * R.anode_alloy, I * R.cathode_metal, I * R.collectors,
        config.operation.external_voltage_drop, el.conductivity,
        -el.conductivity_activation_energy / GAS_CONSTANT,
        1.0 / el.conductivity_reference_temperature, geo.acd, area,
        kin.anode_exchange_current_density, kin.cathode_exchange_current_density,
        kin.alpha_anodic, kin.alpha_cathodic, 1.0 if kin.model == "linear" else 0.0,
        N_AL * FARADAY, GAS_CONSTANT, math.log(a_al_cathode / a_al_anode),
        0.5 * I**2 * R.rods], dtype=float)
