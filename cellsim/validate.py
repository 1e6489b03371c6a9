"""Validation runner: compare the model with published or analytic results.

Each case is a module in ``validation/`` (installed as ``cellsim.validation``) that defines

* ``NAME`` (str), ``TITLE`` (str), ``FAST`` (bool: cheap enough for the normal test run),
* ``run(**overrides) -> list[Check]``.

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
        tol = f"{self.tolerance * 100:g} %" if self.relative else f"{self.tolerance:g} {self.unit}"
        if self.kind == "within":
            return f"±{tol}"
        sign = ">=" if self.kind == "at_least" else "<="
        if self.tolerance == 0:
            return f"{sign} reference"
        return f"{sign} reference {'-' if self.kind == 'at_least' else '+'} {tol}"


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
        checks.extend(module.run(**kwargs))
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


def write_report(checks: list[Check], outdir: Path) -> Path:
    """A Markdown report: the table, the sources, the notes and the figures of every case."""
    outdir.mkdir(parents=True, exist_ok=True)
    cases = discover()
    lines = ["# cellsim validation report", "",
             "| case | quantity | model | reference | criterion | unit | status | source |",
             "|---|---|---|---|---|---|---|---|"]
    for c in checks:
        lines.append(f"| {c.case} | {c.quantity} | {c.model:.6g} | {c.reference:.6g} | "
                     f"{c.criterion()} | {c.unit} | {c.status} | {c.source} |")
    for name in dict.fromkeys(c.case for c in checks):
        module = cases[name]
        lines += ["", f"## {module.TITLE} (`{name}`)", "", (module.__doc__ or "").strip(), ""]
        for c in (c for c in checks if c.case == name):
            if c.note or c.expected_failure:
                lines.append(f"* **{c.quantity}**: {c.note} {c.expected_failure}".rstrip())
            for fig in c.figures:
                rel = Path(fig).resolve().relative_to(outdir.resolve()) if Path(fig).is_absolute() else fig
                lines.append(f"\n![{c.quantity}]({rel})")
    path = outdir / "validation.md"
    path.write_text("\n".join(lines) + "\n")
    return path
