"""SINTEF laboratory refining of alloyed scrap [SINTEF-nd], [Solheim2021].

Published. SINTEF three-layer laboratory cell: highly alloyed scrap refined to primary-level
Fe, Cu, Mn and Zn at 8.5 kWh/kg Al. SINTEF side-by-side cell (Solheim et al., MMTB 2021):
7xxx feed with 2.1 wt% Cu refined to below 20 ppm Cu, CE above 80 %, about 7 kWh/kg.

Since the purity pathways (cellsim.purity) are on in the reference cell, the product's Cu is
set by alloy entrainment from the Al-33Cu anode, not by the exchange: the 7xxx Cu row is a
known gap of geometry here; ``purity_pathways`` evaluates the side-by-side anode.

Inputs. Neither cell's geometry, salt, temperature or current density is published, so the
model runs the reference 3 kA design (design rule of docs/model.md, estimates [E]) on the
published feeds: the GOST mixed cast-scrap class for "highly alloyed scrap" and a 7075-type
feed with the published 2.1 wt% Cu. These cases therefore test the chemistry (the exchange
selectivity that keeps Fe, Cu, Mn and Zn in the alloy), which does not depend on geometry:

* "primary level" is read as the AA 1070 limits (Fe 0.25, Cu 0.04, Mn 0.03, Zn 0.04 wt%),
  checked on every tap;
* Cu below 20 ppm and CE above 80 % on the 7xxx feed, as published.

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
SOLHEIM = "Solheim et al., MMTB 2021 [Solheim2021]"
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
    seven = run_campaign(load_config("rusal-3kA", ['scrap.use="7075"', "schedule.stop_on_spec=false",
                                                   'schedule.duration="30 d"', 'numerics.model="lumped"']))
    checks.append(Check(NAME, "side-by-side, 7xxx feed (2.1 % Cu): highest tap Cu",
                        _worst(seven, "Cu") * 1e6, 20.0, 0.0, "ppm", SOLHEIM, kind="at_most",
                        note=f"{len(seven.taps)} taps; ended by {seven.stop_reason}",
                        expected_failure=(
                            "Geometry, not chemistry: this run feeds the 7xxx scrap into the "
                            "reference cell's Al-33Cu anode, whose entrained alloy (purity."
                            "alloy_entrainment, calibrated on industrial 4N metal) brings ~28 ppm "
                            "Cu; the side-by-side cell's anode is the 2.1 % Cu feed itself, which "
                            "the purity_pathways case evaluates (~2 ppm).")))
    checks.append(Check(NAME, "side-by-side, 7xxx feed: current efficiency",
                        seven.summary["current_efficiency"] * 100, 80.0, 0.0, "%", SOLHEIM,
                        kind="at_least"))
    return checks
