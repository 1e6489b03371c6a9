"""SINTEF laboratory refining of alloyed scrap [SINTEF-nd], [Solheim2021].

Published. SINTEF three-layer laboratory cell: highly alloyed scrap refined to primary-level
Fe, Cu, Mn and Zn at 8.5 kWh/kg Al. SINTEF side-by-side cell (Solheim et al., MMTB 2021):
7xxx feed with 2.1 wt% Cu refined to below 20 ppm Cu, CE above 80 %, about 7 kWh/kg.

The side-by-side datum (7xxx feed, 2.1 wt% Cu, to below 20 ppm Cu, CE above 80 %) is checked in
``purity_pathways``, which evaluates the side-by-side anode (the feed itself) and keeps the
7xxx feed into the reference cell's Al-33Cu anode as a known gap of geometry. This case ran
the same 7xxx campaign under a "side-by-side" label and reported the same numbers twice; it
now holds the three-layer datum only.

Inputs. Neither cell's geometry, salt, temperature or current density is published, so the
model runs the reference 3 kA design (design rule of docs/model.md, estimates [E]) on the
published feed, the GOST mixed cast-scrap class for "highly alloyed scrap". The case therefore
tests the chemistry (the exchange selectivity that keeps Fe, Cu, Mn and Zn in the alloy), which
does not depend on geometry: "primary level" is read as the AA 1070 limits (Fe 0.25, Cu 0.04,
Mn 0.03, Zn 0.04 wt%), checked on every tap.

The energy figures are not checked as validation. A laboratory cell sits in a furnace, so its
kWh/kg counts the electrolysis only (U/CE); the model's electrolysis energy for the reference
design (a design rule derived from a target) is reported against 8.5 kWh/kg
+-15 % as a plausibility check only. The side-by-side cell's ~7 kWh/kg is not compared: its
horizontal current path through the salt is not a three-layer stack that cellsim represents.
"""

from __future__ import annotations

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.elements import ALL_ELEMENTS
from cellsim.validate import Check

NAME = "sintef_cells"
TITLE = "SINTEF laboratory cells: alloyed scrap to primary level"
FAST = True
SINTEF = "SINTEF three-layer lab cell [SINTEF-nd]"
PRIMARY = {"Fe": 0.25, "Cu": 0.04, "Mn": 0.03, "Zn": 0.04}  # AA 1070, wt% [AluminumAssociation-nd]


def _worst(result, symbol: str) -> float:
    i = ALL_ELEMENTS.index(symbol)
    return max(tap.composition[i] for tap in result.taps)


def run(figures_dir=None) -> list[Check]:
    checks = []
    cast = run_campaign(load_config("rusal-3kA", ['scrap.use="mixed-cast"', "schedule.stop_on_spec=false",
                                                  'schedule.duration="30 d"', 'numerics.model="lumped"']))
    for symbol, limit in PRIMARY.items():
        checks.append(Check(NAME, f"three-layer, mixed cast scrap: highest tap {symbol}",
                            _worst(cast, symbol) * 100, limit, 0.0, "wt%", SINTEF + "; AA 1070 limits",
                            kind="at_most", note=f"{len(cast.taps)} taps; ended by {cast.stop_reason}"))
    s = cast.summary
    electrolysis = (s["specific_energy"] - s["energy_auxiliary_heat"]) / 3.6e6
    checks.append(Check(NAME, "three-layer: electrolysis energy U/CE (plausibility only)", electrolysis,
                        8.5, 0.15, "kWh/kg Al", SINTEF, relative=True,
                        note="reference design, not the unpublished lab cell: not a validation"))
    return checks
