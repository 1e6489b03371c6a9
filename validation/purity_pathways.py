"""Product purity and current efficiency from their pathways (cellsim.purity; docs/purity.md).

Published data used. Industrial three-layer (Hoopes) metal is 4N with Cu 20-40 ppm from an
Al-Cu ~33-40 % anode [HighPurityAluminum-nd]; classic refiners give at most 99.996 % at >16 kWh/kg and
13-20 kWh/kg ([SciRep2024], [Probsee-nd]); refined-Al grades limit Fe and Si to 30 ppm
at Al99.99 [Lvcai-nd]; RUSAL's prototypes tap > 99.7 % and its lab cell reports 99.8 %
([RUSAL2025], [RUSAL2026]); SINTEF's side-by-side cell takes a 2.1 % Cu 7xxx feed to < 20 ppm
Cu at CE > 80 % [Solheim2021].

Calibration. One coefficient is fitted: the alloy entrainment alpha = 9e-5 kg of alloy per kg
of Al, from the industrial Cu band (30 ppm / 0.33; the band gives 6e-5 to 1.2e-4). The Cu row
of the industrial refiner is therefore the calibration datum, reported as such; every other
row is an independent check (the Fe and Si of the product come from the make-up salts and the
lining, the purity and energy of the refiner and all RUSAL and SINTEF rows take no part in the
fit).

Inputs. The industrial refiner (configs/cells/industrial-3layer.toml) is a Pechiney (Gadeau)
refiner: its bath (23 AlF3 / 17 NaF / 60 BaCl2), temperature (750 degC), anode (the Al-Cu
eutectic, 33 % Cu) and magnesia side walls come from [Universalis-nd]; its current density
(~0.5 A/cm2) and dimensions are [E] (no refiner's geometry was found: docs/purity.md lists
what was searched), with a 10 cm ACD that the voltage rule makes consistent with >16 kWh/kg.
The RUSAL rows run the reference rusal-3kA cell.
SINTEF: cellsim stacks the anode below the melt, so a light 7xxx feed cannot be the anode; the
three-layer run feeds it into the Al-33Cu alloy, whose entrained Cu (~30 ppm) is not what a
side-by-side cell sees. The side-by-side row therefore takes the run's Cu from every pathway
except entrainment and adds alpha times the feed's 2.1 % Cu (the side-by-side anode is the
feed itself); the three-layer row stays, as a known gap of geometry, not of chemistry.

Level: lumped (0D), set explicitly.
"""

from __future__ import annotations

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.elements import ALL_ELEMENTS
from cellsim.validate import Check

NAME = "purity_pathways"
TITLE = "Product purity and CE from their pathways (industrial refiner, RUSAL, SINTEF)"
FAST = True
LUMPED = 'numerics.model="lumped"'
HPA = "4N three-layer metal keeps Cu 20-40 ppm [HighPurityAluminum-nd]"
CLASSIC = "Classic three-layer: <=99.996 %, >16 kWh/kg ([SciRep2024]; [Probsee-nd])"
GRADES = "Refined Al99.99: Fe, Si <= 30 ppm [Lvcai-nd]"
RUSAL = "RUSAL release 3 Oct 2025 [RUSAL2025]; TMS 2026 abstract [RUSAL2026]"
SOLHEIM = "Solheim et al., MMTB 2021 [Solheim2021]"

KNOWN_GAPS = {
    "RUSAL 3 kA: product Al vs the lab cell's 99.8 %": (
        "The model's product is ~99.99 % Al: with the entrainment coefficient calibrated on "
        "industrial 4N metal, the make-up salts and a worn magnesia wall, nothing brings 0.2 % of "
        "impurities into RUSAL's metal. Salt inclusions do not either: at the top of their range "
        "(1e-4 kg per kg Al) they bring < 100 ppm of salt, mostly halogen and Ba. With every "
        "purity coefficient at the top of its stated range the twitch feed of the lab abstract "
        "gives ~99.995 % (docs/purity.md). A lab or prototype cell dirtier by ~50x in alloy "
        "entrainment (alpha ~5e-3, an estimate that no measurement supports yet) or a source the "
        "model lacks (oxide inclusions, tools, dross) would; the prototypes' margin above 99.7 % "
        "is therefore an upper bound."),
    "SINTEF three-layer run, 7xxx feed into Al-33Cu: highest tap Cu": (
        "Geometry, not chemistry: the three-layer run carries Cu from a 33 % Cu anode alloy "
        "(alpha x 0.31 ~ 28 ppm), while SINTEF's side-by-side anode is the 2.1 % Cu feed "
        "itself; the side-by-side row evaluates that cell's anode."),
}


