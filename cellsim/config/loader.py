"""Read TOML configurations into frozen, validated, SI-valued :class:`Config` objects.

The only place in cellsim that reads user input. Resolution rules:

* ``extends = "NAME-or-PATH"`` at the top of a file loads a base cell first (a bare name is
  looked up in the packaged ``configs/cells/``); the file's own keys override the base.
* ``use = "NAME-or-PATH"`` inside a section loads a library entry (``configs/<library>/NAME.toml``,
  see :data:`LIBRARIES`) and the section's other keys override it.
* ``--set section.key=value`` overrides are applied last; ``value`` is parsed as a TOML value
  (so ``--set operation.current='"2.5 kA"'`` or, more simply, ``--set operation.current=2.5kA``
  falls back to a string).

Every error names the file the offending value came from, the key, the value and what was
expected (:class:`ConfigError`).
"""

from __future__ import annotations

import contextvars
import dataclasses
import difflib
import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from ..units import UnitError, parse_quantity
from .errors import ConfigError
from .fields import Spec, spec_of
from .schema import Config
from .uncertain import DISTRIBUTIONS, TABLE_KEYS, Uncertain, check_bounds, is_uncertain_table
from .validate import validate

# Uncertain inputs met while building a Config (set by load_uncertain, None otherwise).
_COLLECT: contextvars.ContextVar[list | None] = contextvars.ContextVar("cellsim_uncertain",
                                                                       default=None)

LIBRARIES = {
    "electrolyte": "electrolytes",
    "anode_alloy": "alloys",
    "scrap": "scrap",
    "product": "specs",
    "footprint": "grids",
    "lining": "linings",
    "cathode_metal": "metals",
    "materials": "materials",
}

# Library entries under every configuration: its own section (or another entry it uses)
# overrides their keys.
DEFAULT_USE = {"materials": "pot"}


@dataclasses.dataclass(slots=True)
class _Leaf:
    value: Any
    origin: str


class _LibraryLeaf(_Leaf):
    """A value that came from a library entry (``use = ...``), not from the configuration."""

    __slots__ = ()


def library_root() -> Path:
    """Directory of the packaged reference data (``configs/`` in the repository)."""
    return Path(str(resources.files("cellsim.configs")))


