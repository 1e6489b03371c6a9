"""Units at the edges: quantity strings in, SI floats out.

cellsim stores every number in SI inside. User input carries explicit units, either as a
quantity string (``"4.5 cm"``, ``"0.5 A/cm2"``, ``"750 degC"``) or, for dimensionless
numbers, as a plain number. This module parses those strings, checks their dimension and
converts them once; it also exports a few constants (``hour``, ``day``, ``kA``) so that
Python scripts read naturally while everything stays SI (compare Oceananigans' Units.jl).

Grammar of a unit expression::

    expr   := factor (('*' | '.' | ' ' | '/') factor)*
    factor := name [('^' | '**')? integer] | '(' expr ')' [exponent]

A name may carry a trailing integer exponent (``cm2``, ``m-1``). ``/`` divides by the next
factor only (``W/m/K`` = ``W/(m K)``). ``degC`` is affine and only allowed on its own.
"""

from __future__ import annotations

import math

import re
from dataclasses import dataclass

# Dimension vectors: (m, kg, s, A, K, mol)
_DIM_NAMES = ("m", "kg", "s", "A", "K", "mol")


@dataclass(frozen=True, slots=True)
class Unit:
    """A multiplicative unit: SI value = factor * number; ``dims`` are SI base exponents."""

    factor: float
    dims: tuple[int, int, int, int, int, int]

    def __mul__(self, other: "Unit") -> "Unit":
        return Unit(self.factor * other.factor, tuple(a + b for a, b in zip(self.dims, other.dims)))

    def __truediv__(self, other: "Unit") -> "Unit":
        return Unit(self.factor / other.factor, tuple(a - b for a, b in zip(self.dims, other.dims)))

    def __pow__(self, n: int) -> "Unit":
        return Unit(self.factor**n, tuple(a * n for a in self.dims))


def _u(factor: float, m=0, kg=0, s=0, A=0, K=0, mol=0) -> Unit:
    return Unit(float(factor), (m, kg, s, A, K, mol))


_ONE = _u(1.0)
_V = _u(1.0, m=2, kg=1, s=-3, A=-1)
_J = _u(1.0, m=2, kg=1, s=-2)
_W = _u(1.0, m=2, kg=1, s=-3)
_OHM = _u(1.0, m=2, kg=1, s=-3, A=-2)
_S = _u(1.0, m=-2, kg=-1, s=3, A=2)
_HOUR = 3600.0
_KWH = 3.6e6

UNITS: dict[str, Unit] = {
    "1": _ONE, "": _ONE, "%": _u(0.01), "pct": _u(0.01), "wt%": _u(0.01), "ppm": _u(1e-6),
    "m": _u(1, m=1), "cm": _u(1e-2, m=1), "mm": _u(1e-3, m=1), "um": _u(1e-6, m=1),
    "km": _u(1e3, m=1),
    "kg": _u(1, kg=1), "g": _u(1e-3, kg=1), "t": _u(1e3, kg=1), "mg": _u(1e-6, kg=1),
    "s": _u(1, s=1), "min": _u(60, s=1), "h": _u(_HOUR, s=1), "d": _u(86400, s=1),
    "day": _u(86400, s=1), "days": _u(86400, s=1),
    "A": _u(1, A=1), "kA": _u(1e3, A=1), "mA": _u(1e-3, A=1),
    "K": _u(1, K=1), "mol": _u(1, mol=1), "kmol": _u(1e3, mol=1),
    "V": _V, "mV": _u(1e-3) * _V,
    "W": _W, "kW": _u(1e3) * _W, "MW": _u(1e6) * _W,
    "J": _J, "kJ": _u(1e3) * _J, "MJ": _u(1e6) * _J,
    "Wh": _u(_HOUR) * _J, "kWh": _u(_KWH) * _J, "MWh": _u(1e3 * _KWH) * _J,
    "ohm": _OHM, "Ohm": _OHM, "mohm": _u(1e-3) * _OHM, "uohm": _u(1e-6) * _OHM,
    "S": _S, "mS": _u(1e-3) * _S,
    "Pa": _u(1, m=-1, kg=1, s=-2), "bar": _u(1e5, m=-1, kg=1, s=-2),
    "C": _u(1, s=1, A=1),
}