def _ppm(result, symbol: str) -> float:
    return result.summary[f"product_{symbol}"] * 1e6


def _worst_tap(result, symbol: str) -> float:
    i = ALL_ELEMENTS.index(symbol)
    return max(tap.composition[i] for tap in result.taps) * 1e6


def _check(quantity, model, reference, tolerance, unit, source, **kw) -> Check:
    kw.setdefault("expected_failure", KNOWN_GAPS.get(quantity, ""))
    return Check(NAME, quantity, model, reference, tolerance, unit, source, **kw)


def run(figures_dir=None) -> list[Check]:
    checks = []
    ind = run_campaign(load_config("industrial-3layer", [LUMPED]))
    s = ind.summary
    alpha = ind.config.purity.alloy_entrainment
    checks.append(_check("industrial refiner: product Cu (CALIBRATION datum of alloy_entrainment)",
                         _ppm(ind, "Cu"), 30.0, 10.0, "ppm", HPA,
                         note=f"alpha = {alpha:g} fitted to this band; not an independent check"))
    checks.append(_check("industrial refiner: product Al, 4N class", s["product_al"] * 100, 99.99,
                         0.0, "wt%", HPA, kind="at_least"))
    checks.append(_check("industrial refiner: product Al at most the classic 99.996 %",
                         s["product_al"] * 100, 99.996, 0.0, "wt%", CLASSIC, kind="at_most"))
    for symbol in ("Fe", "Si"):
        share = max((s[f"product_{symbol}_from_{t}"], t) for t in
                    ("exchange", "entrainment", "makeup_salts", "lining", "collectors"))[1]
        checks.append(_check(f"industrial refiner: highest tap {symbol}", _worst_tap(ind, symbol),
                             30.0, 0.0, "ppm", GRADES, kind="at_most",
                             note=f"dominant pathway {share}; independent of the Cu calibration"))
    checks.append(_check("industrial refiner: specific energy", s["specific_energy"] / 3.6e6, 16.0,
                         0.0, "kWh/kg Al", CLASSIC, kind="at_least",
                         note=f"CE {s['current_efficiency'] * 100:.2f} %, mean "
                         f"{s['mean_temperature'] - 273.15:.0f} degC, heater "
                         f"{s['mean_heater_power'] / 1e3:.1f} kW"))

    rus = run_campaign(load_config("rusal-3kA", [LUMPED, 'schedule.duration="45 d"']))
    r = rus.summary
    checks.append(_check("RUSAL 3 kA: lowest tap Al margin above 99.7 %", r["min_tap_margin"] * 100,
                         0.0, 0.0, "wt%", RUSAL, kind="at_least",
                         note=f"lowest tap {r['min_tap_al'] * 100:.4f} %; {r['taps']} taps"))
    checks.append(_check("RUSAL 3 kA: product Al vs the lab cell's 99.8 %", r["product_al"] * 100,
                         99.8, 0.1, "wt%", RUSAL))

    seven = run_campaign(load_config("rusal-3kA", [LUMPED, 'scrap.use="7075"',
                                                   "schedule.stop_on_spec=false",
                                                   'schedule.duration="30 d"']))
    checks.append(_check("SINTEF three-layer run, 7xxx feed into Al-33Cu: highest tap Cu",
                         _worst_tap(seven, "Cu"), 20.0, 0.0, "ppm", SOLHEIM, kind="at_most"))
    w_cu_feed = seven.config.scrap.composition["Cu"]
    cu_side = (seven.summary["product_Cu"] - seven.summary["product_Cu_from_entrainment"]
               + alpha * w_cu_feed) * 1e6
    checks.append(_check("SINTEF side-by-side (anode = the 2.1 % Cu feed): product Cu", cu_side,
                         20.0, 0.0, "ppm", SOLHEIM, kind="at_most",
                         note=f"pathways of the run except entrainment + alpha x {w_cu_feed * 100:.1f} % Cu"))
    checks.append(_check("SINTEF side-by-side: current efficiency",
                         seven.summary["current_efficiency"] * 100, 80.0, 0.0, "%", SOLHEIM,
                         kind="at_least",
                         note="losses: " + ", ".join(
                             f"{m} {seven.summary[f'ce_loss_{m}'] * 100:.2f} %"
                             for m in ("dissolved_metal", "oxidation"))))
    return checks
