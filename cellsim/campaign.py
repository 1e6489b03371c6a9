"""The campaign runner: clock, schedules (feed, taps), stop criteria and recording.

The runner owns time; the model (``cellsim.lumped.LumpedModel``) owns physics and state. A
campaign ends at the first of: the configured duration, a tapped batch outside the product
specification (if ``schedule.stop_on_spec``), an anode-alloy limit, or a non-finite state
(reported as an error, never written as a result).
"""

from __future__ import annotations

import math
import time as wallclock
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .config.schema import Config
from .elements import ALL_ELEMENTS, IMPURITIES
from .lumped import LEDGER_TERMS, LumpedModel
from .lumped.model import current_efficiency
from .lumped.electrical import VOLTAGE_TERMS
from .lumped.thermal import FACES
from .results import CampaignResult, Tap, check_spec

# Time series recorded by the runner: name -> (units, description).
SERIES = {
    "time": ("s", "simulated time since the start of the campaign"),
    "cell_voltage": ("V", "terminal voltage including external drops"),
    **{f"voltage_{t}": ("V", f"voltage term: {t.replace('_', ' ')}") for t in VOLTAGE_TERMS},
    "temperature": ("K", "melt temperature"),
    "heater_power": ("W", "auxiliary heater power needed to hold the set point"),
    "heat_margin": ("W", "Joule heat minus losses and feed sink at the set point"),
    "joule_heat": ("W", "heat released inside the pot (I times internal voltage)"),
    "feed_sink": ("W", "heat taken by the scrap feed"),
    **{f"heat_loss_{f}": ("W", f"heat loss through the {f}") for f in FACES},
    "ledge_thickness": ("m", "frozen electrolyte ledge at the sidewall"),
    "alloy_depth": ("m", "anode alloy depth"),
    "cathode_depth": ("m", "cathode metal depth"),
    "alloy_al_activity": ("1", "Raoultian Al activity of the anode alloy"),
    "alloy_composition": ("1", "anode alloy mass fractions, columns = elements"),
    "cathode_composition": ("1", "cathode metal mass fractions, columns = elements"),
    "salt_impurities": ("1", "dissolved impurity mass fractions of the electrolyte, columns = impurities"),
    "current_efficiency": ("1", "cumulative current efficiency"),
}


@dataclass
class Recorder:
    """Collects time series at a fixed interval; arrays are assembled once at the end."""

    rows: dict

    @classmethod
    def empty(cls) -> "Recorder":
        return cls({name: [] for name in SERIES})

    def record(self, model: LumpedModel, ce: float) -> None:
        s, d = model.state, model.derived
        row = {
            "time": s.time, "cell_voltage": d.cell_voltage,
            **{f"voltage_{t}": float(d.voltage[t]) for t in VOLTAGE_TERMS},
            "temperature": d.temperature, "heater_power": d.heater_power,
            "heat_margin": d.heat_margin, "joule_heat": d.joule_heat, "feed_sink": d.feed_sink,
            **{f"heat_loss_{f}": float(v) for f, v in d.heat.by_face().items()},
            "ledge_thickness": d.heat.ledge_thickness, "alloy_depth": d.alloy_depth,
            "cathode_depth": d.cathode_depth, "alloy_al_activity": d.a_al_alloy,
            "alloy_composition": s.alloy / s.alloy.sum(),
            "cathode_composition": s.cathode / s.cathode.sum(),
            "salt_impurities": s.salt / (s.salt_base + s.alf3 + s.salt.sum()),
            "current_efficiency": ce,
        }
        for name, value in row.items():
            self.rows[name].append(np.array(value, dtype=float))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.array(values) for name, values in self.rows.items()}


def _check_finite(model: LumpedModel) -> None:
    s = model.state
    arrays = (s.alloy, s.salt, s.cathode)
    if not all(np.all(np.isfinite(a)) for a in arrays) or np.any(s.alloy < -1e-9):
        raise FloatingPointError(
            f"non-finite or negative inventory at t = {s.time / 86400:.3f} d: alloy {s.alloy}, "
            f"salt {s.salt}, cathode {s.cathode}")


def run_campaign(config: Config, progress: Callable[[float, dict], None] | None = None
                 ) -> CampaignResult:
    """Run one campaign of the lumped model and return its result."""
    start = wallclock.perf_counter()
    sched = config.schedule
    model = LumpedModel(config)
    cathode_al_0 = model.state.cathode[0]
    recorder = Recorder.empty()
    recorder.record(model, math.nan)
    dt, duration = sched.time_step, sched.duration
    n_steps = int(math.ceil(duration / dt - 1e-9))
    tap_every = max(1, round(sched.tap_interval / dt))
    feed_every = max(1, round(sched.feed_interval / dt))
    record_every = max(1, round(config.numerics.record_interval / dt))
    taps: list[Tap] = []
    stop_reason = "duration reached"

    def produced() -> float:
        return model.state.tapped[0] + model.state.cathode[0] - cathode_al_0

    for step in range(1, n_steps + 1):
        model.step(min(dt, duration - model.state.time))
        if sched.feed_mode == "batch" and step % feed_every == 0:
            model.feed_to_setpoint()
            model.update_state()
        _check_finite(model)
        stop = None
        if step % tap_every == 0 or step == n_steps:
            batch = model.tap()
            if batch.sum() > 0:
                tap = Tap(time=model.state.time, mass=float(batch.sum()),
                          composition=batch / batch.sum(),
                          violations=check_spec(batch / batch.sum(), config.product))
                taps.append(tap)
                if tap.violations and sched.stop_on_spec:
                    stop = f"product spec {config.product.name} broken: " + ", ".join(tap.violations)
        stop = stop or model.alloy_limit_broken()
        ce = current_efficiency(produced(), model.state.charge)
        if step % record_every == 0 or stop or step == n_steps:
            recorder.record(model, ce)
        if progress is not None:
            progress(model.state.time, {"U": model.derived.cell_voltage,
                                        "T": model.derived.temperature})
        if stop:
            stop_reason = stop
            break
    return CampaignResult.from_run(config, model, recorder.arrays(), taps, stop_reason,
                                   cathode_al_0, wallclock.perf_counter() - start)


__all__ = ["run_campaign", "SERIES", "ALL_ELEMENTS", "IMPURITIES", "LEDGER_TERMS"]
