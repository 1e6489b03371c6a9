"""Properties of the electrolyte from its composition (SI): conductivity, density, liquidus,
heat capacity, AlX3 activity.

Each property is a small function of the component masses (or mole / mass fractions) and
carries its source and range of validity (:data:`VALIDITY`). The configured electrolyte (the
``[electrolyte]`` library entry) fixes each property of the *fresh* salt; the functions here
move it with the composition by the sourced composition dependence, so a fresh salt has
exactly the configured properties (a melt whose composition does not move reproduces the
model without composition feedback).

* conductivity: kappa = kappa_cfg(T) exp(sum_i beta_i (x_i - x_i0)), mole fractions x. The
  slopes are relative ones from published correlations: MgF2 -1.07 and CaF2 -0.76 S/cm per
  mole fraction in cryolite ([Hives1993], valid to 35 mol% MgF2, 26 mol% CaF2), divided by the
  pure-cryolite value of the same correlation at 960 degC (2.72 S/cm) [C]; AlF3 from NaF-AlF3
  going from 5.17 to 2.33 S/cm between 0 and 50 wt% AlF3 at 1000 degC ([JILM1974]) [C], as
  ln(2.33/5.17)/x(50 wt%). Transferred to the chloride-fluoride and chloride melts (same
  cation, same halide on the same melt) [E].
* density: additive molar volumes ([Tohoku1967] found NaF-BaF2-AlF3 melts additive), with
  Janz's liquid densities (components.py), scaled by one factor so the fresh salt has the
  configured density at the operating set point. Evaluated at the set point, as the
  configured density is.
* liquidus: T_cfg - 3.95 K per wt% MgF2 above the fresh salt's ([Solheim1996]: cryolite-rich
  melts, valid to 5 wt% MgF2) [S]; for MgCl2 in chloride melts the same slope [E].
* heat capacity: mass-weighted JANAF liquid cp ([Chase1998]) [C], scaled so the fresh salt has
  the configured value.
* AlX3 activity: a = a_cfg (x_AlX3 / x_AlX3,0) exp(sum_j A_j (x_j - x_j0)) capped at 1, with
  Dewing's acidities A_j = d ln a_AlF3 / d N_j in cryolite ([Dewing1989]: MgF2 +11, CaF2 +2,
  BaF2 -2 to -3); limiting slopes, valid for small additions (5 mol% [E]).

Out of range: a property asked outside its validity range is computed (linear extrapolation)
and a :class:`RangeLog` records the first occurrence (time, property, variable, value, range)
and logs it once (logger ``cellsim.electrolyte``); the result file keeps the record;
beyond the hard limit :class:`OutOfRange` is raised and the campaign stops with that reason.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from ..units import ZERO_CELSIUS
from .components import COMPONENTS

LOG = logging.getLogger("cellsim.electrolyte")
KAPPA_CRYOLITE_960C = 7.22 * math.exp(-1204.3 / (960.0 + ZERO_CELSIUS))  # S/cm, [Hives1993] [C]
MGF2_LIQUIDUS_SLOPE = 3.95  # K per wt%, [Solheim1996] [S]

_X_ALF3_50WT = (0.5 / COMPONENTS["AlF3"].molar_mass
                / (0.5 / COMPONENTS["AlF3"].molar_mass + 0.5 / COMPONENTS["NaF"].molar_mass))
# Relative conductivity slopes per mole fraction [C] (see module docstring).
CONDUCTIVITY_SLOPE = {
    "MgF2": -1.07 / KAPPA_CRYOLITE_960C, "MgCl2": -1.07 / KAPPA_CRYOLITE_960C,
    "CaF2": -0.76 / KAPPA_CRYOLITE_960C, "CaCl2": -0.76 / KAPPA_CRYOLITE_960C,
    "AlF3": math.log(2.33 / 5.17) / _X_ALF3_50WT, "AlCl3": math.log(2.33 / 5.17) / _X_ALF3_50WT,
}


class OutOfRange(ValueError):
    """A property asked beyond the hard limit of its correlation."""


@dataclass(frozen=True, slots=True)
class Validity:
    """Range of a correlation's variable: inside [lo, hi] valid; up to ``hard`` a recorded
    warning (extrapolated); beyond ``hard`` an error."""

    prop: str
    variable: str
    hi: float
    hard: float
    source: str


VALIDITY = {
    "conductivity": Validity("conductivity", "x(MgX2)", 0.35, 0.50, "[Hives1993] (0-35 mol% MgF2)"),
    "conductivity_alx3": Validity("conductivity", "x(AlX3)", 0.34, 0.60,
                                  "[JILM1974] (NaF-AlF3, 0-50 wt% AlF3)"),
    "liquidus": Validity("liquidus", "wt% MgX2 - fresh", 5.0, 25.0, "[Solheim1996] (MgF2 < 5 wt%)"),
    "alx3_activity": Validity("alx3_activity", "x(acidic/basic additive) - fresh", 0.05, math.inf,
                              "[Dewing1989] (limiting slopes) [E]"),
}


@dataclass
class RangeLog:
    """First out-of-range use of each correlation: {prop/variable: (time, value, hi, source)}."""

    entries: dict = field(default_factory=dict)
    time: float = 0.0

    def check(self, v: Validity, value: float) -> None:
        if value <= v.hi:
            return
        if value > v.hard:
            raise OutOfRange(
                f"electrolyte {v.prop} asked far outside its correlation: {v.variable} = "
                f"{value:.4g} beyond the hard limit {v.hard:g} (valid to {v.hi:g}, {v.source}); "
                "renew the salt (schedule.salt_renewal_mode) or remove Mg before feeding "
                "(scrap.mg_removal_efficiency)")
        key = f"{v.prop}: {v.variable}"
        if key not in self.entries:
            self.entries[key] = (self.time, float(value), v.hi, v.source)
            LOG.warning("electrolyte %s extrapolated: %s = %.4g above %g (%s) at t = %.3f d",
                        v.prop, v.variable, value, v.hi, v.source, self.time / 86400)


@dataclass(frozen=True)
class FreshElectrolyte:
    """The fresh electrolyte as the anchor of the property functions.

    names: component names (``"base"`` stands for the configured electrolyte without its AlX3 when
    the library entry gives no component composition); fresh mass fractions ``w0``; molar
    masses, molar volumes at the set point and cp per component; the configured properties.
    """

    names: tuple
    w0: np.ndarray
    molar_mass: np.ndarray
    molar_volume: np.ndarray  # m3/mol at the set point
    cp_i: np.ndarray
    alx3: str
    kappa0: float  # S/m at the reference temperature
    rho0: float
    liquidus0: float
    cp0: float
    a0: float

    def __post_init__(self):
        x0 = self.mole_fractions(self.w0)
        object.__setattr__(self, "x0", x0)
        object.__setattr__(self, "volume_factor",
                           1.0 / (self.rho0 * float(np.sum(self.w0 / self.molar_mass * self.molar_volume))))
        object.__setattr__(self, "cp_factor", self.cp0 / float(np.dot(self.w0, self.cp_i)))
        # per-call constants, computed once
        object.__setattr__(self, "_mgx2_ix", tuple(i for i, n in enumerate(self.names)
                                                    if n in ("MgF2", "MgCl2")))
        object.__setattr__(self, "_kappa_slopes", self._slopes(CONDUCTIVITY_SLOPE))
        object.__setattr__(self, "_alx3_ix", self.index(self.alx3))
        object.__setattr__(self, "_mgx2_w0", self._mgx2(self.w0))
        acid = np.array([COMPONENTS[n].acidity if n in COMPONENTS else 0.0 for n in self.names])
        if self._alx3_ix is not None:
            acid[self._alx3_ix] = 0.0
        object.__setattr__(self, "_acid", acid)
        object.__setattr__(self, "_acid_nonzero", acid != 0.0)

    def index(self, name: str) -> int | None:
        return self.names.index(name) if name in self.names else None

    def mole_fractions(self, m: np.ndarray) -> np.ndarray:
        n = np.asarray(m) / self.molar_mass
        return n / n.sum()

    def mass_fractions(self, m: np.ndarray) -> np.ndarray:
        return np.asarray(m) / np.sum(m)

    def _slopes(self, table: dict) -> np.ndarray:
        return np.array([table.get(n, 0.0) for n in self.names])

    def _mgx2(self, frac: np.ndarray) -> float:
        return float(sum(frac[i] for i in self._mgx2_ix))

    # ------------------------------------------------------------------ properties
    # ``x`` and ``w`` below: the caller's mole_fractions(m) and mass_fractions(m), when it has
    # them already (SaltProvider.evaluate asks for every property of one m)
    def conductivity(self, m: np.ndarray, log: RangeLog, x: np.ndarray | None = None) -> float:
        """Conductivity at the reference temperature [S/m] (the Arrhenius T dependence of the
        configured electrolyte applies on top)."""
        x = self.mole_fractions(m) if x is None else x
        log.check(VALIDITY["conductivity"], self._mgx2(x))
        ia = self._alx3_ix
        log.check(VALIDITY["conductivity_alx3"], float(x[ia]) if ia is not None else 0.0)
        return self.kappa0 * math.exp(float(np.dot(self._kappa_slopes, x - self.x0)))

    def density(self, m: np.ndarray) -> float:
        """Density [kg/m3] at the set point: additive molar volumes scaled to the fresh salt."""
        m = np.asarray(m)
        return float(m.sum() / (self.volume_factor * np.sum(m / self.molar_mass * self.molar_volume)))

    def liquidus(self, m: np.ndarray, log: RangeLog, w: np.ndarray | None = None) -> float:
        """Liquidus [K]: MgX2 depression of the configured liquidus."""
        w = self.mass_fractions(m) if w is None else w
        dw = 100.0 * (self._mgx2(w) - self._mgx2_w0)
        log.check(VALIDITY["liquidus"], dw)
        return self.liquidus0 - MGF2_LIQUIDUS_SLOPE * dw

    def specific_heat(self, m: np.ndarray, w: np.ndarray | None = None) -> float:
        """cp [J/(kg K)]: mass-weighted component cp, scaled to the configured fresh value."""
        w = self.mass_fractions(m) if w is None else w
        return self.cp_factor * float(np.dot(w, self.cp_i))

    def alx3_activity(self, m: np.ndarray, log: RangeLog, x: np.ndarray | None = None) -> float:
        """AlX3 activity (pure-salt reference), capped at 1."""
        x = self.mole_fractions(m) if x is None else x
        ia = self._alx3_ix
        if ia is None or x[ia] <= 0.0:
            return 0.0
        acid = self._acid
        moved = np.where(self._acid_nonzero, np.abs(x - self.x0), 0.0)
        log.check(VALIDITY["alx3_activity"], float(moved.max()) if moved.size else 0.0)
        a = self.a0 * x[ia] / self.x0[ia] * math.exp(float(np.dot(acid, x - self.x0)))
        return min(a, 1.0)
