"""Validation runner: compare the model with published or analytic results.

Each case is a module in ``validation/`` (installed as ``cellsim.validation``) that defines

* ``NAME`` (str), ``TITLE`` (str), ``FAST`` (bool: cheap enough for the normal test run),
* ``run(**overrides) -> list[Check]``,
* for slow cases, ``expected_checks() -> list[Check]``: the checks ``run`` makes with NaN
  model values (and NaN references where the reference is computed from the runs), so the
  README table can be kept consistent without running them.

Its docstring is the case note: which inputs come from the source, which are estimates, and
why the tolerance is what it is. A check passes only on the model's own physics; a published
number the model cannot reach stays, fails visibly, and carries a note explaining why
(``expected_failure``), so the report shows the gap instead of hiding it.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Check:
    """One comparison of a model value with a reference.

    ``tolerance`` is absolute in ``unit`` unless ``relative`` is set; ``kind`` is "within"
    (|model - reference| <= tolerance), "at_least" (model >= reference - tolerance) or
    "at_most" (model <= reference + tolerance).
    """

    case: str
    quantity: str
    model: float
    reference: float
    tolerance: float
    unit: str
    source: str
    kind: str = "within"
    relative: bool = False
    note: str = ""
    expected_failure: str = ""  # why the model misses this published value, if it does
    figures: tuple = field(default=())
    uncertainty: str = ""  # the model value's interval from a UQ study (cellsim uq), if any

    @property
    def allowed(self) -> float:
        return self.tolerance * abs(self.reference) if self.relative else self.tolerance

    @property
    def passed(self) -> bool:
        if not math.isfinite(self.model):
            return False
        if self.kind == "at_least":
            return self.model >= self.reference - self.allowed
        if self.kind == "at_most":
            return self.model <= self.reference + self.allowed
        return abs(self.model - self.reference) <= self.allowed

    @property
    def status(self) -> str:
        if self.passed:
            return "pass" if not self.expected_failure else "pass (unexpected)"
        return "FAIL (known)" if self.expected_failure else "FAIL"

    def criterion(self) -> str:
        unit = "" if self.unit in ("", "-") else f" {self.unit}"  # "-": dimensionless
        tol = f"{self.tolerance * 100:g} %" if self.relative else f"{self.tolerance:g}{unit}"
        if self.kind == "within":
            return f"±{tol}"
        sign = ">=" if self.kind == "at_least" else "<="
        if self.tolerance == 0:
            return f"{sign} reference"
        return f"{sign} reference {'-' if self.kind == 'at_least' else '+'} {tol}"


class MissingExtra(RuntimeError):
    """A validation case needs an optional package (the ``validation`` extra)."""


def discover() -> dict[str, object]:
    """All validation case modules, by NAME."""
    import cellsim.validation as pkg

    cases = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"cellsim.validation.{info.name}")
        if hasattr(module, "run") and hasattr(module, "NAME"):
            cases[module.NAME] = module
    return dict(sorted(cases.items()))


def run_cases(names: list[str] | None = None, fast_only: bool = False,
              figures_dir: Path | None = None) -> list[Check]:
    cases = discover()
    unknown = [n for n in (names or []) if n not in cases]
    if unknown:
        raise KeyError(f"unknown validation case(s) {unknown}; available: {sorted(cases)}")
    checks: list[Check] = []
    for name, module in cases.items():
        if names and name not in names:
            continue
        if fast_only and not module.FAST:
            continue
        kwargs = {"figures_dir": figures_dir} if figures_dir is not None else {}
        try:
            checks.extend(module.run(**kwargs))
        except ModuleNotFoundError as exc:
            raise MissingExtra(f"validation case {name!r} needs the package {exc.name!r}, which is "
                               "not installed: python -m pip install \".[validation]\" (from the "
                               "repository) installs the validation extras") from exc
    return checks


def format_table(checks: list[Check]) -> str:
    header = ("case", "quantity", "model", "reference", "criterion", "unit", "status")
    rows = [(c.case, c.quantity, f"{c.model:.6g}", f"{c.reference:.6g}", c.criterion(), c.unit,
             c.status) for c in checks]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    out = [line, "-" * len(line)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


TABLE_COLUMNS = ("case", "quantity", "model", "reference", "criterion", "unit", "status", "source")
README_BEGIN = "<!-- validation-table:begin (cellsim validate --readme README.md) -->"
README_END = "<!-- validation-table:end -->"


def markdown_row(c: Check) -> tuple[str, ...]:
    """The cells of one check in the Markdown tables (report and README), in TABLE_COLUMNS order."""
    return (c.case, c.quantity, f"{c.model:.6g}", f"{c.reference:.6g}", c.criterion(), c.unit,
            c.status, c.source)


def markdown_table(checks: list[Check]) -> str:
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    for c in checks:
        lines.append("| " + " | ".join(v.replace("|", "\\|") for v in markdown_row(c)) + " |")
    return "\n".join(lines)


def summary_line(checks: list[Check]) -> str:
    unexpected = sum(not c.passed and not c.expected_failure for c in checks)
    known = sum(not c.passed and bool(c.expected_failure) for c in checks)
    return f"{sum(c.passed for c in checks)} passed, {unexpected} failed, {known} known gaps"


def parse_markdown_table(text: str) -> list[dict[str, str]]:
    """Rows of a table written by :func:`markdown_table` (header and rule skipped; lines
    that are not table rows, such as the summary line of the README block, are ignored)."""
    rows = []
    table = [line for line in text.splitlines() if line.lstrip().startswith("|")]
    for line in table[2:]:
        cells = [v.strip().replace("\\|", "|") for v in
                 line.strip().strip("|").replace("\\|", "\0").split("|")]
        rows.append(dict(zip(TABLE_COLUMNS, (v.replace("\0", "|") for v in cells))))
    return rows


def readme_block(text: str) -> str:
    """The validation table between the README markers."""
    try:
        start = text.index(README_BEGIN) + len(README_BEGIN)
        end = text.index(README_END, start)
    except ValueError:
        raise ValueError(f"README has no validation markers {README_BEGIN!r} ... "
                         f"{README_END!r}") from None
    return text[start:end]


def update_readme(path: Path, checks: list[Check]) -> None:
    """Rewrite the table between the README markers (the text around them is kept)."""
    text = path.read_text()
    old = readme_block(text)
    new = f"\n\n{markdown_table(checks)}\n\n{summary_line(checks)}.\n\n"
    path.write_text(text.replace(README_BEGIN + old + README_END, README_BEGIN + new + README_END))


def write_report(checks: list[Check], outdir: Path) -> Path:
    """A Markdown report: the table, the sources, the notes and the figures of every case."""
    outdir.mkdir(parents=True, exist_ok=True)
    cases = discover()
    lines = ["# cellsim validation report", "", summary_line(checks) + ".", "",
             markdown_table(checks)]
    for name in dict.fromkeys(c.case for c in checks):
        module = cases[name]
        lines += ["", f"## {module.TITLE} (`{name}`)", "", (module.__doc__ or "").strip(), ""]
        shown = set()
        for c in (c for c in checks if c.case == name):
            if c.note or c.expected_failure or c.uncertainty:
                gap = f" Known gap: {c.expected_failure}" if c.expected_failure else ""
                unc = f" Uncertainty: {c.uncertainty}" if c.uncertainty else ""
                lines.append(f"* **{c.quantity}**: {c.note}{unc}{gap}".rstrip())
            for fig in c.figures:
                if fig in shown:
                    continue
                shown.add(fig)
                try:
                    rel = Path(fig).resolve().relative_to(outdir.resolve())
                except ValueError:  # a figure outside the report directory
                    rel = Path(fig).resolve()
                lines.append(f"\n![{c.quantity}]({rel})\n")
    path = outdir / "validation.md"
    path.write_text("\n".join(lines) + "\n")
    return path
