"""Ranges on estimated inputs: ``key = { value = ..., range = [...], dist = ..., source = ... }``.

Any scalar key of a configuration (a quantity, a number, an integer, one element of a
composition) may be given as an *uncertain table* instead of a bare value::

    acd = { value = "4.5 cm", range = ["4 cm", "6 cm"], dist = "uniform",
            source = "E: 4-5 cm design rule at 0.5 A/cm2; 6 cm if the metal pads ripple" }

* ``value``: the point value every ordinary run uses (exactly as if the key were given bare);
* ``range``: ``[low, high]`` in the key's own units, ``low <= value <= high`` (``low = high``
  pins the key); both ends must pass the key's own bounds;
* ``dist``: ``uniform`` (default), ``triangular`` (mode = value), ``log-uniform`` (low > 0), or
  ``normal`` (mean = value, standard deviation ``sd`` in the key's units, truncated to the range);
* ``source``: why the range is what it is (required: an estimate without a reason is not one).

The loader (:mod:`cellsim.config.loader`) checks every uncertain table and uses its value;
:func:`cellsim.config.loader.load_uncertain` returns the :class:`Uncertain` inputs of a
configuration, which ``cellsim uq`` samples. The mechanism is generic: a key added to the schema
later accepts the same table with no change here.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from ..units import celsius

DISTRIBUTIONS = ("uniform", "triangular", "log-uniform", "normal")
TABLE_KEYS = ("value", "range", "dist", "sd", "source")


@dataclasses.dataclass(frozen=True)
class Uncertain:
    """One estimated input: point value, bounds and distribution, all in SI (or the stored scale)."""

    key: str  # dotted configuration key, e.g. "geometry.acd", "lining.side[2].thickness"
    value: float
    low: float
    high: float
    dist: str
    source: str
    kind: str = "number"  # quantity | number | integer
    dimension: str = "dimensionless"
    unit: str = ""  # display unit of the user's value ("" for plain numbers)
    scale: float = 1.0  # stored = TOML number * scale (wt% keys)
    sd: float | None = None  # normal only
    origin: str = ""

    @property
    def collapsed(self) -> bool:
        return not self.high > self.low

    def scaled(self, factor: float) -> "Uncertain":
        """The same input with its range shrunk (factor < 1) about its value; 0 pins it."""
        if self.dist == "log-uniform" and self.value > 0:
            lo = self.value * (self.low / self.value) ** factor
            hi = self.value * (self.high / self.value) ** factor
        else:
            lo = self.value - factor * (self.value - self.low)
            hi = self.value + factor * (self.high - self.value)
        sd = None if self.sd is None else self.sd * factor
        return dataclasses.replace(self, low=lo, high=hi, sd=sd)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF: unit-interval samples -> values (integers rounded)."""
        u = np.asarray(u, dtype=float)
        lo, hi = self.low, self.high
        if self.collapsed:
            x = np.full_like(u, self.value)
        elif self.dist == "uniform":
            x = lo + u * (hi - lo)
        elif self.dist == "log-uniform":
            x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        elif self.dist == "triangular":
            c = (self.value - lo) / (hi - lo)
            x = np.where(u < c, lo + np.sqrt(u * (hi - lo) * (self.value - lo)),
                         hi - np.sqrt((1 - u) * (hi - lo) * (hi - self.value)))
        elif self.dist == "normal":
            if not (self.sd and self.sd > 0):
                x = np.full_like(u, self.value)
            else:
                from scipy.stats import truncnorm

                a, b = (lo - self.value) / self.sd, (hi - self.value) / self.sd
                x = truncnorm.ppf(u, a, b, loc=self.value, scale=self.sd)
        else:  # pragma: no cover - the loader rejects unknown distributions
            raise ValueError(self.dist)
        x = np.clip(x, lo, hi)
        if self.kind == "integer":
            # equal-probability integers low..high
            n = int(round(hi)) - int(round(lo)) + 1
            x = np.minimum(int(round(lo)) + np.floor(u * n), int(round(hi)))
        return x

    def display(self, si: float) -> float:
        """SI value -> number in the display unit."""
        if self.kind != "quantity":
            return si / self.scale
        if self.unit == "degC":
            return celsius(si)
        from ..units import parse_unit

        return si / parse_unit(self.unit).factor

    @property
    def label(self) -> str:
        return f"{self.key} [{self.unit or ('wt%' if self.scale == 0.01 else '1')}]"


def is_uncertain_table(value) -> bool:
    """True for a TOML inline table that gives a key a value with a range."""
    return isinstance(value, dict) and "value" in value


def check_bounds(u: Uncertain, expected) -> str | None:
    """Problem with an Uncertain's bounds, or None. ``expected``: describes the key's values."""
    if not (math.isfinite(u.low) and math.isfinite(u.high)):
        return "finite range ends"
    if u.low > u.high:
        return "range = [low, high] with low <= high"
    if not u.low <= u.value <= u.high:
        return "a range that contains the value"
    if u.dist == "log-uniform" and not u.low > 0:
        return "low > 0 for dist = 'log-uniform'"
    if u.dist == "normal" and (u.sd is None or not u.sd > 0):
        return "sd > 0 (same units as the value) for dist = 'normal'"
    if u.dist == "triangular" and not u.collapsed and not u.low <= u.value <= u.high:
        return "the mode (value) inside the range for dist = 'triangular'"
    return None
