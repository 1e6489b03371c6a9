"""The campaign runner: clock, schedules (current program, feed, taps, alloy bleeds,
electrolyte additions), stop criteria, output.

The runner owns time; the model owns physics and state. The model level comes from
``numerics.model`` through the registry of ``cellsim.models``, so the same loop drives the
lumped and the field levels. Each step: current program, model step, scrap batch, alloy
bleed, electrolyte addition, tap, then the stop criteria. A campaign ends at the first of:
the configured duration, a tapped batch outside the product specification (if
``schedule.stop_on_spec``), an anode-alloy or pot limit, a thermal limit (ledge gone, bath
frozen, melt too hot; ``[schedule]``), or a non-finite state (reported as an error, never
written as a result).

Every ``numerics.checkpoint_interval`` of simulated time is a sync point: the model drops
its solver caches (factorisations, warm starts), so what follows depends on the state
alone; with a ``run`` (cellsim.checkpoint.RunFile) the state of model and runner is
written there, and ``run_campaign(resume=...)`` continues bit for bit.
"""

from __future__ import annotations

import math
import time as wallclock
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .config.schema import Config
from .cell import Cell, current_efficiency
from .lumped.electrical import VOLTAGE_TERMS
from .lumped.thermal import FACES
from .models import make_model
from .program import current_program
from .results import Addition, Bleed, CampaignResult, Renewal, Tap, check_spec

# Time series recorded by the runner: name -> (units, description).
SERIES = {
    "time": ("s", "simulated time since the start of the campaign"),
    "cell_current": ("A", "cell current of the step ending at the record (current program, "
                              "sampled at the step start)"),
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
    "charge": ("C", "cumulative charge passed since the start"),
    "energy": ("J", "cumulative energy since the start: electrical (every voltage term) plus "
                    "auxiliary heat"),
    "alf3_fraction": ("1", "AlX3 mass fraction of the electrolyte"),
    "alf3_activity": ("1", "AlX3 activity of the electrolyte (electrolyte.alf3_activity_model)"),
    "bath_liquid_fraction": ("1", "liquid volume fraction of the electrolyte"),
    "salt_composition": ("1", "electrolyte mass fractions, columns = salt components "
                              "(cellsim.electrolyte; 'base' = the configured melt without AlX3)"),
    "salt_mass": ("kg", "electrolyte mass in the pot"),
    "salt_conductivity": ("S/m", "electrolyte conductivity at the melt temperature, from its composition"),
    "salt_density": ("kg/m3", "electrolyte density at the operating set point, from its composition"),
    "salt_liquidus": ("K", "electrolyte liquidus from its composition"),
    "salt_specific_heat": ("J/(kg K)", "electrolyte heat capacity from its composition"),
    "acd": ("m", "anode-cathode distance: salt volume over the pot's area (the field grid "
                 "follows it within numerics.remesh_threshold)"),
}


@dataclass
class Recorder:
    """Collects time series at a fixed interval (a few hundred rows per campaign)."""

    rows: dict

    @classmethod
    def empty(cls) -> "Recorder":
        return cls({name: [] for name in SERIES})

    def record(self, model: Cell, ce: float) -> None:
        s, d = model.state, model.derived
        row = {
            "time": s.time, "cell_current": model.current, "cell_voltage": d.cell_voltage,
            **{f"voltage_{t}": float(d.voltage[t]) for t in VOLTAGE_TERMS},
            "temperature": d.temperature, "heater_power": d.heater_power,
            "heat_margin": d.heat_margin, "joule_heat": d.joule_heat, "feed_sink": d.feed_sink,
            **{f"heat_loss_{f}": float(v) for f, v in d.heat.by_face().items()},
            "ledge_thickness": d.heat.ledge_thickness, "alloy_depth": d.alloy_depth,
            "cathode_depth": d.cathode_depth, "alloy_al_activity": d.a_al_alloy,
            "alloy_composition": s.alloy / s.alloy.sum(),
            "cathode_composition": s.cathode / s.cathode.sum(),
            "salt_impurities": s.electrolyte / (s.electrolyte_base + s.alf3 + s.electrolyte.sum()),
            "current_efficiency": ce,
            "alf3_fraction": model.alf3_fraction(), "alf3_activity": model.alf3_activity(),
            "bath_liquid_fraction": model.electrolyte_liquid_fraction(),
            **_salt_row(model),
        }
        row["charge"], row["energy"] = s.charge, float(sum(s.energy.values()))
        n = len(self.rows["time"])
        for name, value in row.items():
            if name not in self.rows:  # a checkpoint written before this series existed
                self.rows[name] = [np.array(math.nan)] * n
            self.rows[name].append(np.array(value, dtype=float))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.array(values) for name, values in self.rows.items()}


