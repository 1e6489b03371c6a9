"""Regenerate the research answers of docs/uq.md (issue 18) and the RUSAL intervals of the
validation report, with one command::

    python benchmarks/uq_research.py                 # everything (about 30-60 min on 2 cores)
    python benchmarks/uq_research.py --only a,v      # the 3 kA study and the validation file
    python benchmarks/uq_research.py --quick         # small budgets, to try the script
    python benchmarks/uq_research.py --only c        # one study: its section of the doc is
                                                     # replaced, the others are kept

It runs the documented `cellsim uq` and `cellsim design` commands as a user would (the CLI in
a child process, in a scratch folder kept under --work), then writes

* ``docs/uq-research.md``: every number of the answers (a), (b), (c), generated, with the date,
  the commit, the load average and each study's command and wall time; docs/uq.md section 4
  interprets them;
* ``validation/rusal_uq.json``: the median and 5-95 % interval of the headline outputs of both
  reference cells, which `cellsim validate` (case rusal_prototypes) shows next to the RUSAL
  checks.

Studies: (a) ``cellsim uq rusal-3kA`` (LHS, --samples) and its one-at-a-time screening
(--method oat); (v) ``cellsim uq rusal-500A`` (LHS, --samples-500) for the validation file;
(b) the 500 A self-heated design search; (c) the lowest kWh/t of the 3 kA pot in spec with UBC.
All at the lumped level with field-calibrated heat paths and 3 h steps; design optima re-run
at the axisymmetric level.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "uq-research.md"
VALIDATION = ROOT / "validation" / "rusal_uq.json"
TIME_STEP = "3 h"

DESIGN_B = [  # (b): 500 A self-heated at minimum kWh/t, one rod, all insulation free
    "design", "rusal-500A", "--minimize", "specific_energy",
    "--vary", "lining.side[2].thickness=0.15 m..0.60 m",
    "--vary", "lining.lid[1].thickness=0.10 m..0.40 m",
    "--vary", "lining.bottom[1].thickness=0.10 m..0.40 m",
    "--vary", "geometry.inner_radius=0.14 m..0.20 m",
    "--subject-to", "mean_heater_power <= 0.01", "--subject-to", "product_al >= 99.7",
    "--subject-to", "mean_temperature >= liquidus + 20", "--subject-to", "mean_temperature <= 800",
    "--set", "collectors.rod_count=1"]
DESIGN_B2 = [  # (b), practical variant: side insulation capped at 0.40 m, lid and bottom as built
    "design", "rusal-500A", "--minimize", "specific_energy",
    "--vary", "lining.side[2].thickness=0.15 m..0.40 m",
    "--vary", "geometry.inner_radius=0.14 m..0.20 m",
    "--subject-to", "mean_heater_power <= 0.01", "--subject-to", "product_al >= 99.7",
    "--subject-to", "mean_temperature >= liquidus + 20", "--subject-to", "mean_temperature <= 800",
    "--set", "collectors.rod_count=1"]
DESIGN_C = [  # (c): the 3 kA pot's lowest kWh/t in spec with UBC (the cell's feed)
    "design", "rusal-3kA", "--minimize", "specific_energy",
    "--vary", "geometry.acd=4 cm..6 cm", "--vary", "lining.side[2].thickness=0.03 m..0.30 m",
    "--vary", "operation.temperature=715 degC..800 degC",
    "--subject-to", "product_al >= 99.7", "--subject-to", "mean_temperature >= liquidus + 20",
    "--subject-to", "mean_temperature <= 800", "--subject-to", "days_in_spec >= 40"]


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cellsim(args: list[str], work: Path, log: list[str]) -> tuple[str, float, int]:
    """Run ``cellsim ARGS`` in ``work``; (stdout, wall time [s], exit code)."""
    exe = Path(sys.executable).with_name("cellsim")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "cellsim.cli"]
    env = dict(os.environ, NUMBA_NUM_THREADS=os.environ.get("NUMBA_NUM_THREADS", "1"))
    shown = shlex.join(["cellsim", *args])
    print(f"$ {shown}", flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd + args, cwd=work, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    print(proc.stdout[-3000:], proc.stderr[-2000:] if proc.returncode not in (0, 1) else "",
          f"[exit {proc.returncode}, {wall:.0f} s]", sep="\n", flush=True)
    log.append(shown)
    return proc.stdout, wall, proc.returncode


def read_intervals(folder: Path) -> dict:
    """uq.csv's interval rows: output -> {unit, median, p5, p95, cases}."""
    out = {}
    with open(folder / "uq.csv") as fh:
        for row in csv.reader(fh):
            if not row or row[0].startswith("#") or row[0] in ("output", "input"):
                if row and row[0] == "input":
                    break
                continue
            if len(row) == 6:
                out[row[0]] = {"unit": row[1], "median": float(row[2]), "p5": float(row[3]),
                               "p95": float(row[4]), "cases": int(row[5])}
    return out


