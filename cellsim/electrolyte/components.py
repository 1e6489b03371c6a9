"""The salt components cellsim knows: formula, molar mass, liquid molar volume, heat capacity,
acidity towards AlX3.

Every number carries its source key (docs/references.md). Tags: [S] stated in the source,
[C] computed here from sourced numbers, [R] standard value recalled (verify), [E] estimate.

Molar masses are computed from the IUPAC standard atomic weights, so the halogen balance of
the exchange reaction ``M + (n/3) AlX3 -> MXn + (n/3) Al`` closes to round-off.

Liquid densities are the linear Janz correlations ``rho(t) = rho_m - k (t - t_m)`` (Janz 1988
as tabulated in the CRC Handbook, key `[Janz1988]`); they are used for the additive molar
volume of the electrolyte (the Tohoku group found NaF-BaF2-AlF3 melts additive, key `[Tohoku1967]`).
AlF3 has no liquid at ambient pressure: its partial molar volume is taken from cryolite
[C] (V(Na3AlF6, 1000 degC) - 3 V(NaF, 1000 degC)). The impurity halides are present at ppm
to per-cent levels; their molar volumes are estimates [E] scaled on MgF2/MgCl2 by valence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..elements import ELEMENTS
from ..units import ZERO_CELSIUS

ATOMIC_MASS = {  # kg/mol, IUPAC 2021 standard atomic weights [R]; the metals as cellsim.elements
    "F": 18.998403e-3, "Cl": 35.45e-3, "Na": 22.98977e-3, "K": 39.0983e-3, "Li": 6.94e-3,
    "Ba": 137.327e-3, "Ca": 40.078e-3,
    **{symbol: el.molar_mass for symbol, el in ELEMENTS.items()},
}
HALOGENS = ("F", "Cl")


@dataclass(frozen=True, slots=True)
class Component:
    """One salt component MXn (SI)."""

    name: str
    cation: str
    halogen: str
    n: int  # halogen atoms per formula unit
    rho_m: float  # kg/m3, liquid density at t_m (Janz line rho = rho_m - k (T - t_m))
    k: float  # kg/(m3 K)
    t_m: float  # K
    cp: float  # J/(kg K), liquid
    acidity: float  # d ln a_AlX3 / d x_i in a cryolite-type melt (Dewing 1989), 0 if unknown
    source: str

    @property
    def molar_mass(self) -> float:
        return ATOMIC_MASS[self.cation] + self.n * ATOMIC_MASS[self.halogen]

    def molar_volume(self, T: float) -> float:
        """Liquid (partial) molar volume [m3/mol] at T [K]."""
        return self.molar_mass / (self.rho_m - self.k * (T - self.t_m))


def _janz(name, cation, halogen, n, t_m, rho_m, k, cp, acidity=0.0, source="[Janz1988] [R]"):
    """Component from a Janz density line rho = rho_m - k (t - t_m) [g/cm3, degC]."""
    return Component(name, cation, halogen, n, rho_m * 1e3, k * 1e3, t_m + ZERO_CELSIUS, cp, acidity, source)


def _fixed_volume(name, cation, halogen, n, V, cp, source):
    """Component with a temperature-independent (partial) molar volume V [m3/mol]."""
    M = ATOMIC_MASS[cation] + n * ATOMIC_MASS[halogen]
    return Component(name, cation, halogen, n, M / V, 0.0, 1000.0, cp, 0.0, source)


# Liquid cp: NIST-JANAF at 1000 K ([Chase1998]), [C].
# Acidity (d ln a_AlF3 / d N in cryolite): MgF2 +11 (strong acid), CaF2 +2 (weak acid),
# BaF2 -2.5 (weak base, -2 to -3) ([Dewing1989]) [S]; the others are taken as neutral [E].
_TABLE = [
    _janz("NaF", "Na", "F", 1, 996.0, 1.948, 0.000636, 1770.0),
    _janz("KF", "K", "F", 1, 858.0, 1.910, 0.000651, 1240.0),
    _janz("LiF", "Li", "F", 1, 848.2, 1.810, 0.000490, 2470.0),
    _janz("CaF2", "Ca", "F", 2, 1418.0, 2.52, 0.000391, 1154.0, 2.0),
    _janz("BaF2", "Ba", "F", 2, 1368.0, 4.14, 0.000999, 540.0, -2.5, "[Janz1988] [S]"),
    _janz("MgF2", "Mg", "F", 2, 1263.0, 2.43, 0.000524, 1292.0, 11.0),
    _janz("NaCl", "Na", "Cl", 1, 801.0, 1.556, 0.000543, 1240.0),
    _janz("KCl", "K", "Cl", 1, 771.0, 1.527, 0.000583, 990.0),
    _janz("LiCl", "Li", "Cl", 1, 610.0, 1.502, 0.000432, 1510.0),
    _janz("CaCl2", "Ca", "Cl", 2, 772.0, 2.085, 0.000415, 920.0),
    _janz("BaCl2", "Ba", "Cl", 2, 962.0, 3.174, 0.000681, 520.0, 0.0, "[Janz1988] [S]"),
    _janz("MgCl2", "Mg", "Cl", 2, 714.0, 1.68, 0.000302, 970.0),
    # AlF3: partial molar volume in cryolite [C]: V(Na3AlF6) = 209.94 g/mol / 2.09 g/cm3 at
    # 1000 degC ([Grjotheim1982] [R]) minus 3 V(NaF) at 1000 degC ([Janz1988]) = 35.7 cm3/mol,
    # taken independent of T [E]. cp JANAF 1.20 J/(g K) [C].
    _fixed_volume("AlF3", "Al", "F", 3, 35.7e-6, 1200.0, "[Grjotheim1982], [Janz1988] [C]"),
    # AlCl3 dissolves as AlCl4- in chloride melts; no liquid AlCl3 at 1000 K: 68 cm3/mol [E]
    # (twice the AlF3 volume scaled by the anion volume ratio). cp as AlF3 [E].
    _fixed_volume("AlCl3", "Al", "Cl", 3, 68e-6, 1200.0, "[E]"),
]
_BY_NAME = {c.name: c for c in _TABLE}
_MGF2, _MGCL2 = _BY_NAME["MgF2"], _BY_NAME["MgCl2"]
# Halides of the tracked impurities (cellsim.elements.IMPURITIES with their valence): molar
# volume per halogen atom as in MgF2 / MgCl2 [E]; cp 1.0 J/(g K) [E]. Present at ppm-%: the
# properties of the electrolyte hardly depend on these guesses.
_VALENCE = {"Fe": 2, "Cu": 1, "Si": 4, "Mn": 2, "Zn": 2, "Ti": 3}
for _m, _n in _VALENCE.items():
    for _x, _ref in (("F", _MGF2), ("Cl", _MGCL2)):
        _c = _fixed_volume(f"{_m}{_x}{_n if _n > 1 else ''}", _m, _x, _n,
                           _ref.molar_volume(1000.0) * _n / 2, 1000.0, "[E]")
        _BY_NAME[_c.name] = _c

COMPONENTS: dict[str, Component] = dict(sorted(_BY_NAME.items()))
"""Every salt component by name (formula)."""

ALX3 = {"F": "AlF3", "Cl": "AlCl3"}


def component(name: str) -> Component:
    """The component called ``name``; KeyError naming the known ones otherwise."""
    try:
        return COMPONENTS[name]
    except KeyError:
        raise KeyError(f"unknown salt component {name!r}; known: {', '.join(COMPONENTS)}") from None


def halide(element: str, halogen: str) -> str:
    """Name of the halide that element ``element`` forms with ``halogen`` in the electrolyte."""
    for c in COMPONENTS.values():
        if c.cation == element and c.halogen == halogen and (element != "Al" or c.n == 3):
            return c.name
    raise KeyError(f"no {halogen} halide of {element} among the salt components")


def element_matrix(names: tuple[str, ...], elements: tuple[str, ...]) -> np.ndarray:
    """kg of each element per kg of each component: array (len(elements), len(names))."""
    A = np.zeros((len(elements), len(names)))
    for j, name in enumerate(names):
        c = COMPONENTS[name]
        for sym, count in ((c.cation, 1), (c.halogen, c.n)):
            if sym in elements:
                A[elements.index(sym), j] += count * ATOMIC_MASS[sym] / c.molar_mass
    return A