# Named dimensions used by the configuration schema.
DIMENSIONS: dict[str, tuple[int, ...]] = {
    "dimensionless": _ONE.dims,
    "length": (1, 0, 0, 0, 0, 0),
    "area": (2, 0, 0, 0, 0, 0),
    "mass": (0, 1, 0, 0, 0, 0),
    "time": (0, 0, 1, 0, 0, 0),
    "current": (0, 0, 0, 1, 0, 0),
    "temperature": (0, 0, 0, 0, 1, 0),
    "temperature_difference": (0, 0, 0, 0, 1, 0),
    "voltage": _V.dims,
    "power": _W.dims,
    "energy": _J.dims,
    "density": (-3, 1, 0, 0, 0, 0),
    "conductivity": (_S / _u(1, m=1)).dims,  # S/m
    "resistivity": (_OHM * _u(1, m=1)).dims,  # ohm m
    "area_resistance": (_OHM * _u(1, m=2)).dims,  # ohm m2
    "current_density": (-2, 0, 0, 1, 0, 0),
    "thermal_conductivity": (_W / _u(1, m=1, K=1)).dims,  # W/(m K)
    "heat_transfer_coefficient": (_W / _u(1, m=2, K=1)).dims,  # W/(m2 K)
    "specific_heat": (_J / _u(1, kg=1, K=1)).dims,  # J/(kg K)
    "volumetric_heat_capacity": (_J / _u(1, m=3, K=1)).dims,  # J/(m3 K)
    "specific_energy": (_J / _u(1, kg=1)).dims,  # J/kg
    "molar_energy": (_J / _u(1, mol=1)).dims,  # J/mol
    "diffusivity": (2, 0, -1, 0, 0, 0),
    "velocity": (1, 0, -1, 0, 0, 0),
    "mass_flow": (0, 1, -1, 0, 0, 0),
    "mass_flux": (-2, 1, -1, 0, 0, 0),
    "resistance_total": _OHM.dims,
    "molar_mass": (0, 1, 0, 0, 0, -1),
    "emission_factor": (_u(1, kg=1) / _J).dims,  # kg CO2e per J
}

# SI unit of each named dimension, for messages and documentation.
SI_UNIT: dict[str, str] = {
    "dimensionless": "1", "length": "m", "area": "m2", "mass": "kg", "time": "s", "current": "A",
    "temperature": "K", "temperature_difference": "K", "voltage": "V", "power": "W",
    "energy": "J", "density": "kg/m3", "conductivity": "S/m", "resistivity": "ohm m",
    "area_resistance": "ohm m2", "current_density": "A/m2", "thermal_conductivity": "W/(m K)",
    "heat_transfer_coefficient": "W/(m2 K)", "specific_heat": "J/(kg K)",
    "volumetric_heat_capacity": "J/(m3 K)",
    "specific_energy": "J/kg", "molar_energy": "J/mol", "diffusivity": "m2/s",
    "velocity": "m/s", "mass_flow": "kg/s", "mass_flux": "kg/(m2 s)", "emission_factor": "kg/J",
    "resistance_total": "ohm", "molar_mass": "kg/mol",
}

_TOKEN = re.compile(r"\s*(\(|\)|\*\*|\*|/|\^|\.(?=\s*[A-Za-z(])|[A-Za-z%][A-Za-z%]*|-?\d+)")


class UnitError(ValueError):
    """A quantity string could not be parsed or has the wrong dimension."""


