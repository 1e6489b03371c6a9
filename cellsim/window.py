"""The operating window: the states in which a campaign's figures mean something.

A three-layer refining pot works with a liquid electrolyte between two liquid metals. Its
results (kWh/t, current efficiency, purity) are only results while

* the melt is liquid with some superheat: ``T >= liquidus + window.min_superheat``, and not
  hotter than the refining range of its electrolyte family: ``T <= window.max_temperature``;
* the anode-cathode distance is above a floor where the interface can be held flat
  (``geometry.acd >= window.min_acd``);
* every inventory (alloy, salt, cathode metal, AlX3, base salt, sludge) and every layer depth
  is non-negative;
* the cumulative current efficiency lies in (0, 1];
* every recorded value is finite.

Defaults of the temperature maximum per electrolyte family (``window.max_temperature``
overrides them), all [E] with a stated range, see docs/references.md:

* ``chloride`` 850 degC: the upper end of the published chloride(-fluoride) refining range
  720-850 degC [Yasinskiy2021] and of the NaF-BaCl2-AlF3 bath window 700-850 degC [GadeauBath-nd];
  plausible maxima 850-900 degC.
* ``fluoride`` 1000 degC: all-fluoride (cryolite-based) melts run at 960-1000 degC in
  Hall-Heroult cells [R] [Grjotheim1993]; a refining pot above that boils off its salt and
  attacks its lining; plausible maxima 950-1050 degC.

``window.min_superheat`` defaults to 5 K [E] (range 5-20 K): below it the sidewall ledge
grows into the electrolyte and the liquid path narrows (the liquidus itself is the
frozen-electrolyte stop). ``window.min_acd`` defaults to 2 cm [E] (range 1-3 cm): without a
diaphragm the metal|salt interfaces are free surfaces; Hall-Heroult pots keep 4-5 cm against
metal-pad waves [R] [Grjotheim1993], a refining pot of a few kA has far weaker magnetic forces,
so half of that is taken as the floor below which the layers can touch and short the cell.

The runner (cellsim.campaign) calls :func:`violation` on the initial state (outside it, the
campaign does not start: :class:`OutsideWindow`) and once per step: a state outside stops the
campaign, the stop reason names the bound and the value, the state is not recorded, and the
result is marked "outside the operating window" (its energy, efficiency and purity are not
presented as results).
:func:`design_problems` lists designs that cannot run at all (checked by ``cellsim check``
and before every run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .units import ZERO_CELSIUS as C0

FAMILY_MAX_TEMPERATURE = {"chloride": 850.0 + C0, "fluoride": 1000.0 + C0}  # K, [E] see above
DEFAULT_MIN_SUPERHEAT = 5.0  # K [E] 5-20 K
DEFAULT_MIN_ACD = 0.02  # m [E] 1-3 cm

# Smallest inventory counted as non-negative [kg]: rounding of sums of kg-scale inventories.
MASS_TOLERANCE = 1e-9
# Cumulative CE may exceed 1 by rounding only.
CE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Limits:
    min_temperature: float  # K
    max_temperature: float  # K
    min_acd: float  # m
    enabled: bool = True


def limits(config) -> Limits:
    """The window of ``config`` (``[window]`` with the per-family defaults)."""
    global _LAST
    if _LAST[0] is config:  # the runner asks every step for the same configuration
        return _LAST[1]
    w, el = config.window, config.electrolyte
    t_max = w.max_temperature if w.max_temperature is not None else FAMILY_MAX_TEMPERATURE[el.family]
    out = Limits(el.liquidus + w.min_superheat, t_max, w.min_acd, w.enabled)
    _LAST = (config, out)
    return out


_LAST: tuple = (None, None)  # (config, its Limits) of the last call


def design_problems(config) -> list[tuple[str, str, str]]:
    """Designs that are impossible before a run: (key, value, what was expected) per problem."""
    geo, col, op = config.geometry, config.collectors, config.operation
    out = []
    lim = limits(config)
    if lim.enabled and geo.acd < lim.min_acd:
        out.append(("geometry.acd", f"{geo.acd * 100:g} cm",
                    f"at least window.min_acd = {lim.min_acd * 100:g} cm (below it the metal|salt "
                    "interfaces can touch and short the cell)"))
    width = 2 * geo.inner_radius if geo.shape == "cylindrical" else min(geo.inner_length, geo.inner_width)
    if geo.acd > width:
        out.append(("geometry.acd", f"{geo.acd * 100:g} cm",
                    f"no larger than the pot's plan width ({width * 100:g} cm): an electrolyte "
                    "layer taller than the pot is wide is not a three-layer cell"))
    rods = col.rod_count * math.pi * col.rod_diameter**2 / 4
    if rods >= geo.area:
        out.append(("collectors.rod_count", f"{col.rod_count} rods of {col.rod_diameter * 100:g} cm",
                    f"rods whose cross-section ({rods:.4g} m2) fits in the cavity "
                    f"({geo.area:.4g} m2)"))
    if col.rod_diameter > width:
        out.append(("collectors.rod_diameter", f"{col.rod_diameter * 100:g} cm",
                    f"no larger than the pot's plan width ({width * 100:g} cm)"))
    if lim.enabled:
        if op.temperature < lim.min_temperature:
            out.append(("operation.temperature", f"{op.temperature - C0:g} degC",
                        f"at least the liquidus + window.min_superheat "
                        f"({lim.min_temperature - C0:g} degC)"))
        if op.temperature > lim.max_temperature:
            out.append(("operation.temperature", f"{op.temperature - C0:g} degC",
                        f"at most window.max_temperature ({lim.max_temperature - C0:g} degC, "
                        f"default for a {config.electrolyte.family} melt)"))
    return out


_INVENTORIES = (("alloy", "anode alloy"), ("cathode", "cathode metal"),
                ("electrolyte", "dissolved impurities"), ("sludge", "sludge"), ("tapped", "tapped metal"),
                ("scrap_metal", "scrap metal fed"))
_SCALARS = (("alf3", "AlX3 in the electrolyte"), ("electrolyte_base", "base salt"),
            ("scrap_fed", "scrap fed"))


class OutsideWindow(RuntimeError):
    """The campaign's initial state is outside the operating window: nothing to report."""