def _resolve(name: str, subdir: str, relative_to: Path | None, key: str, origin: str) -> Path:
    candidates = []
    if name.endswith(".toml") or "/" in name:
        base = relative_to.parent if relative_to else Path.cwd()
        candidates.append((base / name).resolve())
    else:
        candidates.append(library_root() / subdir / f"{name}.toml")
    for path in candidates:
        if path.is_file():
            return path
    available = sorted(p.stem for p in (library_root() / subdir).glob("*.toml"))
    if not (name.endswith(".toml") or "/" in name):
        folded = [a for a in available if a.casefold() == name.casefold()]
        if len(folded) == 1:  # library names are case-insensitive: RUSAL-3ka is rusal-3kA
            return library_root() / subdir / f"{folded[0]}.toml"
    close = difflib.get_close_matches(name.casefold(), [a.casefold() for a in available], n=1,
                                      cutoff=0.6)
    hint = ""
    if close:
        hint = f" (did you mean '{next(a for a in available if a.casefold() == close[0])}'?)"
    raise ConfigError(origin, key, name,
                      f"a file or one of the library entries {available}{hint}")


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(None, "<file>", str(path), "an existing TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "<syntax>", str(exc), "valid TOML") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "<encoding>", f"byte {exc.start}", "UTF-8 text") from None
    except RecursionError:
        raise ConfigError(path, "<syntax>", "nesting too deep", "tables and lists nested a few "
                          "levels deep") from None
    except OSError as exc:
        raise ConfigError(None, "<file>", str(path), f"a readable TOML file ({exc.strerror})") from None


def _wrap(data: Any, origin: str, leaf: type[_Leaf] = _Leaf) -> Any:
    if isinstance(data, dict):
        return {k: _wrap(v, origin, leaf) for k, v in data.items()}
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        return [_wrap(x, origin, leaf) for x in data]
    return leaf(data, origin)


def _own_keys(tree: Any) -> Any:
    """The part of a section the configuration set itself (files, ``--set``), without the keys
    its library entry brought; None where nothing is left."""
    if isinstance(tree, dict):
        own = {k: v for k, v in ((k, _own_keys(v)) for k, v in tree.items()) if v is not None}
        return own or None
    if isinstance(tree, list):  # an array of tables is kept whole if the configuration set any of it
        return tree if any(_own_keys(x) is not None for x in tree) else None
    return None if isinstance(tree, _LibraryLeaf) else tree


MIN_LENGTH = 1e-6  # m: a length below 1 um is a typo (or a fuzzer), never a pot's dimension


class _Replace(dict):
    """A table given whole on the command line: it replaces, rather than merges into, the base."""


def _is_range_table(value: Any) -> bool:
    return is_uncertain_table(value) and set(value) <= set(TABLE_KEYS)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, _Replace):
            out[key] = dict(value)
        elif _is_range_table(value):  # a value with its range is given whole, never merged
            out[key] = value
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _library_entry(section: str, name: str, relative_to: Path | None, key: str, origin: str,
                   sources: dict[str, list[str]]) -> dict:
    """The library entry ``name`` of ``section`` as a tree; its sources replace the section's."""
    lib_path = _resolve(name, LIBRARIES[section], relative_to, key, origin)
    lib = _read_toml(lib_path)
    lib_sources = lib.pop("sources", [])
    if not isinstance(lib_sources, list):
        raise ConfigError(lib_path, "sources", lib_sources, "a list of strings")
    sources[section] = [str(s) for s in lib_sources]  # a later use replaces
    return _wrap(lib, str(lib_path), _LibraryLeaf)


def _load_tree(path: Path, sources: dict[str, list[str]], depth: int = 0) -> dict:
    if depth > 10:
        raise ConfigError(path, "extends", str(path), "no circular or deeper than 10 extends")
    raw = _read_toml(path)
    tree: dict = {}
    if "extends" in raw:
        base = raw.pop("extends")
        if not isinstance(base, str):
            raise ConfigError(path, "extends", base, "the name or path of a base configuration")
        tree = _load_tree(_resolve(base, "cells", path, "extends", str(path)), sources, depth + 1)
    for section, body in raw.items():
        if isinstance(body, dict) and "use" in body:
            body = dict(body)
            name = body.pop("use")
            if section not in LIBRARIES or not isinstance(name, str):
                raise ConfigError(path, f"{section}.use", name,
                                  f"'use' only in sections {sorted(LIBRARIES)}, naming an entry")
            lib = _library_entry(section, name, path, f"{section}.use", str(path), sources)
            tree = _merge(tree, {section: lib})
        tree = _merge(tree, {section: _wrap(body, str(path))})
    return tree


def _apply_override(tree: dict, assignment: str, sources: dict[str, list[str]]) -> dict:
    if "=" not in assignment:
        raise ConfigError("--set", assignment, assignment, "'section.key=value'")
    dotted, text = assignment.split("=", 1)
    keys = dotted.strip().split(".")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text.strip()
    if len(keys) == 2 and keys[1] == "use":  # swap a whole library entry: --set scrap.use=a380
        section = keys[0]
        if section not in LIBRARIES or not isinstance(value, str):
            raise ConfigError("--set", dotted, value,
                              f"'use' only in sections {sorted(LIBRARIES)}, naming an entry")
        lib = _library_entry(section, value, None, dotted, "--set", sources)
        # As if the file's ``use`` line named the new entry: the entry's keys are replaced whole
        # (nothing of the old entry is left), the keys the configuration set itself stay on top
        # (a cell's Mg removal survives a swap of its scrap grade, in any order of --set).
        own = _own_keys(tree.get(section, {}))
        swapped = _merge(tree, {section: _Replace(lib)})
        return _merge(swapped, {section: own}) if own else swapped
    patch: Any = _Replace(_wrap(value, "--set")) if isinstance(value, dict) else _wrap(value, "--set")
    if any("[" in k for k in keys):  # one layer of an array of tables: lining.side[2].thickness
        return _set_indexed(tree, keys, patch, dotted)
    for key in reversed(keys):
        patch = {key: patch}
    return _merge(tree, patch)


