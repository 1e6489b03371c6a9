"""Sweep specifications: a TOML file naming a base configuration and the parameters to vary.

Layout (``configs/sweeps/acd-current.toml`` is a worked example)::

    [sweep]
    name = "acd-current"
    base = "rusal-3kA"              # packaged cell name, or a path relative to this file
    design = "grid"                 # grid | zip | lhs | sobol | saltelli
    samples = 64                    # lhs, sobol, saltelli: sample size (power of 2 for sobol, saltelli)
    seed = 0                        # lhs, sobol, saltelli
    set = ['schedule.duration="70 d"']   # overrides applied to every case (like --set)

    [parameters]
    "geometry.acd" = { start = "3.5 cm", stop = "6 cm", num = 6 }   # range (inclusive)
    "operation.current_density" = ["0.4 A/cm2", "0.5 A/cm2"]        # list
    "kinetics.alpha_anodic" = { bounds = [0.3, 0.7] }               # sampled designs

A parameter key is any scalar configuration key (``section.key``, or
``scrap.composition_wt_pct.Fe`` for one element of a composition), or the derived key
``operation.current_density``, which sets ``operation.current`` to density times the cell's
cross-section. Quantities carry units; values are held in SI, with the unit of the first value
given kept for display. Errors are :class:`SweepSpecError` (a ``ConfigError``): file, key,
value and what was expected.

Designs: ``grid`` runs every combination, ``zip`` takes the i-th value of each list, ``lhs``
and ``sobol`` draw space-filling samples in the bounds (``scipy.stats.qmc``), ``saltelli``
draws the A, B and AB_i matrices of Saltelli's scheme for Sobol indices (N (d + 2) cases).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ConfigError
from ..config.fields import spec_of
from ..config.loader import LIBRARIES, _resolve
from ..config.schema import Config
from ..elements import ALL_ELEMENTS
from ..units import DIMENSIONS, UnitError, celsius, parse_quantity, parse_unit

DESIGNS = ("grid", "zip", "lhs", "sobol", "saltelli")
SAMPLED = ("lhs", "sobol", "saltelli")
CURRENT_DENSITY = "operation.current_density"
_SI_NAMES = ("m", "kg", "s", "A", "K", "mol")


class SweepSpecError(ConfigError):
    """Invalid sweep specification; names file, key, value and what was expected."""


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One swept configuration key. ``values`` (lists, ranges) or ``bounds`` (samples) in SI."""

    key: str
    kind: str  # quantity | number | integer | bool | choice | text
    dimension: str
    unit: str  # display unit ("" for plain numbers)
    values: tuple = ()
    bounds: tuple[float, float] | None = None

    def display(self, value: Any) -> Any:
        """SI value -> number in the display unit (unchanged for non-quantities)."""
        if self.kind != "quantity":
            return value
        if self.unit == "degC":
            return celsius(value)
        return value / parse_unit(self.unit).factor

    @property
    def label(self) -> str:
        return f"{self.key} [{self.unit or '1'}]"

    def override(self, value: Any) -> str:
        """The ``section.key=value`` override for an SI value (quantities in the display unit,
        so that a config error quotes the value as the user wrote it)."""
        if self.kind == "quantity":
            return f'{self.key}="{float(self.display(value))!r} {self.unit}"'
        if self.kind == "integer":
            return f"{self.key}={int(value)}"
        if self.kind == "bool":
            return f"{self.key}={'true' if value else 'false'}"
        if self.kind in ("choice", "text"):
            return f'{self.key}="{value}"'
        return f"{self.key}={float(value)!r}"


