"""Campaign benchmark (issues 6 and 17): 45 days of the 3 kA campaign at a model level.

Run: python benchmarks/bench_campaign.py [--level axisymmetric|3d] [--days 45] [--threads 1 2]
     [--split] [--cell rusal-3kA] [--no-campaign]
Prints (JSON) the wall and CPU time of the campaign (warm: a 1-day run first loads the Numba
cache; CPU time is less sensitive to the other jobs on a shared machine), the lumped level's
time, peak memory (ru_maxrss), the load average at start and end, and for the field levels:

* ``profile``: wall and CPU ms per step of the parts of a step (heat step, species step,
  current solves, remeshes, the rest of update_state, the rest of the step) over 12 steps;
* ``bound``: the bytes one step must move at least (every linear solve reading its operator,
  right-hand side and solution once; the species step its coefficients and fields once per
  impurity; the heat state arrays once) divided by the triad bandwidth measured in this run,
  and the ratio of the measured step to it;
* with ``--threads 1 2``: ms per step with each solver-kernel thread count (kernels parallel
  on this grid whatever its size), and the speed-up against one thread.
With --split (r-z), the coupling/time-step error of an 8-day campaign at dt = 3 h, 1 h, 30 min
against dt = 10 min. Writes benchmarks/results/campaign.json (campaign-3d.json for 3D).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from cellsim.campaign import run_campaign
from cellsim.config import load_config

AX = ['numerics.model="axisymmetric"']
CELL = ["rusal-3kA"]


def timed(overrides, cpu: list | None = None):
    cfg = load_config(CELL[0], overrides)
    t, c = time.perf_counter(), time.process_time()
    result = run_campaign(cfg)
    if cpu is not None:  # CPU time of this process: less sensitive to the other jobs' load
        cpu.append(time.process_time() - c)
    return time.perf_counter() - t, result


def triad_bandwidth(n: int = 4_000_000, repeats: int = 10) -> float:
    """STREAM-triad bandwidth [B/s] (a = b + s c, 24 bytes per element, Numba, best of
    ``repeats``) with the threads Numba has now."""
    import numba
    import numpy as np

    @numba.njit(parallel=True)
    def triad(a, b, c, s):
        for i in numba.prange(a.size):
            a[i] = b[i] + s * c[i]

    a, b, c = np.empty(n), np.ones(n), np.ones(n)
    triad(a, b, c, 2.0)
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        triad(a, b, c, 2.0)
        best = min(best, time.perf_counter() - t)
    return 24.0 * n / best


def _wrap(parts, spent, calls, counters):
    """Time the methods of ``parts`` {label: (class, name)} into spent[label] = [wall, cpu]."""
    originals = {}
    for label, (cls, name) in parts.items():
        originals[label] = f = getattr(cls, name)

        def timed_method(*a, _f=f, _label=label, **k):
            w, c = time.perf_counter(), time.process_time()
            try:
                return _f(*a, **k)
            finally:
                spent[_label][0] += time.perf_counter() - w
                spent[_label][1] += time.process_time() - c
                calls[_label] += 1
        setattr(cls, name, timed_method)
    return originals


def step_profile(level: str, steps: int = 12) -> dict:
    """Wall and CPU ms per campaign step of the parts of a step, and the bytes the step must
    move (see the module docstring)."""
    from collections import Counter, defaultdict

    from cellsim import cell, physics
    from cellsim.fields import axisymmetric as ax
    from cellsim.fields import heat, solvers, species
    from cellsim.models import make_model

    model = make_model(load_config(CELL[0], [f'numerics.model="{level}"']))
    model.step(3600.0)
    model.step(3600.0)
    spent, calls = defaultdict(lambda: [0.0, 0.0]), Counter()
    moved = Counter()
    parts = {"heat_step": (heat.HeatSolver, "step"), "species_step": (species.SpeciesField, "step"),
             "current_solve": (ax.FieldElectrical, "solve"),
             "remesh": (physics.Physics, "_build"),
             "update_state": (cell.Cell, "update_state")}
    originals = _wrap(parts, spent, calls, moved)
    solve0 = solvers.LinearSolver.solve
    band0 = species.SpeciesField._solve_systems

    def solve(self, b, *a, **k):  # one pass over operator (3 faces + shift), b, x
        moved["bytes"] += 8 * b.size * (5 + (self.op.shift is not None))
        moved["linear_solves"] += 1
        x = solve0(self, b, *a, **k)
        moved["iterations"] += self.last_iterations
        return x

    def band(self, coeffs, diag, *a, **k):  # per impurity: 6 coefficient arrays, diag, b, x
        moved["bytes"] += 8 * species.N_SPECIES * (6 * self.grid.n_cells + 3 * self.n)
        return band0(self, coeffs, diag, *a, **k)

    solvers.LinearSolver.solve, species.SpeciesField._solve_systems = solve, band
    try:
        w, c = time.perf_counter(), time.process_time()
        for _ in range(steps):
            model.step(3600.0)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
    finally:
        for label, (cls, name) in parts.items():
            setattr(cls, name, originals[label])
        solvers.LinearSolver.solve, species.SpeciesField._solve_systems = solve0, band0
    n_cells = model.physics.mesh.pot.grid.n_cells
    # the heat state (enthalpy, temperature, liquid fraction, capacity, sources) read and written
    moved["bytes"] += steps * 8 * 10 * n_cells
    ms = {k: [v[0] / steps * 1e3, v[1] / steps * 1e3] for k, v in spent.items()}
    # update_state includes the current solves and remeshes it triggers
    for i in range(2):
        ms["update_state"][i] -= ms["current_solve"][i] + ms["remesh"][i]
    ms["rest"] = [wall / steps * 1e3 - sum(v[0] for v in ms.values()),
                  cpu / steps * 1e3 - sum(v[1] for v in ms.values())]
    return {"grid": list(model.physics.mesh.pot.grid.shape), "cells": n_cells, "step_ms_wall": wall / steps * 1e3,
            "step_ms_cpu": cpu / steps * 1e3,
            "parts_ms_wall_cpu": {k: [round(v[0], 2), round(v[1], 2)] for k, v in ms.items()},
            "calls_per_step": {k: v / steps for k, v in calls.items()},
            "linear_solves_per_step": moved["linear_solves"] / steps,
            "pcg_iterations_per_solve": moved["iterations"] / max(moved["linear_solves"], 1),
            "bytes_per_step": moved["bytes"] / steps}


def thread_scaling(level: str, threads: list[int], steps: int = 8) -> dict:
    """ms per step with each solver-kernel thread count (parallel on any grid size)."""
    from cellsim.fields import solvers
    from cellsim.models import make_model

    out = {}
    model = make_model(load_config(CELL[0], [f'numerics.model="{level}"']))
    model.step(3600.0)
    for n in threads:
        solvers.set_max_threads(n, min_cells=0)
        model.step(3600.0)  # the thread team starts
        t = time.perf_counter()
        for _ in range(steps):
            model.step(3600.0)
        out[n] = (time.perf_counter() - t) / steps * 1e3
    solvers.set_max_threads(None)
    base = out[threads[0]]
    return {"ms_per_step": out, "speedup": {n: base / v for n, v in out.items()}}


def split_study(days: float = 8.0) -> dict:
    out = {}
    for dt in ("10 min", "30 min", "1 h", "3 h"):
        _, r = timed(AX + [f'schedule.duration="{days} d"', f'schedule.time_step="{dt}"',
                           'schedule.tap_interval="2 d"'])
        s = r.summary
        out[dt] = {k: s[k] for k in ("mean_cell_voltage", "mean_heater_power", "mean_temperature",
                                      "specific_energy", "al_produced")}
    ref = dict(out["10 min"])
    for dt, row in out.items():
        row["rel_error"] = {k: (row[k] - ref[k]) / ref[k] for k in ref if ref[k]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=45.0)
    ap.add_argument("--split", action="store_true")
    ap.add_argument("--level", default="axisymmetric", choices=("axisymmetric", "3d"))
    ap.add_argument("--cell", default="rusal-3kA")
    ap.add_argument("--threads", type=int, nargs="*", default=None)
    ap.add_argument("--no-campaign", action="store_true", help="profile, bound and scaling only")
    args = ap.parse_args()
    CELL[0] = args.cell
    level = [f'numerics.model="{args.level}"']
    report = {"cell": args.cell, "level": args.level, "load_average_start": os.getloadavg()}
    timed(level + ['schedule.duration="1 d"'])  # warm: Numba cache, imports
    triad = triad_bandwidth()
    prof = step_profile(args.level)
    report["triad_GB_s"] = triad / 1e9
    report["profile"] = prof
    bound_ms = prof["bytes_per_step"] / triad * 1e3
    report["bound"] = {"bytes_per_step_MB": prof["bytes_per_step"] / 1e6, "bound_ms": bound_ms,
                       "step_over_bound": prof["step_ms_wall"] / bound_ms}
    if args.threads:
        report["threads"] = thread_scaling(args.level, args.threads)
    if not args.no_campaign:
        wall_lumped, _ = timed(['numerics.model="lumped"', f'schedule.duration="{args.days} d"'])
        cpu = []
        wall, result = timed(level + [f'schedule.duration="{args.days} d"'], cpu)
        report.update({
            "days": args.days, f"{args.level}_wall_s": wall, f"{args.level}_cpu_s": cpu[0],
            "lumped_wall_s": wall_lumped,
            "steps": int(args.days * 24), "ms_per_step": wall / (args.days * 24) * 1e3,
            "stop_reason": result.stop_reason,
            "specific_energy_kWh_t": result.summary["specific_energy"] / 3.6e3,
            "mean_heater_kW": result.summary["mean_heater_power"] / 1e3})
    report["peak_rss_MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.split:
        report["split"] = split_study()
    report["load_average_end"] = os.getloadavg()
    print(json.dumps(report, indent=1))
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    name = "campaign.json" if args.level == "axisymmetric" else "campaign-3d.json"
    (out / name).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