def _set_indexed(tree: Any, keys: list[str], patch: Any, dotted: str) -> Any:
    """``tree`` with the value at ``keys`` (parts such as ``side[2]`` index arrays) replaced."""
    if not keys:
        return patch
    head, rest = keys[0], keys[1:]
    index = None
    if "[" in head:
        name, _, tail = head.partition("[")
        try:
            index = int(tail.rstrip("]"))
        except ValueError:
            raise ConfigError("--set", dotted, head, "an index such as 'side[2]'") from None
        head = name
    if not isinstance(tree, dict):
        raise ConfigError("--set", dotted, head, "a key inside a table")
    out = dict(tree)
    if index is None:
        out[head] = _set_indexed(tree.get(head, {}), rest, patch, dotted)
        return out
    items = tree.get(head)
    if not isinstance(items, list) or not -len(items) <= index < len(items):
        n = len(items) if isinstance(items, list) else 0
        raise ConfigError("--set", dotted, f"{head}[{index}]",
                          f"an index into the array of tables '{head}' ({n} entries)")
    items = list(items)
    items[index] = _set_indexed(items[index], rest, patch, dotted)
    out[head] = items
    return out


def default_section(section: str):
    """The section built from its packaged default entry alone (``DEFAULT_USE``), e.g. the
    materials of a result file written before the configuration had them."""
    sources: dict[str, list[str]] = {}
    tree = _library_entry(section, DEFAULT_USE[section], None, f"{section}.use", "default", sources)
    field = next(f for f in dataclasses.fields(Config) if f.name == section)
    return _build(spec_of(field).cls, tree, section + ".", "default")


def load_uncertain(path: str | Path, overrides: tuple[str, ...] | list[str] = ()
                   ) -> tuple[Config, tuple[Uncertain, ...]]:
    """The configuration and its uncertain inputs (keys given with a range), in file order.

    A key pinned by an override (``--set key=value``) is no longer uncertain."""
    found: list = []
    token = _COLLECT.set(found)
    try:
        config = load_config(path, overrides)
    finally:
        _COLLECT.reset(token)
    return config, tuple(found)


def load_config(path: str | Path, overrides: tuple[str, ...] | list[str] = ()) -> Config:
    """Load, resolve and validate a configuration file (or a packaged cell name)."""
    path = Path(path)
    if not path.is_file() and not str(path).endswith(".toml"):
        path = _resolve(str(path), "cells", None, "<config>", "command line")
    path = path.resolve()
    sources: dict[str, list[str]] = {}  # library section -> sources of the entry it uses
    tree = _load_tree(path, sources)
    for section, name in DEFAULT_USE.items():  # the packaged entry under what the file says
        if isinstance(tree.get(section, {}), dict):
            given = sources.get(section)
            base = _library_entry(section, name, None, f"{section}.use", "default", sources)
            if given is not None:
                sources[section] = given
            tree[section] = _merge(base, tree.get(section, {}))
    for assignment in overrides:
        tree = _apply_override(tree, assignment, sources)
    config = _build(Config, tree, "", str(path))
    meta_sources = tuple(dict.fromkeys(list(config.meta.sources)
                                       + [s for lib in sources.values() for s in lib]))
    config = dataclasses.replace(config, meta=dataclasses.replace(config.meta, sources=meta_sources))
    validate(config, str(path))  # cross-section checks
    return config


