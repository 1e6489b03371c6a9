"""Element data that are physical constants rather than user choices.

Tags (docs/references.md): [S] stated in the cited source, [C] computed from cited data,
[R] standard value recalled (verify), [E] estimate.

``delta_E`` is E_d(AlX3) - E_d(MXn) at 1000 K: positive means nobler than Al. Source:
[C] from NIST-JANAF [Chase1998] (validation/thermodynamics.py recomputes them); Mn and Zn
[E] Ellingham estimates from NBS 298 K data [Wagman1982]. A melt may shift these by configured offsets
(``electrolyte.potential_offsets_V``).
"""

from __future__ import annotations

from dataclasses import dataclass

IMPURITIES: tuple[str, ...] = ("Fe", "Cu", "Si", "Mn", "Zn", "Mg", "Ti")
"""The impurity elements cellsim tracks in every inventory (Al is the balance)."""

ALL_ELEMENTS: tuple[str, ...] = ("Al",) + IMPURITIES

CATIONS: tuple[str, ...] = ("Na", "Li", "K", "Ca", "Ba")
"""Electrolyte cations that may co-deposit at the cathode (purity.codeposition; cellsim.purity)."""


@dataclass(frozen=True, slots=True)
class Element:
    symbol: str
    molar_mass: float  # kg/mol, IUPAC 2021 standard atomic weights [R]
    valence: int  # charge of the ion in the electrolyte (salt of the 3.1 table)
    delta_E_chloride: float  # V vs Al, >0 nobler [C]/[E]
    delta_E_fluoride: float  # V vs Al, >0 nobler [C]/[E]
    liquid_density: float  # kg/m3 near 750 degC, for ideal-mixing alloy densities


ELEMENTS: dict[str, Element] = {
    # Al: reference of the series. Density: [Assael2006], 2349 kg/m3 at 750 degC [R].
    "Al": Element("Al", 26.9815e-3, 3, 0.0, 0.0, 2349.0),
    # Cu: CuCl / CuF rows of the 3.1 table (n = 1) [C]. Liquid density 7.99 g/cm3 at the melting
    # point [R], extrapolated (supercooled) to 750 degC: 8.1 [E].
    "Cu": Element("Cu", 63.546e-3, 1, 0.80, 2.06, 8100.0),
    # Fe: FeCl2 / FeF2 [C]. Liquid density 7.0 at mp [R]; 7.2 extrapolated [E].
    "Fe": Element("Fe", 55.845e-3, 2, 0.61, 1.38, 7200.0),
    # Si: SiCl4(g) / SiF4(g) at 1 bar [C]. Liquid density 2.57 at mp [R].
    "Si": Element("Si", 28.085e-3, 4, 0.38, 0.51, 2570.0),
    # Mn: MnCl2 / MnF2 [E] (Ellingham estimate). Liquid density 5.95 at mp [R].
    "Mn": Element("Mn", 54.938e-3, 2, -0.05, 0.90, 5950.0),
    # Zn: ZnCl2 / ZnF2 [E]. Liquid density 6.57 at mp, about 6.3 at 750 degC [R].
    "Zn": Element("Zn", 65.38e-3, 2, 0.39, 1.24, 6300.0),
    # Mg: MgCl2 / MgF2 [C]: less noble than Al. Liquid density 1.58 at mp [R].
    "Mg": Element("Mg", 24.305e-3, 2, -0.75, -0.61, 1580.0),
    # Ti: TiCl3 / TiF3 (n = 3) [C]: borderline. Liquid density 4.11 at mp [R].
    "Ti": Element("Ti", 47.867e-3, 3, 0.00, 0.18, 4110.0),
}


def delta_E(symbol: str, family: str) -> float:
    """Standard potential of element ``symbol`` relative to Al [V] in a 'chloride' or 'fluoride' melt."""
    el = ELEMENTS[symbol]
    return el.delta_E_chloride if family == "chloride" else el.delta_E_fluoride
