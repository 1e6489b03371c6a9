"""Re-run the reproducer commands of issue 14 as a user would (the `cellsim` executable next to
this Python, in a scratch folder) and print a Markdown table of the outcomes for docs/trust.md::

    python benchmarks/trust_reproducers.py [--only WORD]

Each row: the command, the exit code, the first line of its message, and whether the outcome
is one the issue asks for (a clean error naming the key or file, a window stop, a refusal of a
second writer; never a traceback, never a result outside the window with exit 0).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

L = ["--set", 'numerics.model="lumped"']

# (label, args or callable(work) -> args, acceptable exit codes, words the output must contain)
CASES = [
    ("1e-9 A for 1500 d", ["run", "rusal-3kA", *L, "--set", 'operation.current="1e-9 A"', "--set",
                           'schedule.duration="1500 d"', "--set", 'schedule.time_step="1 d"'],
     {3}, "operating window"),
    ("cavity radius 20 m", ["run", "rusal-3kA", *L, "--set", 'geometry.inner_radius="20 m"'],
     {3}, "operating window"),
    ("ACD 8 cm self-heats hot", ["run", "rusal-3kA", *L, "--set", 'geometry.acd="8 cm"'],
     {3}, "overheats"),
    ("4.5 kA self-heats hot", ["run", "rusal-3kA", *L, "--set", 'operation.current="4.5 kA"'],
     {3}, "overheats"),
    ("ACD 1 mm", ["check", "rusal-3kA", "--set", 'geometry.acd="1 mm"'], {2}, "geometry.acd"),
    ("ACD 90 cm", ["check", "rusal-3kA", "--set", 'geometry.acd="90 cm"'], {2}, "geometry.acd"),
    ("1000 rods (lumped)", ["check", "rusal-3kA", *L, "--set", "collectors.rod_count=1000"], {2},
     "collectors.rod_count"),
    ("metallic yield 5e-324", ["check", "rusal-3kA", "--set", "scrap.metallic_yield=5e-324"], {2},
     "scrap.metallic_yield"),
    ("campaign ends before its first tap",
     ["run", "rusal-3kA", *L, "--set", 'schedule.max_temperature="755 degC"'], {0}, "n/a"),
    ("12 kA, axisymmetric", ["run", "rusal-3kA", "--set", 'operation.current="12 kA"', "--set",
                             'numerics.resolution="coarse"', "--set", 'schedule.duration="1 d"'],
     {1, 3}, "overheat"),
    ("2 A/cm2 at 1 cm ACD", ["check", "rusal-3kA", "--set", 'geometry.acd="1 cm"', "--set",
                             'operation.current="12 kA"'], {2}, "geometry.acd"),
    ("metals too conductive", ["check", "rusal-3kA", "--set",
                               'cathode_metal.resistivity="1e-12 uohm cm"'], {2},
     "cathode_metal.resistivity"),
    ("3D grid of 121 M cells", ["check", "rusal-3kA", "--set", 'numerics.model="3d"', "--set",
                                'geometry.inner_radius="20 m"', "--set", 'numerics.resolution="fine"'],
     {2}, "numerics.max_cells"),
    ("1e11 rods at 3D", ["check", "rusal-3kA", "--set", 'numerics.model="3d"', "--set",
                         "collectors.rod_count=100000000000", "--set", 'collectors.rod_diameter="1 um"'],
     {2}, "numerics.max_cells"),
    ("1e12 d in 1 s steps", ["check", "rusal-3kA", "--set", 'schedule.duration="1e12 d"', "--set",
                             'schedule.time_step="1 s"'], {2}, "schedule.time_step"),
    ("record every 1 s", ["check", "rusal-3kA", "--set", 'schedule.time_step="10 s"', "--set",
                          'schedule.tap_interval="1 h"', "--set", 'numerics.record_interval="1 s"'],
     {2}, "numerics.record_interval"),
    ("checkpoint every 10 s", ["check", "rusal-3kA", "--set", 'schedule.time_step="10 s"', "--set",
                               'schedule.tap_interval="1 h"', "--set",
                               'numerics.checkpoint_interval="10 s"'], {2}, "numerics.checkpoint_interval"),
    ("meta.name = ../../x", ["run", "rusal-3kA", *L, "-q", "--set", 'schedule.duration="1 d"', "--set",
                             'meta.name="../../x"'], {0}, ""),
    ("current program: missing file", ["check", "rusal-3kA", "--set", 'schedule.current_program="csv"',
                                       "--set", 'schedule.current_file="missing.csv"'], {2},
     "schedule.current_file"),
    ("current program: NaN time", lambda w: ["check", "rusal-3kA", "--set",
                                             'schedule.current_program="csv"', "--set",
                                             f'schedule.current_file="{_write(w, "nan.csv", "time [d], current [kA]" + chr(10) + "0, 3" + chr(10) + "nan, 3" + chr(10))}"'],
     {2}, "schedule.current_file"),
    ("current program: negative", lambda w: ["check", "rusal-3kA", "--set",
                                             'schedule.current_program="csv"', "--set",
                                             f'schedule.current_file="{_write(w, "neg.csv", "time [d], current [kA]" + chr(10) + "0, 3" + chr(10) + "1, -3" + chr(10))}"'],
     {2}, "schedule.current_file"),
    ("cathode metal Cu=100", ["check", "rusal-3kA", "--set",
                              "cathode_metal.initial_composition_wt_pct={Cu=100}"], {2},
     "cathode_metal.initial_composition_wt_pct"),
    ("length 1e-300 m", ["check", "rusal-3kA", "--set", 'geometry.anode_alloy_depth="1e-300 m"'], {2},
     "geometry.anode_alloy_depth"),
    ("unit km^400", ["check", "rusal-3kA", "--set", 'geometry.acd="1 km^400"'], {2}, "geometry.acd"),
    ("nested parentheses in a unit", ["check", "rusal-3kA", "--set", 'geometry.acd="1 ' + "(" * 600 + 'cm"'],
     {2}, "geometry.acd"),
    ("invalid UTF-8 config", lambda w: ["check", _write(w, "utf.toml", b'extends = "rusal-3kA"\n[meta]\nname = "\xff\xfe"\n')],
     {2}, "<encoding>"),
    ("deep nesting", lambda w: ["check", _write(w, "deep.toml", 'extends = "rusal-3kA"\nx = ' + "[" * 2000 + "]" * 2000 + "\n")],
     {2}, "<syntax>"),
    ("unwritable output", ["run", "rusal-3kA", *L, "-o", "/proc/cellsim-x.h5"], {2}, "/proc"),
    # one argument holds at most 128 kB on Linux: 100 kB
    ("100 kB value echoed", ["check", "rusal-3kA", "--set", f'geometry.acd="{"9" * 100000} kg"'], {2},
     "geometry.acd"),
]


def _write(work: Path, name: str, text) -> str:
    path = work / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="rows whose label contains this word")
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("cellsim")
    cmd0 = [str(exe)] if exe.exists() else [sys.executable, "-m", "cellsim.cli"]
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    rows, bad = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "a" / "b"
        work.mkdir(parents=True)
        for label, argv, codes, words in CASES:
            if args.only and args.only not in label:
                continue
            argv = argv(work) if callable(argv) else argv
            start = time.perf_counter()
            proc = subprocess.run(cmd0 + argv, cwd=work, env=env, capture_output=True, text=True,
                                  errors="replace", timeout=900)
            wall = time.perf_counter() - start
            out = (proc.stdout + proc.stderr).strip()
            lines = [ln for ln in out.splitlines() if ln.strip()]
            first = next((ln for ln in lines if ln.startswith(("error", "OUTSIDE", "stopped", "the "))
                          or "window" in ln or "overheat" in ln), lines[0] if lines else "")
            ok = (proc.returncode in codes and "Traceback" not in out and words in out
                  and len(out) < 20000 and "nan " not in out.lower())
            if label.startswith("meta.name"):  # the result stays in the working folder
                ok = ok and not (Path(tmp) / "x").exists() and any(work.glob("x-*.h5"))
            bad += not ok
            shown = shlex.join(["cellsim", *argv]).replace(str(work), ".")
            if len(shown) > 160:
                shown = shown[:150] + " ...'"
            first = first.replace(str(work), ".")[:200].replace("|", "\\|")
            rows.append(f"| {label} | `{shown}` | {proc.returncode} | {first} | "
                        f"{'yes' if ok else 'NO'} | {wall:.1f} |")
            print(rows[-1], flush=True)
    print("\n| reproducer | command | exit | message (first line) | as asked | s |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{len(rows) - bad} of {len(rows)} as asked")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