def _salt_row(model) -> dict:
    """The electrolyte's composition and properties (cellsim.electrolyte) for the recorder."""
    from .lumped.electrical import electrolyte_conductivity as kappa

    prov, props = model.salt, model.salt_props
    m = prov.masses(model.state)
    el = model.config.electrolyte
    return {"salt_composition": m / m.sum(), "salt_mass": m.sum(),
            "salt_conductivity": kappa(el, model.derived.temperature), "salt_density": props.density,
            "salt_liquidus": props.liquidus, "salt_specific_heat": props.specific_heat,
            "acd": model.electrolyte_volume / model.config.geometry.area}


@dataclass
class RunnerState:
    """What the runner carries between steps (checkpointed with the model)."""

    step: int
    cathode_al_0: float
    recorder: Recorder
    taps: list = field(default_factory=list)
    next_snapshot: float = 0.0
    next_sync: float = 0.0
    bleeds: list = field(default_factory=list)
    additions: list = field(default_factory=list)
    next_bleed: float = math.inf
    next_addition: float = math.inf
    addition_row: int = 0  # next row of schedule.additions (salt_additions = "table")
    renewals: list = field(default_factory=list)
    next_renewal: float = math.inf


# Bounds of a physical state: no melt of this process exceeds 2500 K (Al boils at 2792 K) or
# falls below 200 K, and a three-layer cell runs at a few volts (100 V means the electrolyte
# has stopped conducting, e.g. frozen across).
T_PLAUSIBLE = (200.0, 2500.0)  # K
U_PLAUSIBLE = 100.0  # V


def _check_finite(model: Cell) -> None:
    s, d = model.state, model.derived
    arrays = (s.alloy, s.electrolyte, s.cathode)
    when = f"at t = {s.time / 86400:.3f} d"
    if not all(np.all(np.isfinite(a)) for a in arrays) or np.any(s.alloy < -1e-9):
        raise FloatingPointError(
            f"non-finite or negative inventory {when}: alloy {s.alloy}, "
            f"electrolyte {s.electrolyte}, cathode {s.cathode}")
    lo, hi = T_PLAUSIBLE
    if not (lo <= d.temperature <= hi and abs(d.cell_voltage) <= U_PLAUSIBLE):
        raise FloatingPointError(
            f"non-physical state {when}: melt temperature {d.temperature - 273.15:.4g} degC "
            f"(expected {lo - 273.15:.0f} to {hi - 273.15:.0f}), cell voltage {d.cell_voltage:.4g} V "
            f"(expected below {U_PLAUSIBLE:.0f} V); the coupled current-heat solution has run away, "
            "typically because the electrolyte froze across (check the set point against the "
            "electrolyte liquidus, the lining, and the melt mixing, electrolyte.eddy_diffusivity)")


def _tap_due(config: Config, model, step: int, last: bool) -> bool:
    sched = config.schedule
    if last:
        return True
    if sched.tap_mode == "level":
        return model.derived.cathode_depth >= sched.tap_level
    return step % max(1, round(sched.tap_interval / sched.time_step)) == 0


def _bleed(config: Config, model, rs: RunnerState) -> None:
    """Bleed the anode alloy when the schedule says so (interval and/or threshold)."""
    sched, t = config.schedule, model.state.time
    if sched.bleed_mode == "none":
        return
    due = False
    if sched.bleed_mode in ("interval", "both") and t >= rs.next_bleed - 1e-6:
        due = True
        while rs.next_bleed <= t + 1e-6:
            rs.next_bleed += sched.bleed_interval
    if sched.bleed_mode in ("threshold", "both") and model.limited_sum() > sched.bleed_threshold:
        due = True
    if not due:
        return
    mass = sched.bleed_mass if sched.bleed_mass is not None else (
        sched.bleed_fraction * model.state.alloy.sum())
    bled, fresh = model.bleed(mass)
    rs.bleeds.append(Bleed(time=t, mass=float(bled.sum()), composition=bled / bled.sum(),
                           fresh_mass=float(fresh.sum()), fresh_composition=fresh / fresh.sum()))


def _add_salt(config: Config, model, rs: RunnerState) -> None:
    """Electrolyte additions of ``schedule.salt_additions`` = interval or table."""
    sched, t = config.schedule, model.state.time
    due = []
    if sched.salt_additions == "interval":
        while rs.next_addition <= t + 1e-6:
            due.append((sched.addition_alf3, sched.addition_base_salt))
            rs.next_addition += sched.addition_interval
    elif sched.salt_additions == "table":
        rows = sorted(sched.additions, key=lambda a: a.time)
        while rs.addition_row < len(rows) and rows[rs.addition_row].time <= t + 1e-6:
            due.append((rows[rs.addition_row].alf3, rows[rs.addition_row].base_salt))
            rs.addition_row += 1
    for alf3, base in due:
        added, base = model.add_salt(alf3, base)
        rs.additions.append(Addition(time=t, alf3=added, base_salt=base))


