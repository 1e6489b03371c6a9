"""Campaign benchmark (issues 6 and 17): 45 days of the 3 kA campaign at a model level.

Run: python benchmarks/bench_campaign.py [--level axisymmetric|3d] [--days 45] [--threads 1 2]
     [--split] [--cell rusal-3kA] [--no-campaign]
Prints (JSON) the wall and CPU time of the campaign (warm: a 1-day run first loads the Numba
cache; CPU time is less sensitive to the other jobs on a shared machine), the lumped level's
time (warm too: best wall and CPU of three runs after a 1-day one), peak memory (VmHWM, reset
once the triad's 96 MB of buffers are freed, so it is the runs' own; ru_maxrss where Linux's
reset is missing), the load average at start and end, and for the field levels:

* ``profile``: wall and CPU ms per step of the parts of a step (heat step, species step,
  current solves, remeshes, the rest of update_state, the rest of the step) over 12 steps;
* ``bound``: the bytes one step must move at least (every linear solve reading its operator,
  right-hand side and solution once; the species step its coefficients and fields once per
  impurity; the heat state arrays once) divided by the triad bandwidth measured in this run,
  and the ratio of the measured step to it;
* with ``--threads 1 2``: ms per step with each thread count (best of ``--repeats``, every
  repeat listed with its load), alternated, under the default policy (kernels on one thread
  below solvers.PARALLEL_MIN_CELLS cells; the heat and species steps in two threads at once
  while a core is free: ``numerics.overlap_steps = "auto"``, and the share of steps it
  overlapped), with the overlap "on" whatever the load, and with every kernel parallel
  whatever its size; the threading layer and OMP_WAIT_POLICY (PASSIVE unless set:
  cellsim.kernels.parallel), and the speed-up against the default policy on one thread.
With ``--level 3d`` the campaign itself is profiled (``campaign_profile``: the whole run,
every step, exclusive times of each part so nothing is counted twice): heat (the heat step
less its region sums), species, current, remesh (grid, operators, solver set-up), remap
(enthalpy and concentrations onto a new grid), bookkeeping (the cell's own step and state
update: ledgers, inventories, providers' glue), region sums (heat balance by region, the
electrolyte means, the species inventories, the heat-loss record), snapshots (one field
snapshot timed and counted at ``numerics.snapshot_interval``, as ``cellsim run`` writes
them) and other (the runner's operations: schedule, guards, recording). Wall times are the
main thread's (they add up to the step); when the species step runs in a second thread beside
the heat step (cellsim.physics; a large grid with two threads allowed) its wall time is
listed apart (``in_species_thread_ms_wall``) and ``species_wait`` is the physics step's wait
for it; CPU times are every thread's. ``bound.by_part``: each solver part's CPU time against
the bytes the model gives it. ``--days`` shorter than 45 runs that many days and scales the
wall time to 45 (printed as such).
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


def reset_peak_memory() -> bool:
    """Reset the process's resident-memory high-water mark (Linux: VmHWM, by writing 5 to
    /proc/self/clear_refs), so that ``peak_memory_mb`` measures what runs after this call and
    not the triad's three 32 MB buffers allocated before it. False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_memory_mb(reset: bool) -> float:
    """Peak resident memory [MB]: VmHWM since ``reset_peak_memory`` when it worked, otherwise
    the whole process's ru_maxrss (which no call can reset)."""
    if reset:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    band0, fused0 = species.SpeciesField._solve_systems, species.SpeciesField._step_fused

    def solve(self, b, *a, **k):  # one pass over operator (3 faces + shift), b, x
        moved["bytes"] += 8 * b.size * (5 + (self.op.shift is not None))
        moved["linear_solves"] += 1
        x = solve0(self, b, *a, **k)
        moved["iterations"] += self.last_iterations
        return x

    def band(self, coeffs, diag, *a, **k):  # per impurity: 6 coefficient arrays, diag, b, x
        moved["bytes"] += 8 * species.N_SPECIES * (6 * self.grid.n_cells + 3 * self.n)
        return band0(self, coeffs, diag, *a, **k)

    def fused(self, *a, **k):  # the same arrays, the r-z step in one kernel call
        moved["bytes"] += 8 * species.N_SPECIES * (6 * self.grid.n_cells + 3 * self.n)
        return fused0(self, *a, **k)

    solvers.LinearSolver.solve, species.SpeciesField._solve_systems = solve, band
    species.SpeciesField._step_fused = fused
    try:
        w, c = time.perf_counter(), time.process_time()
        for _ in range(steps):
            model.step(3600.0)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
    finally:
        for label, (cls, name) in parts.items():
            setattr(cls, name, originals[label])
        solvers.LinearSolver.solve, species.SpeciesField._solve_systems = solve0, band0
        species.SpeciesField._step_fused = fused0
    n_cells = model.physics.mesh.pot.grid.n_cells
    # the heat state (enthalpy, temperature, liquid fraction, capacity, sources) read and written
    moved["bytes"] += steps * 8 * 10 * n_cells
    for label in parts:  # a part not called in these steps (no remesh, the current reused): 0
        spent.setdefault(label, [0.0, 0.0])
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