# Keys of earlier versions -> today's (one name for the electrolyte); still read.
RENAMED_KEYS = {
    "schedule.stop_on_frozen_bath": "schedule.stop_on_frozen_electrolyte",
    "schedule.min_bath_liquid_fraction": "schedule.min_electrolyte_liquid_fraction",
}


def _build(cls: type, tree: Any, prefix: str, default_origin: str) -> Any:
    if not isinstance(tree, dict):
        origin = tree.origin if isinstance(tree, _Leaf) else default_origin
        raise ConfigError(origin, prefix.rstrip(".") or "<root>", _plain(tree), "a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    by_key = {(spec_of(f).key or f.name): f for f in fields.values()}
    kwargs = {}
    for key, value in tree.items():
        if key not in by_key and prefix + key in RENAMED_KEYS:
            key = RENAMED_KEYS[prefix + key][len(prefix):]
        if key not in by_key:
            origin = _first_origin(value, default_origin)
            close = difflib.get_close_matches(key, list(by_key), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(origin, prefix + key, _plain(value),
                              f"one of the keys {sorted(by_key)}{hint}")
        field = by_key[key]
        kwargs[field.name] = _convert(spec_of(field), value, prefix + key, default_origin)
    for field in fields.values():
        spec = spec_of(field)
        if field.name in kwargs:
            continue
        has_default = (field.default is not dataclasses.MISSING
                       or field.default_factory is not dataclasses.MISSING)
        if not has_default:
            raise ConfigError(default_origin, prefix + (spec.key or field.name), "<missing>",
                              f"{spec.expected()} ({spec.doc})")
    return cls(**kwargs)


def _first_origin(value: Any, default: str) -> str:
    if isinstance(value, _Leaf):
        return value.origin
    if isinstance(value, dict):
        for v in value.values():
            return _first_origin(v, default)
    if isinstance(value, list):
        for v in value:
            return _first_origin(v, default)
    return default


def _plain(value: Any) -> Any:
    if isinstance(value, _Leaf):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _convert(spec: Spec, value: Any, key: str, default_origin: str) -> Any:
    if spec.kind == "section":
        return _build(spec.cls, value, key + ".", default_origin)
    if spec.kind == "sections":
        if not isinstance(value, list) or not value:
            raise ConfigError(_first_origin(value, default_origin), key, _plain(value),
                              "a non-empty array of tables ([[" + key + "]])")
        return tuple(_build(spec.cls, v, f"{key}[{i}].", default_origin) for i, v in enumerate(value))
    if spec.kind == "composition":
        if not isinstance(value, dict):
            raise ConfigError(_first_origin(value, default_origin), key, _plain(value), spec.expected())
        return {el: _scalar(spec, v, f"{key}.{el}") for el, v in value.items()}
    return _scalar(spec, value, key)


def _scalar(spec: Spec, leaf: Any, key: str) -> Any:
    if is_uncertain_table(leaf) and spec.kind in ("quantity", "number", "integer"):
        return _uncertain(spec, leaf, key)
    origin, value = (leaf.origin, leaf.value) if isinstance(leaf, _Leaf) else (None, leaf)
    if isinstance(value, dict):
        raise ConfigError(origin, key, _plain(leaf), spec.expected())
    if spec.kind == "text":
        if not isinstance(value, str):
            raise ConfigError(origin, key, value, spec.expected())
        return value
    if spec.kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(origin, key, value, spec.expected())
        return tuple(value)
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(origin, key, value, spec.expected())
        return value
    if spec.kind == "choice":
        if value not in spec.choices:
            raise ConfigError(origin, key, value, spec.expected())
        return value
    if spec.kind == "quantity":
        if not isinstance(value, str):
            raise ConfigError(origin, key, value, spec.expected() + " (a quoted string with a unit)")
        try:
            number = parse_quantity(value, spec.dimension)
        except UnitError as exc:
            raise ConfigError(origin, key, value, f"{spec.expected()}; {exc}") from None
    else:  # number, integer, composition entries
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(origin, key, value, spec.expected())
        if spec.kind == "integer" and not isinstance(value, int):
            raise ConfigError(origin, key, value, spec.expected())
        number = value
    if not math.isfinite(number):
        raise ConfigError(origin, key, value, spec.expected() + " (finite)")
    if spec.kind == "quantity" and spec.dimension == "length" and 0 < abs(number) < MIN_LENGTH:
        raise ConfigError(origin, key, value, spec.expected() + f" (and at least {MIN_LENGTH * 1e6:g} um: "
                          "no part of a pot is thinner)")
    check = number if spec.kind == "quantity" else value
    if spec.lo is not None and (check < spec.lo or (spec.lo_open and check == spec.lo)):
        raise ConfigError(origin, key, value, spec.expected())
    if spec.hi is not None and check > spec.hi:
        raise ConfigError(origin, key, value, spec.expected())
    if spec.kind == "integer":
        return int(number)
    return number * spec.scale if spec.kind != "quantity" else number


def _uncertain(spec: Spec, table: dict, key: str) -> Any:
    """The value of an uncertain table (see :mod:`cellsim.config.uncertain`), checked whole."""
    origin = _first_origin(table, None)
    unknown = sorted(set(table) - set(TABLE_KEYS))
    if unknown:
        raise ConfigError(origin, f"{key}.{unknown[0]}", _plain(table[unknown[0]]),
                          f"one of the keys {list(TABLE_KEYS)} of an uncertain value")
    value = _scalar(spec, table["value"], key + ".value")
    dist = _plain(table.get("dist", "uniform"))
    if dist not in DISTRIBUTIONS:
        raise ConfigError(origin, key + ".dist", dist, f"one of {list(DISTRIBUTIONS)}")
    source = _plain(table.get("source"))
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(origin, key + ".source", source,
                          "the reason for the range (a non-empty string)")
    rng = _plain(table.get("range"))
    if not isinstance(rng, list) or len(rng) != 2:
        raise ConfigError(origin, key + ".range", rng,
                          f"[low, high] in the units of the value ({spec.expected()})")
    low, high = (_scalar(spec, _Leaf(rng[i], origin), f"{key}.range[{i}]") for i in range(2))
    sd = None
    if "sd" in table:
        sd_value = _plain(table["sd"])
        if spec.kind == "quantity":
            if not isinstance(sd_value, str):
                raise ConfigError(origin, key + ".sd", sd_value, "a quantity with units like the value")
            try:  # a spread: a temperature's is a difference (K)
                dim = "temperature_difference" if spec.dimension == "temperature" else spec.dimension
                sd = parse_quantity(sd_value, dim)
            except UnitError as exc:
                raise ConfigError(origin, key + ".sd", sd_value, f"{spec.expected()}; {exc}") from None
        elif isinstance(sd_value, bool) or not isinstance(sd_value, (int, float)):
            raise ConfigError(origin, key + ".sd", sd_value, "a number")
        else:
            sd = float(sd_value) * spec.scale
    unit = ""
    text = _plain(table["value"])
    if spec.kind == "quantity":
        unit = text.strip().lstrip("+-0123456789.eE").strip()
    u = Uncertain(key, float(value), float(low), float(high), dist, source.strip(), spec.kind,
                  spec.dimension, unit, spec.scale, sd, origin or "")
    problem = check_bounds(u, spec.expected())
    if problem:
        raise ConfigError(origin, key + ".range", rng, f"{problem} (value {text!r})")
    if dist != "normal" and sd is not None:
        raise ConfigError(origin, key + ".sd", _plain(table["sd"]), "sd only with dist = 'normal'")
    found = _COLLECT.get()
    if found is not None:
        found.append(u)
    return value
