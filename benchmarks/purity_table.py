"""Product composition per scrap grade at the 3 kA reference cell, by pathway (docs/purity.md).

For each grade of docs/species.md: the lumped rusal-3kA campaign (45 d or until a limit) with
the configured purity coefficients, and two more runs with every purity coefficient at the low
and at the high end of its stated range; prints a Markdown table: product ppm per element with
its dominant pathway and the low-high range. Run: python benchmarks/purity_table.py
"""

from __future__ import annotations

import sys

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.elements import IMPURITIES
from cellsim.purity.ledger import TAG_LABELS, TAGS

GRADES = ("ubc", "6063", "a380", "adc12", "twitch", "mixed-cast", "mixed-wrought-cast", "7075")
BASE = ["numerics.model=lumped", "schedule.duration=45d"]
# The reference cell's salt care stays on for every grade: `scrap.use` swaps the library entry
# and keeps the keys the cell sets itself (its 90 % Mg removal).


def grade(name: str) -> list[str]:
    return [f'scrap.use="{name}"']
LOW = ["purity.alloy_entrainment=6e-5", "electrolyte.alf3_impurities_ppm={Fe=40,Si=100}",
       "electrolyte.base_salt_impurities_ppm={Fe=10,Si=20}",
       "purity.lining_release_mg_per_m2_d={Mg=490,Si=8,Fe=6}",
       "purity.cation_salt_activity_coefficient={Na=0.1}",
       "purity.cation_metal_activity_coefficient={Na=840}", "purity.salt_inclusions=1e-6"]
HIGH = ["purity.alloy_entrainment=1.2e-4", "electrolyte.alf3_impurities_ppm={Fe=400,Si=1000}",
        "electrolyte.base_salt_impurities_ppm={Fe=100,Si=200}",
        "purity.lining_release_mg_per_m2_d={Mg=49000,Si=800,Fe=600}",
        "purity.cation_salt_activity_coefficient={Na=1.0}",
        "purity.cation_metal_activity_coefficient={Na=70}", "purity.salt_inclusions=1e-4"]


def main() -> None:
    print("| scrap | campaign | product Al | " + " | ".join(IMPURITIES) + " | Na | salt inclusions |")
    print("|---|---|---|" + "---|" * (len(IMPURITIES) + 2))
    for name in GRADES:
        runs = [run_campaign(load_config("rusal-3kA", BASE + grade(name) + extra))
                for extra in ([], LOW, HIGH)]
        mid = runs[0].summary
        cells = []
        for e in IMPURITIES:
            ppm = [r.summary[f"product_{e}"] * 1e6 for r in runs]
            top = max(TAGS, key=lambda t: mid[f"product_{e}_from_{t}"])
            cells.append(f"{ppm[0]:.1f} ({TAG_LABELS[top]}; {min(ppm):.1f}-{max(ppm):.1f})")
        na = [r.summary["product_Na"] * 1e6 for r in runs]
        cells.append(f"{na[0]:.2f} ({min(na):.2f}-{max(na):.2f})")
        inc = [r.summary["product_salt_inclusions"] * 1e6 for r in runs]
        cells.append(f"{inc[0]:.1f} ({min(inc):.1f}-{max(inc):.1f})")
        print(f"| {name} | {mid['campaign_length'] / 86400:.1f} d | {mid['product_al'] * 100:.4f} % | "
              + " | ".join(cells) + " |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