def read_ranking(folder: Path) -> dict:
    """uq.h5's ranking: output -> (method, noise floor, [(input, first-order share)] sorted)."""
    import h5py

    out = {}
    with h5py.File(folder / "uq.h5") as h5:
        for name, g in h5["ranking"].items():
            keys = [k.decode() if isinstance(k, bytes) else str(k) for k in g["input"][()]]
            first = np.asarray(g["first_order"][()], dtype=float)
            order = np.argsort(-np.nan_to_num(first, nan=-1.0))
            out[name] = (str(g.attrs["method"]), float(g.attrs["noise_floor"]),
                         [(keys[i], float(first[i])) for i in order])
    return out


def oat_swings(folder: Path, output: str, top: int = 5) -> tuple[float, list]:
    """(point value, [(input, value at 5 %, value at 95 %, output at 5 %, at 95 %, share)])
    of a one-at-a-time study, largest share first, outputs in reporting units."""
    from cellsim.sweep import read_summary
    from cellsim.uq import display, operable

    table = read_summary(folder)
    keys = list(table["inputs"])
    y = np.where(operable(table), np.asarray(table["outputs"][output], dtype=float), np.nan)
    y = np.asarray(display(output, y), dtype=float)
    point = float(y[list(table["role"]).index("point")])
    rows = {}
    for k, (role, group) in enumerate(zip(table["role"], table["group"])):
        if role.startswith("OAT"):
            key = keys[int(group)]
            side = "lo" if role.endswith("lo") else "hi"
            rows.setdefault(key, {})[side] = (float(table["inputs"][key][k]), float(y[k]))
    swing2 = {k: (r["hi"][1] - r["lo"][1]) ** 2 for k, r in rows.items() if len(r) == 2}
    total = np.nansum(list(swing2.values()))
    ranked = sorted(swing2, key=lambda k: -np.nan_to_num(swing2[k], nan=-1.0))[:top]
    return point, [(k, rows[k]["lo"][0], rows[k]["hi"][0], rows[k]["lo"][1], rows[k]["hi"][1],
                    swing2[k] / total if total > 0 else float("nan")) for k in ranked]


def design_lines(stdout: str) -> list[str]:
    """The result lines `cellsim design` prints (message, design, binding, table, constraints)."""
    keep, table = [], False
    for line in stdout.splitlines():
        if line.startswith(("design:", "binding:", "unbounded within", "least-infeasible", "level ", "lumped (search)",
                            "axisymmetric (re-run)", "  ", "axisymmetric re-run failed")) \
                or "optim" in line.lower() or "infeasible" in line.lower():
            if not line.startswith("wrote"):
                keep.append(line.rstrip())
        table = table or line.startswith("level ")
    return keep


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    if 99.0 < x < 100.0:  # a purity in wt%: the digits that differ
        return f"{x:.5f}"
    return f"{x:.6g}" if abs(x) >= 100 else f"{x:.4g}"


def interval_table(ivs: dict, samples: int) -> list[str]:
    """Markdown rows of a study's median and 5-95 % interval per output."""
    return ["| output | unit | median | 5 % | 95 % | pots |", "|---|---|---|---|---|---|"] + [
        f"| {k} | {v['unit']} | {_fmt(v['median'])} | {_fmt(v['p5'])} | {_fmt(v['p95'])} "
        f"| {v['cases']} of {samples} |" for k, v in ivs.items()]


