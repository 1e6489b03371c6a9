"""Wall time of a UQ study at the lumped level (issue 18: "64 samples in under 2 min").

Runs the CLI exactly as a user would, in a child process, and reports its wall time with the
machine's load average before and after (the 2 cores are shared; a loaded machine stretches
the time, so the load is part of the result)::

    python benchmarks/bench_uq.py [--samples 64] [--workers N] [--cell rusal-3kA] [--cold]

``--cold`` gives the study a fresh heat-path cache (CELLSIM_CACHE_DIR in a temporary folder),
so the two field solves of the calibration are timed too; by default the user's cache serves.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cell: str, samples: int, workers: int | None, cold: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_NUM_THREADS="1")
        if cold:
            env["CELLSIM_CACHE_DIR"] = str(Path(tmp) / "cache")
        cmd = [sys.executable, "-m", "cellsim.cli", "uq", cell, "--level", "lumped",
               "--samples", str(samples), "-q", "-o", str(Path(tmp) / "uq")]
        if workers:
            cmd += ["--workers", str(workers)]
        load_before = os.getloadavg()
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        load_after = os.getloadavg()
        if proc.returncode != 0:
            sys.exit(f"cellsim uq failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        table = (Path(tmp) / "uq" / "uq.csv").read_text().splitlines()
    return {"wall": wall, "load_before": load_before, "load_after": load_after, "rows": len(table) - 1,
            "command": " ".join(["cellsim", *cmd[3:]])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", default="rusal-3kA")
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--cold", action="store_true", help="fresh heat-path cache")
    args = parser.parse_args()
    r = run(args.cell, args.samples, args.workers, args.cold)
    print(r["command"])
    print(f"wall {r['wall']:.1f} s for {args.samples} samples ({r['wall'] / args.samples:.2f} s each), "
          f"{os.cpu_count()} CPUs, {'cold' if args.cold else 'warm'} heat-path cache")
    print("load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
        *r["load_before"], *r["load_after"]))
    print(f"uq.csv: {r['rows']} output rows; goal: under 120 s on this machine")


if __name__ == "__main__":
    main()
