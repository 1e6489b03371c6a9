"""Grid convergence of the headline outputs (issue 17): each field level at its default grid
against the same run on a grid refined 2x in every direction (``numerics.resolution``).

Run: python benchmarks/grid_convergence.py [--level axisymmetric 3d] [--days 10]
       [--pairs default:fine]
Prints, per level, specific energy [kWh/t], mean heater power [kW], current efficiency and
product purity (mass fraction of Al in the tapped product) at each resolution, the relative
differences, and the wall time of each run. A pair "coarse:default" measures the 2x step
just below the default where the refined run is too expensive (3D: "fine" has 8x the
cells). Writes benchmarks/results/grid_convergence.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from cellsim.campaign import run_campaign
from cellsim.config import load_config


def headline(summary: dict) -> dict:
    return {"specific_energy_kWh_t": summary["specific_energy"] / 3.6e3,
            "heater_kW": summary["mean_heater_power"] / 1e3,
            "current_efficiency": summary["current_efficiency"],
            "purity": summary["product_al"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--level", nargs="*", default=["axisymmetric"])
    ap.add_argument("--days", type=float, default=10.0)
    ap.add_argument("--pairs", nargs="*", default=["default:fine"])
    ap.add_argument("--cell", default="rusal-3kA")
    args = ap.parse_args()
    out = {"cell": args.cell, "days": args.days, "load_average_start": os.getloadavg()}
    for level, pair in zip(args.level, args.pairs * len(args.level)):
        lo, hi = pair.split(":")
        row = {}
        for res in (lo, hi):
            cfg = load_config(args.cell, [f'numerics.model="{level}"', f'numerics.resolution="{res}"',
                                          f'schedule.duration="{args.days} d"'])
            t = time.perf_counter()
            r = run_campaign(cfg)
            row[res] = dict(headline(r.summary), wall_s=time.perf_counter() - t)
        row["rel_diff"] = {k: (row[lo][k] - row[hi][k]) / row[hi][k] for k in headline(r.summary)}
        out[f"{level} {pair}"] = row
        print(level, pair, json.dumps(row, indent=1), flush=True)
    out["load_average_end"] = os.getloadavg()
    path = Path(__file__).with_name("results")
    path.mkdir(exist_ok=True)
    (path / "grid_convergence.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