BYTES_MODEL = (
    "bytes one step must move at least: every linear solve (heat, current) reads its operator "
    "(3 face arrays, the shift if any), right-hand side and solution once: 8 n (5 or 6) B; the "
    "species step reads 6 face coefficients per cell and writes diagonal, rhs and solution per "
    "impurity: 8 K (6 n_sub + 3 N) B; the heat state (enthalpy, temperature, liquid fraction, "
    "capacity, sources; read and written) 8 x 10 n B. Divided by the STREAM-like triad "
    "(a = b + s c, 24 B per element) measured in the same run: the time the step would take "
    "if it only streamed those bytes once")


class _Exclusive:
    """Exclusive wall and CPU time of wrapped methods: time spent in a nested wrapped call is
    charged to the inner label only. Per thread (the species step may run in a second thread
    beside the heat step: cellsim.physics.Physics.step): the nesting stack is the calling
    thread's and the CPU time that thread's own (time.thread_time)."""

    def __init__(self):
        import threading
        from collections import Counter, defaultdict
        # label -> [wall on the main thread, CPU of every thread, wall on other threads]
        self.spent, self.calls = defaultdict(lambda: [0.0, 0.0, 0.0]), Counter()
        self._local, self._lock = threading.local(), threading.Lock()
        self._main = threading.main_thread()
        self.restore = []

    @property
    def stack(self) -> list:
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        return self._local.stack

    def reset(self):
        self.spent.clear()
        self.calls.clear()

    def wrap(self, label, owner, name):
        f = getattr(owner, name)
        ex = self

        def timed_call(*a, **k):
            w0, c0 = time.perf_counter(), time.thread_time()
            stack = ex.stack
            stack.append([0.0, 0.0])  # time of nested wrapped calls
            try:
                return f(*a, **k)
            finally:
                w, c = time.perf_counter() - w0, time.thread_time() - c0
                inner = stack.pop()
                import threading
                with ex._lock:
                    ex.spent[label][0 if threading.current_thread() is ex._main else 2] += w - inner[0]
                    ex.spent[label][1] += c - inner[1]
                    ex.calls[label] += 1
                if stack:
                    stack[-1][0] += w
                    stack[-1][1] += c
        setattr(owner, name, timed_call)
        self.restore.append((owner, name, f))

    def unwrap(self):
        for owner, name, f in reversed(self.restore):
            setattr(owner, name, f)
        self.restore.clear()


