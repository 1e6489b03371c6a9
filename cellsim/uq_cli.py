"""``cellsim uq`` and ``cellsim design`` (registered in ``cellsim.cli``). Thin: parse, call, print."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

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
@click.option("--method", type=click.Choice(["lhs", "sobol", "saltelli"]), default="lhs",
              show_default=True, help="Sampling design (saltelli: Sobol indices).")
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
        click.echo(f"inputs ranked by share of the variance of {lib.HEADLINE[out][0]} "
                   f"({'first-order and total Sobol indices' if idx.total is not None else 'first-order, binned given-data estimator'}):")
        order = [i for i in sorted(range(len(idx.parameters)), key=lambda i: -(idx.first[i]
                 if idx.first[i] == idx.first[i] else -1))]
        for i in order[:8]:
            tot = "" if idx.total is None else f"  total {idx.total[i]:.3f}"
            click.echo(f"  {idx.parameters[i]:44s} {idx.first[i]:7.3f}{tot}")
    for f in res["files"]:
        click.echo(f"wrote {f}")


def register(group: click.Group) -> None:
    """Add ``uq`` and ``design`` to the ``cellsim`` command group."""
    for command in (uq,):
        group.add_command(command)
