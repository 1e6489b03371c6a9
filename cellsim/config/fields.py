"""Declarative option specs for the frozen configuration dataclasses.

Each dataclass field of a configuration section is declared with :func:`quantity`,
:func:`number`, :func:`choice`, :func:`text`, :func:`composition` or :func:`section`. The
metadata tells the loader what the TOML value must be (its dimension and unit, range, or
allowed values), so that every check lives in one place and every error can say what was
expected. Nothing downstream re-validates.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING
from typing import Any

SPEC = "cellsim_spec"


@dataclasses.dataclass(frozen=True, slots=True)
class Spec:
    kind: str  # quantity | number | integer | choice | text | composition | section | sections | list
    doc: str
    dimension: str = "dimensionless"
    example: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] = ()
    cls: type | None = None
    optional: bool = False
    key: str | None = None  # TOML key when it differs from the field name (unit in the key)
    scale: float = 1.0  # factor from the TOML number to SI (0.01 for *_wt_pct keys)

    def expected(self) -> str:
        """Human description of what the key accepts (used in error messages)."""
        rng = ""
        if self.lo is not None or self.hi is not None:
            unit = ""
            if self.kind == "quantity":
                from ..units import SI_UNIT

                unit = " " + SI_UNIT[self.dimension]
            lo = "" if self.lo is None else (f"> {self.lo:g}" if self.lo_open else f">= {self.lo:g}")
            hi = "" if self.hi is None else f"<= {self.hi:g}"
            rng = " " + " and ".join(p + unit for p in (lo, hi) if p)
        if self.kind == "quantity":
            return f"a {self.dimension.replace('_', ' ')} with units, e.g. \"{self.example}\"{rng}"
        if self.kind in ("number", "integer"):
            return f"a{'n integer' if self.kind == 'integer' else ' number'}{rng}"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "composition":
            return "a table of element = number" + rng
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("section", "sections"):
            return "a table"
        if self.kind == "list":
            return "a list of strings"
        return "a string"


def _field(spec: Spec, default: Any = MISSING) -> Any:
    if default is MISSING:
        return dataclasses.field(metadata={SPEC: spec})
    if isinstance(default, (dict, list)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={SPEC: spec})
    return dataclasses.field(default=default, metadata={SPEC: spec})


def quantity(dimension: str, doc: str, example: str, *, lo=None, hi=None, lo_open=False,
             default=MISSING, optional=False):
    """A dimensional value, given in TOML as a quantity string such as ``"4.5 cm"``."""
    return _field(Spec("quantity", doc, dimension, example, lo, hi, lo_open, optional=optional),
                  None if optional and default is MISSING else default)


def number(doc: str, *, lo=None, hi=None, lo_open=False, default=MISSING, integer=False,
           key=None, scale=1.0):
    """A dimensionless number (plain TOML number); ``key``/``scale`` for unit-named keys."""
    return _field(Spec("integer" if integer else "number", doc, lo=lo, hi=hi, lo_open=lo_open,
                       key=key, scale=scale), default)


def boolean(doc: str, *, default=MISSING):
    return _field(Spec("bool", doc), default)


def choice(doc: str, choices: tuple[str, ...], *, default=MISSING):
    return _field(Spec("choice", doc, choices=choices), default)


def text(doc: str, *, default=MISSING):
    return _field(Spec("text", doc), default)


def strings(doc: str, *, default=MISSING):
    return _field(Spec("list", doc), default)


def composition(doc: str, *, key: str, scale: float = 0.01, lo=0.0, hi=100.0, default=MISSING):
    """A table ``element = number`` read from TOML key ``key`` (unit in the key name, mass
    percent by default) and stored multiplied by ``scale`` (mass fractions)."""
    return _field(Spec("composition", doc, lo=lo, hi=hi, key=key, scale=scale), default)


def section(cls: type, doc: str, *, default=MISSING):
    return _field(Spec("section", doc, cls=cls), default)


def sections(cls: type, doc: str, *, default=MISSING, key=None):
    """An array of tables (``[[lining.side]]``), loaded as a tuple of ``cls``; ``key`` the TOML
    name when it differs from the field's (``[[materials.solid]]`` for ``solids``)."""
    return _field(Spec("sections", doc, cls=cls, key=key), default)


def spec_of(field: dataclasses.Field) -> Spec:
    return field.metadata[SPEC]