@dataclasses.dataclass(frozen=True)
class Case:
    index: int
    name: str
    values: tuple  # one SI value per parameter
    role: str = ""  # saltelli: "A", "B" or "AB<i>"; group = base-sample row
    group: int = -1


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    name: str
    path: str
    base: str  # packaged cell name or absolute path
    design: str
    parameters: tuple[Parameter, ...]
    cases: tuple[Case, ...]
    fixed: tuple[str, ...] = ()
    samples: int = 0
    seed: int = 0
    description: str = ""

    def overrides(self, case: Case) -> tuple[tuple[str, ...], float | None]:
        """Overrides of ``case`` and, if swept, its current density [A/m2] (applied by area)."""
        out, density = list(self.fixed), None
        for p, v in zip(self.parameters, case.values):
            if p.key == CURRENT_DENSITY:
                density = float(v)
            else:
                out.append(p.override(v))
        return tuple(out), density

    def describe(self, case: Case) -> str:
        parts = [f"{p.key}={_fmt(p.display(v))}{' ' + p.unit if p.unit else ''}"
                 for p, v in zip(self.parameters, case.values)]
        return ", ".join(parts)


def _fmt(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def si_unit(dimension: str) -> str:
    """SI base-unit expression of a named dimension, e.g. ``"m-2 A"`` for current density."""
    dims = DIMENSIONS[dimension]
    parts = [n if p == 1 else f"{n}{p}" for n, p in zip(_SI_NAMES, dims) if p]
    return " ".join(parts) or "1"


def key_spec(key: str, origin: str) -> tuple[str, str, float]:
    """(kind, dimension, scale) of a sweepable configuration key."""
    if key == CURRENT_DENSITY:
        return "quantity", "current_density", 1.0
    parts, cls, spec = key.split("."), Config, None
    if len(parts) == 2 and parts[1] == "use":  # a whole library entry, e.g. scrap.use = ["ubc", "a380"]
        if parts[0] not in LIBRARIES:
            raise SweepSpecError(origin, f"parameters.{key}", key,
                                 f"'<section>.use' with a section among {sorted(LIBRARIES)}")
        return "text", "dimensionless", 1.0
    for depth, part in enumerate(parts):
        if cls is None:
            raise SweepSpecError(origin, f"parameters.{key}", key, "a scalar configuration key")
        by_key = {(spec_of(f).key or f.name): spec_of(f) for f in dataclasses.fields(cls)}
        part, indexed, _ = part.partition("[")  # lining.side[2].thickness: one layer
        if part not in by_key:
            raise SweepSpecError(origin, f"parameters.{key}", key,
                                 f"a configuration key: '{part}' is not one of {sorted(by_key)}")
        spec = by_key[part]
        cls = spec.cls if spec.kind == "section" or (indexed and spec.kind == "sections") else None
        if spec.kind == "composition":
            if depth != len(parts) - 2 or parts[-1] not in ALL_ELEMENTS:
                raise SweepSpecError(origin, f"parameters.{key}", key,
                                     f"'{'.'.join(parts[:depth + 1])}.<element>' with an element "
                                     f"of {list(ALL_ELEMENTS)}")
            return "number", "dimensionless", spec.scale
    if spec is None or spec.kind in ("section", "sections", "list"):
        raise SweepSpecError(origin, f"parameters.{key}", key,
                             "a scalar configuration key (not a table or an array of tables)")
    return spec.kind, spec.dimension, spec.scale


def _quantity(value: Any, kind: str, dimension: str, origin: str, where: str) -> tuple[Any, str]:
    """(SI value, display unit) of one user value."""
    if kind == "quantity":
        if not isinstance(value, str):
            raise SweepSpecError(origin, where, value,
                                 f"a {dimension.replace('_', ' ')} with units, e.g. \"4.5 cm\"")
        try:
            si = parse_quantity(value, dimension)
        except UnitError as exc:
            raise SweepSpecError(origin, where, value, f"a {dimension.replace('_', ' ')}; {exc}"
                                 ) from None
        unit = value.strip().lstrip("+-0123456789.eE").strip()
        return si, unit
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SweepSpecError(origin, where, value, f"a{'n integer' if kind == 'integer' else ' number'}")
        return value, ""
    if kind == "bool" and not isinstance(value, bool):
        raise SweepSpecError(origin, where, value, "true or false")
    if kind in ("choice", "text") and not isinstance(value, str):
        raise SweepSpecError(origin, where, value, "a string")
    return value, ""


def _parameter(key: str, body: Any, design: str, origin: str) -> Parameter:
    kind, dim, scale = key_spec(key, origin)
    where = f"parameters.{key}"
    unit_hint = "wt%" if scale == 0.01 else ""
    if design in SAMPLED:
        if not (isinstance(body, dict) and set(body) == {"bounds"}
                and isinstance(body["bounds"], list) and len(body["bounds"]) == 2):
            raise SweepSpecError(origin, where, body, f"{{ bounds = [low, high] }} for design '{design}'")
        if kind not in ("quantity", "number"):
            raise SweepSpecError(origin, where, key, "a continuous (quantity or number) key to sample")
        (lo, unit), (hi, _) = (_quantity(b, kind, dim, origin, where + ".bounds")
                               for b in body["bounds"])
        if not lo < hi:
            raise SweepSpecError(origin, where + ".bounds", body["bounds"], "low < high")
        return Parameter(key, kind, dim, unit or unit_hint, bounds=(float(lo), float(hi)))
    if isinstance(body, list):
        if not body:
            raise SweepSpecError(origin, where, body, "a non-empty list of values")
        parsed = [_quantity(v, kind, dim, origin, where) for v in body]
        return Parameter(key, kind, dim, parsed[0][1] or unit_hint, tuple(v for v, _ in parsed))
    if isinstance(body, dict) and set(body) == {"start", "stop", "num"}:
        if kind not in ("quantity", "number"):
            raise SweepSpecError(origin, where, body, "a list of values for a non-numeric key")
        num = body["num"]
        if isinstance(num, bool) or not isinstance(num, int) or not 1 <= num <= MAX_CASES:
            raise SweepSpecError(origin, where + ".num", num, f"an integer >= 1 and <= {MAX_CASES}")
        (a, unit), (b, _) = (_quantity(body[k], kind, dim, origin, f"{where}.{k}")
                             for k in ("start", "stop"))
        return Parameter(key, kind, dim, unit or unit_hint,
                         tuple(float(x) for x in np.linspace(a, b, num)))
    raise SweepSpecError(origin, where, body, "a list of values or { start = , stop = , num = }"
                         if design not in SAMPLED else "{ bounds = [low, high] }")


MAX_CASES = 100_000
"""Most cases a sweep may have, checked before the cases are built (a sweep that large is
months of computing; split it)."""


def case_count(design: str, params: list[Parameter], samples: int) -> int:
    """Number of cases of a design, computed without building them."""
    if design == "grid":
        return math.prod(len(p.values) for p in params)
    if design == "zip":
        return len(params[0].values) if params else 0
    if design == "saltelli":
        return samples * (len(params) + 2)
    return samples


def _cases(design: str, params: list[Parameter], samples: int, seed: int, origin: str
           ) -> list[Case]:
    n = case_count(design, params, samples)
    if n > MAX_CASES:
        raise SweepSpecError(origin, "sweep.samples" if design in SAMPLED else "parameters",
                             f"{n} cases", f"at most {MAX_CASES} cases (split the sweep)")
    if design == "grid":
        rows = list(itertools.product(*(p.values for p in params)))
        return [Case(i, "", tuple(r)) for i, r in enumerate(rows)]
    if design == "zip":
        lengths = {p.key: len(p.values) for p in params}
        if len(set(lengths.values())) != 1:
            raise SweepSpecError(origin, "parameters", lengths, "lists of one length for design 'zip'")
        return [Case(i, "", tuple(r)) for i, r in enumerate(zip(*(p.values for p in params)))]
    from scipy.stats import qmc

    d = len(params)
    lo = np.array([p.bounds[0] for p in params])
    hi = np.array([p.bounds[1] for p in params])
    if design == "lhs":
        unit = qmc.LatinHypercube(d, seed=seed).random(samples)
        return [Case(i, "", tuple(map(float, lo + r * (hi - lo)))) for i, r in enumerate(unit)]
    m = int(round(math.log2(samples))) if samples > 0 else -1
    if m < 0 or 2**m != samples:
        raise SweepSpecError(origin, "sweep.samples", samples, f"a power of 2 for design '{design}'")
    if design == "sobol":
        unit = qmc.Sobol(d, scramble=True, seed=seed).random_base2(m)
        return [Case(i, "", tuple(map(float, lo + r * (hi - lo)))) for i, r in enumerate(unit)]
    return _saltelli_cases(qmc.Sobol(2 * d, scramble=True, seed=seed).random_base2(m), lo, hi)


def _saltelli_cases(base: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[Case]:
    d = base.shape[1] // 2
    A, B = base[:, :d], base[:, d:]
    rows: list[tuple[str, int, np.ndarray]] = []
    rows += [("A", j, A[j]) for j in range(len(A))]
    rows += [("B", j, B[j]) for j in range(len(B))]
    for i in range(d):
        AB = A.copy()
        AB[:, i] = B[:, i]
        rows += [(f"AB{i}", j, AB[j]) for j in range(len(AB))]
    return [Case(k, "", tuple(map(float, lo + r * (hi - lo))), role, j)
            for k, (role, j, r) in enumerate(rows)]


def _get(table: dict, key: str, types: tuple, expected: str, origin: str, default: Any) -> Any:
    value = table.get(key, default)
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        raise SweepSpecError(origin, f"sweep.{key}", value, expected)
    return value


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep specification, and expand its cases."""
    path = Path(path).resolve()
    origin = str(path)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise SweepSpecError(None, "<file>", str(path), "an existing sweep TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepSpecError(path, "<syntax>", str(exc), "valid TOML") from None
    unknown = set(raw) - {"sweep", "parameters"}
    if unknown or not isinstance(raw.get("sweep"), dict):
        raise SweepSpecError(origin, sorted(unknown)[0] if unknown else "sweep",
                             raw.get("sweep"), "tables [sweep] and [parameters] only")
    sw = raw["sweep"]
    extra = set(sw) - {"name", "base", "design", "samples", "seed", "set", "description"}
    if extra:
        raise SweepSpecError(origin, f"sweep.{sorted(extra)[0]}", sw[sorted(extra)[0]],
                             "one of the keys base, description, design, name, samples, seed, set")
    name = _get(sw, "name", (str,), "a name for the sweep", origin, path.stem)
    base = _get(sw, "base", (str,), "a packaged cell name or a config path", origin, None)
    design = _get(sw, "design", (str,), f"one of {list(DESIGNS)}", origin, "grid")
    if design not in DESIGNS:
        raise SweepSpecError(origin, "sweep.design", design, f"one of {list(DESIGNS)}")
    samples = _get(sw, "samples", (int,), "an integer >= 2", origin, 0)
    seed = _get(sw, "seed", (int,), "an integer", origin, 0)
    fixed = _get(sw, "set", (list,), "a list of 'section.key=value' strings", origin, [])
    if not all(isinstance(s, str) and "=" in s for s in fixed):
        raise SweepSpecError(origin, "sweep.set", fixed, "a list of 'section.key=value' strings")
    if design in SAMPLED and samples < 2:
        raise SweepSpecError(origin, "sweep.samples", samples, f"an integer >= 2 for design '{design}'")
    try:
        base_path = _resolve(base, "cells", path, "sweep.base", origin)
    except ConfigError as exc:
        raise SweepSpecError(exc.file, exc.key, exc.value, exc.expected) from None
    params_raw = raw.get("parameters")
    if not isinstance(params_raw, dict) or not params_raw:
        raise SweepSpecError(origin, "parameters", params_raw, "a table of at least one parameter")
    params = [_parameter(k, v, design, origin) for k, v in params_raw.items()]
    cases = _cases(design, params, samples, seed, origin)
    width = max(4, len(str(len(cases) - 1)))
    cases = [dataclasses.replace(c, name=f"case-{c.index:0{width}d}") for c in cases]
    return SweepSpec(name, origin, str(base_path), design, tuple(params), tuple(cases),
                     tuple(fixed), samples, seed, str(sw.get("description", "")))
