"""Warm CPU and wall time of one campaign of rusal-3kA at a model level (issue 17).

Run: python benchmarks/bench_levels.py LEVEL DAYS [lining|field]
     (LEVEL lumped|axisymmetric|3d; the third argument sets numerics.heat_paths of the
     lumped level). A 1-day run first loads the Numba cache and the imports. For before/after
     ratios run two trees back to back in one session (docs/campaign.md, Step overhead).
"""

from __future__ import annotations

import os
import sys
import time

from cellsim.campaign import run_campaign
from cellsim.config import load_config


def main() -> None:
    level, days = sys.argv[1], sys.argv[2]
    paths = sys.argv[3] if len(sys.argv) > 3 else "lining"
    ov = [f'numerics.model="{level}"'] + ([f'numerics.heat_paths="{paths}"'] if level == "lumped" else [])
    run_campaign(load_config("rusal-3kA", ov + ['schedule.duration="1 d"']))
    load = os.getloadavg()[0]
    t, c = time.perf_counter(), time.process_time()
    r = run_campaign(load_config("rusal-3kA", ov + [f'schedule.duration="{days} d"']))
    w, c = time.perf_counter() - t, time.process_time() - c
    print(f"{level} {days} d ({paths}): wall {w:.2f} s, CPU {c:.2f} s, load {load:.1f}, "
          f"{r.summary['specific_energy'] / 3.6e3:.6f} kWh/t, heater {r.summary['mean_heater_power']:.6f} W")


if __name__ == "__main__":
    main()
