"""Pathway (b): impurities that enter the electrolyte or the cathode metal from outside the scrap.

* Make-up salts: each kg of AlX3 or base salt added carries its impurity content
  (``electrolyte.alf3_impurities_ppm``, ``base_salt_impurities_ppm``) into the electrolyte.
* Side lining: where no frozen ledge covers the wall, the electrolyte wets the lining over the
  electrolyte band (perimeter x ACD) and takes up what it releases at a rate per wetted area
  (``purity.lining_release_mg_per_m2_d``, [E]: no measured rate for a refining cell).
* Collectors: a rod that dips into the cathode metal dissolves if liquid Al dissolves its
  material. Steel: Fe leaves at the metal-side mass-transfer rate towards its solubility,
  N = k_metal rho_Al (w_sat - w_Fe) A (saturation at the steel surface; the intermetallic
  layer that slows it in practice is neglected, so this is an upper bound). Graphite: none
  (Al4C3 formation is neglected).
Masses are kg per element over ``IMPURITIES``.
"""

from __future__ import annotations

import math

import numpy as np

from ..elements import IMPURITIES

ROD_MATERIALS = ("graphite", "steel")
_FE = IMPURITIES.index("Fe")


def makeup_impurities(alf3_mass: float, base_mass: float, alf3_content: dict,
                      base_content: dict) -> np.ndarray:
    """kg of each impurity carried by ``alf3_mass`` kg of AlX3 and ``base_mass`` kg of base
    salt with the given mass-fraction contents."""
    return np.array([alf3_mass * alf3_content.get(e, 0.0) + base_mass * base_content.get(e, 0.0)
                     for e in IMPURITIES])


def wetted_lining_area(perimeter: float, acd: float, ledge_thickness: float) -> float:
    """Side-lining area wetted by the electrolyte [m2]: the electrolyte band when no ledge covers it."""
    return perimeter * acd if ledge_thickness <= 0.0 else 0.0


def lining_release(rates: dict, area: float) -> np.ndarray:
    """kg/s of each impurity released by ``area`` m2 of wetted lining (rates in kg/(m2 s))."""
    return np.array([rates.get(e, 0.0) * area for e in IMPURITIES])


def wetted_rod_area(count: int, diameter: float, depth: float) -> float:
    """Area of ``count`` rods of ``diameter`` dipping ``depth`` into the metal (side + tip) [m2]."""
    return count * (math.pi * diameter * depth + 0.25 * math.pi * diameter**2)


def collector_dissolution(material: str, area: float, k_metal: float, metal_density: float,
                          fe_saturation: float, fe_fraction: float) -> np.ndarray:
    """kg/s of each impurity a collector of ``material`` releases into the cathode metal."""
    if material not in ROD_MATERIALS:
        raise ValueError(f"collector material {material!r}: expected one of {ROD_MATERIALS}")
    out = np.zeros(len(IMPURITIES))
    if material == "steel":
        out[_FE] = k_metal * metal_density * max(fe_saturation - fe_fraction, 0.0) * area
    return out
