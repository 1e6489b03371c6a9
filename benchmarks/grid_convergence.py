"""Grid convergence of the headline outputs (issue 17): each field level at its default grid
against the same run on a grid refined 2x in every direction (``numerics.resolution``).

Run: python benchmarks/grid_convergence.py [--level axisymmetric 3d] [--days 10]
       [--pairs default:fine] [--steady 0.5 1 2 4 8] [--flows] [--parts] [--no-campaign]
       [--cell rusal-3kA] [--set 'KEY=VALUE' ...]

Three parts:

* ``--steady SCALES``: the steady start of the pot (current and heat iterated to the set
  point, the state every campaign starts from) on the grids scaled by each factor (1 =
  ``default``, 2 = ``fine``; other factors are added to cellsim.fields.pot.RESOLUTIONS for
  this process; the graded r-z mesh takes whole factors, each cell split into that many, and
  0.5, pairs merged). Prints per grid the heater power, the total heat loss and each loss group,
  the difference to the next finer grid (heater also relative to the total loss: the heater
  closes the heat balance, so it carries the whole discretisation error of the losses), the
  observed order log2(d1/d2) from three consecutive grids, and a Richardson estimate of the
  grid-independent heater at that order. With ``--flows`` also the heat flows between the
  regions and out of them (cellsim.fields.heat_diagnostics.region_flows) on every grid, their
  differences between successive grids and observed orders: where the losses' error is.
* ``--parts`` (r-z): the steady start's heater on the default grid with one graded part at a
  time split in two along its axis (cellsim.fields.pot.PART_SPLIT), against the default and its
  2x grid: how much of the default's difference to its 2x each part holds (the changes add up
  to about that difference when the parts' errors are independent), the cells each split adds
  and the heater change per 1000 added cells (where cells buy the most).
* the campaign pairs (``--pairs lo:hi``, default "default:fine"): specific energy [kWh/t],
  mean heater power [kW], current efficiency and product purity (mass fraction of Al in the
  tapped product) of a ``--days`` campaign at each resolution, their relative differences and
  the wall and CPU time of each run. A pair "coarse:default" measures the 2x step just below
  the default where the refined run is too expensive (3D: "fine" has 8x the cells).

``--set`` passes configuration overrides to every run (as ``cellsim run --set``), e.g. a
material's conductivity changed to see which contrast the heater's grid error comes from.
Prints the load average at the start and end. Writes benchmarks/results/grid_convergence.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import time
from pathlib import Path

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.convergence import estimate
from cellsim.fields import pot as potmod
from cellsim.fields.heat_diagnostics import region_flows
from cellsim.models import make_model

NAMES = {0.5: "coarse", 1.0: "default", 2.0: "fine"}


def headline(summary: dict) -> dict:
    return {"specific_energy_kWh_t": summary["specific_energy"] / 3.6e3,
            "heater_kW": summary["mean_heater_power"] / 1e3,
            "current_efficiency": summary["current_efficiency"],
            "purity": summary["product_al"]}


def config_at(cell: str, level: str, scale: float, extra=()):
    """The configuration of ``cell`` at ``level`` on the grid scaled by ``scale``."""
    name = NAMES.get(scale)
    if name is None:
        name = f"x{scale:g}"
        potmod.RESOLUTIONS[name] = scale
    cfg = load_config(cell, [f'numerics.model="{level}"', *extra])
    return dataclasses.replace(cfg, numerics=dataclasses.replace(cfg.numerics, resolution=name))


def steady_sequence(cell: str, level: str, scales: list, flows: bool = False, extra=()) -> dict:
    rows = []
    for s in scales:
        t = time.perf_counter()
        model = make_model(config_at(cell, level, s, extra))
        th = model.physics.thermal
        b = th.balance
        rows.append({"scale": s, "shape": list(model.physics.mesh.pot.grid.shape),
                     "heater_W": b.heater, "total_loss_W": b.total_loss, "losses_W": dict(b.losses),
                     "voltage_V": model.derived.cell_voltage, "wall_s": time.perf_counter() - t})
        r = rows[-1]
        print(f"{level} x{s:g} {tuple(r['shape'])}: heater {r['heater_W']:.2f} W, loss "
              f"{r['total_loss_W']:.2f} W (" + ", ".join(f"{k} {v:.2f}" for k, v in r["losses_W"].items())
              + f"), {r['voltage_V']:.6f} V, {r['wall_s']:.1f} s", flush=True)
        if flows:
            r["flows_W"] = {" | ".join(k): v for k, v in region_flows(th.heat_solver, th.heat_state).items()}
    if flows:
        print_flows(rows)
    print(f"{'grid':>8} {'heater W':>9} {'to 2x W':>8} {'% heater':>9} {'% loss':>8} {'order':>6}")
    for i, r in enumerate(rows):
        line = f"{'x%g' % r['scale']:>8} {r['heater_W']:9.2f}"
        if i + 1 < len(rows) and rows[i + 1]["scale"] == 2 * r["scale"]:
            d = r["heater_W"] - rows[i + 1]["heater_W"]
            r["heater_minus_2x_W"] = d
            r["rel_heater"] = d / rows[i + 1]["heater_W"]
            r["rel_total_loss"] = d / rows[i + 1]["total_loss_W"]
            line += f" {d:8.2f} {100 * r['rel_heater']:+8.2f}% {100 * r['rel_total_loss']:+7.3f}%"
            if i + 2 < len(rows) and "heater_minus_2x_W" in rows[i]:
                d2 = rows[i + 1]["heater_W"] - rows[i + 2]["heater_W"]
                if d * d2 > 0:
                    r["order"] = math.log2(d / d2)
                    line += f" {r['order']:6.2f}"
        print(line)
    # Richardson from the three finest grids (when they are successive 2x refinements), as
    # `cellsim converge` makes it (cellsim.convergence.estimate: the order capped at 2)
    if len(rows) >= 3 and "order" in rows[-3]:
        e = estimate([r["heater_W"] for r in rows[-3:]], 2.0, 2.0)
        est = e.extrapolated
        print(f"Richardson (order {e.order:.2f}, {e.condition}): heater {est:.1f} W; error of each grid: "
              + ", ".join(f"x{r['scale']:g} {100 * (r['heater_W'] - est) / est:+.2f}%" for r in rows)
              + "; GCI of the three finest: " + ", ".join(f"{100 * g:.2f}%" for g in e.gci))
        return {"rows": rows, "richardson_heater_W": est, "richardson_order": e.order, "gci": e.gci}
    return {"rows": rows}


def part_splits(cell: str, level: str = "axisymmetric", extra=()) -> dict:
    """Steady-start heater with each graded r-z part split in two (``--parts``)."""
    if level != "axisymmetric":
        raise SystemExit("--parts is for the r-z level (its graded parts)")

    def steady():
        model = make_model(config_at(cell, level, 1.0, extra))
        shape = model.physics.mesh.pot.grid.shape
        return model.physics.thermal.balance.heater, shape[0] * shape[2]

    base, n0 = steady()
    fine = make_model(config_at(cell, level, 2.0, extra)).physics.thermal.balance.heater
    print(f"r-z parts: default {base:.2f} W ({n0} cells), 2x {fine:.2f} W, 2x - default "
          f"{fine - base:+.2f} W", flush=True)
    r_names, z_names = potmod.rz_part_names(load_config(cell, [f'numerics.model="{level}"', *extra]))
    rows, total = [], 0.0
    print(f"{'part split in two':24s} {'cells':>7s} {'heater W':>9s} {'change W':>9s} {'W/1000 cells':>12s}")
    for axis, names in (("r", r_names), ("z", z_names)):
        for name in names:
            potmod.PART_SPLIT.clear()
            potmod.PART_SPLIT[name] = 2
            try:
                h, n = steady()
            finally:
                potmod.PART_SPLIT.clear()
            d = h - base
            total += d
            rows.append({"axis": axis, "part": name, "cells": n, "heater_W": h, "change_W": d})
            print(f"{axis + ' ' + name:24s} {n:7d} {h:9.2f} {d:+9.2f} {1000 * d / (n - n0):12.2f}", flush=True)
    print(f"sum of the parts' changes {total:+.2f} W against 2x - default {fine - base:+.2f} W")
    return {"default_W": base, "fine_W": fine, "cells": n0, "parts": rows, "sum_W": total}


def print_flows(rows: list) -> None:
    """Each region-to-region flow (and outward loss) on every grid, the differences between
    successive grids and the observed orders log2(d1/d2)."""
    keys = sorted(set().union(*(r["flows_W"] for r in rows)))
    print(f"{'flow [W], a | b = from a to b':38s}" + "".join(f"{'x%g' % r['scale']:>10s}" for r in rows)
          + "   differences to the next grid, observed orders")
    for key in keys:
        v = [r["flows_W"].get(key, math.nan) for r in rows]
        d = [v[i] - v[i + 1] for i in range(len(v) - 1)]
        o = [math.log2(d[i] / d[i + 1]) if d[i] * d[i + 1] > 0 else math.nan for i in range(len(d) - 1)]
        print(f"{key:38s}" + "".join(f"{x:10.2f}" for x in v) + "  " + " ".join(f"{x:+8.2f}" for x in d)
              + "  " + " ".join(f"{x:5.2f}" for x in o))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--level", nargs="*", default=["axisymmetric"])
    ap.add_argument("--days", type=float, default=10.0)
    ap.add_argument("--pairs", nargs="*", default=["default:fine"])
    ap.add_argument("--steady", nargs="*", type=float, default=[])
    ap.add_argument("--flows", action="store_true", help="region-to-region heat flows per grid (--steady)")
    ap.add_argument("--parts", action="store_true", help="heater change per r-z part split in two")
    ap.add_argument("--no-campaign", action="store_true")
    ap.add_argument("--cell", default="rusal-3kA")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="configuration override for every run (repeatable)")
    args = ap.parse_args()
    out = {"cell": args.cell, "days": args.days, "set": args.set, "load_average_start": os.getloadavg()}
    print("load average", os.getloadavg(), flush=True)
    for level in args.level:
        if args.steady:
            out[f"{level} steady"] = steady_sequence(args.cell, level, sorted(args.steady), args.flows, args.set)
        if args.parts:
            out[f"{level} parts"] = part_splits(args.cell, level, args.set)
    if not args.no_campaign:
        for level, pair in zip(args.level, args.pairs * len(args.level)):
            lo, hi = pair.split(":")
            row = {}
            for res in (lo, hi):
                cfg = load_config(args.cell, [f'numerics.model="{level}"', f'numerics.resolution="{res}"',
                                              f'schedule.duration="{args.days} d"', *args.set])
                t, c = time.perf_counter(), time.process_time()
                r = run_campaign(cfg)
                row[res] = dict(headline(r.summary), wall_s=time.perf_counter() - t,
                                cpu_s=time.process_time() - c, load=os.getloadavg()[0])
            row["rel_diff"] = {k: (row[lo][k] - row[hi][k]) / row[hi][k] for k in headline(r.summary)}
            out[f"{level} {pair}"] = row
            print(level, pair, json.dumps(row, indent=1), flush=True)
    out["load_average_end"] = os.getloadavg()
    print("load average", os.getloadavg())
    path = Path(__file__).with_name("results")
    path.mkdir(exist_ok=True)
    (path / "grid_convergence.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
