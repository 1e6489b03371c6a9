"""Solution verification of one configuration (``cellsim converge``).

A run's figures carry a discretisation error that depends on the design: the reference cells'
grid study (docs/speed.md, "Grid convergence") says how far the default grid is from a finer
one for rusal-3kA, not for a researcher's own lining, scale or salt. This module runs one
configuration on systematically refined grids (``numerics.resolution``: each step refines 2x in
every direction) or time steps (``schedule.time_step``, a constant ratio), and for each headline
output reports

* the values and the relative change from each grid to the next finer one;
* the convergence condition and the observed order of convergence from the three finest
  levels, p = ln((f3 - f2) / (f2 - f1)) / ln r (f1 the finest, r the refinement ratio);
* a Richardson estimate of the converged value, f1 + (f1 - f2) / (r^p - 1), and each
  level's error against it;
* each level's grid convergence index, GCI = Fs |f - f_exact| / |f| [Roache1997]: an error band
  with the factor of safety Fs = 1.25 when three levels show monotone convergence, and Fs = 3
  with the scheme's nominal order (2 in space, 1 in time: backward Euler with a split step)
  when only two levels are run or the three do not converge monotonically. The band is an
  estimate (it covers the error in about 95 % of the cases Roache collected), not a bound: on
  pre-asymptotic levels whose observed order exceeds the asymptotic one it can fall short.

The order used for the estimate is the observed one capped at the nominal order (an order
above it would shrink the error band on what is usually an accident of pre-asymptotic
grids). Monotone convergence at an order far below the nominal one (below 0.5) is reported as
such: the levels are not in the asymptotic range, and the estimate says little.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from .config import load_config
from .fields.pot import RESOLUTIONS

NOMINAL_ORDER = {"grid": 2.0, "time-step": 1.0}
FS_THREE = 1.25  # factor of safety, three levels in monotone convergence [Roache1997]
FS_TWO = 3.0  # two levels, or no monotone convergence [Roache1997]
ROUND_OFF = 1e-12  # relative change treated as converged to round-off
PRE_ASYMPTOTIC = 0.5  # an observed order below this: the levels are not in the asymptotic range


@dataclass(frozen=True)
class Output:
    key: str  # the campaign summary's key (cellsim.results.CampaignResult.summary) or derived
    label: str
    unit: str  # of the printed value
    scale: float  # SI value x scale = printed value


OUTPUTS = (
    Output("specific_energy", "specific energy", "kWh/t", 1 / 3.6e3),
    Output("mean_heater_power", "mean heater power", "kW", 1e-3),
    Output("mean_cell_voltage", "mean cell voltage", "V", 1.0),
    Output("current_efficiency", "current efficiency", "1", 1.0),
    Output("product_impurity", "product impurity (1 - Al)", "ppm", 1e6),
)


def outputs_of(summary: dict) -> dict:
    """The headline outputs of a campaign summary (SI); the product's impurity is 1 - its Al
    fraction, the quantity whose relative error means something at 99.99 % Al."""
    out = {o.key: float(summary[o.key]) for o in OUTPUTS if o.key in summary}
    out["product_impurity"] = 1.0 - float(summary["product_al"])
    return out


@dataclass
class Estimate:
    """The convergence of one output over the levels (coarsest first)."""
    values: list[float]
    condition: str  # "monotone", "pre-asymptotic", "oscillatory", "divergent", "two levels", "round-off"
    observed_order: float | None
    order: float  # used for the estimate
    safety_factor: float
    extrapolated: float
    errors: list[float]  # relative error of each level against the extrapolated value
    gci: list[float]  # relative error band of each level
    changes: list[float] = field(default_factory=list)  # relative change to the next finer level


def estimate(values, ratio: float, nominal: float) -> Estimate:
    """Richardson extrapolation and GCI of ``values`` (coarsest first) on levels refined by
    ``ratio`` each, for a scheme of nominal order ``nominal``."""
    f = [float(v) for v in values]
    if len(f) < 2:
        raise ValueError("a convergence estimate needs at least two levels")
    if not ratio > 1:
        raise ValueError(f"the refinement ratio must be above 1, got {ratio!r}")
    if not all(math.isfinite(v) for v in f):
        nan = [math.nan] * len(f)
        return Estimate(f, "not finite", None, math.nan, math.nan, math.nan, nan, nan, nan[:-1])
    changes = [(f[i] - f[i + 1]) / f[i + 1] if f[i + 1] != 0 else math.nan for i in range(len(f) - 1)]
    f1, f2 = f[-1], f[-2]
    e21 = f2 - f1
    scale = max(abs(f1), abs(f2), 1e-300)
    observed = None
    if len(f) >= 3:
        e32 = f[-3] - f2
        if abs(e21) <= ROUND_OFF * scale and abs(e32) <= ROUND_OFF * scale:
            condition = "round-off"
        elif e32 == 0.0 or e21 / e32 < 0.0:
            condition = "oscillatory"
        elif abs(e21) >= abs(e32):
            condition = "divergent"
        else:
            observed = math.log(abs(e32) / abs(e21)) / math.log(ratio)
            condition = "monotone" if observed >= PRE_ASYMPTOTIC else "pre-asymptotic"
    else:
        condition = "round-off" if abs(e21) <= ROUND_OFF * scale else "two levels"
    if condition == "round-off":
        zero = [0.0] * len(f)
        return Estimate(f, condition, observed, nominal, 1.0, f1, zero, zero, changes)
    if condition in ("monotone", "pre-asymptotic"):
        p, fs = min(observed, nominal), FS_THREE
    else:
        p, fs = nominal, FS_TWO
    exact = f1 - e21 / (ratio ** p - 1.0)
    errors = [(v - exact) / exact if exact != 0 else math.nan for v in f]
    gci = [fs * abs(v - exact) / abs(v) if v != 0 else math.nan for v in f]
    return Estimate(f, condition, observed, p, fs, exact, errors, gci, changes)


@dataclass(frozen=True)
class Level:
    label: str  # what the user sees: "default", "1.5 h"
    override: str  # the --set applied for this level
    size: float  # the grid's cell size factor or the time step [s]: larger is coarser


def grid_levels(names) -> tuple[list[Level], float]:
    """The named resolutions (cellsim.fields.pot.RESOLUTIONS), coarsest first, and their ratio."""
    for name in names:
        if name not in RESOLUTIONS:
            raise ValueError(f"--grids: unknown resolution {name!r}; expected names of "
                             f"{', '.join(RESOLUTIONS)}")
    if len(set(names)) != len(names) or len(names) < 2:
        raise ValueError(f"--grids: give at least two different resolutions, got {','.join(names)}")
    levels = sorted((Level(n, f'numerics.resolution="{n}"', 1.0 / RESOLUTIONS[n]) for n in names),
                    key=lambda lv: -lv.size)
    return levels, _ratio([lv.size for lv in levels], "--grids")


def time_step_levels(steps_s) -> tuple[list[Level], float]:
    """Time steps [s], coarsest (longest) first, and their ratio."""
    steps = sorted({float(s) for s in steps_s}, reverse=True)
    if len(steps) < 2 or any(not s > 0 for s in steps):
        raise ValueError("--time-steps: give at least two different positive time steps")
    levels = [Level(_hours(s), f'schedule.time_step="{s!r} s"', s) for s in steps]
    return levels, _ratio(steps, "--time-steps")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g} h"


def _ratio(sizes, option: str) -> float:
    ratios = [sizes[i] / sizes[i + 1] for i in range(len(sizes) - 1)]
    if max(ratios) - min(ratios) > 1e-9 * max(ratios):
        raise ValueError(f"{option}: the levels must refine by one constant ratio (got ratios "
                         + ", ".join(f"{r:.4g}" for r in ratios) + ")")
    return ratios[0]


@dataclass
class Run:
    level: Level
    cells: int  # 0 at the lumped level
    outputs: dict  # SI, outputs_of
    stop_reason: str
    window: str  # non-empty: the run left the operating window (no results)
    wall_s: float
    cpu_s: float


@dataclass
class Study:
    config: str
    overrides: tuple[str, ...]
    kind: str  # "grid" or "time-step"
    ratio: float
    duration: float  # [s]
    own: str  # the label of the configuration's own level
    runs: list[Run]
    estimates: dict  # output key -> Estimate
    problems: list[str]  # why some estimates are not results (a failed run, another stop)


def run_level(config: str, overrides: tuple[str, ...], level: Level, duration: float) -> Run:
    """One campaign of the study (a function of plain arguments: it runs in a worker process)."""
    from .campaign import run_campaign
    from .fields.pot import grid_cells

    cfg = load_config(config, (*overrides, level.override, f'schedule.duration="{duration!r} s"'))
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        result = run_campaign(cfg)
    except (RuntimeError, FloatingPointError) as exc:  # say which level failed
        try:
            named = type(exc)(f"level {level.label} ({level.override}): {exc}")
        except TypeError:
            raise exc from None
        raise named from exc
    return Run(level, grid_cells(cfg), outputs_of(result.summary), result.stop_reason,
               result.window, time.perf_counter() - t0, time.process_time() - c0)


def plan(config: str, overrides=(), kind: str = "grid", levels=None,
         duration: float = 10 * 86400.0) -> tuple[list[Level], float, str]:
    """The levels of a study (coarsest first), their ratio and the label of the configuration's
    own level; every level's configuration is loaded and checked, so bad input fails here
    (ValueError, ConfigError), before any run."""
    overrides = tuple(overrides)
    cfg = load_config(config, overrides)
    if kind == "grid":
        if cfg.numerics.model == "lumped":
            raise ValueError("--study grid: the lumped level has no grid; study its time step "
                             "(--study time-step) or set numerics.model")
        ladder, ratio = grid_levels(list(levels or ("coarse", "default", "fine")))
        own = cfg.numerics.resolution
    elif kind == "time-step":
        dt = cfg.schedule.time_step
        ladder, ratio = time_step_levels(list(levels or (dt, dt / 2, dt / 4)))
        own = _hours(dt)
    else:
        raise ValueError(f"unknown study {kind!r}; expected 'grid' or 'time-step'")
    if not duration > 0:
        raise ValueError(f"the duration must be positive, got {duration!r} s")
    for lv in ladder:
        load_config(config, (*overrides, lv.override, f'schedule.duration="{duration!r} s"'))
    return ladder, ratio, own


def study(config: str, overrides=(), kind: str = "grid", levels=None, duration: float = 10 * 86400.0,
          jobs: int = 1, progress=None) -> Study:
    """Run ``config`` on each level and estimate the convergence of its headline outputs.

    kind : "grid" (levels: resolution names, default coarse, default, fine) or "time-step"
        (levels: time steps [s], default the configuration's step, its half and its quarter).
    progress : optional callable(Run) called as each run finishes.
    """
    overrides = tuple(overrides)
    ladder, ratio, own = plan(config, overrides, kind, levels, duration)
    runs = _run_all(config, overrides, ladder, duration, jobs, progress)
    problems = []
    for r in runs:
        if r.window:
            problems.append(f"{r.level.label}: left the operating window ({r.window})")
    reasons = {r.stop_reason for r in runs}
    if len(reasons) > 1:
        problems.append("the runs stopped for different reasons ("
                        + "; ".join(f"{r.level.label}: {r.stop_reason}" for r in runs)
                        + "): their outputs cover different campaigns")
    estimates = {}
    for o in OUTPUTS:
        vals = [math.nan if (r.window or problems) else r.outputs.get(o.key, math.nan) for r in runs]
        estimates[o.key] = estimate(vals, ratio, NOMINAL_ORDER[kind])
    return Study(config, overrides, kind, ratio, duration, own, runs, estimates, problems)


def _run_all(config, overrides, ladder, duration, jobs, progress) -> list[Run]:
    if jobs <= 1 or len(ladder) == 1:
        runs = []
        for lv in reversed(ladder):  # the finest (longest) first: its failure ends the study soonest
            runs.append(run_level(config, overrides, lv, duration))
            if progress:
                progress(runs[-1])
        return sorted(runs, key=lambda r: -r.level.size)
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    runs = []
    with ProcessPoolExecutor(max_workers=min(jobs, len(ladder)), mp_context=mp.get_context("spawn")) as ex:
        futures = [ex.submit(run_level, config, overrides, lv, duration) for lv in reversed(ladder)]
        for fut in as_completed(futures):
            runs.append(fut.result())
            if progress:
                progress(runs[-1])
    return sorted(runs, key=lambda r: -r.level.size)


def within(st: Study, tolerance: float) -> dict:
    """Per output: whether the configuration's own level's error band (GCI) is within
    ``tolerance`` (relative); None where the study gives no estimate."""
    idx = [r.level.label for r in st.runs].index(st.own) if st.own in [r.level.label for r in st.runs] else None
    out = {}
    for key, e in st.estimates.items():
        g = e.gci[idx] if idx is not None else math.nan
        out[key] = None if not math.isfinite(g) else bool(g <= tolerance)
    return out


def to_dict(st: Study, tolerance: float | None = None) -> dict:
    """The study as plain data (SI values; the units named), for the JSON report."""
    idx = {r.level.label: i for i, r in enumerate(st.runs)}
    from .io import summary_unit

    units = {o.key: summary_unit(o.key) for o in OUTPUTS}
    d = {
        "config": st.config, "overrides": list(st.overrides), "study": st.kind,
        "refinement_ratio": st.ratio, "duration_s": st.duration,
        "nominal_order": NOMINAL_ORDER[st.kind], "own_level": st.own,
        "method": "Richardson extrapolation from the three finest levels; GCI with Fs 1.25 "
                  "(three levels, monotone) or 3 (two levels or not monotone) [Roache1997]",
        "levels": [{"label": r.level.label, "setting": r.level.override, "cells": r.cells,
                    "stop_reason": r.stop_reason, "outside_window": r.window,
                    "wall_s": r.wall_s, "cpu_s": r.cpu_s,
                    "outputs": {k: {"value": v, "unit": units[k]} for k, v in r.outputs.items()
                                if k in units}} for r in st.runs],
        "outputs": {},
        "problems": st.problems,
    }
    ok = within(st, tolerance) if tolerance is not None else {}
    for o in OUTPUTS:
        e = st.estimates[o.key]
        d["outputs"][o.key] = {
            "label": o.label, "unit": units[o.key], "condition": e.condition,
            "observed_order": e.observed_order, "order_used": e.order,
            "safety_factor": e.safety_factor, "extrapolated": e.extrapolated,
            "relative_change_to_next_finer": e.changes, "relative_error": e.errors,
            "gci": e.gci,
            **({"own_level_gci": e.gci[idx[st.own]] if st.own in idx else None,
                "within_tolerance": ok.get(o.key)} if tolerance is not None else {}),
        }
    if tolerance is not None:
        d["tolerance"] = tolerance
    return _plain_tree(d)


def _plain_tree(x):
    """Nested dicts and lists with every scalar JSON-ready (cellsim.export._plain)."""
    from .export import _plain

    if isinstance(x, dict):
        return {k: _plain_tree(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain_tree(v) for v in x]
    return _plain(x)


def format_study(st: Study, tolerance: float | None = None) -> str:
    """The study as a text table: one block per output, one row per level."""
    what = "grid" if st.kind == "grid" else "time step"
    lines = [f"{what} convergence of {st.config} over {st.duration / 86400:g} d "
             f"(levels refined {st.ratio:g}x each; nominal order {NOMINAL_ORDER[st.kind]:g}; "
             f"the configuration's own level: {st.own})"]
    for r in st.runs:
        cells = f", {r.cells} cells" if r.cells else ""
        lines.append(f"  {r.level.label:>9s}{cells}: {r.wall_s:.1f} s wall, {r.cpu_s:.1f} s CPU, "
                     f"{r.stop_reason}" + (f"; OUTSIDE THE WINDOW: {r.window}" if r.window else ""))
    for p in st.problems:
        lines.append(f"  no estimate: {p}")
    ok = within(st, tolerance) if tolerance is not None else {}
    for o in OUTPUTS:
        e = st.estimates[o.key]
        order = (f"observed order {e.observed_order:.2f}" if e.observed_order is not None
                 else "no observed order")
        head = f"{o.label} [{o.unit}]: {e.condition}, {order}"
        if math.isfinite(e.extrapolated):
            head += (f", order used {e.order:.2f}, Fs {e.safety_factor:g}, "
                     f"extrapolated {e.extrapolated * o.scale:.6g}")
        if o.key in ok and ok[o.key] is not None:
            head += (f"; {st.own} within {100 * tolerance:g} %" if ok[o.key]
                     else f"; {st.own} NOT within {100 * tolerance:g} %")
        lines.append(head)
        lines.append(f"  {'level':>9s} {'value':>14s} {'to next finer':>14s} {'error':>10s} {'GCI':>10s}")
        for i, r in enumerate(st.runs):
            ch = _pct(e.changes[i], True) if i < len(e.changes) else ""
            mark = " <" if r.level.label == st.own else ""
            lines.append(f"  {r.level.label:>9s} {e.values[i] * o.scale:14.7g} {ch:>14s} "
                         f"{_pct(e.errors[i], True):>10s} {_pct(e.gci[i], False):>10s}{mark}")
    return "\n".join(lines)


def _pct(x: float, signed: bool) -> str:
    """A relative value as a percentage to three significant digits ("-" when not finite)."""
    if not math.isfinite(x):
        return "-"
    return f"{100 * x:+.3g} %" if signed else f"{100 * x:.3g} %"


__all__ = ["OUTPUTS", "Estimate", "Level", "Run", "Study", "estimate", "format_study", "grid_levels",
           "outputs_of", "plan", "run_level", "study", "time_step_levels", "to_dict", "within"]