def campaign_profile(level: str, days: float) -> dict:
    """The campaign of ``days`` at ``level`` with every part of every step timed (module
    docstring), its wall and CPU time without the start (build and steady start), and the
    bytes its steps must move (BYTES_MODEL)."""
    from collections import Counter

    from cellsim import campaign, cell, physics
    from cellsim.fields import axisymmetric as ax
    from cellsim.fields import heat, heat_diagnostics, solvers, species

    ex = _Exclusive()
    parts = [("heat", heat.HeatSolver, "step"), ("species", species.SpeciesField, "step"),
             ("current", ax.FieldElectrical, "solve"), ("remesh", physics.Physics, "_build"),
             ("remap", ax, "remap_enthalpy"), ("remap", ax, "_remap_concentration"),
             ("region_sums", heat.HeatSolver, "_balance"), ("region_sums", ax.PotMesh, "electrolyte_mean"),
             ("region_sums", species.SpeciesField, "inventory"), ("region_sums", heat_diagnostics, "heat_loss"),
             ("bookkeeping", cell.Cell, "step"), ("bookkeeping", cell.Cell, "update_state")]
    for label, owner, name in parts:
        ex.wrap(label, owner, name)
    # the physics step beyond the heat step and, when they run in turn, the species step:
    # with the species step in a second thread, the wait for it (Physics.step)
    ex.wrap("species_wait", physics.Physics, "step")
    moved = Counter()
    solve0, band0 = solvers.LinearSolver.solve, species.SpeciesField._solve_systems
    fused0 = species.SpeciesField._step_fused

    def solve(self, b, *a, **k):  # the heat operator has a shift, the current's none
        part = "heat" if self.op.shift is not None else "current"
        moved["bytes"] += 8 * b.size * (5 + (self.op.shift is not None))
        moved["bytes_" + part] += 8 * b.size * (5 + (self.op.shift is not None))
        moved["linear_solves"] += 1
        x = solve0(self, b, *a, **k)
        moved["iterations"] += self.last_iterations
        return x

    def band(self, coeffs, diag, *a, **k):
        moved["bytes"] += 8 * species.N_SPECIES * (6 * self.grid.n_cells + 3 * self.n)
        moved["bytes_species"] += 8 * species.N_SPECIES * (6 * self.grid.n_cells + 3 * self.n)
        return band0(self, coeffs, diag, *a, **k)

    def fused(self, *a, **k):  # the same arrays, the r-z step in one kernel call
        moved["bytes"] += 8 * species.N_SPECIES * (6 * self.grid.n_cells + 3 * self.n)
        moved["bytes_species"] += 8 * species.N_SPECIES * (6 * self.grid.n_cells + 3 * self.n)
        return fused0(self, *a, **k)

    make0, holder = campaign.make_model, {}

    def make_model(config):  # the start is not a step: its time and parts are left out
        w, c = time.perf_counter(), time.process_time()
        model = make0(config)
        holder.update(model=model, start=(time.perf_counter() - w, time.process_time() - c))
        ex.reset()
        moved.clear()
        return model

    solvers.LinearSolver.solve, species.SpeciesField._solve_systems = solve, band
    species.SpeciesField._step_fused = fused
    campaign.make_model = make_model
    cfg = load_config(CELL[0], [f'numerics.model="{level}"', f'schedule.duration="{days} d"'])
    try:
        w, c = time.perf_counter(), time.process_time()
        result = run_campaign(cfg)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
    finally:
        ex.unwrap()
        solvers.LinearSolver.solve, species.SpeciesField._solve_systems = solve0, band0
        species.SpeciesField._step_fused = fused0
        campaign.make_model = make0
    wall -= holder["start"][0]
    cpu -= holder["start"][1]
    model = holder["model"]
    steps = int(round(days * 86400.0 / cfg.schedule.time_step))
    # snapshots: cellsim run writes one every numerics.snapshot_interval; time three
    snap = []
    for _ in range(3):
        w0, c0 = time.perf_counter(), time.process_time()
        model.snapshot()
        snap.append((time.perf_counter() - w0, time.process_time() - c0))
    per_step = cfg.schedule.time_step / cfg.numerics.snapshot_interval
    ms = {k: [v[0] / steps * 1e3, v[1] / steps * 1e3] for k, v in ex.spent.items()}
    ms["snapshots"] = [min(s[0] for s in snap) * per_step * 1e3, min(s[1] for s in snap) * per_step * 1e3]
    step_wall, step_cpu = wall / steps * 1e3, cpu / steps * 1e3
    # wall: the main thread's exclusive times add up to the step; parts run in the species
    # thread beside the heat step (a large grid, two threads allowed) are listed apart
    worker = {k: round(v[2] / steps * 1e3, 2) for k, v in ex.spent.items() if v[2] > 0.0}
    ms["other"] = [step_wall - sum(v[0] for k, v in ms.items() if k != "snapshots"),
                   step_cpu - sum(v[1] for k, v in ms.items() if k != "snapshots")]
    n_cells = model.physics.mesh.pot.grid.n_cells
    moved["bytes"] += steps * 8 * 10 * n_cells  # the heat state, read and written
    moved["bytes_heat"] += steps * 8 * 10 * n_cells
    order = ("heat", "species", "species_wait", "current", "remesh", "remap", "bookkeeping", "region_sums",
             "snapshots", "other")
    return {"days": days, "steps": steps, "grid": list(model.physics.mesh.pot.grid.shape), "cells": n_cells,
            "start_s_wall_cpu": [round(v, 2) for v in holder["start"]],
            "steps_wall_s": wall, "steps_cpu_s": cpu, "step_ms_wall": step_wall, "step_ms_cpu": step_cpu,
            "parts_ms_wall_cpu": {k: [round(ms[k][0], 2), round(ms[k][1], 2)] for k in order if k in ms},
            "parts_note": ("wall on the main thread (exclusive: they add up to the step), CPU of every "
                           "thread; species_wait: the physics step beyond its heat and species parts "
                           "(the wait for the species thread when they run at once)"),
            "in_species_thread_ms_wall": worker,
            "bytes_per_step_by_part": {k: moved["bytes_" + k] / steps for k in ("heat", "species", "current")},
            "calls_per_step": {k: round(v / steps, 3) for k, v in ex.calls.items()},
            "linear_solves_per_step": moved["linear_solves"] / steps,
            "pcg_iterations_per_solve": moved["iterations"] / max(moved["linear_solves"], 1),
            "remeshes": model.physics.mesh.remeshes,
            "bytes_per_step": moved["bytes"] / steps,
            "stop_reason": result.stop_reason,
            "specific_energy_kWh_t": result.summary["specific_energy"] / 3.6e3,
            "mean_heater_kW": result.summary["mean_heater_power"] / 1e3,
            "threads": result.threads}  # the overlap policy and the steps it overlapped


