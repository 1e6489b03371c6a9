"""Hall-Héroult reference numbers from NIST-JANAF [Chase1998].

Two Hall-Héroult figures are [C] from JANAF: the theoretical energy of
primary Al, 6.34 kWh/kg, and the melting of cryolite, Tm 1012 degC with ΔH_fus 524 J/g (and
the α→β transition, 45 J/g at 563 degC). They set the benchmark cellsim's refining energy is
compared with, so this case recomputes them from the JANAF tables (Chase 1998, via PyPI
``janaf`` 1.4) along an independent path. It checks the data and the computation path, not
cellsim's physics.

Theoretical energy. Reactants Al2O3 (alpha, cr) and carbon (graphite) enter at 25 degC,
products leave at 960 degC (1233.15 K) as liquid Al and CO2 gas:
Al2O3 + 1.5 C -> 2 Al(l) + 1.5 CO2. ΔH = Σ_products ν (Δ_fH°(298) + H(1233) - H(298)) -
Σ_reactants ν Δ_fH°(298), per 2 mol Al (26.9815385 g/mol): the enthalpy a cell must supply,
electrical plus heat, with reactants cold and products at bath temperature. Tolerance ±1 %
(the rounding of the quoted figure).

Cryolite. Na3AlF6 (cr,l table): the transition temperatures and the enthalpy jumps there
(molar mass 209.9413 g/mol). Tolerances: ±1 K on Tm (the quoted figure is rounded to 1 degC), ±1 % on
the enthalpies. The bath-conductivity check against Hiveš [Hives1993] belongs to the
electrolyte model and is not part of this case.
"""

from __future__ import annotations

from cellsim.validate import Check

from . import _janaf

NAME = "hall_heroult"
TITLE = "Hall-Héroult theoretical energy and cryolite fusion from NIST-JANAF"
FAST = True
SOURCE = "NIST-JANAF [Chase1998] via janaf 1.4"
M_AL = 26.9815385e-3  # kg/mol, IUPAC
M_CRYOLITE = 3 * 22.98976928e-3 + 26.9815385e-3 + 6 * 18.998403163e-3  # kg/mol, Na3AlF6
T_REF = 298.15  # K
T_BATH = 960.0 + 273.15  # K
J_PER_KWH = 3.6e6


def theoretical_energy(T_products: float = T_BATH) -> float:
    """Hall-Héroult theoretical energy [J per kg Al], reactants at 25 degC, products at T [K]."""
    al, co2 = _janaf.table("Al", "cr,l"), _janaf.table("CO2", "g")
    alumina = _janaf.table("Al2O3", "cr,l")  # the alpha phase up to its melting point
    carbon = _janaf.table("C", "ref")  # graphite
    products = 2 * _janaf.enthalpy(al, T_products) + 1.5 * _janaf.enthalpy(co2, T_products)
    reactants = _janaf.enthalpy(alumina, T_REF) + 1.5 * _janaf.enthalpy(carbon, T_REF)
    return (products - reactants) / (2 * M_AL)


def run(figures_dir=None) -> list[Check]:
    w = theoretical_energy()
    w_298 = theoretical_energy(T_REF)  # products at 25 degC: solid Al
    checks = [Check(NAME, "HH theoretical energy (25 degC -> 960 degC)", w / J_PER_KWH, 6.34,
                    0.01, "kWh/kg Al", SOURCE, relative=True,
                    note=f"ΔH = {w * 2 * M_AL / 1e3:.1f} kJ per 2 mol Al; the standard "
                    f"ΔH°(298 K), solid Al, is {w_298 / J_PER_KWH:.2f} kWh/kg.")]
    cryolite = _janaf.table("Na3AlF6", "cr,l")
    found = {note: (T, dh) for T, note, dh in _janaf.transitions(cryolite)}
    T_m, h_fus = next(v for k, v in found.items() if "LIQUID" in k)
    T_ab, h_ab = next(v for k, v in found.items() if "ALPHA" in k)
    checks += [
        Check(NAME, "cryolite melting point", T_m - 273.15, 1012.0, 1.0, "degC", SOURCE,
              note=f"JANAF {cryolite.label()}: {T_m:g} K."),
        Check(NAME, "cryolite ΔH_fus", h_fus / M_CRYOLITE / 1e3, 524.0, 0.01, "J/g", SOURCE,
              relative=True, note=f"{h_fus / 1e3:.2f} kJ/mol."),
        Check(NAME, "cryolite α→β transition temperature", T_ab - 273.15, 563.0, 1.0, "degC",
              SOURCE, note=f"{T_ab:g} K."),
        Check(NAME, "cryolite α→β ΔH", h_ab / M_CRYOLITE / 1e3, 45.0, 0.01, "J/g", SOURCE,
              relative=True, note=f"{h_ab / 1e3:.2f} kJ/mol."),
    ]
    return checks
