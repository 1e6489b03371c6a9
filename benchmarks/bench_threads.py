"""Threads on the default 3D pot, as micro-benchmarks: the heat multigrid's kernels and V-cycle
on 1 and 2 (or more) threads, alternated, best of N, under each OpenMP wait policy and
threading layer (issue 17; docs/speed.md, threads).

Run: python benchmarks/bench_threads.py [--threads 1 2] [--rounds 7] [--variants]

A whole 3D step on a shared machine measures the load more than the threads (the step probe,
``bench_campaign.py --level 3d --no-campaign --threads 1 2``); these pieces take 10 us to
3 ms, so the best of many alternated repeats shows what a second thread gives each of them
when it is awake. Measured on the heat system of the default pot (rusal-3kA, 28 x 27 x 52,
after one 3 h step), a random right-hand side:

* ``sweep L<k>``: one z-line Gauss-Seidel half sweep of level k (k = 0 the finest);
* ``vcycle``: one V-cycle (the PCG's preconditioner) with every level on one thread,
  ``vcycle all``: every level on the threads, ``vcycle finest``: the finest level only
  (``solvers.set_max_threads(n, exact_min_cells=<finest cells>)``);
* ``pcg`` (``--pcg``): the heat system solved to 1e-10 from zero with the V-cycle as above (the PCG's sums
  on one thread in every case: they are below solvers.PARALLEL_MIN_CELLS).

Printed (JSON): microseconds per call, best of ``--rounds`` rounds of ``--calls`` calls, for
each case and thread count (not the CPU time of a round: a thread that runs without a
break is charged at the scheduler's tick, 4 ms, longer than a round); the 1-minute load and the cores the other processes used during
the measurement (/proc/stat less this process); the CPU this process burned in the 50 ms
after a parallel region with nothing to do (what a spinning thread takes from the other
jobs of the machine: ~0 with OMP_WAIT_POLICY=PASSIVE); the threading layer.
``--variants`` runs the same in child processes under each wait policy and layer
(OMP_WAIT_POLICY=PASSIVE, libgomp's bounded spin GOMP_SPINCOUNT = 10^4, 3 10^4 and 10^5, ACTIVE,
and the tbb layer when it is installed, ``pip install tbb``: cellsim.kernels.parallel loads
its library when NUMBA_THREADING_LAYER=tbb) and prints them together; the environment must be set
before the OpenMP runtime loads, hence the children.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def _others(s0, s1):
    """The cores the other processes used between two ``solvers._cpu_sample`` samples."""
    if s0 is None or s1 is None:
        return None
    return round(max(0.0, (s1[1] - s0[1] - (s1[2] - s0[2])) / (s1[0] - s0[0])), 2)


def measure(threads: list[int], rounds: int, calls: int, with_pcg: bool = False) -> dict:
    import numba
    import numpy as np
    from cellsim.kernels import linalg
    from cellsim.kernels import multigrid as mg

    from cellsim.config import load_config
    from cellsim.fields import solvers
    from cellsim.models import make_model

    cfg = load_config("rusal-3kA", ['numerics.model="3d"', 'numerics.overlap_steps="off"'])
    model = make_model(cfg)
    model.step(cfg.schedule.time_step)
    heat = model.physics.thermal
    solver = None
    for obj in vars(heat).values():  # the heat field's solver of the multigrid backend
        kept = getattr(obj, "_solvers", None)
        if isinstance(kept, dict) and "multigrid" in kept:
            solver = kept["multigrid"]
    if solver is None:
        import gc

        found = [o for o in gc.get_objects() if isinstance(o, solvers.LinearSolver) and o.backend_name == "multigrid"]
        solver = max(found, key=lambda o: o.op.size)
    be = solver.backend
    rng = np.random.default_rng(1)
    r = rng.standard_normal(be.shape)
    z = np.empty_like(r)
    fine = int(np.prod(be.shapes[0]))
    levels = [lev for lev in range(len(be.shapes) - 1) if be.line[lev] is not None][:3]
    bs = [r] + [rng.standard_normal(s) for s in be.shapes[1:]]
    xs = [z] + [np.zeros(s) for s in be.shapes[1:]]

    def sweep(n, lev):
        numba.set_num_threads(n)
        mg.line_gauss_seidel_z_factored(*be.g[lev], *be.line[lev], bs[lev], xs[lev], 0)

    def vcycle(n, exact):
        solvers.set_max_threads(n, exact_min_cells=exact)
        be(r, z)

    def pcg(n, exact):
        solvers.set_max_threads(n, exact_min_cells=exact)
        x = np.zeros_like(r)
        solvers.pcg(solver.op, be, r, x, 1e-10, 500, "bench")

    never = 1 << 62
    cases = {}
    for n in threads:
        for lev in levels:
            cases[f"sweep L{lev} ({'x'.join(map(str, be.shapes[lev]))}) {n}t"] = (sweep, n, lev, calls)
        cases[f"vcycle {n}t" if n == 1 else f"vcycle all {n}t"] = (vcycle, n, 0 if n > 1 else never, max(1, calls // 10))
        if n > 1:
            cases[f"vcycle finest {n}t"] = (vcycle, n, fine, max(1, calls // 10))
        if with_pcg:
            cases[f"pcg {n}t" if n == 1 else f"pcg all {n}t"] = (pcg, n, 0 if n > 1 else never, 1)
        if with_pcg and n > 1:
            cases[f"pcg finest {n}t"] = (pcg, n, fine, 1)
    for f, *a, _ in cases.values():  # compile, wake the team once
        f(*a)
    # what a parked team costs the other jobs: this process's CPU in the 50 ms after a region
    numba.set_num_threads(max(threads))
    idle = []
    for _ in range(3):
        linalg.dot.parallel(r.reshape(-1), r.reshape(-1))
        c = time.process_time()
        time.sleep(0.05)
        idle.append(round((time.process_time() - c) * 1e3, 2))
    best = {k: float("inf") for k in cases}
    load = [os.getloadavg()[0]]
    s0, c0, w0 = solvers._cpu_sample(), time.process_time(), time.perf_counter()
    for _ in range(rounds):
        for key, (f, *a, k) in cases.items():  # every case in turn: the same load for each
            t = time.perf_counter()
            for _ in range(k):
                f(*a)
            best[key] = min(best[key], (time.perf_counter() - t) / k * 1e6)
        load.append(os.getloadavg()[0])
    s1 = solvers._cpu_sample()
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    solvers.set_max_threads(None)
    try:
        layer = numba.threading_layer()
    except ValueError:
        layer = None
    out = {"env": {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "NUMBA_THREADING_LAYER")},
           "threading_layer": layer, "shapes": [list(s) for s in be.shapes],
           "load_1min": [round(min(load), 2), round(max(load), 2)], "others_cores": _others(s0, s1),
           "process_cpu_over_wall": round(cpu / wall, 2),
           "idle_cpu_ms_in_50ms_after_a_region": idle,
           "best_us": {k: round(v, 1) for k, v in best.items()}}
    one = {k[:-3]: v for k, v in best.items() if k.endswith(" 1t")}
    out["speedup"] = {}
    for k, v in best.items():
        if not k.endswith(" 1t"):
            base = k.rsplit(" ", 1)[0].replace(" all", "").replace(" finest", "")
            if base in one:
                out["speedup"][k] = round(one[base] / v, 2)
    return out


VARIANTS = [
    ("omp passive", {"OMP_WAIT_POLICY": "PASSIVE"}),
    ("omp spin 1e4", {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "10000"}),
    ("omp spin 3e4", {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "30000"}),
    ("omp spin 1e5", {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "100000"}),
    ("omp active", {"OMP_WAIT_POLICY": "ACTIVE"}),
    ("tbb", {"NUMBA_THREADING_LAYER": "tbb"}),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=40, help="calls per round of a half sweep (V-cycles a tenth)")
    ap.add_argument("--pcg", action="store_true", help="also a whole PCG solve (~60-100 ms each)")
    ap.add_argument("--variants", action="store_true", help="each wait policy and layer in a child process")
    args = ap.parse_args()
    if not args.variants:
        print(json.dumps(measure(args.threads, args.rounds, args.calls, args.pcg), indent=1))
        return
    report = {}
    for name, env in VARIANTS:
        child = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT",
                                                                  "NUMBA_THREADING_LAYER")}
        child.update(env)
        child.setdefault("NUMBA_NUM_THREADS", str(max(args.threads)))
        cmd = [sys.executable, __file__, "--threads", *map(str, args.threads), "--rounds", str(args.rounds),
               "--calls", str(args.calls)] + (["--pcg"] if args.pcg else [])
        done = subprocess.run(cmd, env=child, capture_output=True, text=True, check=False)
        # a layer that does not load (tbb not installed: pip install tbb) reports its error
        report[name] = json.loads(done.stdout) if done.returncode == 0 else done.stderr.strip().splitlines()[-1:]
        print(name, json.dumps(report[name] if isinstance(report[name], list) else report[name]["speedup"]),
              file=sys.stderr)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