def thread_scaling(level: str, threads: list[int], steps: int = 6, repeats: int = 3) -> dict:
    """ms per step (the configured time step, as the campaign) with each thread count under
    three policies, every (threads, policy) pair measured ``repeats`` times, alternated, each
    time on a copy of the same state (the same steps):
    ``default`` (what the campaign does: kernels on one thread below
    solvers.PARALLEL_MIN_CELLS cells; the heat and species steps in two threads at once from
    solvers.OVERLAP_MIN_CELLS cells while a core is free, ``numerics.overlap_steps = "auto"``,
    unless CELLSIM_OVERLAP_STEPS overrides it; the share of the steps it overlapped is
    printed), ``overlap`` ("on": whatever the other processes use), ``kernels_parallel``
    (every kernel's parallel region on all the threads whatever its size, no overlap) and
    ``vcycles_parallel`` (the multigrid V-cycles' finest level on all the threads, every sum
    and coarse level on one, no overlap: ``solvers.set_max_threads(n, exact_min_cells=)``
    at the finest level's cells; the same numbers as one thread, bit for bit).
    Printed: the best and every repeat (ms wall, ms CPU), the speed-up of the best against
    one thread's best, and for each repeat the 1-minute load average and the cores the other
    processes used over the repeat (/proc/stat less this process: the load that matters);
    ``default_parts``: CPU ms per step of the heat and species steps (thread clocks) and the
    overlap's bound, step CPU / (max(heat, species) + the rest), which the load barely moves."""
    from cellsim.fields import solvers
    from cellsim.models import make_model

    cfg = load_config(CELL[0], [f'numerics.model="{level}"'])
    dt = cfg.schedule.time_step
    import copy

    model = make_model(cfg)
    model.step(dt)
    n_cells = model.physics.mesh.pot.grid.n_cells  # the finest level of its V-cycles
    # every measurement steps a copy of this state: the same steps under every policy (the
    # work of a step varies up to 2x along a run: Newton iterations, current solves, factor
    # renewals; the copies step bit for bit alike)
    start = copy.deepcopy(model)
    # CPU time of the heat step and of the species step (each in its own thread's clock), to
    # bound what running them at once can give: step CPU / (max(heat, species) + the rest)
    spent = {"heat": 0.0, "species": 0.0}

    def clocked(name, fn):
        def run(*a, **k):
            t = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.thread_time() - t
        return run

    parts = {n: [] for n in threads}
    policies = ("default", "overlap", "kernels_parallel", "vcycles_parallel")
    runs = {p: {n: [] for n in threads} for p in policies}
    share = {p: {n: [] for n in threads} for p in policies}
    min_overlap, override = solvers.OVERLAP_MIN_CELLS, solvers._OVERLAP[0]
    try:
        for _ in range(repeats):
            for n in threads:
                for policy in policies:
                    solvers.OVERLAP_MIN_CELLS = min_overlap
                    solvers.set_overlap(override)
                    solvers.set_max_threads(n)
                    if policy == "overlap":
                        solvers.set_overlap("on")
                    elif policy == "kernels_parallel":
                        solvers.set_max_threads(n, min_cells=0)
                        solvers.OVERLAP_MIN_CELLS = 1 << 62  # the kernels' threads alone
                    elif policy == "vcycles_parallel":
                        solvers.set_max_threads(n, exact_min_cells=n_cells)
                        solvers.OVERLAP_MIN_CELLS = 1 << 62
                    model = copy.deepcopy(start)
                    physics = model.physics
                    physics.thermal.advance = clocked("heat", physics.thermal.advance)
                    physics._exchange = clocked("species", physics._exchange)
                    model.step(dt)  # the thread team starts
                    s0 = solvers._cpu_sample()
                    k0 = physics.steps_overlapped
                    spent.update(heat=0.0, species=0.0)
                    t, c = time.perf_counter(), time.process_time()
                    for _ in range(steps):
                        model.step(dt)
                    wall = (time.perf_counter() - t) / steps * 1e3
                    cpu = (time.process_time() - c) / steps * 1e3
                    s1 = solvers._cpu_sample()
                    others = (None if s0 is None else
                              max(0.0, (s1[1] - s0[1] - (s1[2] - s0[2])) / (s1[0] - s0[0])))
                    runs[policy][n].append({"ms": round(wall, 1), "cpu_ms": round(cpu, 1),
                                            "load_1min": round(os.getloadavg()[0], 2),
                                            "others_cores": None if others is None else round(others, 2)})
                    share[policy][n].append((physics.steps_overlapped - k0) / steps)
                    if policy == "default":
                        h, sp = spent["heat"] / steps * 1e3, spent["species"] / steps * 1e3
                        parts[n].append({"cpu_ms": round(cpu, 1), "heat_cpu_ms": round(h, 1),
                                         "species_cpu_ms": round(sp, 1),
                                         "overlap_bound": round(cpu / (max(h, sp) + cpu - h - sp), 2)})
    finally:
        solvers.set_max_threads(None)
        solvers.OVERLAP_MIN_CELLS = min_overlap
        solvers.set_overlap(override)
    import numba

    try:
        layer = numba.threading_layer()  # known once a parallel kernel has run
    except ValueError:
        layer = None
    best = {p: {n: min(r["ms"] for r in v) for n, v in d.items()} for p, d in runs.items()}
    base = best["default"][threads[0]]
    return {"time_step_h": dt / 3600.0, "steps_per_repeat": steps, "repeats": repeats,
            "usable_cores": solvers.usable_cores(),
            "best_ms_per_step": best,
            "speedup_vs_default_one_thread": {p: {n: round(base / x, 3) for n, x in v.items()}
                                              for p, v in best.items()},
            "steps_overlapped_share": {p: {n: [round(x, 2) for x in v] for n, v in d.items()}
                                       for p, d in share.items()},
            "runs": runs,
            # the default policy's CPU per step by part and the overlap's bound on a free core:
            # no wall time below max(heat, species) + the rest
            "default_parts": parts,
            "threading_layer": layer, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}


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
    ap.add_argument("--repeats", type=int, default=3, help="--threads: repeats of each measure")
    ap.add_argument("--no-campaign", action="store_true",
                    help="profile, bound and scaling only (3d: the thread scaling only)")
    args = ap.parse_args()
    CELL[0] = args.cell
    level = [f'numerics.model="{args.level}"']
    report = {"cell": args.cell, "level": args.level, "load_average_start": os.getloadavg()}
    timed(level + ['schedule.duration="1 d"'])  # warm: Numba cache, imports
    triad = triad_bandwidth()
    report["peak_memory_note"] = (
        "peak resident memory after the triad's buffers were freed (VmHWM reset)"
        if (reset := reset_peak_memory()) else "ru_maxrss of the whole process, the triad's 96 MB included")
    if args.level == "3d":
        return main_3d(args, report, triad, reset)
    prof = step_profile(args.level)
    report["triad_GB_s"] = triad / 1e9
    report["profile"] = prof
    bound_ms = prof["bytes_per_step"] / triad * 1e3
    report["bound"] = {"bytes_per_step_MB": prof["bytes_per_step"] / 1e6, "bound_ms": bound_ms,
                       "step_over_bound": prof["step_ms_wall"] / bound_ms}
    if args.threads:
        report["threads"] = thread_scaling(args.level, args.threads, repeats=args.repeats)
    if not args.no_campaign:
        lumped = ['numerics.model="lumped"']
        timed(lumped + ['schedule.duration="1 d"'])  # warm: the lumped level's kernel and imports
        cpu_lumped, runs = [], []
        for _ in range(3):  # best of 3 (a ~0.5 s run is at the mercy of the other jobs)
            runs.append(timed(lumped + [f'schedule.duration="{args.days} d"'], cpu_lumped)[0])
        wall_lumped = min(runs)
        cpu = []
        wall, result = timed(level + [f'schedule.duration="{args.days} d"'], cpu)
        # the configured step (3 h for rusal-3kA), not an hour: the campaign's own step count
        steps = int(round(result.summary["campaign_length"] / result.config.schedule.time_step))
        report.update({
            "days": args.days, f"{args.level}_wall_s": wall, f"{args.level}_cpu_s": cpu[0],
            "lumped_wall_s": wall_lumped, "lumped_cpu_s": min(cpu_lumped),
            "time_step_h": result.config.schedule.time_step / 3600.0,
            "steps": steps, "ms_per_step": wall / steps * 1e3,
            "stop_reason": result.stop_reason,
            "specific_energy_kWh_t": result.summary["specific_energy"] / 3.6e3,
            "mean_heater_kW": result.summary["mean_heater_power"] / 1e3})
    report["peak_rss_MB"] = peak_memory_mb(reset)
    if args.split:
        report["split"] = split_study()
    report["load_average_end"] = os.getloadavg()
    print(json.dumps(report, indent=1))
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    name = "campaign.json" if args.level == "axisymmetric" else "campaign-3d.json"
    (out / name).write_text(json.dumps(report, indent=1))