def _renew_salt(config: Config, model, rs: RunnerState) -> None:
    """Partial salt renewal (schedule.salt_renewal_mode): every interval, or when the salt's
    MgX2 passes the threshold."""
    sched, t = config.schedule, model.state.time
    due = False
    if sched.salt_renewal_mode == "interval" and t >= rs.next_renewal - 1e-6:
        due = True
        while rs.next_renewal <= t + 1e-6:
            rs.next_renewal += sched.salt_renewal_interval
    elif sched.salt_renewal_mode == "threshold":
        due = model.salt.mgx2_fraction(model.state) > sched.salt_renewal_threshold
    if not due:
        return
    salt = float(model.salt.masses(model.state).sum())
    mass = sched.salt_renewal_mass if sched.salt_renewal_mass is not None else (
        sched.salt_renewal_fraction * salt)
    if sched.salt_renewal_fraction >= 1.0 and sched.salt_renewal_mass is None:
        mass = salt * (1.0 - 1e-12)  # a full renewal leaves a film (the inventories stay positive)
    moved = model.renew_salt(mass)
    rs.renewals.append(Renewal(time=t, mass=moved["removed"], mgx2=moved["removed_mgx2"],
                               fresh=moved["fresh"]))


def run_campaign(config: Config | None, progress: Callable[[float, dict], None] | None = None,
                 run=None, resume=None) -> CampaignResult:
    """Run one campaign and return its result.

    run : optional ``cellsim.checkpoint.RunFile`` that receives field snapshots and
        checkpoints while the campaign runs (nothing held in memory).
    resume : optional checkpoint data (``RunFile.load_checkpoint()``); the campaign continues
        from it with the configuration stored there (``config`` is then ignored).
    """
    start = wallclock.perf_counter()
    if resume is not None:
        config, model = resume["config"], make_model_from(resume)
        rs: RunnerState = resume["runner"]
    else:
        model = make_model(config)
        _check_finite(model)
        rs = RunnerState(0, model.state.cathode[0], Recorder.empty())
        if config.schedule.bleed_mode in ("interval", "both"):
            rs.next_bleed = config.schedule.bleed_interval
        if config.schedule.salt_additions == "interval":
            rs.next_addition = config.schedule.addition_interval
        if config.schedule.salt_renewal_mode == "interval":
            rs.next_renewal = config.schedule.salt_renewal_interval
        rs.recorder.record(model, math.nan)
    sched, num = config.schedule, config.numerics
    program = current_program(config)
    dt, duration = sched.time_step, sched.duration
    n_steps = int(math.ceil(duration / dt - 1e-9))
    feed_every = max(1, round(sched.feed_interval / dt))
    record_every = max(1, round(num.record_interval / dt))
    if resume is None:
        rs.next_sync = num.checkpoint_interval
        if run is not None:
            run.write_snapshot(model.snapshot())
        rs.next_snapshot = num.snapshot_interval
    stop_reason = "duration reached"

    def produced() -> float:
        return model.state.tapped[0] + model.state.cathode[0] - rs.cathode_al_0

    for step in range(rs.step + 1, n_steps + 1):
        current = program(model.state.time)
        model.set_current(current)
        model.step(min(dt, duration - model.state.time))
        if sched.feed_mode == "batch" and step % feed_every == 0:
            model.feed()
        _bleed(config, model, rs)
        _add_salt(config, model, rs)
        _renew_salt(config, model, rs)
        _check_finite(model)
        stop = None
        if _tap_due(config, model, step, step == n_steps):
            batch = model.tap()
            if batch.sum() > 0:
                w = batch / batch.sum()
                tap = Tap(time=model.state.time, mass=float(batch.sum()), composition=w,
                          violations=check_spec(w, config.product))
                rs.taps.append(tap)
                if tap.violations and sched.stop_on_spec:
                    stop = f"product spec {config.product.name} broken: " + ", ".join(tap.violations)
        stop = stop or model.alloy_limit_broken() or model.thermal_limit_broken()
        ce = current_efficiency(produced(), model.state.charge)
        if step % record_every == 0 or stop or step == n_steps:
            rs.recorder.record(model, ce)
        t = model.state.time
        if run is not None and (t >= rs.next_snapshot - 1e-6 or stop or step == n_steps):
            run.write_snapshot(model.snapshot())
            while rs.next_snapshot <= t + 1e-6:
                rs.next_snapshot += num.snapshot_interval
        rs.step = step
        if t >= rs.next_sync - 1e-6 and not stop and step < n_steps:
            rs.next_sync += num.checkpoint_interval
            model.reset_caches()
            if run is not None:
                run.write_checkpoint(config, model, rs)
        if progress is not None:
            progress(t, {"U": model.derived.cell_voltage, "T": model.derived.temperature,
                         "Al": model.state.cathode[0] / model.state.cathode.sum()})
        if stop:
            stop_reason = stop
            break
    return CampaignResult.from_run(config, model, rs.recorder.arrays(), rs.taps, stop_reason,
                                   rs.cathode_al_0, wallclock.perf_counter() - start,
                                   bleeds=rs.bleeds, additions=rs.additions, renewals=rs.renewals)


def make_model_from(checkpoint: dict):
    """The model of a checkpoint, restored to its state."""
    model = make_model(checkpoint["config"])
    model.restore(checkpoint["model"])
    return model


__all__ = ["run_campaign", "SERIES"]