ALL_STUDIES = {"a", "oat", "v", "b", "c"}


def _sections(lines: list[str]) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """(head, {"## title": body lines}, tail): a generated doc cut at its "## " headings; the
    tail is the closing "Load average at the end" line."""
    head, sections, tail, current = [], {}, [], None
    for line in lines:
        if line.startswith("Load average at the end"):
            tail.append(line)
        elif line.startswith("## "):
            current = line
            sections[current] = []
        elif current is None:
            head.append(line)
        else:
            sections[current].append(line)
    return head, sections, tail


def splice(old: list[str], new: list[str], stamp: str) -> list[str]:
    """The existing doc ``old`` with each section of the partial run ``new`` put in place of
    the section of the same title (appended if new), stamped; the rest is kept as it was."""
    head, sections, tail = _sections(old)
    _, fresh, _ = _sections(new)
    for title, body in fresh.items():
        sections[title] = ["", stamp, "", *body[1:]] if body and body[0] == "" else [stamp, *body]
    out = list(head)
    for title, body in sections.items():
        out += [title, *body]
    return out + tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="a,oat,v,b,c",
                        help="studies to run: a (3 kA LHS), oat (its screening), v (500 A LHS), b, c")
    parser.add_argument("--samples", type=int, default=64, help="LHS samples of the 3 kA study")
    parser.add_argument("--samples-500", type=int, default=32, help="LHS samples of the 500 A study")
    parser.add_argument("--maxiter", type=int, default=40, help="design evaluations")
    parser.add_argument("--workers", type=int, default=None, help="sweep workers (default: all CPUs)")
    parser.add_argument("--work", type=Path, default=Path("uq-research"), help="scratch folder")
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--json", type=Path, default=VALIDATION)
    parser.add_argument("--resume", action="store_true",
                        help="keep --work and continue its interrupted UQ studies")
    parser.add_argument("--quick", action="store_true", help="16 / 8 samples, no screening, 8 design evaluations")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.samples_500, args.maxiter = 16, 8, 8
    only = set(args.only.split(","))
    work = args.work.resolve()
    if work.exists() and not args.resume:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    jobs = ["--workers", str(args.workers)] if args.workers else []
    uq_common = ["--level", "lumped", "--time-step", TIME_STEP, "-q"] + jobs + (
        ["--resume"] if args.resume else [])
    commit = git("rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load0 = os.getloadavg()
    md = ["# Research answers of issue 18, generated", "",
          f"Generated by `python benchmarks/uq_research.py{' --quick' if args.quick else ''}` on "
          f"{date} at commit {commit}{dirty}; {os.cpu_count()} CPUs, load average "
          f"{load0[0]:.1f} at the start. Do not edit: re-run the script (docs/uq.md, section 4, "
          "says what the numbers mean). All studies at the lumped level with field-calibrated "
          f"heat paths and {TIME_STEP} steps; design optima re-run at the axisymmetric level.", ""]
    study_json = {"format": "cellsim-rusal-uq", "date": date, "commit": commit + dirty,
                  "level": "lumped", "method": "lhs", "time_step": TIME_STEP, "cells": {}}
    if args.json.exists():  # keep the other cell's entry when only one study runs
        try:
            old = json.loads(args.json.read_text())
            study_json["cells"].update(old.get("cells", {}))
        except ValueError:
            pass

    def lhs(cell: str, samples: int, tag: str) -> tuple[dict, dict, float, str]:
        log: list[str] = []
        cmd = ["uq", cell, "--samples", str(samples), "-o", tag] + uq_common
        stamp = work / tag / "COMMIT"
        if args.resume and (work / tag / "uq.csv").exists() and stamp.exists():
            # a finished study (of the commit in its stamp): read, do not re-run
            ran_at, _, wall = stamp.read_text().strip().partition(" ")
            study_json["commit"] = ran_at
            return (read_intervals(work / tag), read_ranking(work / tag), float(wall or "nan"),
                    shlex.join(["cellsim", *cmd]) + f"  (run earlier at commit {ran_at})")
        out, wall, rc = cellsim(cmd, work, log)
        if rc != 0:
            raise SystemExit(f"{log[-1]} failed (exit {rc})")
        stamp.write_text(f"{commit}{'+' if dirty else ''} {wall:.0f}\n")
        return read_intervals(work / tag), read_ranking(work / tag), wall, log[-1]

    if "a" in only:
        ivs, ranks, wall, shown = lhs("rusal-3kA", args.samples, "a-lhs")
        study_json["cells"]["rusal-3kA"] = {"cases": args.samples, "intervals": ivs,
                                            "command": shown}
        md += ["## (a) The 3 kA reference cell: kWh/t and purity with intervals", "",
               f"`{shown}`: {wall:.0f} s (load average {os.getloadavg()[0]:.1f} after).", "",
               *interval_table(ivs, args.samples)]
        for name, (method, floor, rows) in ranks.items():
            md += ["", f"Given-data ranking of {name} ({method}; noise floor {floor:.3g}): "
                   + ", ".join(f"{k} {s:.3g}" for k, s in rows[:6]) + "."]
        log: list[str] = []
        if args.quick:  # the screening has 1 + 2d cases whatever the budget
            only.discard("oat")
        _, wall, rc = (cellsim(["uq", "rusal-3kA", "--method", "oat", "-o", "a-oat"] + uq_common,
                               work, log) if "oat" in only else ("", 0.0, -1))
        if rc != -1:
            md += ["", f"One-at-a-time screening: `{log[-1]}` ({wall:.0f} s, exit {rc}).", ""]
        if rc == 0:
            for output in ("specific_energy", "product_al", "mean_heater_power"):
                point, rows = oat_swings(work / "a-oat", output)
                md += [f"| {output} (point {_fmt(point)}): input | value at 5 % / 95 % | "
                       "output at 5 % / 95 % | share |", "|---|---|---|---|"]
                md += [f"| {k} | {_fmt(lo)} / {_fmt(hi)} (SI) | {_fmt(ylo)} / {_fmt(yhi)} | {s:.2g} |"
                       for k, lo, hi, ylo, yhi, s in rows]
                md.append("")
    if "v" in only:
        ivs, _, wall, shown = lhs("rusal-500A", args.samples_500, "v-500A")
        study_json["cells"]["rusal-500A"] = {"cases": args.samples_500, "intervals": ivs,
                                             "command": shown}
        md += ["## The 500 A reference cell (validation intervals)", "",
               f"`{shown}`: {wall:.0f} s.", "",
               *interval_table(ivs, args.samples_500)]
        md.append("")
    if "a" in only or "v" in only:
        args.json.write_text(json.dumps(study_json, indent=1) + "\n")
        print(f"wrote {args.json}")
    for tag, title, cmd in (("b", "(b) A 500 A pot at 9 MWh/t, self-heated (insulation free)", DESIGN_B),
                            ("b", "(b') The same with the side insulation capped at 0.40 m, lid and "
                                  "bottom as built", DESIGN_B2),
                            ("c", "(c) The lowest kWh/t of the 3 kA pot in spec with UBC", DESIGN_C)):
        if tag not in only:
            continue
        log = []
        folder = f"{tag}-{len(md)}"
        out, wall, rc = cellsim(cmd + ["--maxiter", str(args.maxiter), "-o", folder], work, log)
        md += [f"## {title}", "", f"`{log[-1]}`: {wall:.0f} s, "
               f"exit {rc} ({'feasible optimum' if rc == 0 else 'infeasible' if rc == 1 else 'error'}).",
               "", "```", *design_lines(out), "```", ""]
    md.append(f"Load average at the end: {os.getloadavg()[0]:.1f}.")
    if study_json["commit"] != commit + dirty:  # a reused study ran at another commit
        md[2] += f" The UQ studies read from --work ran at commit {study_json['commit']}."
    if only < ALL_STUDIES and args.doc.exists():  # a partial run replaces its own sections
        stamp = f"Regenerated alone on {date} at commit {commit}{dirty} (load average {load0[0]:.1f})."
        md = splice(args.doc.read_text().splitlines(), md, stamp)
    args.doc.write_text("\n".join(md) + "\n")
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
