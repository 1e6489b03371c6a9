"""Speed of the architecture changes (issue 16): each merge of the arch branch against its
first parent (the main it was merged into), so that what else landed in between does not
count.

Run: python benchmarks/bench_arch.py [--pairs PARENT:MERGE[:3d] ...] [--reps 3] [--days 45]
     [--work /tmp/bench_arch]

For every commit named, the tree (``git archive``) is laid out as an installed package
(pyproject's package-dir: cellsim, cellsim.kernels = kernels/, ...) under --work and imported
from there by a child process (PYTHONPATH, NUMBA_NUM_THREADS=1, ``nice``); each tree's Numba
cache is filled by one run of each measure first (not counted). Then, per repetition and pair, parent and merge run one
after the other (the order alternating between repetitions): the r-z campaign of rusal-3kA
over --days (CPU seconds of ``run_campaign``) and, for pairs marked ``3d``, a day of the
3D level (median CPU per step after the first). Prints one JSON line per run and a table of
merge/parent ratios (median over repetitions) with the load average seen. The default pairs
are the arch merges of main (git log --merges | grep arch).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

PAIRS = ["ebf3f8c:590f573:3d", "d9b025d:3ae8e18", "a241cdd:0fe3fca", "0fe3fca:990c4ac", "6a6ead9:b8c9dea",
         "0b8b443:192cc92:3d", "61318ed:86ef8ca:3d"]
REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys, time
from cellsim.campaign import run_campaign
from cellsim.config import load_config
mode, days = sys.argv[1], float(sys.argv[2])
cfg = load_config("rusal-3kA", [f'numerics.model="{ {"rz": "axisymmetric", "3d": "3d"}[mode] }"',
                                f'schedule.duration="{days} d"'])
marks = []
c0 = time.process_time()
run_campaign(cfg, progress=lambda t, d: marks.append(time.process_time()))
steps = sorted(b - a for a, b in zip(marks, marks[1:]))
print(json.dumps(dict(mode=mode, days=days, cpu=time.process_time() - c0,
                      step_ms=1e3 * steps[len(steps) // 2] if steps else None, load=os.getloadavg()[0])))
"""


def layout(commit: str, work: Path) -> Path:
    """The tree of ``commit`` as an installed package: work/site_<commit>/cellsim/..."""
    site = work / f"site_{commit}"
    if site.exists():
        return site
    data = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True).stdout
    src = work / f"src_{commit}"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(src, filter="data")
    dirs = tomllib.loads((src / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    for pkg, d in sorted(dirs.items(), key=lambda kv: kv[0].count(".")):
        shutil.copytree(src / d, site.joinpath(*pkg.split(".")), dirs_exist_ok=True)
    return site


def run(site: Path, mode: str, days: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(site), "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}  # CPU time of one thread: no spinning BLAS threads
    out = subprocess.run(["nice", sys.executable, "-c", CHILD, mode, str(days)], env=env, cwd=site.parent,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", nargs="+", default=PAIRS)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--days", type=float, default=45.0)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_arch"))
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    pairs = [(p.split(":")[0], p.split(":")[1], p.endswith(":3d")) for p in a.pairs]
    sites = {c: layout(c, a.work) for pa, me, _ in pairs for c in (pa, me)}
    for pa, me, d3 in pairs:  # compile (each tree has its own Numba cache): the whole run, as
        for c in (pa, me):      # kernels first called late (remesh, taps) compile there
            run(sites[c], "rz", a.days)
            if d3:
                run(sites[c], "3d", 1.0)
    rows = {}
    for rep in range(a.reps):
        for pa, me, d3 in pairs:
            order = (pa, me) if rep % 2 == 0 else (me, pa)
            for mode, days in [("rz", a.days)] + ([("3d", 1.0)] if d3 else []):
                for c in order:
                    r = dict(run(sites[c], mode, days), commit=c, rep=rep)
                    print(json.dumps(r), flush=True)
                    rows.setdefault((pa, me, mode), {}).setdefault(c, []).append(r)
    print("\n| merge (parent) | measure | parent | merge | ratio | load |\n|---|---|---|---|---|---|")
    for (pa, me, mode), by in rows.items():
        key, unit = ("cpu", "s") if mode == "rz" else ("step_ms", "ms")
        p, m = (statistics.median(r[key] for r in by[c]) for c in (pa, me))
        loads = [r["load"] for c in (pa, me) for r in by[c]]
        what = f"r-z {a.days:g} d CPU" if mode == "rz" else "3D CPU per step"
        print(f"| {me} ({pa}) | {what} | {p:.2f} {unit} | {m:.2f} {unit} | {m / p:.3f} | "
              f"{min(loads):.1f}-{max(loads):.1f} |")


if __name__ == "__main__":
    main()