def _tokenize(text: str) -> list[str]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise UnitError(f"cannot parse unit {text!r} at {text[pos:]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise UnitError(f"unexpected end of unit {self.text!r}")
        self.i += 1
        return tok

    def expr(self) -> Unit:
        result = self.factor()
        while (tok := self.peek()) is not None and tok != ")":
            if tok == "/":
                self.take()
                result = result / self.factor()
            else:
                if tok in ("*", "."):
                    self.take()
                result = result * self.factor()
        return result

    def exponent(self) -> int:
        tok = self.peek()
        if tok in ("^", "**"):
            self.take()
            tok = self.peek()
        if tok is not None and re.fullmatch(r"-?\d+", tok):
            self.take()
            return int(tok)
        return 1

    def factor(self) -> Unit:
        tok = self.take()
        if tok == "(":
            inner = self.expr()
            if self.take() != ")":
                raise UnitError(f"unbalanced parentheses in {self.text!r}")
            return inner ** self.exponent()
        if tok not in UNITS:
            raise UnitError(f"unknown unit {tok!r} in {self.text!r}")
        return UNITS[tok] ** self.exponent()


def parse_unit(text: str) -> Unit:
    """Parse a unit expression such as ``"W/(m K)"`` or ``"A/cm2"``."""
    parser = _Parser(text)
    unit = parser.expr()
    if parser.peek() is not None:
        raise UnitError(f"cannot parse unit {text!r}")
    return unit


_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_quantity(text: str, dimension: str) -> float:
    """Convert ``"<number> <unit>"`` to an SI float, checking its dimension.

    ``dimension`` is a key of :data:`DIMENSIONS`. ``degC`` is accepted for
    ``temperature`` (converted to kelvin) and for ``temperature_difference`` (no offset).
    """
    m = _QUANTITY.match(text)
    if not m:
        raise UnitError(f"expected '<number> <unit>', got {text!r}")
    value, unit_text = float(m.group(1)), m.group(2)
    if not unit_text and dimension != "dimensionless":
        raise UnitError(f"{text!r} has no unit, expected a {dimension.replace('_', ' ')}")
    if unit_text in ("degC", "°C", "C_deg"):
        if dimension == "temperature":
            return value + ZERO_CELSIUS
        if dimension == "temperature_difference":
            return value
        raise UnitError(f"{text!r} is a temperature, expected a {dimension.replace('_', ' ')}")
    try:
        unit = parse_unit(unit_text)
    except (OverflowError, RecursionError, ZeroDivisionError, ValueError) as exc:
        if isinstance(exc, UnitError):
            raise
        raise UnitError(f"unit {unit_text!r} cannot be evaluated ({type(exc).__name__})") from None
    expected = DIMENSIONS[dimension]
    if unit.dims != expected:
        raise UnitError(
            f"{text!r} has dimension {format_dims(unit.dims)}, expected a "
            f"{dimension.replace('_', ' ')} ({format_dims(expected)})"
        )
    result = value * unit.factor
    if not math.isfinite(result):
        raise UnitError(f"{text!r} is not a finite number of SI units")
    return result


def format_dims(dims: tuple[int, ...]) -> str:
    parts = [f"{n}^{p}" if p != 1 else n for n, p in zip(_DIM_NAMES, dims) if p]
    return " ".join(parts) if parts else "dimensionless"


# Constants for scripts and for converting at the edges (all SI).
second = 1.0
minute = 60.0
hour = 3600.0
day = 86400.0
kA = 1e3
kWh = 3.6e6
MWh = 3.6e9
tonne = 1e3
cm = 1e-2
mm = 1e-3
ZERO_CELSIUS = 273.15

# Physical constants (CODATA 2018, exact in the 2019 SI).
FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol K)
STEFAN_BOLTZMANN = 5.670374419e-8  # W/(m2 K4)


def celsius(T_kelvin: float) -> float:
    """Kelvin to degrees Celsius, for printing only."""
    return T_kelvin - ZERO_CELSIUS
