"""Sweep throughput: 1 vs 2 local workers (goal >= 1.8x) and per-case overhead.

Run from anywhere with the package installed::

    python benchmarks/bench_sweep.py [--cases 8] [--days 20] [--workers 1 2]

Throughput counts the whole ``run_sweep`` call (pool start with spawn and the import of
cellsim in each worker included). Overhead per case is measured two ways:
* in the worker: time of the task minus the campaign itself (config load, HDF5 write);
* in the parent: sweep wall time minus the sum of the task times, per case, for 1 worker
  (journal fsync, tables, bookkeeping).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from cellsim.sweep import load_spec, run_sweep

SPEC = """
[sweep]
name = "bench"
base = "rusal-3kA"
set = ['schedule.duration="{days} d"', 'schedule.stop_on_spec=false', 'numerics.model="lumped"']
[parameters]
"geometry.acd" = {{ start = "4 cm", stop = "5 cm", num = {cases} }}
"""


def bench(cases: int, days: float, workers: int, root: Path) -> dict:
    spec_path = root / f"bench-{workers}.toml"
    spec_path.write_text(SPEC.format(days=days, cases=cases))
    spec = load_spec(spec_path)
    start = time.perf_counter()
    run = run_sweep(spec, root / f"out-{workers}", workers=workers)
    wall = time.perf_counter() - start
    assert run.ok == cases, [o["error"] for o in run.outcomes if o["status"] != "ok"]
    task = [o["wall_time"] for o in run.outcomes]
    campaign = [o["campaign_time"] for o in run.outcomes]
    return {"workers": workers, "wall": wall, "throughput": cases / wall,
            "campaign": statistics.mean(campaign),
            "worker_overhead": statistics.mean(t - c for t, c in zip(task, campaign)),
            "parent_overhead": (wall - sum(task) / workers) / cases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=8)
    parser.add_argument("--days", type=float, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench(args.cases, args.days, w, Path(tmp)) for w in args.workers]
    print(f"{args.cases} cases of {args.days:g} simulated days (rusal-3kA)")
    print("workers  wall [s]  cases/s  campaign [s]  worker overhead [ms]  parent overhead [ms]")
    for r in rows:
        print(f"{r['workers']:7d}  {r['wall']:8.2f}  {r['throughput']:7.3f}  {r['campaign']:12.3f}  "
              f"{r['worker_overhead'] * 1e3:20.1f}  {r['parent_overhead'] * 1e3:20.1f}")
    base = rows[0]
    for r in rows[1:]:
        print(f"speed-up {base['workers']} -> {r['workers']} workers: "
              f"{r['throughput'] / base['throughput']:.2f}x")


if __name__ == "__main__":
    main()
