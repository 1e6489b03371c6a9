"""Campaign benchmark (issue 6): the 45-day 3 kA campaign at the default r-z resolution.

Run: python benchmarks/bench_campaign.py [--days 45] [--split] [--components]
     [--level axisymmetric|3d] [--cell rusal-3kA]
Prints wall and CPU time (warm: a short run first loads the Numba cache; the CPU time of the
process is less sensitive to other jobs on the shared machine), peak memory (ru_maxrss), and
with --split the coupling/time-step error: mean cell voltage, heater power, temperature and
specific energy of an 8-day campaign at dt = 3 h, 1 h, 30 min against dt = 10 min.
With --components (axisymmetric), the CPU time per step of the heat step, species step, current
solves, remeshes and the rest of update_state (timers wrapped around those methods), and the
number of current solves; with --level 3d the time per step of the heat, species and current
solves (profiled). Goal: < 10 s warm for 45 days (r-z), < 5 min at the default 3D resolution
(``--level 3d``: rusal-3kA as a staircase cylinder; ``--cell rusal-3kA-rect`` for the
rectangular pot). Writes benchmarks/results/campaign.json (campaign-3d.json for the 3D level).
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


def step_costs(level: str, steps: int = 12) -> dict:
    """Mean wall time per campaign step [ms] of the heat, species and current solves."""
    import cProfile
    import pstats

    from cellsim.models import make_model

    model = make_model(load_config(CELL[0], [f'numerics.model="{level}"']))
    model.step(3600.0)
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for _ in range(steps):
        model.step(3600.0)
    prof.disable()
    out = {"step": (time.perf_counter() - t) / steps * 1e3, "grid": list(model.physics.mesh.pot.grid.shape)}
    stats = pstats.Stats(prof).stats
    for key, name in (("heat", "fields/heat.py"), ("species", "fields/species.py"),
                      ("current", "fields/axisymmetric.py")):
        func = {"heat": "step", "species": "step", "current": "solve"}[key]
        out[key] = sum(v[3] for k, v in stats.items() if k[0].endswith(name) and k[2] == func) / steps * 1e3
    return out


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


def components(days: float) -> dict:
    """CPU time per campaign step [ms] of the model's parts (wrapped methods) and call counts."""
    from collections import Counter

    from cellsim import cell, physics
    from cellsim.fields import axisymmetric as ax
    from cellsim.fields import heat, species

    spent, calls = Counter(), Counter()
    parts = {"heat_step": (heat.HeatSolver, "step"), "species_step": (species.SpeciesField, "step"),
             "current_solve": (ax.FieldElectrical, "solve"),
             "remesh": (physics.Physics, "_build"),
             "update_state": (cell.Cell, "update_state")}
    originals = {}
    for label, (cls, name) in parts.items():
        originals[label] = f = getattr(cls, name)

        def timed_method(*a, _f=f, _label=label, **k):
            c = time.process_time()
            try:
                return _f(*a, **k)
            finally:
                spent[_label] += time.process_time() - c
                calls[_label] += 1
        setattr(cls, name, timed_method)
    try:
        cpu = []
        timed(AX + [f'schedule.duration="{days} d"'], cpu)
    finally:
        for label, (cls, name) in parts.items():
            setattr(cls, name, originals[label])
    steps = days * 24
    out = {k: spent[k] / steps * 1e3 for k in parts}
    # update_state includes the current solves and remeshes it triggers
    out["update_state"] -= out["current_solve"] + out["remesh"]
    out["rest"] = cpu[0] / steps * 1e3 - sum(out.values())
    out["total"] = cpu[0] / steps * 1e3
    out["current_solves"] = calls["current_solve"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=45.0)
    ap.add_argument("--split", action="store_true")
    ap.add_argument("--level", default="axisymmetric", choices=("axisymmetric", "3d"))
    ap.add_argument("--cell", default="rusal-3kA")
    ap.add_argument("--components", action="store_true")
    args = ap.parse_args()
    CELL[0] = args.cell
    level = [f'numerics.model="{args.level}"']
    timed(level + ['schedule.duration="1 d"'])  # warm: Numba cache, imports
    costs = step_costs(args.level) if args.level == "3d" else None
    wall_lumped, _ = timed(['numerics.model="lumped"', f'schedule.duration="{args.days} d"'])
    cpu = []
    wall, result = timed(level + [f'schedule.duration="{args.days} d"'], cpu)
    report = {
        "cell": args.cell, "level": args.level,
        "days": args.days, f"{args.level}_wall_s": wall, f"{args.level}_cpu_s": cpu[0],
        "lumped_wall_s": wall_lumped,
        "steps": int(args.days * 24), "ms_per_step": wall / (args.days * 24) * 1e3,
        "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average": os.getloadavg()[0], "stop_reason": result.stop_reason,
        "specific_energy_kWh_t": result.summary["specific_energy"] / 3.6e3,
        "mean_heater_kW": result.summary["mean_heater_power"] / 1e3,
    }
    if costs is not None:
        report["ms_per_step_by_solve"] = costs
        report["load_average_end"] = os.getloadavg()[0]
    if args.components and args.level == "axisymmetric":
        report["components_cpu_ms_per_step"] = components(min(args.days, 10.0))
    if args.split:
        report["split"] = split_study()
    print(json.dumps(report, indent=1))
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    name = "campaign.json" if args.level == "axisymmetric" else "campaign-3d.json"
    (out / name).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
