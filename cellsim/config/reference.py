"""Render the configuration reference (docs/configuration.md) from the schema itself.

The schema is the single source of truth: ``python -m cellsim.config.reference > docs/configuration.md``
regenerates the page, and a test fails when the committed page is out of date.
"""

from __future__ import annotations

import dataclasses

from ..units import SI_UNIT
from .fields import spec_of
from .loader import LIBRARIES
from .schema import Config

HEADER = """# Configuration reference

Generated from `cellsim/config/schema.py` by `python -m cellsim.config.reference`; do not edit.

A configuration is a TOML file. Dimensional values are quantity strings with their unit
(`acd = "4.5 cm"`, `current = "3 kA"`, `temperature = "750 degC"`, `conductivity = "1.0 S/cm"`);
they are converted to SI once, on loading. Dimensionless values are plain numbers; keys whose
unit is in their name (`*_wt_pct`, `potential_offsets_V`) take plain numbers in that unit.

* `extends = "rusal-3kA"` (first line) starts from a packaged cell or another file; the file
  then only says what differs.
* `use = "NAME"` inside a section loads a packaged library entry, whose keys the section's
  own keys override. Libraries: {libraries}.
* `cellsim run CONFIG --set section.key=VALUE` overrides a value from the command line
  (a whole table given on the command line replaces the table). `--set scrap.use=NAME` acts as
  if the file's `use` line named another entry: nothing of the old entry is left, and the keys
  the configuration set itself (rusal-3kA's `scrap.mg_removal_efficiency`, any other `--set`,
  before or after) stay on top of the new one.
* `cellsim check CONFIG` validates without running. Errors name the file, the key, the value
  and what was expected.

## Estimates with a range

Any number or quantity key (and any element of a composition table) may be given as a value
with its range, the reason for the range, and optionally a distribution:

```toml
acd = {{ value = "4.5 cm", range = ["4 cm", "5.5 cm"], dist = "triangular", source = "E: design rule 4-5 cm at 0.5 A/cm2" }}
rod_resistivity = {{ value = "2 uohm m", range = ["1 uohm m", "4 uohm m"], dist = "log-uniform", source = "E: ..." }}
temperature = {{ value = "750 degC", range = ["720 degC", "780 degC"], dist = "normal", sd = "10 K", source = "E: ..." }}
alpha_anodic = {{ value = 0.5, range = [0.3, 0.7], source = "E: ..." }}
```

* `value` is what every ordinary run uses, exactly as if the key were given bare.
* `range = [low, high]` in the key's units: `low <= value <= high`, both ends valid values of
  the key; `low = high` pins it (with a `source` saying why).
* `dist`: `uniform` (default), `triangular` (mode at `value`), `log-uniform` (`low > 0`; for
  factor-of-N estimates), `normal` (mean `value`, standard deviation `sd` in the key's units,
  a temperature's in K, truncated to the range).
* `source` (required): the reason for the range.
* Such a table replaces the base's whole when a file `extends` another; `--set key=VALUE` pins
  the key (it is then no longer uncertain). `--set` also reaches one layer of an array of
  tables: `--set 'lining.side[2].thickness="0.3 m"'`.

`cellsim check` checks every range (a range that excludes its value, an unknown
distribution, a missing reason: an error naming the key); `cellsim uq CONFIG` samples them
(docs/uq.md). Every input tagged [E] in the packaged `configs/` carries a range.

Cross-section checks: the initial alloy must be at least 0.1 g/cm3 denser than the electrolyte
(ideal mixing of the elements' liquid densities) and the electrolyte at least 0.1 g/cm3 denser
than liquid Al; compositions sum to at most 100 wt%; the operating temperature is above the
electrolyte liquidus; the time step is not longer than the tap interval.
"""


def _unit(spec) -> str:
    if spec.kind == "quantity":
        return f'{spec.dimension.replace("_", " ")} [{SI_UNIT[spec.dimension]}], e.g. `"{spec.example}"`'
    if spec.kind == "composition":
        return "table element = number"
    return spec.kind


def _default(field) -> str:
    if field.default is not dataclasses.MISSING and spec_of(field).kind != "section":
        return "" if field.default is None else f"`{field.default!r}`"
    if field.default_factory is not dataclasses.MISSING:
        return f"`{field.default_factory()!r}`"
    return "required" if not spec_of(field).optional else "optional"


def _section(cls, prefix: str, out: list[str]) -> None:
    rows, children = [], []
    for field in dataclasses.fields(cls):
        spec = spec_of(field)
        key = spec.key or field.name
        if spec.kind in ("section", "sections"):
            children.append((spec.cls, f"{prefix}{key}", spec.kind))
            continue
        accepts = spec.expected() if spec.kind != "quantity" else _unit(spec)
        rows.append(f"| `{key}` | {spec.doc} | {accepts} | {_default(field)} |")
    if rows:
        out.append(f"\n## `[{prefix.rstrip('.')}]`\n" if prefix else "")
        out.append("| key | meaning | accepts | default |\n|---|---|---|---|")
        out.extend(rows)
    for child, name, kind in children:
        if kind == "sections":
            out.append(f"\n## `[[{name}]]` (array of tables, one per layer)\n")
            out.append("| key | meaning | accepts | default |\n|---|---|---|---|")
            for field in dataclasses.fields(child):
                spec = spec_of(field)
                accepts = spec.expected() if spec.kind != "quantity" else _unit(spec)
                out.append(f"| `{spec.key or field.name}` | {spec.doc} | {accepts} | {_default(field)} |")
        else:
            _section(child, name + ".", out)


def render_markdown() -> str:
    libs = ", ".join(f"`[{s}]` from `configs/{d}/`" for s, d in LIBRARIES.items())
    out = [HEADER.format(libraries=libs)]
    _section(Config, "", out)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
