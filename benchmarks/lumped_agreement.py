"""Lumped level with field-calibrated heat paths against the axisymmetric level (docs/uq.md,
section 1): kWh/t, heater (booked energy over the campaign) and melt temperature of both
reference cells (whole default campaigns and 4 days) and the corners of the ACD-current sweep
(configs/sweeps/acd-current.toml: ACD 3 / 6 cm, 0.35 / 0.65 A/cm2 over the 0.6 m2 cavity,
40 days)::

    NUMBA_NUM_THREADS=1 python benchmarks/lumped_agreement.py            # all rows (~8 min)
    python benchmarks/lumped_agreement.py "3kA 4d,500A 4d"               # some rows
    python benchmarks/lumped_agreement.py --remesh "0.25 mm"             # + the field remeshed finer
    python benchmarks/lumped_agreement.py --sweep --remesh "0.25 mm"     # all 20 sweep points

Prints one markdown row per case (a case both levels refuse is reported with the message).
With ``--remesh LENGTH`` each case also runs the axisymmetric level with
``numerics.remesh_threshold`` = LENGTH (default 10 mm, the grid placed ahead of the layers:
between two rebuilds its metal sits up to 5 mm above or below the inventories' depth, which
the lumped level uses every step; docs/campaign.md, Moving layers) and prints the lumped
level's differences from that field too.
"""

from __future__ import annotations

import argparse
import time
import tomllib
from pathlib import Path

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.units import ZERO_CELSIUS

SWEEP = 'schedule.duration="40 d"'
CASES = {
    "3kA whole": ("rusal-3kA", ()),
    "3kA 4d": ("rusal-3kA", ('schedule.duration="4 d"',)),
    "500A whole": ("rusal-500A", ()),
    "500A 4d": ("rusal-500A", ('schedule.duration="4 d"',)),
    "3cm 2.1kA": ("rusal-3kA", ('geometry.acd="3 cm"', 'operation.current="2.1 kA"', SWEEP)),
    "3cm 3.9kA": ("rusal-3kA", ('geometry.acd="3 cm"', 'operation.current="3.9 kA"', SWEEP)),
    "6cm 2.1kA": ("rusal-3kA", ('geometry.acd="6 cm"', 'operation.current="2.1 kA"', SWEEP)),
    "6cm 3.9kA": ("rusal-3kA", ('geometry.acd="6 cm"', 'operation.current="3.9 kA"', SWEEP)),
    "3cm 3.9kA 4d": ("rusal-3kA", ('geometry.acd="3 cm"', 'operation.current="3.9 kA"',
                                   'schedule.duration="4 d"')),
    "6cm 2.1kA 4d": ("rusal-3kA", ('geometry.acd="6 cm"', 'operation.current="2.1 kA"',
                                   'schedule.duration="4 d"')),
}
AREA = 0.6  # m2, the cavity of rusal-3kA (configs/sweeps/acd-current.toml)
SWEEP_FILE = Path(__file__).resolve().parents[1] / "configs" / "sweeps" / "acd-current.toml"


def sweep_cases() -> dict:
    """Every point of the ACD-current sweep's grid (its [parameters]), at the sweep's 40 days."""
    spec = tomllib.loads(SWEEP_FILE.read_text())
    acd = spec["parameters"]["geometry.acd"]
    lo, hi = (float(acd[k].split()[0]) for k in ("start", "stop"))
    acds = [lo + (hi - lo) * i / (acd["num"] - 1) for i in range(acd["num"])]
    cases = {}
    for a in acds:
        for j in spec["parameters"]["operation.current_density"]:
            # the sweep's current density times the 0.6 m2 cavity (cellsim.sweep.spec)
            kA = float(j.split()[0]) * 1e4 * AREA / 1e3
            cases[f"{a:g} cm, {j}"] = ("rusal-3kA", (f'geometry.acd="{a:g} cm"',
                                                     f'operation.current="{kA:.4g} kA"', SWEEP))
    return cases


LEVELS = {"axisymmetric": ('numerics.model="axisymmetric"',),
          "lumped": ('numerics.model="lumped"', 'numerics.heat_paths="field"')}


def run(cell: str, sets: tuple) -> dict | str:
    try:
        s = run_campaign(load_config(cell, list(sets))).summary
    except Exception as exc:  # a pot the level refuses (e.g. outside the operating window)
        return f"{type(exc).__name__}: {str(exc).split(':')[0]}"
    return {"kwh": s["specific_energy"] / 3.6e3, "heater": s["mean_heater_power"],
            "T": s["mean_temperature"] - ZERO_CELSIUS, "days": s["campaign_length"] / 86400}


def _diff(lu: dict, f: dict) -> str:
    dP = lu["heater"] - f["heater"]
    rel = f"{lu['heater'] / f['heater'] - 1:+.2%}" if f["heater"] > 0 else "field self-heated"
    return f"{lu['kwh'] / f['kwh'] - 1:+.2%}, {dP:+.1f} W ({rel}), {lu['T'] - f['T']:+.2f} K"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="?", default=",".join(CASES),
                        help="comma-separated case names (default: all)")
    parser.add_argument("--remesh", default=None,
                        help="also run the field with this numerics.remesh_threshold (e.g. '0.25 mm')")
    parser.add_argument("--sweep", action="store_true",
                        help="the 20 points of configs/sweeps/acd-current.toml instead of CASES")
    parser.add_argument("--part", default="1/1",
                        help="K/N: run every N-th case from the K-th (to split a run over processes)")
    parser.add_argument("--skip", type=int, default=0, help="skip the first cases of the part")
    args = parser.parse_args()
    cases = sweep_cases() if args.sweep else CASES
    names = list(cases) if args.sweep else args.cases.split(",")
    k, n = (int(x) for x in args.part.split("/"))
    names = names[k - 1::n][args.skip:]
    levels = dict(LEVELS)
    fine = f"axisymmetric, remesh {args.remesh}"
    if args.remesh:
        levels[fine] = LEVELS["axisymmetric"] + (f'numerics.remesh_threshold="{args.remesh}"',)
    head = "| case | axisymmetric: kWh/t, heater, melt T | lumped - axisymmetric: kWh/t, heater, melt T |"
    if args.remesh:
        head += f" {fine}: heater | lumped - {fine} |"
    print(head + " wall (s) |\n|---|---|---|" + ("---|---|" if args.remesh else "") + "---|")
    for name in names:
        cell, sets = cases[name]
        out, wall = {}, []
        for level, extra in levels.items():
            t = time.perf_counter()
            out[level] = run(cell, sets + extra)
            wall.append(time.perf_counter() - t)
        walls = " + ".join(f"{w:.0f}" for w in wall)
        f, lu = out["axisymmetric"], out["lumped"]
        if any(isinstance(v, str) for v in out.values()):
            print(f"| {name} | " + " | ".join(v if isinstance(v, str) else "ran" for v in out.values())
                  + f" | {walls} |", flush=True)
            continue
        row = (f"| {name}, {f['days']:.0f} d | {f['kwh']:.0f} kWh/t, {f['heater'] / 1e3:.3f} kW, "
               f"{f['T']:.2f} degC | {_diff(lu, f)} |")
        if args.remesh:
            g = out[fine]
            row += f" {g['heater'] / 1e3:.4f} kW | {_diff(lu, g)} |"
        print(row + f" {walls} |", flush=True)


if __name__ == "__main__":
    main()
