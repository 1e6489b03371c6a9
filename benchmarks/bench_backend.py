"""Where the r-z field levels' direct preconditioner should switch from the band Cholesky to
SuperLU (cellsim.fields.solvers.CHOLESKY_MAX_WORK; docs/numerics.md, backends).

Run: python benchmarks/bench_backend.py [--cells rusal-3kA rusal-500A] [--scales 2 3 4]
     [--days 10] [--rounds 2]

For each cell and grid scale (1 = ``numerics.resolution = "default"``, 2 = ``"fine"``; other
whole factors split every graded r-z cell that many times, as benchmarks/grid_convergence.py
does), runs the same ``--days`` campaign with the heat and current solves forced onto each
backend (the threshold set to 0 for SuperLU, to infinity for the band Cholesky), alternated
over ``--rounds`` rounds in one process with Numba and OpenBLAS on one thread, after a
0.25-day warm-up of each. Prints per grid its cells, half-bandwidth and band work n bw^2 (what
the threshold compares), the best CPU time of each backend and their ratio, and the relative
difference of the specific energy and the heater power between the two (the preconditioner
changes, the solution only to the solver's tolerance). Writes
benchmarks/results/backend.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from cellsim.campaign import run_campaign  # noqa: E402
from cellsim.fields import solvers  # noqa: E402
from cellsim.models import make_model  # noqa: E402
from grid_convergence import config_at  # noqa: E402

BACKENDS = {"cholesky": float("inf"), "lu": 0.0}


def config(cell: str, scale: float, days: float):
    """``cell`` at r-z on the grid scaled by ``scale`` (as benchmarks/grid_convergence.py)."""
    return config_at(cell, "axisymmetric", scale, [f'schedule.duration="{days} d"'])


def run(cell: str, scale: float, days: float, backend: str):
    saved = solvers.CHOLESKY_MAX_WORK
    solvers.CHOLESKY_MAX_WORK = BACKENDS[backend]
    try:
        c = time.process_time()
        result = run_campaign(config(cell, scale, days))
        return time.process_time() - c, result.summary
    finally:
        solvers.CHOLESKY_MAX_WORK = saved


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", nargs="*", default=["rusal-3kA", "rusal-500A"])
    ap.add_argument("--scales", nargs="*", type=float, default=[1.0, 2.0, 3.0, 4.0])
    ap.add_argument("--days", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    report = {"load_average_start": os.getloadavg(), "threshold": solvers.CHOLESKY_MAX_WORK, "grids": []}
    print(f"{'cell':12} {'grid':>5} {'cells':>7} {'bw':>4} {'n bw^2':>9} {'cholesky s':>10} {'lu s':>8} "
          f"{'lu/chol':>7} {'d kWh/t':>9} {'d heater':>9} default", flush=True)
    for cell in args.cells:
        for scale in args.scales:
            for b in BACKENDS:  # warm-up (and the grid's shape)
                run(cell, scale, 0.25, b)
            cpu = {b: [] for b in BACKENDS}
            summary = {}
            for _ in range(args.rounds):
                for b in BACKENDS:
                    t, summary[b] = run(cell, scale, args.days, b)
                    cpu[b].append(t)
            shape = make_model(config(cell, scale, 0.25)).physics.mesh.pot.grid.shape
            n = shape[0] * shape[1] * shape[2]
            bw = solvers.CholeskyBackend.bandwidth_of(shape)
            best = {b: min(v) for b, v in cpu.items()}
            rel = {k: summary["lu"][k] / summary["cholesky"][k] - 1.0
                   for k in ("specific_energy", "mean_heater_power")}
            row = {"cell": cell, "scale": scale, "shape": list(shape), "cells": n, "half_bandwidth": bw,
                   "band_work": n * bw**2, "cpu_s": cpu, "best_cpu_s": best,
                   "lu_over_cholesky": best["lu"] / best["cholesky"], "relative_difference_lu": rel,
                   "default_backend": solvers.default_backend(shape)}
            report["grids"].append(row)
            print(f"{cell:12} {'x%g' % scale:>5} {n:7d} {bw:4d} {n * bw**2:9.2e} {best['cholesky']:10.2f} "
                  f"{best['lu']:8.2f} {row['lu_over_cholesky']:7.2f} {rel['specific_energy']:+9.1e} "
                  f"{rel['mean_heater_power']:+9.1e} {row['default_backend']}", flush=True)
    report["load_average_end"] = os.getloadavg()
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "backend.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
