"""``cellsim sweep`` and ``cellsim sweep-report`` (registered in ``cellsim.cli``). Thin."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..config import ConfigError


EXIT_CASES_FAILED = 3
"""Exit code of ``cellsim sweep`` when the sweep finished but some cases failed (docs/sweeps.md)."""


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _dry_run(spec) -> None:
    from ..config import load_config

    click.echo(f"sweep {spec.name}: {len(spec.cases)} cases, design {spec.design}, "
               f"base {spec.base}")
    for fixed in spec.fixed:
        click.echo(f"  every case: --set {fixed}")
    bad = 0
    for case in spec.cases:
        overrides, density = spec.overrides(case)
        note = ""
        try:
            cfg = load_config(spec.base, overrides)
            if density is not None:
                note = f"  (current {density * cfg.geometry.area / 1e3:.3g} kA)"
                load_config(spec.base, overrides + (f'operation.current="{density * cfg.geometry.area!r} A"',))
        except ConfigError as exc:
            bad += 1
            note = f"  INVALID: {exc}"
        role = f" [{case.role} {case.group}]" if case.role else ""
        click.echo(f"{case.name}{role}: {spec.describe(case)}{note}")
    if bad:
        click.echo(f"{bad} case(s) have an invalid configuration; they would be recorded as failed")


@click.command("sweep")
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False), default=None,
              help="Sweep folder [default: sweeps/<sweep name> in the current folder].")
@click.option("--dry-run", is_flag=True, help="List the cases (and check their configs); run nothing.")
@click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes [default: the number of usable CPUs].")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (needs cellsim[dask]; "
                   "workers must see the output folder).")
@click.option("--resume", is_flag=True, help="Continue an interrupted sweep in its folder; "
                                             "finished cases (ok or failed) are kept.")
@click.option("--retry-failed", is_flag=True, help="With --resume: run failed cases again.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
def sweep(spec_file: str, folder: str | None, dry_run: bool, workers: int | None,
          scheduler: str | None, resume: bool, retry_failed: bool, quiet: bool) -> None:
    """Run a parameter sweep described by the TOML file SPEC.

    Writes one HDF5 result per case, summary.h5 and summary.csv into the sweep folder.
    An interrupted sweep continues with --resume. See docs/sweeps.md.

    Exit codes: 0 every case ok; 3 the sweep finished but some cases failed (how many is
    printed); 2 bad input; 1 the sweep itself failed; 130 interrupted.
    """
    from .runner import run_sweep
    from .spec import load_spec
    from ..locking import OutputBusy
    from .store import SweepStore, SweepStoreError

    try:
        spec = load_spec(spec_file)
    except ConfigError as exc:
        _fail(str(exc))
    if dry_run:
        _dry_run(spec)
        return
    if scheduler and workers:
        _fail("--workers is for the local pool; the Dask cluster decides its own workers")
    from ..naming import safe_name

    folder = Path(folder or Path("sweeps") / safe_name(spec.name, "sweep"))  # only -o names a path
    show = sys.stderr.isatty() and not quiet
    counts = {"done": 0, "failed": 0}
    names = {c.name for c in spec.cases}
    prior = sum(1 for k, r in SweepStore(folder).journal().items()
                if k in names and (r["status"] == "ok" or not retry_failed)) if resume else 0
    with click.progressbar(length=len(spec.cases) - prior, label=spec.name, file=sys.stderr,
                           show_eta=True, show_pos=True, hidden=not show,
                           item_show_func=lambda s: s) as bar:
        def progress(outcome: dict) -> None:
            counts["done"] += 1
            counts["failed"] += outcome["status"] == "failed"
            bar.update(1, f"{counts['failed']} failed")

        try:
            start = time.perf_counter()
            run = run_sweep(spec, folder, workers=workers, scheduler=scheduler, resume=resume,
                            retry_failed=retry_failed, progress=progress)
        except OutputBusy as exc:
            _fail(str(exc), 4)
        except SweepStoreError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail(f"interrupted; finished cases are kept in {folder}: continue with --resume", 130)
        except RuntimeError as exc:  # includes a worker process that died (BrokenProcessPool)
            _fail(f"{exc}\nfinished cases are kept in {folder}: continue with --resume", code=1)
    if not quiet:
        click.echo(f"{spec.name}: {run.ok} ok, {run.failed} failed now; {run.skipped} finished "
                   f"before{f' ({run.recovered} recovered from files)' if run.recovered else ''}; "
                   f"{len(spec.cases)} cases in {folder} ({time.perf_counter() - start:.1f} s)")
        for outcome in run.outcomes:
            if outcome["status"] == "failed":
                click.echo(f"  {outcome['case']} failed: {outcome['error']}")
            elif outcome["status"] == "outside_window":
                click.echo(f"  {outcome['case']}: {outcome['error']}")
        click.echo(f"tables: {folder / 'summary.csv'}, {folder / 'summary.h5'}")
    failed = sum(1 for k, r in SweepStore(folder).journal().items()
                 if k in names and r["status"] == "failed")
    if failed:
        _fail(f"{failed} of {len(spec.cases)} cases failed (their errors are in "
              f"{folder / 'summary.csv'}); rerun them with --resume --retry-failed",
              code=EXIT_CASES_FAILED)


@click.command("sweep-report")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("-o", "--output", "out", type=click.Path(file_okay=False), default=None,
              help="Folder for figures and tables [default: FOLDER/report].")
def sweep_report(folder: str, out: str | None) -> None:
    """Plot and summarise the results of the sweep in FOLDER (figures, report.md)."""
    from .report import make_report
    from .store import SweepStoreError

    if not Path(folder).is_dir():
        _fail(f"{folder}: no such folder")
    try:
        report = make_report(folder, out)
    except SweepStoreError as exc:
        _fail(str(exc))
    click.echo(report.text)
    for fig in report.figures:
        click.echo(f"figure: {fig}")
