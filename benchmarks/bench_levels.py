"""Warm CPU and wall time of one campaign of rusal-3kA at a model level (issue 17).

Run: python benchmarks/bench_levels.py LEVEL DAYS [lining|field] [--time-step "3 h"]
     (LEVEL lumped|axisymmetric|3d; the third argument sets numerics.heat_paths of the
     lumped level; --time-step sets schedule.time_step, default the configured 1 h). A 1-day
     run first loads the Numba cache and the imports. For before/after ratios run two trees
     back to back in one session (docs/speed.md, Step overhead).
"""

from __future__ import annotations

import argparse
import os
import time

from cellsim.campaign import run_campaign
from cellsim.config import load_config


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("level")
    ap.add_argument("days")
    ap.add_argument("paths", nargs="?", default="lining")
    ap.add_argument("--time-step", default=None, help='schedule.time_step, e.g. "3 h"')
    a = ap.parse_args()
    ov = [f'numerics.model="{a.level}"'] + ([f'numerics.heat_paths="{a.paths}"'] if a.level == "lumped" else [])
    run_campaign(load_config("rusal-3kA", ov + ['schedule.duration="1 d"']))
    if a.time_step:
        ov.append(f'schedule.time_step="{a.time_step}"')
    load = os.getloadavg()[0]
    t, c = time.perf_counter(), time.process_time()
    r = run_campaign(load_config("rusal-3kA", ov + [f'schedule.duration="{a.days} d"']))
    w, c = time.perf_counter() - t, time.process_time() - c
    s = r.summary
    print(f"{a.level} {a.days} d ({a.paths}, step {a.time_step or 'configured'}): wall {w:.2f} s, "
          f"CPU {c:.2f} s, load {load:.1f}, {s['specific_energy'] / 3.6e3:.6f} kWh/t, heater "
          f"{s['mean_heater_power']:.6f} W, U {s['mean_cell_voltage']:.6f} V, CE "
          f"{s['current_efficiency']:.9f}, product Al {s['product_al']:.9f}")


if __name__ == "__main__":
    main()
