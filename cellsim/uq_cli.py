"""``cellsim uq`` and ``cellsim design`` (registered in ``cellsim.cli``). Thin: parse, call, print."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import numpy as np

from .config import ConfigError

LEVELS = ("lumped", "axisymmetric", "3d")


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def level_overrides(level: str, calibrate: bool, time_step: str | None) -> tuple[str, ...]:
    """Overrides that select a model level (the lumped one with field-calibrated heat paths
    unless ``calibrate`` is off) and, if given, the campaign time step."""
    out = [f'numerics.model="{level}"']
    if level == "lumped":
        out.append(f'numerics.heat_paths="{"field" if calibrate else "lining"}"')
    if time_step:
        out.append(f'schedule.time_step="{time_step}"')
    return tuple(out)


def _config_name(config: str) -> str:
    return Path(config).stem


@click.command("uq")
@click.argument("config")
@click.option("--level", type=click.Choice(LEVELS), default="lumped", show_default=True,
              help="Model level of every sample.")
@click.option("--samples", "-n", type=click.IntRange(min=2), default=64, show_default=True,
              help="Sample size N (a power of 2 for sobol and saltelli; saltelli runs N (d + 2)).")
@click.option("--method", type=click.Choice(["lhs", "sobol", "saltelli", "oat"]), default="lhs",
              show_default=True, help="Sampling design (saltelli: Sobol indices; oat: a "
                                      "one-at-a-time screening of 1 + 2d cases, no intervals).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--range-scale", type=click.FloatRange(min=0.0), default=1.0, show_default=True,
              help="Shrink (<1) or widen every range about its value; 0 pins every input.")
@click.option("--time-step", default="3 h", show_default=True,
              help="Campaign time step of the samples ('' keeps the config's); 3 h moves the "
                   "3 kA point values by < 0.2 % (docs/uq.md).")
@click.option("--no-calibrate", is_flag=True,
              help="Lumped level: keep the lining heat paths (no field calibration).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override (and so pin) a configuration value (repeatable).")
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False), default=None,
              help="Folder [default: uq/<config name>].")
@click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes [default: the usable CPUs].")
@click.option("--scheduler", metavar="ADDRESS", default=None, help="An existing Dask cluster.")
@click.option("--resume", is_flag=True, help="Continue an interrupted study in its folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def uq(config, level, samples, method, seed, range_scale, time_step, no_calibrate, overrides,
       folder, workers, scheduler, resume, quiet) -> None:
    """Propagate the ranges of CONFIG's estimated inputs to its headline outputs.

    Every key given as { value, range, dist, source } is sampled (docs/uq.md); prints each
    output's median and 5-95 % interval and ranks the inputs by their share of the variance.
    Writes uq.h5, uq.csv and uq.png (and the sweep's cases) into the folder.
    """
    from . import uq as lib
    from .config.loader import load_uncertain
    from .sweep.runner import run_sweep
    from .sweep.store import SweepStoreError, read_summary

    fixed = tuple(overrides) + level_overrides(level, not no_calibrate, time_step or None)
    try:
        _, uncertain = load_uncertain(config, fixed)
        from .config.loader import _resolve

        base = config if Path(config).is_file() else str(_resolve(config, "cells", None, "<config>",
                                                                   "command line"))
        base = str(Path(base).resolve())
    except ConfigError as exc:
        _fail(str(exc))
    if not uncertain:
        _fail(f"{config}: no input has a range (give a key as {{ value = ..., range = [...], "
              "source = ... }}, docs/configuration.md)")
    try:
        spec, free = lib.build_spec(base, uncertain, samples=samples, method=method, seed=seed,
                                    fixed=fixed, range_scale=range_scale,
                                    name=f"uq-{_config_name(config)}")
    except ValueError as exc:
        _fail(str(exc))
    folder = Path(folder or Path("uq") / _config_name(config))
    click.echo(f"{len(free)} uncertain inputs ({len(uncertain) - len(free)} pinned), "
               f"{len(spec.cases)} cases, {method}, level {level}"
               f"{' (field-calibrated heat paths)' if level == 'lumped' and not no_calibrate else ''}")
    show = sys.stderr.isatty() and not quiet
    start = time.perf_counter()
    with click.progressbar(length=len(spec.cases), label="uq", file=sys.stderr, show_eta=True,
                           show_pos=True, hidden=not show) as bar:
        try:
            run = run_sweep(spec, folder, workers=workers, scheduler=scheduler, resume=resume,
                            progress=lambda _: bar.update(1))
        except SweepStoreError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail(f"interrupted; finished cases are kept in {folder}: continue with --resume", 130)
    table = read_summary(folder)
    res = lib.write_outputs(Path(folder), table, spec, free)
    failed = int((table["status"] == "failed").sum())
    ok = int((table["status"] == "ok").sum())
    click.echo(f"{ok} of {len(spec.cases)} cases ok, {failed} failed "
               f"({time.perf_counter() - start:.1f} s; {run.skipped} finished before)")
    stopped = (table["status"] == "ok") & ~lib.operable(table)
    if stopped.any():
        import h5py

        with h5py.File(Path(folder) / "summary.h5") as h5:
            reasons = [r.decode() if isinstance(r, bytes) else str(r)
                       for r in h5["stop_reason"][()][stopped]]
        click.echo(f"  {int(stopped.sum())} sampled pots stopped before their first tap (not in the "
                   f"intervals): " + "; ".join(sorted(set(r.split(":")[0] for r in reasons))))
    errors = sorted(set(str(e).split(":")[0] for e, st in zip(table["error"], table["status"])
                        if st == "failed"))
    if errors:
        click.echo(f"  failures ({', '.join(errors)}): see {Path(folder) / 'summary.csv'}")
    click.echo(f"{'output':34s} {'median':>12s} {'5 %':>12s} {'95 %':>12s}")
    for iv in res["intervals"]:
        label, unit, _ = lib.HEADLINE[iv.output]
        m, a, b = (float(lib.display(iv.output, v)) for v in (iv.median, iv.p5, iv.p95))
        click.echo(f"{label + ' [' + unit + ']':34s} {m:12.6g} {a:12.6g} {b:12.6g}")
    for out, idx in res["ranking"].items():
        if idx is None:
            continue
        floor = res["noise_floor"][out]
        how = ("first-order and total Sobol indices (Saltelli/Jansen)" if idx.total is not None
               else idx.method if method == "oat"
               else f"first-order, binned given-data estimator; noise floor {floor:.3f}")
        click.echo(f"inputs ranked by share of the variance of {lib.HEADLINE[out][0]} ({how}):")
        order = [i for i in sorted(range(len(idx.parameters)), key=lambda i: -(idx.first[i]
                 if idx.first[i] == idx.first[i] else -1))]
        for i in order[:8]:
            tot = "" if idx.total is None else f"  total {idx.total[i]:.3f}"
            click.echo(f"  {idx.parameters[i]:44s} {idx.first[i]:7.3f}{tot}")
    for f in res["files"]:
        click.echo(f"wrote {f}")


@click.command("design")
@click.argument("config")
@click.option("--minimize", "minimize", default=None, metavar="OUTPUT",
              help="Output to minimise (reporting units), e.g. specific_energy.")
@click.option("--maximize", "maximize", default=None, metavar="OUTPUT", help="Output to maximise.")
@click.option("--vary", multiple=True, metavar="KEY=LOW..HIGH", required=True,
              help='A key and its bounds, e.g. --vary "geometry.acd=4 cm..6 cm" (repeatable).')
@click.option("--subject-to", "constraints", multiple=True, metavar="EXPR",
              help='A constraint on outputs, e.g. "product_al >= 99.7" (repeatable).')
@click.option("--method", type=click.Choice(["cobyla", "slsqp", "de"]), default="cobyla",
              show_default=True, help="scipy.optimize method (de: global, integer keys).")
@click.option("--maxiter", type=click.IntRange(min=1), default=40, show_default=True)
@click.option("--time-step", default="3 h", show_default=True,
              help="Campaign time step of the search ('' keeps the config's).")
@click.option("--no-calibrate", is_flag=True, help="Lumped search with the lining heat paths.")
@click.option("--no-verify", is_flag=True, help="Skip the axisymmetric re-run of the optimum.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a configuration value for every evaluation (repeatable).")
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False), default=None,
              help="Folder [default: design/<config name>].")
@click.option("-q", "--quiet", is_flag=True, help="No progress line.")
def design(config, minimize, maximize, vary, constraints, method, maxiter, time_step, no_calibrate,
           no_verify, overrides, folder, quiet) -> None:
    """Search CONFIG's design space: minimise an output over --vary keys subject to constraints.

    The search runs at the lumped level (heat paths calibrated on the axisymmetric field); the
    optimum is re-run at the axisymmetric level and both are reported. Writes design.toml
    (extends CONFIG), history.csv and design.png into the folder (docs/uq.md).
    """
    from . import design as lib
    from .config.loader import _resolve

    if bool(minimize) == bool(maximize):
        _fail("give exactly one of --minimize OUTPUT or --maximize OUTPUT")
    try:
        objective = lib.parse_objective(minimize or maximize,
                                        "--minimize" if minimize else "--maximize")
        variables = tuple(lib.parse_vary(v) for v in vary)
        cons = tuple(lib.parse_constraint(c) for c in constraints)
    except lib.DesignError as exc:
        _fail(str(exc))
    fixed = tuple(overrides) + level_overrides("lumped", not no_calibrate, time_step or None)
    try:
        base_cfg = _load_or_fail(config, fixed)
        base = config if Path(config).is_file() else str(_resolve(config, "cells", None, "<config>",
                                                                   "command line"))
        base = str(Path(base).resolve())
        for v in variables:  # each bound must be a valid value of its key
            for b in (v.low, v.high):
                _load_or_fail(base, fixed + (v.override(b),))
    except ConfigError as exc:
        _fail(str(exc))
    del base_cfg
    folder = Path(folder or Path("design") / _config_name(config))
    folder.mkdir(parents=True, exist_ok=True)
    evaluate = lib.campaign_evaluator(base, fixed, variables)
    count = [0]
    start = time.perf_counter()

    def progress(ev) -> None:
        count[0] += 1
        if not quiet:
            state = "failed" if ev.error else ("feasible" if ev.feasible else "infeasible")
            xs = ", ".join(f"{v.display(x):.4g} {v.unit}".strip() for v, x in zip(variables, ev.x))
            obj = "" if ev.error else f"{ev.objective:.6g}"
            click.echo(f"  [{count[0]:3d}] {xs} -> {objective} {obj} ({state})", err=True)

    result = lib.solve(evaluate, variables, objective, cons,
                       sense="min" if minimize else "max", method=method, maxiter=maxiter,
                       progress=progress)
    _write_history(folder / "history.csv", result)
    _figure(folder / "design.png", result)
    click.echo(f"{result.message} ({time.perf_counter() - start:.0f} s)")
    if not result.feasible:
        if result.least_infeasible is not None:
            click.echo("least-infeasible design: " + _describe(variables, result.least_infeasible.x))
        click.echo(f"wrote {folder / 'history.csv'}, {folder / 'design.png'}")
        sys.exit(1)
    best = result.best
    click.echo("design: " + _describe(variables, best.x))
    click.echo(f"binding: {', '.join(result.binding) or 'none (interior optimum or a bound)'}")
    at_bound = [b.split(" at its ")[0] for b in result.binding if " at its " in b]
    if at_bound:  # only the search range holds the optimum there
        click.echo(f"unbounded within the keys' ranges: the optimum sits on the --vary bound of "
                   f"{', '.join(at_bound)}, which alone holds it (unless the {objective} is flat "
                   "in that key); widen the range if the key can go further, or add the "
                   "constraint that stops it")
    unit = lib.HEADLINE[objective][1]
    rows = [("lumped (search)", best.outputs)]
    sets = fixed + tuple(v.override(x) for v, x in zip(variables, best.x))
    if not no_verify:
        verify = tuple(s for s in sets if not s.startswith(("numerics.model", "numerics.heat_paths")))
        try:
            out = lib.campaign_evaluator(base, verify + ('numerics.model="axisymmetric"',), ())(())
            rows.append(("axisymmetric (re-run)", out))
        except Exception as exc:  # report, don't crash: the lumped optimum stands
            click.echo(f"axisymmetric re-run failed: {type(exc).__name__}: {exc}")
    names = [objective] + sorted({n for c in cons for n in lib._names(c.lhs) | lib._names(c.rhs)}
                                 - {objective})
    click.echo(f"{'level':24s}" + "".join(f"{n:>22s}" for n in names))
    for label, out in rows:
        click.echo(f"{label:24s}" + "".join(f"{out.get(n, float('nan')):22.6g}" for n in names))
    for c in cons:
        ok = all(c.margin(out) >= 0 for _, out in rows)
        click.echo(f"  {c.text}: {'met' if ok else 'NOT met at every level'}")
    cfg = _load_or_fail(base, sets)
    note = (f"cellsim design: {'minimise' if minimize else 'maximise'} {objective} [{unit}] = "
            f"{best.objective:.6g} (lumped search)\n"
            + "".join(f"subject to {c.text}\n" for c in cons)
            + "".join(f"{label}: {objective} = {out.get(objective, float('nan')):.6g}\n"
                      for label, out in rows))
    extends = config if not Path(config).is_file() else str(Path(config).resolve())
    (folder / "design.toml").write_text(lib.design_toml(extends, variables, best.x, cfg, note))
    click.echo(f"wrote {folder / 'design.toml'}, {folder / 'history.csv'}, {folder / 'design.png'}")


def _load_or_fail(config, sets):
    from .config import load_config

    try:
        return load_config(config, sets)
    except ConfigError as exc:
        _fail(str(exc))


def _describe(variables, x) -> str:
    return ", ".join(f"{v.key} = {v.display(xi):.4g} {v.unit}".strip() for v, xi in zip(variables, x))


def _write_history(path: Path, result) -> None:
    import csv

    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["evaluation"] + [f"{v.key} [{v.unit or '1'}]" for v in result.variables]
                   + [result.objective] + [f"margin: {c.text}" for c in result.constraints]
                   + ["feasible", "error"])
        for i, ev in enumerate(result.history):
            w.writerow([i] + [f"{v.display(x):.8g}" for v, x in zip(result.variables, ev.x)]
                       + [f"{ev.objective:.8g}"] + [f"{m:.6g}" for m in ev.margins]
                       + [ev.feasible, ev.error])


def _figure(path: Path, result) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .uq import HEADLINE

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ok = [(i, e.objective, e.feasible) for i, e in enumerate(result.history) if not e.error]
    if ok:
        i, y, feas = map(np.asarray, zip(*ok))
        ax.plot(i[feas], y[feas], "o", label="feasible")
        ax.plot(i[~feas], y[~feas], "x", label="infeasible")
    if result.best is not None:
        ax.axhline(result.best.objective, ls="--", lw=0.8, color="k", label="optimum (lumped)")
    ax.set_xlabel("evaluation [1]")
    label, unit, _ = HEADLINE[result.objective]
    ax.set_ylabel(f"{label} [{unit}]")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def register(group: click.Group) -> None:
    """Add ``uq`` and ``design`` to the ``cellsim`` command group."""
    for command in (uq, design):
        group.add_command(command)
