"""The ``cellsim`` command line (click). Thin: parse options, call the library, print."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from . import __version__
from .config import ConfigError, load_config
from .naming import safe_name
from .units import celsius

# Exit codes (docs/cli.md)
EXIT_OK = 0
EXIT_FAILED = 1  # the campaign failed numerically; validate: a check failed
EXIT_INPUT = 2  # bad input: configuration, option, or a file that is not a usable result
EXIT_OUTSIDE_WINDOW = 3  # the campaign left the operating window; its file is written, marked
EXIT_BUSY = 4  # another cellsim process writes the same output
EXIT_INTERNAL = 70  # an unexpected error (a bug): one line here, the traceback in a log file
EXIT_INTERRUPTED = 130


def _fail(message: str, code: int = EXIT_INPUT) -> None:
    lines = str(message).splitlines() or [""]
    text = "\n".join(line if len(line) <= 2000 else line[:2000] + "..." for line in lines[:20])
    click.echo(f"error: {text}", err=True)
    sys.exit(code)


def log_folder() -> Path:
    """Where tracebacks of unexpected errors go: $CELLSIM_LOG_DIR or the temporary folder."""
    return Path(os.environ.get("CELLSIM_LOG_DIR") or tempfile.gettempdir())


def _log_traceback(exc: BaseException) -> Path | None:
    import datetime as dt
    import traceback

    try:
        folder = log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        path = folder / f"cellsim-error-{stamp}-{os.getpid()}.log"
        path.write_text(f"cellsim {__version__}\nargv: {sys.argv!r}\n\n"
                        + "".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


class _Main(click.Group):
    """The command group with the one top-level handler: an unexpected exception becomes a
    one-line error naming the log file (exit 70); ``cellsim --debug`` shows the traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit,
                KeyboardInterrupt, GeneratorExit):
            raise
        except Exception as exc:
            if ctx.params.get("debug") or os.environ.get("CELLSIM_DEBUG"):
                raise
            log = _log_traceback(exc)
            first = (str(exc).splitlines() or [""])[0][:300]
            where = f"details in {log}" if log else "no log could be written"
            _fail(f"unexpected {type(exc).__name__}: {first} ({where}; rerun with cellsim --debug "
                  "to see the traceback)", EXIT_INTERNAL)


def _check_environment() -> None:
    """The environment variables a run reads for its threads (CELLSIM_OVERLAP_STEPS,
    CELLSIM_PARALLEL_EXACT_MIN_CELLS), checked before any work: a bad value is an input
    error naming the variable, not an unexpected one in the middle of the run."""
    from .fields import solvers

    try:
        solvers._env_overlap()
        solvers._env_exact_min_cells()
    except ValueError as exc:
        _fail(str(exc))


def _load(config: str, overrides: tuple[str, ...]):
    try:
        cfg = load_config(config, overrides)
    except ConfigError as exc:
        _fail(str(exc))
    if cfg.schedule.current_program == "csv":  # read the program now, not after the start
        from .program import current_program

        try:
            current_program(cfg)
        except ValueError as exc:
            _fail(str(ConfigError(config, "schedule.current_file", cfg.schedule.current_file,
                                  f"a readable current program ({exc})")))
    return cfg


