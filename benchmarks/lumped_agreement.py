"""Lumped level with field-calibrated heat paths against the axisymmetric level (docs/uq.md,
section 1): kWh/t, heater (booked energy over the campaign) and melt temperature of both
reference cells (whole default campaigns and 4 days) and the corners of the ACD-current sweep
(configs/sweeps/acd-current.toml: ACD 3 / 6 cm, 0.35 / 0.65 A/cm2 over the 0.6 m2 cavity,
40 days)::

    NUMBA_NUM_THREADS=1 python benchmarks/lumped_agreement.py            # all rows (~6 min)
    python benchmarks/lumped_agreement.py "3kA 4d,500A 4d"               # some rows

Prints one markdown row per case (a case both levels refuse is reported with the message).
"""

from __future__ import annotations

import sys
import time

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
LEVELS = {"axisymmetric": ('numerics.model="axisymmetric"',),
          "lumped": ('numerics.model="lumped"', 'numerics.heat_paths="field"')}


def run(cell: str, sets: tuple) -> dict | str:
    try:
        s = run_campaign(load_config(cell, list(sets))).summary
    except Exception as exc:  # a pot the level refuses (e.g. outside the operating window)
        return f"{type(exc).__name__}: {str(exc).split(':')[0]}"
    return {"kwh": s["specific_energy"] / 3.6e3, "heater": s["mean_heater_power"],
            "T": s["mean_temperature"] - ZERO_CELSIUS, "days": s["campaign_length"] / 86400}


def main() -> None:
    names = sys.argv[1].split(",") if len(sys.argv) > 1 else list(CASES)
    print("| case | axisymmetric: kWh/t, heater, melt T | lumped - axisymmetric: kWh/t, heater, "
          "melt T | wall (s) |\n|---|---|---|---|")
    for name in names:
        cell, sets = CASES[name]
        out, wall = {}, []
        for level, extra in LEVELS.items():
            t = time.perf_counter()
            out[level] = run(cell, sets + extra)
            wall.append(time.perf_counter() - t)
        f, lu = out["axisymmetric"], out["lumped"]
        walls = " + ".join(f"{w:.0f}" for w in wall)
        if isinstance(f, str) or isinstance(lu, str):
            print(f"| {name} | {f if isinstance(f, str) else 'ran'} | "
                  f"{lu if isinstance(lu, str) else 'ran'} | {walls} |", flush=True)
            continue
        print(f"| {name}, {f['days']:.0f} d | {f['kwh']:.0f} kWh/t, {f['heater'] / 1e3:.3f} kW, "
              f"{f['T']:.2f} degC | {lu['kwh'] / f['kwh'] - 1:+.2%}, {lu['heater'] - f['heater']:+.1f} W "
              f"({lu['heater'] / f['heater'] - 1:+.2%}), {lu['T'] - f['T']:+.2f} K | {walls} |",
              flush=True)


if __name__ == "__main__":
    main()
