"""Time-step study of the campaign integrator (issue 17): every headline output against dt.

Run: python benchmarks/time_step_study.py [--cell rusal-3kA] [--level axisymmetric]
     [--days D] [--dts 0.5 1 2 3 6] [--set KEY=VALUE ...] [--out FILE]
Runs the campaign at each time step (hours; ``schedule.time_step``), prints one row per step
with the headline outputs (kWh/t Al, mean cell voltage, mean heater power, CE, product Al and
each impurity of the product, campaign length, mean melt temperature, taps in spec) and, for
every output, its difference to the finest step, the observed order p of the successive
halvings in the list (p = log2((f(4h) - f(2h)) / (f(2h) - f(h)))) and the Richardson
extrapolation to dt -> 0 from the two finest steps at the observed order (p = 1 when the
observed order is not defined). Writes the rows as JSON (default
benchmarks/results/time_step_<cell>_<level>.json). Without --days the campaign runs to its
own stop criterion (the default run of ``cellsim run``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.elements import IMPURITIES


def headline(result) -> dict[str, float]:
    s = result.summary
    out = {
        "kWh/t": s["specific_energy"] / 3.6e3,
        "U [V]": s["mean_cell_voltage"],
        "heater [W]": s["mean_heater_power"],
        "CE": s["current_efficiency"],
        "1-Al [ppm]": (1.0 - s["product_al"]) * 1e6,
        **{f"{e} [ppm]": s[f"product_{e}"] * 1e6 for e in IMPURITIES},
        "days": s["campaign_length"] / 86400.0,
        "T [degC]": s["mean_temperature"] - 273.15,
        "taps in spec": float(s["taps_in_spec"]),
        "taps": float(s["taps"]),
        "renewals": float(s.get("electrolyte_renewals", math.nan)),
    }
    return out


def run(cell: str, level: str, days: float | None, dt_h: float, extra: list[str]) -> dict:
    ov = [f'numerics.model="{level}"', f'schedule.time_step="{dt_h:g} h"'] + extra
    if days is not None:
        ov.append(f'schedule.duration="{days:g} d"')
    cfg = load_config(cell, ov)
    load = os.getloadavg()[0]
    c = time.process_time()
    r = run_campaign(cfg)
    cpu = time.process_time() - c
    return {"dt_h": dt_h, "cpu_s": cpu, "load": load, "stop": r.stop_reason, **headline(r)}


def analyse(rows: list[dict]) -> dict[str, dict]:
    """Per output: observed orders from each halving triple and the Richardson estimate."""
    by = {r["dt_h"]: r for r in rows}
    keys = [k for k in rows[0] if k not in ("dt_h", "cpu_s", "load", "stop")]
    fine = min(by)
    out = {}
    for k in keys:
        orders = {}
        for h in sorted(by):
            if 2 * h in by and 4 * h in by:
                d1, d2 = by[2 * h][k] - by[h][k], by[4 * h][k] - by[2 * h][k]
                orders[h] = math.log2(d2 / d1) if d1 != 0 and d2 / d1 > 0 else math.nan
        p = orders.get(fine, math.nan)
        f1, f2 = by[fine][k], by.get(2 * fine, {}).get(k, math.nan)
        q = p if math.isfinite(p) and p > 0.3 else 1.0
        extrap = f1 + (f1 - f2) / (2.0 ** q - 1.0)
        out[k] = {"orders": orders, "p_used": q, "extrapolated": extrap,
                  "rel_to_extrap": {h: (by[h][k] - extrap) / extrap if extrap else math.nan
                                    for h in sorted(by)}}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cell", default="rusal-3kA")
    ap.add_argument("--level", default="axisymmetric")
    ap.add_argument("--days", type=float, default=None)
    ap.add_argument("--dts", type=float, nargs="+", default=[0.5, 1, 2, 3, 6])
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    run_campaign(load_config(a.cell, [f'numerics.model="{a.level}"', 'schedule.duration="6 h"']))
    rows = []
    for dt in sorted(a.dts):
        rows.append(run(a.cell, a.level, a.days, dt, a.set))
        r = rows[-1]
        print(json.dumps({k: (round(v, 9) if isinstance(v, float) else v) for k, v in r.items()}),
              flush=True)
    res = analyse(rows)
    for k, v in res.items():
        rel = " ".join(f"{h:g}h:{x:+.2e}" for h, x in v["rel_to_extrap"].items())
        ords = " ".join(f"{h:g}:{p:.2f}" for h, p in v["orders"].items())
        print(f"{k:14s} extrap {v['extrapolated']:.9g} (p {v['p_used']:.2f}) | {rel} | orders {ords}")
    out = Path(a.out or Path(__file__).parent / "results" / f"time_step_{a.cell}_{a.level}.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "analysis": res}, indent=1, default=str))


if __name__ == "__main__":
    main()