def _check_output(path: str | Path, force: bool, mkdir: bool) -> Path:
    """CLI conventions for a file the command will write: its folder must exist (or --mkdir),
    and an existing file is kept unless --force. Checked before any work is done."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        if not mkdir:
            _fail(f"{path}: the folder {folder} does not exist (create it, or pass --mkdir)")
        folder.mkdir(parents=True, exist_ok=True)
    if path.exists() and not force:
        _fail(f"{path} exists: pass --force to overwrite it, or choose another -o")
    return path


def _read_result(file: str):
    from .io import ResultFileError, read_result

    if not Path(file).is_file():
        _fail(f"{file}: no such file")
    try:
        return read_result(file)
    except ResultFileError as exc:
        _fail(str(exc))


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cellsim")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def main(debug: bool) -> None:
    """cellsim: simulate three-layer electrorefining of aluminium scrap.

    CONFIG is a TOML file or the name of a packaged reference cell (rusal-3kA, rusal-500A).
    Quantities carry their units ("4.5 cm", "3 kA", "750 degC"); see docs/configuration.md.

    Exit codes: 0 ok; 1 the campaign failed (or a validation check); 2 bad input; 3 the
    campaign left the operating window (result written, marked); 4 the output is in use by
    another cellsim process; 70 unexpected error (traceback in a log file; --debug shows it);
    130 interrupted.

    `cellsim list` shows the packaged library with sources. The docs (configuration.md,
    hdf5-layout.md, api.md, references.md) ship with the package, in the cellsim/docs folder of
    the installation.
    """


def _compile_ahead(levels: tuple[str, ...], quiet: bool, workers: int | None = None) -> None:
    """Compile the uncached Numba kernels of ``levels`` in parallel processes (cellsim.warmup),
    saying so on stderr; if that fails, the run compiles them itself as it goes."""
    from .warmup import compile_ahead

    echo = None if quiet else (lambda text: click.echo(text, err=True))
    try:
        n, wall = compile_ahead(levels, workers, echo=echo)
    except Exception as exc:  # noqa: BLE001 - never fatal: the run compiles what it needs
        if not quiet:
            click.echo(f"cellsim: compiling ahead failed ({exc}); the run compiles its kernels "
                       "as it goes", err=True)
        return
    if n and not quiet:
        click.echo(f"cellsim: compiled in {wall:.0f} s (wall)", err=True)


@main.command()
@click.argument("config", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="HDF5 result file [default: <meta.name>-<hash of the resolved configuration>.h5 "
                   "in the current folder].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help='Override a configuration value, e.g. --set geometry.acd="5 cm" (repeatable).')
@click.option("--resume", "resume", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Continue the interrupted campaign of result FILE from its last checkpoint "
                   "(FILE.ckpt); no CONFIG needed.")
@click.option("-q", "--quiet", is_flag=True, help="Print no summary.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as JSON (SI values with units) instead of text.")
@click.option("--force", is_flag=True, help="Overwrite an existing result file.")
@click.option("--mkdir", is_flag=True, help="Create the folder of -o if it does not exist.")
def run(config: str | None, output: str | None, overrides: tuple[str, ...], resume: str | None,
        quiet: bool, as_json: bool, force: bool, mkdir: bool) -> None:
    """Run a refining campaign and write its result to an HDF5 file.

    While it runs, OUT.part (field snapshots) and OUT.ckpt (a checkpoint every
    numerics.checkpoint_interval) sit next to the result; after an interruption
    `cellsim run --resume OUT` continues and gives the same result as an uninterrupted run.
    """
    from .checkpoint import CheckpointError, RunFile, clean_temporaries, run_paths
    from .locking import Lock, OutputBusy

    _check_environment()
    if resume:
        if config or overrides:
            _fail("--resume continues with the stored configuration: give no CONFIG or --set")
        target = run_paths(resume)[0]
    else:
        if not config:
            _fail("give a CONFIG to run (or --resume FILE)")
        cfg = _load(config, overrides)
        target = _check_output(output or default_output_name(cfg), force, mkdir)
    try:
        lock = Lock(target.with_name(target.name + ".lock"), str(target))
    except OutputBusy as exc:
        _fail(str(exc), EXIT_BUSY)
    except OSError as exc:
        _fail(f"{target}: cannot create the output ({exc.strerror or exc})")
    with lock:
        clean_temporaries(target)  # left by a killed run; we hold the lock, so none is live
        if resume:
            runfile = RunFile(resume, resume=True)
            try:
                state = runfile.load_checkpoint()
            except (FileNotFoundError, CheckpointError) as exc:
                _fail(str(exc))
            cfg, config = state["config"], str(runfile.result)
            start = state["model"]["state"].time
        else:
            runfile, state, start = RunFile(target), None, 0.0
        _compile_ahead((cfg.numerics.model,), quiet)  # first run after install only
        _run(cfg, config, runfile, state, start, quiet, as_json)


@main.command()
@click.option("--level", "levels", multiple=True, type=click.Choice(["lumped", "axisymmetric", "3d"]),
              help="Compile the kernels of this model level (repeatable); default: every level.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: the CPUs].")
def warmup(levels: tuple[str, ...], jobs: int | None) -> None:
    """Compile the Numba kernels ahead (once after an install; `cellsim run` does it for its
    level when they are missing), each kernel in one of JOBS worker processes."""
    from .warmup import LEVELS, missing

    levels = levels or LEVELS
    if not missing(levels):
        click.echo(f"cellsim: the kernels of {', '.join(levels)} are compiled and cached")
        return
    _compile_ahead(levels, False, jobs)


def default_output_name(cfg) -> str:
    """``<meta.name>-<hash>.h5``: the name sanitised (a name, never a path) and 8 hex digits of
    the SHA-256 of the resolved configuration, so runs of different configurations (other
    --set values) never share a default output."""
    import hashlib
    import json

    from .io import config_to_dict

    text = json.dumps(config_to_dict(cfg), sort_keys=True, default=str)
    return f"{safe_name(cfg.meta.name)}-{hashlib.sha256(text.encode()).hexdigest()[:8]}.h5"


def _run(cfg, config, runfile, state, start, quiet, as_json) -> None:
    from .campaign import run_campaign
    from .io import write_result
    from .window import OutsideWindow

    duration = cfg.schedule.duration
    show_bar = sys.stderr.isatty() and not quiet
    with click.progressbar(length=int(duration), label=f"{cfg.meta.name}", file=sys.stderr,
                           show_eta=True, hidden=not show_bar,
                           item_show_func=lambda info: info) as bar:
        done = [start]
        bar.update(int(start))

        def progress(t: float, info: dict) -> None:
            bar.update(int(t - done[0]), f"day {t / 86400:5.1f}  U {info['U']:.3f} V  "
                                         f"T {celsius(info['T']):.0f} degC  "
                                         f"Al {info['Al'] * 100:.3f} wt%")
            done[0] = int(t)

        try:
            result = run_campaign(cfg, progress, run=runfile, resume=state)
        except OutsideWindow as exc:
            _fail(f"{exc}; nothing written", code=EXIT_OUTSIDE_WINDOW)
        except (FloatingPointError, RuntimeError) as exc:
            _fail(f"the campaign failed: {exc}", code=EXIT_FAILED)
        except KeyboardInterrupt:
            _fail(f"interrupted; continue with: cellsim run --resume {runfile.result}",
                  code=EXIT_INTERRUPTED)
        # a campaign that stops early fills the bar and says why
        bar.update(max(int(duration) - int(done[0]), 0),
                   f"day {result.summary['campaign_length'] / 86400:5.1f}  ended: {result.stop_reason}")
    try:
        path = write_result(result, runfile.result, config_file=config,
                            fields=runfile.snapshots_file())
    except OSError as exc:
        _fail(f"{runfile.result}: cannot write the result ({exc.strerror or exc}); the campaign's "
              f"checkpoint, if any, is kept: cellsim run --resume {runfile.result}", EXIT_FAILED)
    runfile.finish()
    if as_json:
        import json

        from .export import summary_json

        click.echo(json.dumps({**summary_json(result), "file": str(path),
                               "wall_time_s": result.wall_time}, indent=1))
    elif not quiet:
        click.echo(result.format_summary())
        click.echo(f"wrote {path} ({result.wall_time:.2f} s)")
    if result.window:
        click.echo(f"error: the campaign left the operating window: {result.window}; {path} is "
                   "marked as outside it (no energy or purity results)", err=True)
        sys.exit(EXIT_OUTSIDE_WINDOW)


@main.command()
@click.argument("config")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a configuration value (repeatable).")
def check(config: str, overrides: tuple[str, ...]) -> None:
    """Validate a configuration without running it."""
    cfg = _load(config, overrides)
    click.echo(f"{config}: ok ({cfg.meta.name}: {cfg.operation.current:g} A, "
               f"{cfg.geometry.area:.3f} m2, ACD {cfg.geometry.acd * 100:g} cm, "
               f"electrolyte {cfg.electrolyte.name}, scrap {cfg.scrap.name})")
    from .guards import estimate_cells
    from .window import limits

    lim = limits(cfg)
    click.echo(f"  operating window: melt {celsius(lim.min_temperature):g} to "
               f"{celsius(lim.max_temperature):g} degC, ACD >= {lim.min_acd * 100:g} cm"
               + ("" if lim.enabled else " (off: window.enabled = false)"))
    cells = estimate_cells(cfg)
    if cells:
        click.echo(f"  field grid: about {cells} cells (numerics.max_cells {cfg.numerics.max_cells})")
    for source in cfg.meta.sources:
        click.echo(f"  source: {source}")
    from .references import resolve

    cited = resolve(cfg.meta.sources)
    if cited:
        click.echo("references (docs/references.md):")
    for key, citation in cited:
        click.echo(f"  [{key}] {citation or 'not in docs/references.md'}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as JSON (SI values with units) instead of text.")
def show(file: str, as_json: bool) -> None:
    """Print the summary of a result file."""
    result = _read_result(file)
    if as_json:
        import json

        from .export import summary_json

        click.echo(json.dumps({**summary_json(result), "file": str(file)}, indent=1))
    else:
        click.echo(result.format_summary())


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "netcdf"]), default="csv",
              show_default=True, help="csv: FILE-series.csv, FILE-taps.csv, FILE-summary.csv; "
                                      "json: one document; netcdf: every group in one .nc.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Output file [default: FILE with the format's suffix; CSV adds -TABLE].")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--mkdir", is_flag=True, help="Create the folder of -o if it does not exist.")
@click.option("-q", "--quiet", is_flag=True, help="Do not list the files written.")
def export_cmd(file: str, fmt: str, output: str | None, force: bool, mkdir: bool,
               quiet: bool) -> None:
    """Write a result file as tidy tables with the unit in every column header.

    Tables: series (one row per record; compositions one column per element), taps (one row
    per tap, purity and spec), summary (name, value, unit; ledger included).
    """
    from .export import export, outputs

    _read_result(file)  # a clear error for a file that is not a result
    for path in outputs(file, fmt, output):
        _check_output(path, force, mkdir)
    try:
        written = export(file, fmt, output)
    except ValueError as exc:
        _fail(str(exc))
    if not quiet:
        for path in written:
            click.echo(f"wrote {path}")


LIBRARY_KINDS = {"cells": "cells", "electrolytes": "electrolytes", "alloys": "alloys",
                 "scrap": "scrap", "specs": "specs", "grids": "grids", "linings": "linings",
                 "metals": "metals", "materials": "materials"}


@main.command("list")
@click.argument("kind", required=False, type=click.Choice(sorted(LIBRARY_KINDS), case_sensitive=False))
@click.option("--full", is_flag=True, help="Print the full citation of every source key.")
def list_cmd(kind: str | None, full: bool) -> None:
    """List the packaged library: cells, electrolytes, alloys, scrap grades, product specs,
    grids (emission factors), linings and metals, each with its description and sources.

    Use a name with `use = "NAME"` in a configuration or `--set scrap.use=NAME`.
    """
    from .config.library import library_entries
    from .references import resolve

    for k in [kind.lower()] if kind else sorted(LIBRARY_KINDS):
        click.echo(f"{k}:")
        for entry in library_entries(LIBRARY_KINDS[k]):
            click.echo(f"  {entry.name:22s} {entry.description}")
            for source in entry.sources:
                click.echo(f"      source: {source}")
            if full:
                for key, citation in resolve(entry.sources):
                    click.echo(f"        [{key}] {citation or 'not in docs/references.md'}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--outdir", type=click.Path(file_okay=False), default=None,
              help="Folder for the PNG files [default: <file stem>-plots next to FILE].")
@click.option("--time", "at", default=None, metavar="T",
              help='Also draw the fields (potential, |j| with streamlines, temperature with the '
                   'ledge) of the snapshot nearest to T, e.g. --time "20 d" (field levels).')
@click.option("--mkdir", is_flag=True, help="Create the parent folders of -o if they do not exist.")
@click.option("-q", "--quiet", is_flag=True, help="Do not list the files written.")
def plot(file: str, outdir: str | None, at: str | None, mkdir: bool, quiet: bool) -> None:
    """Draw the time series of a result file as PNG figures.

    Voltage and its terms, heat balance with heater and temperature, every tapped batch
    against the product specification, and the anode alloy composition against its limit;
    with --time, the fields on the pot geometry.
    """
    from .plot import campaign_figures
    from .units import UnitError, parse_quantity

    result = _read_result(file)
    t = None
    if at is not None:  # every check of --time before any figure is written
        from .snapshots import snapshot_times

        try:
            t = parse_quantity(at, "time")
        except UnitError as exc:
            _fail(f"--time {at!r}: {exc} (give a unit, e.g. --time \"20 d\")")
        times = snapshot_times(file)
        if not len(times):
            _fail(f"--time {at!r}: {file} has no field snapshots (run a field level, "
                  "numerics.model = \"axisymmetric\" or \"3d\")")
        if not (times[0] - 1.0 <= t <= times[-1] + 1.0):
            _fail(f"--time {at!r}: outside the run; snapshots span {times[0] / 86400:g} to "
                  f"{times[-1] / 86400:g} d")
    outdir = outdir or str(Path(file).with_name(Path(file).stem + "-plots"))
    if not Path(outdir).parent.is_dir() and not mkdir:
        _fail(f"-o {outdir}: the folder {Path(outdir).parent} does not exist "
              "(create it, or pass --mkdir)")
    written = list(campaign_figures(result, outdir))
    if t is not None:
        import h5py

        from .io import ResultFileError, check_file_digest, verify
        from .plot_fields import field_figures

        try:
            check_file_digest(file)
            with h5py.File(file, "r") as h5:
                verify(h5, file, skip=())  # the field snapshots too
            written += field_figures(file, t, outdir)
        except KeyError as exc:
            _fail(str(exc.args[0]))
        except ResultFileError as exc:
            _fail(str(exc))
        except (OSError, ValueError) as exc:
            _fail(f"{file}: damaged field snapshots ({type(exc).__name__}: {str(exc)[:200]})")
    if not quiet:
        for path in written:
            click.echo(f"wrote {path}")


@main.command()
@click.option("--case", "cases", multiple=True, metavar="NAME",
              help="Run only this case (repeatable); default: all cases.")
@click.option("--fast", is_flag=True, help="Only the cases cheap enough for the test suite.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              help="Write a Markdown report with figures into this folder.")
@click.option("--list", "list_cases", is_flag=True, help="List the cases and exit.")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown (as in the README).")
@click.option("--readme", "readme", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Rewrite the validation table between the markers of this README (run all "
                   "cases for it; tests/integration/test_validation_cases.py checks it).")
def validate(cases: tuple[str, ...], fast: bool, report_dir: str | None, list_cases: bool,
             markdown: bool, readme: str | None) -> None:
    """Compare the model with published and analytic results.

    Prints model value, reference, tolerance, unit and source for every check. Exit code 1
    when a check fails that is not a documented, known gap of the model.
    """
    from .validate import (MissingExtra, discover, format_table, markdown_table, run_cases,
                           summary_line, update_readme, write_report)

    if list_cases:
        for name, module in discover().items():
            click.echo(f"{name:24s} {'fast' if module.FAST else 'slow'}  {module.TITLE}")
        return
    if readme and (cases or fast):
        _fail("--readme writes the table of every case: do not combine it with --case or --fast")
    figures = Path(report_dir) / "figures" if report_dir else None
    try:
        checks = run_cases(list(cases) or None, fast_only=fast, figures_dir=figures)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    except MissingExtra as exc:
        _fail(str(exc))
    if markdown:
        click.echo(markdown_table(checks))
    else:
        click.echo(format_table(checks))
        for c in checks:
            click.echo(f"  [{c.case}] {c.quantity}: {c.source}")
            if c.uncertainty:
                click.echo(f"      uncertainty: {c.uncertainty}")
    if report_dir:
        click.echo(f"wrote {write_report(checks, Path(report_dir))}")
    if readme:
        try:
            update_readme(Path(readme), checks)
        except ValueError as exc:
            _fail(str(exc))
        click.echo(f"updated the validation table in {readme}")
    click.echo(summary_line(checks))
    if any(not c.passed and not c.expected_failure for c in checks):
        sys.exit(1)


@main.command()
@click.argument("config")
@click.option("--study", "kind", type=click.Choice(["grid", "time-step"]), default=None,
              help="What to refine [default: grid at the field levels, time-step at the lumped level].")
@click.option("--grids", default="coarse,default,fine", show_default=True, metavar="NAMES",
              help="Comma-separated numerics.resolution names (each 2x finer than the last).")
@click.option("--time-steps", "time_steps", default=None, metavar="STEPS",
              help='Comma-separated time steps with a constant ratio, e.g. "3 h,1.5 h,0.75 h" '
                   "[default: the configuration's step, its half and its quarter].")
@click.option("--duration", default="10 d", show_default=True,
              help="Length of each run (a time quantity).")
@click.option("--tolerance", default="0.5 %", show_default=True,
              help='Error band (GCI) the configuration\'s own level should stay within, e.g. "0.5 %".')
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a configuration value in every run (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(1), default=1, show_default=True,
              help="Runs at once, each in its own process.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Also write the study as JSON (SI values, units named) to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the study as JSON instead of text.")
@click.option("--force", is_flag=True, help="Overwrite an existing -o file.")
@click.option("--mkdir", is_flag=True, help="Create the folder of -o if it does not exist.")
def converge(config: str, kind: str | None, grids: str, time_steps: str | None, duration: str,
             tolerance: str, overrides: tuple[str, ...], jobs: int, output: str | None,
             as_json: bool, force: bool, mkdir: bool) -> None:
    """Estimate the discretisation error of CONFIG's headline outputs.

    Runs CONFIG on refined grids (or time steps) and reports, for the specific energy, the
    heater power, the cell voltage, the current efficiency and the product's impurity: the
    value on each level, the observed order of convergence, a Richardson estimate of the
    converged value and each level's error band (grid convergence index, docs/numerics.md).
    Exit code 1 when an output's band on the configuration's own level exceeds --tolerance.
    """
    import json

    from . import convergence
    from .units import parse_quantity
    from .window import OutsideWindow as OutsideWindowError

    cfg = _load(config, overrides)
    kind = kind or ("time-step" if cfg.numerics.model == "lumped" else "grid")
    try:
        span = parse_quantity(duration, "time")
    except ValueError as exc:
        _fail(f"--duration {duration!r}: expected a time such as '10 d' ({exc})")
    if not span > 0:
        _fail(f"--duration {duration!r}: expected a positive time")
    try:
        tol = parse_quantity(tolerance, "dimensionless")
    except ValueError as exc:
        _fail(f"--tolerance {tolerance!r}: expected a fraction such as '0.5 %' ({exc})")
    if not 0 < tol < 1:
        _fail(f"--tolerance {tolerance!r}: expected a fraction between 0 and 100 %")
    if kind == "grid":
        levels = [g.strip() for g in grids.split(",") if g.strip()]
    elif time_steps:
        try:
            levels = [parse_quantity(s.strip(), "time") for s in time_steps.split(",") if s.strip()]
        except ValueError as exc:
            _fail(f"--time-steps {time_steps!r}: expected times such as '3 h,1.5 h' ({exc})")
    else:
        levels = None
    target = _check_output(output, force, mkdir) if output else None
    _check_environment()
    _compile_ahead((cfg.numerics.model,), as_json)

    def progress(run) -> None:
        if not as_json:
            click.echo(f"  ran {run.level.label}: {run.wall_s:.1f} s", err=True)

    try:
        convergence.plan(config, overrides, kind, levels, span)
    except (ConfigError, ValueError) as exc:
        _fail(str(exc))
    try:
        st = convergence.study(config, overrides, kind, levels, span, jobs, progress)
    except OutsideWindowError as exc:
        _fail(f"a run of the study could not start: {exc}", EXIT_OUTSIDE_WINDOW)
    except (FloatingPointError, RuntimeError) as exc:
        _fail(f"a run of the study failed: {exc}", EXIT_FAILED)
    data = convergence.to_dict(st, tol)
    if target is not None:
        from .sweep.store import atomic_write_text

        atomic_write_text(target, json.dumps(data, indent=1))
    if as_json:
        click.echo(json.dumps(data, indent=1))
    else:
        click.echo(convergence.format_study(st, tol))
        if target is not None:
            click.echo(f"wrote {target}")
    if st.problems:
        sys.exit(EXIT_OUTSIDE_WINDOW if any(r.window for r in st.runs) else EXIT_FAILED)
    if any(v is False for v in convergence.within(st, tol).values()):
        sys.exit(EXIT_FAILED)


from .sweep.cli import sweep, sweep_report  # noqa: E402

main.add_command(sweep)
main.add_command(sweep_report)
from .uq_cli import register  # noqa: E402  (uq, design)
register(main)

if __name__ == "__main__":  # pragma: no cover
    main()
