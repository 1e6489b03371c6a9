"""This tree's campaign speed against another revision's, measured in the same minutes on the
same machine (issue 17's goals are ratios against the code it was filed on, 485f2ea).

Run: python benchmarks/bench_versus.py [--rev 485f2ea] [--level axisymmetric 3d] [--rounds 3]
     [--days-3d 2] [--workdir DIR]

The other revision is checked out as a detached git worktree in ``--workdir`` (default
``$TMPDIR/cellsim-versus-<rev>``) and installed, editable and without dependencies, into a
virtual environment of its own that sees this environment's packages (the same numpy, scipy,
numba), so that only cellsim differs; its Numba cache is its own. Each round runs the other
tree's ``benchmarks/bench_campaign.py`` and then this tree's, each with its own defaults (time
step, grid, physics: what the goals time), and alternates over ``--rounds``:

* ``axisymmetric``: ``bench_campaign.py --days 45``: the 45-day r-z and lumped wall times;
* ``3d``: ``bench_campaign.py --level 3d --days D``: the 45-day 3D wall time, from the run's
  own scaled figure where the benchmark prints one (``wall_45d_s``, the start excluded) and
  otherwise from its ms per step times its steps per day times 45.

Prints each run (with the load average it recorded), the median of each tree and their ratio,
and writes benchmarks/results/versus-<rev>.json. The first round also compiles each tree's
kernels into its cache when they are not there yet (each benchmark warms up before it times).
"""

from __future__ import annotations

import argparse
import json
import os
import site
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def prepare(rev: str, workdir: Path) -> Path:
    """The other revision's tree in ``workdir``, installed into its own venv; its python."""
    tree = workdir / "tree"
    python = workdir / "venv" / "bin" / "python"
    if not tree.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", str(tree), rev], check=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(workdir / "venv")], check=True)
        purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        # this environment's packages (numpy, scipy, numba, ...) as plain paths: their .pth
        # files (this tree's editable cellsim among them) are not read from there
        Path(purelib, "shared-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(tree)], check=True)
    where = subprocess.run([str(python), "-c", "import cellsim; print(cellsim.__file__)"], cwd=workdir,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not where.startswith(str(tree)):
        raise SystemExit(f"the venv in {workdir} imports cellsim from {where}, not from {tree}")
    return python


def bench(python: str, tree: Path, args: list[str]) -> dict:
    out = subprocess.run([python, "benchmarks/bench_campaign.py", *args], cwd=tree, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out[out.index("{"):])


def figures(report: dict, level: str) -> dict:
    """The comparable figures of one bench_campaign report (either tree's format)."""
    if level == "axisymmetric":
        return {"rz_45d_wall_s": report["axisymmetric_wall_s"], "lumped_45d_wall_s": report["lumped_wall_s"],
                "rz_steps": report["steps"], "specific_energy_kWh_t": report["specific_energy_kWh_t"],
                "load_average": report.get("load_average_end", report.get("load_average"))}
    if "wall_45d_s" in report:
        wall = report["wall_45d_s"]
    else:
        wall = report["ms_per_step"] / 1e3 * report["steps"] / report["days"] * 45.0
    return {"3d_45d_wall_s": wall, "peak_rss_MB": report.get("peak_rss_MB"),
            "load_average": report.get("load_average_end", report.get("load_average"))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rev", default="485f2ea", help="the revision to compare with (issue 17 was filed on 485f2ea)")
    ap.add_argument("--level", nargs="*", default=["axisymmetric", "3d"], choices=("axisymmetric", "3d"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--days-3d", type=float, default=2.0)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.gettempdir()) / f"cellsim-versus-{args.rev}"
    other = prepare(args.rev, workdir)
    trees = {args.rev: (str(other), workdir / "tree"), "this tree": (sys.executable, HERE)}
    report = {"rev": args.rev, "load_average_start": os.getloadavg(), "runs": [], "median": {}, "ratio": {}}
    for level in args.level:
        bargs = ["--days", "45"] if level == "axisymmetric" else ["--level", "3d", "--days", f"{args.days_3d:g}"]
        for r in range(args.rounds):
            for name, (python, tree) in trees.items():
                f = figures(bench(python, tree, bargs), level)
                report["runs"].append({"tree": name, "level": level, "round": r, **f})
                print(f"{level:12} {name:10} " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                                         for k, v in f.items()), flush=True)
        keys = ["rz_45d_wall_s", "lumped_45d_wall_s"] if level == "axisymmetric" else ["3d_45d_wall_s"]
        for k in keys:
            med = {name: statistics.median(x[k] for x in report["runs"] if x["tree"] == name and k in x)
                   for name in trees}
            report["median"][k] = med
            report["ratio"][k] = med[args.rev] / med["this tree"]
            print(f"{k}: {args.rev} {med[args.rev]:.3f} s, this tree {med['this tree']:.3f} s: "
                  f"{report['ratio'][k]:.2f}x", flush=True)
    report["load_average_end"] = os.getloadavg()
    out = HERE / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"versus-{args.rev}.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