def main_3d(args, report: dict, triad: float, reset: bool) -> None:
    """--level 3d: the profiled campaign (``campaign_profile``), the bound, the threads."""
    import numba

    report["numba_threads"] = numba.config.NUMBA_NUM_THREADS
    report["triad_GB_s"] = triad / 1e9
    if not args.no_campaign:
        report["load_before_campaign"] = os.getloadavg()
        prof = campaign_profile("3d", args.days)
        report["load_after_campaign"] = os.getloadavg()
        report["profile"] = prof
        scale = 45.0 / args.days
        report["wall_45d_s"] = prof["steps_wall_s"] * scale
        report["cpu_45d_s"] = prof["steps_cpu_s"] * scale
        report["45d_note"] = ("measured over the whole run" if args.days == 45 else
                              f"{args.days} d run scaled by {scale:g} (steps only; start excluded)")
        bound_ms = prof["bytes_per_step"] / triad * 1e3
        parts = prof["parts_ms_wall_cpu"]
        by_part = {}
        for k, nbytes in prof["bytes_per_step_by_part"].items():  # each solver part against its bytes
            b = nbytes / triad * 1e3
            by_part[k] = {"cpu_ms": parts[k][1], "bound_ms": round(b, 3),
                          "over_bound_cpu": round(parts[k][1] / b, 1) if b > 0 else None}
        rest = sum(v[1] for k, v in parts.items() if k not in by_part)  # CPU of every thread
        by_part["rest (no bytes in the model)"] = {"cpu_ms": round(rest, 2), "bound_ms": 0.0}
        report["bound"] = {"model": BYTES_MODEL, "bytes_per_step_MB": prof["bytes_per_step"] / 1e6,
                           "bound_ms": bound_ms, "step_over_bound_wall": prof["step_ms_wall"] / bound_ms,
                           "step_over_bound_cpu": prof["step_ms_cpu"] / bound_ms,
                           "by_part": by_part}
    if args.threads:
        report["threads"] = thread_scaling("3d", args.threads, repeats=args.repeats)
        report["load_after_threads"] = os.getloadavg()
    report["peak_rss_MB"] = peak_memory_mb(reset)
    report["load_average_end"] = os.getloadavg()
    print(json.dumps(report, indent=1))
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "campaign-3d.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