def violation(config, model, ce: float | None) -> str | None:
    """Describe how the model's state leaves the operating window, or None inside it
    (``ce`` None: no charge has passed yet, the efficiency is not checked)."""
    lim = limits(config)
    if not lim.enabled:
        return None
    s, d = model.state, model.derived
    T = d.temperature
    if not math.isfinite(T) or not math.isfinite(d.cell_voltage):
        return f"non-finite melt temperature {T} K or cell voltage {d.cell_voltage} V"
    every = np.concatenate([np.asarray(getattr(s, name), dtype=float).ravel()
                            for name, _ in _INVENTORIES])
    low, high = (every.min(), every.max()) if every.size else (0.0, 0.0)
    clean = math.isfinite(low) and math.isfinite(high) and low >= -MASS_TOLERANCE
    for name, label in () if clean else _INVENTORIES:  # the culprit's name, when there is one
        a = np.asarray(getattr(s, name), dtype=float)
        if not np.all(np.isfinite(a)):
            return f"non-finite {label} inventory {a}"
        if np.any(a < -MASS_TOLERANCE):
            return f"negative {label} inventory: {float(a.min()):.4g} kg (a physical mass is >= 0)"
    for name, label in _SCALARS:
        v = float(getattr(s, name))
        if not math.isfinite(v) or v < -MASS_TOLERANCE:
            return f"negative or non-finite {label}: {v:.4g} kg"
    for name, label in (("alloy_depth", "anode alloy"), ("cathode_depth", "cathode metal")):
        v = float(getattr(d, name))
        if not math.isfinite(v) or v < 0:
            return f"{label} depth {v * 100:.4g} cm (a depth is >= 0)"
    if ce is not None and not (math.isfinite(ce) and 0.0 < ce <= 1.0 + CE_TOLERANCE):
        return (f"current efficiency {ce * 100:.4g} % outside (0, 100] %: the cell does not produce "
                "metal at this current (dissolved-metal losses exceed the deposition)")
    if T > lim.max_temperature:
        return (f"melt {T - C0:.1f} degC above window.max_temperature {lim.max_temperature - C0:g} "
                "degC: the pot overheats (Joule heat beyond the losses; lower the current density "
                "or the ACD, or let more heat out through the lining)")
    if T < lim.min_temperature:
        return (f"melt {T - C0:.1f} degC below the liquidus + window.min_superheat "
                f"{lim.min_temperature - C0:g} degC: the electrolyte is freezing (too little heat; raise "
                "the current or the heater, or insulate the pot)")
    return None


RESULT_KEYS = ("current_efficiency", "specific_energy", "specific_energy_scrap", "co2e_per_al",
               "alf3_consumption", "mean_cell_voltage", "product_al", "min_tap_al")


def is_result_key(name: str) -> bool:
    """Summary entries that are the results of a run (not reported from outside the window)."""
    return name in RESULT_KEYS or name.startswith(("energy_", "product_"))


__all__ = ["OutsideWindow", "Limits", "limits", "design_problems", "violation", "is_result_key",
           "FAMILY_MAX_TEMPERATURE"]
