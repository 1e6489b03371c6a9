"""The current program of a campaign: the cell current as a function of time (SI).

``current_program(config)`` returns a :class:`CurrentProgram` for ``schedule.current_program``:

* ``constant``: ``operation.current`` throughout;
* ``steps``: ``operation.current`` until the first ``[[schedule.current_steps]]`` time, then each
  step's current from its time on (piecewise constant);
* ``csv``: a time series from ``schedule.current_file``, for example a renewable power profile.
  The header names the unit of each column, ``time [h], current [kA]`` (any time and current
  units of ``cellsim.units``); rows are linear in between and held before the first and after
  the last time.

The runner samples the program at the start of each step and holds it over the step, so the
energy ledger books exactly the current the model was stepped with.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config.schema import Config
from .units import UnitError, parse_quantity

_HEADER = re.compile(r"^\s*(\w+)\s*\[(.+)\]\s*$")


@dataclass(frozen=True, eq=False)
class CurrentProgram:
    """Times [s] and currents [A]; ``kind`` "steps" holds each value, "linear" interpolates."""

    times: np.ndarray
    currents: np.ndarray
    kind: str = "steps"

    def __call__(self, t: float) -> float:
        if self.kind == "linear":
            return float(np.interp(t, self.times, self.currents))
        if self.times.size == 1:  # constant: held before and after its one time
            return float(self.currents[0])
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        return float(self.currents[max(i, 0)])

    def __repr__(self) -> str:
        return (f"CurrentProgram({self.kind}, {self.times.size} points, "
                f"{self.currents.min():.4g}-{self.currents.max():.4g} A)")


def read_current_csv(path: str | Path) -> CurrentProgram:
    """Read a ``time [unit], current [unit]`` CSV file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"schedule.current_file: {path}: no such file")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot read as CSV text ({exc})") from None
    if len(rows) < 2:
        raise ValueError(f"{path}: expected a header 'time [h], current [A]' and at least one row")
    scales = []
    for col, dimension in zip(rows[0][:2], ("time", "current")):
        m = _HEADER.match(col)
        if not m or len(rows[0]) < 2:
            raise ValueError(f"{path}: header column {col!r}: expected '{dimension} [unit]'")
        try:
            scales.append(parse_quantity(f"1 {m.group(2)}", dimension))
        except UnitError as exc:
            raise ValueError(f"{path}: header column {col!r}: {exc}") from None
    data = []
    for n, row in enumerate(rows[1:], start=2):
        try:
            data.append((float(row[0]) * scales[0], float(row[1]) * scales[1]))
        except (ValueError, IndexError):
            raise ValueError(f"{path}: line {n}: expected two numbers, got {row!r}") from None
    t, current = np.array(data).T
    if not np.all(np.isfinite(t)) or t[0] < 0:
        raise ValueError(f"{path}: times must be finite and >= 0")
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"{path}: times must increase strictly")
    if not np.all(np.isfinite(current)) or np.any(current <= 0):
        raise ValueError(f"{path}: currents must be finite and positive")
    return CurrentProgram(t, current, "linear")


def current_program(config: Config) -> CurrentProgram:
    """The program of ``config.schedule`` (see the module docstring)."""
    sched, base = config.schedule, config.operation.current
    if sched.current_program == "csv":
        return read_current_csv(sched.current_file)
    steps = sorted(sched.current_steps, key=lambda s: s.time) if sched.current_program == "steps" else []
    times = np.array([0.0] + [s.time for s in steps])
    currents = np.array([base] + [s.current for s in steps])
    return CurrentProgram(times, currents, "steps")
