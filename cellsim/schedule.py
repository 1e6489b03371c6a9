"""Scheduled operations of a campaign: one interface, a list built from ``[schedule]``.

The runner (``cellsim.campaign``) owns the clock; every step it calls ``before`` of each
operation, steps the cell, then calls ``after`` of each operation in the list's order (the
first stop reason returned ends the campaign after that step's operations). An operation
acts on the cell through its public methods only, keeps its own timing state (it is
checkpointed with the runner, so a resumed run continues bit for bit) and writes what it did
into the run's :class:`Log`. A new operation is one class here and one line in
:func:`operations_of`; the loop does not change.

Order of a step (the order of :func:`operations_of`): current program (before the step);
then scrap batch, alloy bleed, electrolyte additions, the physical-window guard, tap, alloy
and thermal limits, recording, field snapshot, sync point (caches dropped, checkpoint).
"""

from __future__ import annotations

import math
import time as wallclock
from dataclasses import dataclass, field

import numpy as np

from .cell import Cell, current_efficiency
from .config.schema import Config
from .lumped.electrical import VOLTAGE_TERMS, electrolyte_conductivity
from .lumped.thermal import FACES
from .program import CurrentProgram, current_program
from .results import Addition, Bleed, Renewal, Tap, check_spec
from .units import ZERO_CELSIUS
from .window import violation

_DUE = 1e-6  # s: a time within this of a due time is due (times add up in floating point)

# Time series recorded by the runner: name -> (units, description).
SERIES = {
    "time": ("s", "simulated time since the start of the campaign"),
    "cell_current": ("A", "cell current of the step ending at the record (current program, "
                              "sampled at the step start)"),
    "cell_voltage": ("V", "terminal voltage including external drops"),
    **{f"voltage_{t}": ("V", f"voltage term: {t.replace('_', ' ')}") for t in VOLTAGE_TERMS},
    "temperature": ("K", "electrolyte temperature"),
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
    "electrolyte_impurities": ("1", "dissolved impurity mass fractions of the electrolyte, columns = impurities"),
    "current_efficiency": ("1", "cumulative current efficiency"),
    "charge": ("C", "cumulative charge passed since the start"),
    "energy": ("J", "cumulative energy since the start: electrical (every voltage term) plus "
                    "auxiliary heat"),
    "alf3_fraction": ("1", "AlX3 mass fraction of the electrolyte"),
    "alf3_activity": ("1", "AlX3 activity of the electrolyte (electrolyte.alf3_activity_model)"),
    "electrolyte_liquid_fraction": ("1", "liquid volume fraction of the electrolyte"),
    "electrolyte_composition": ("1", "electrolyte mass fractions, columns = salt components "
                              "(cellsim.electrolyte; 'base' = the configured electrolyte without AlX3)"),
    "electrolyte_mass": ("kg", "electrolyte mass in the pot"),
    "electrolyte_conductivity": ("S/m", "electrolyte conductivity at the melt temperature, from its composition"),
    "electrolyte_density": ("kg/m3", "electrolyte density at the operating set point, from its composition"),
    "electrolyte_liquidus": ("K", "electrolyte liquidus from its composition"),
    "electrolyte_specific_heat": ("J/(kg K)", "electrolyte heat capacity from its composition"),
    "acd": ("m", "anode-cathode distance: salt volume over the pot's area (the field grid "
                 "follows it within numerics.remesh_threshold)"),
}


@dataclass
class Log:
    """What the operations of a run wrote: recorded series, taps, bleeds, additions."""

    cathode_al_0: float  # kg of Al in the cathode metal at the start (for the produced Al)
    series: dict = field(default_factory=lambda: {name: [] for name in SERIES})
    taps: list = field(default_factory=list)
    bleeds: list = field(default_factory=list)
    additions: list = field(default_factory=list)
    renewals: list = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.array(values) for name, values in self.series.items()}


@dataclass
class Step:
    """The runner's clock at one step, as the operations see it."""

    index: int  # 1, 2, ... (0: the start of the campaign)
    last: bool  # the last step of the configured duration
    log: Log
    run: object = None  # cellsim.checkpoint.RunFile or None
    runner: object = None  # the runner's state (what a checkpoint writes)
    stop: str | None = None  # the first stop reason of this step so far
    outside: str | None = None  # how the state left the operating window (cellsim.window)


class Operation:
    """A scheduled operation (module docstring). The defaults do nothing."""

    def start(self, cell: Cell, step: Step) -> None:
        """At the start of a new campaign (not on resume)."""

    def before(self, cell: Cell, step: Step) -> None:
        """Before the cell's step."""

    def after(self, cell: Cell, step: Step) -> str | None:
        """After the cell's step; a stop reason ends the campaign."""
        return None


def _every(interval: float, dt: float) -> int:
    return max(1, round(interval / dt))


# ------------------------------------------------------------------------------ operations
@dataclass
class CurrentSchedule(Operation):
    """The current program (``schedule.current_program``), sampled at each step's start."""

    program: CurrentProgram

    def before(self, cell, step):
        cell.set_current(self.program(cell.state.time))


@dataclass
class BatchFeed(Operation):
    """Scrap batches every ``schedule.feed_interval`` (feed_mode = "batch"; the continuous
    feed is part of the cell's step)."""

    every: int  # steps

    def after(self, cell, step):
        if step.index % self.every == 0:
            cell.feed()


@dataclass
class AlloyBleed(Operation):
    """Alloy bleeds every ``bleed_interval`` and/or when the limited elements pass
    ``bleed_threshold`` (``schedule.bleed_mode``)."""

    mode: str
    interval: float
    threshold: float | None
    mass: float | None
    fraction: float
    next_time: float = math.inf

    def start(self, cell, step):
        if self.mode in ("interval", "both"):
            self.next_time = self.interval

    def after(self, cell, step):
        t, due = cell.state.time, False
        if self.mode in ("interval", "both") and t >= self.next_time - _DUE:
            due = True
            while self.next_time <= t + _DUE:
                self.next_time += self.interval
        if self.mode in ("threshold", "both") and cell.limited_sum() > self.threshold:
            due = True
        if not due:
            return None
        mass = self.mass if self.mass is not None else self.fraction * cell.state.alloy.sum()
        bled, fresh = cell.bleed(mass)
        step.log.bleeds.append(Bleed(time=t, mass=float(bled.sum()), composition=bled / bled.sum(),
                                     fresh_mass=float(fresh.sum()), fresh_composition=fresh / fresh.sum()))
        return None


@dataclass
class ElectrolyteAdditions(Operation):
    """AlX3 and base salt added at given times: ``rows`` of (time [s], AlX3 [kg] or None for
    the top-up, base salt [kg]), or every ``interval`` (``schedule.salt_additions``)."""

    rows: tuple = ()  # sorted by time
    interval: float | None = None
    amounts: tuple = (None, 0.0)  # (AlX3, base salt) of each interval addition
    next_time: float = math.inf
    next_row: int = 0

    def start(self, cell, step):
        if self.interval is not None:
            self.next_time = self.interval

    def after(self, cell, step):
        t, due = cell.state.time, []
        if self.interval is not None:
            while self.next_time <= t + _DUE:
                due.append(self.amounts)
                self.next_time += self.interval
        while self.next_row < len(self.rows) and self.rows[self.next_row][0] <= t + _DUE:
            due.append(self.rows[self.next_row][1:])
            self.next_row += 1
        for alf3, base in due:
            added, base = cell.add_salt(alf3, base)
            step.log.additions.append(Addition(time=t, alf3=added, base_salt=base))
        return None


@dataclass
class SaltRenewal(Operation):
    """Partial electrolyte renewal (``schedule.salt_renewal_mode``): every ``interval`` [s],
    or whenever the salt's MgX2 mass fraction passes ``threshold``; ``mass`` [kg] or
    ``fraction`` of the salt removed each time (cellsim.electrolyte, docs/electrolyte.md)."""

    interval: float | None = None
    threshold: float | None = None
    mass: float | None = None
    fraction: float = 0.5
    next_time: float = math.inf

    def start(self, cell, step):
        if self.interval is not None:
            self.next_time = self.interval

    def after(self, cell, step):
        t = cell.state.time
        if self.interval is not None:
            due = t >= self.next_time - _DUE
            while self.next_time <= t + _DUE:
                self.next_time += self.interval
        else:
            due = cell.salt.mgx2_fraction(cell.state) > self.threshold
        if due:
            salt = float(cell.salt.masses(cell.state).sum())
            mass = self.mass if self.mass is not None else self.fraction * salt
            if self.mass is None and self.fraction >= 1.0:
                mass = salt * (1.0 - 1e-12)  # a full renewal leaves a film (inventories stay positive)
            moved = cell.renew_salt(mass)
            step.log.renewals.append(Renewal(time=t, mass=moved["removed"], mgx2=moved["removed_mgx2"],
                                             fresh=moved["fresh"]))
        return None


# Bounds of a physical state: no melt of this process exceeds 2500 K (Al boils at 2792 K) or
# falls below 200 K, and a three-layer cell runs at a few volts (100 V means the electrolyte
# has stopped conducting, e.g. frozen across).
T_PLAUSIBLE = (200.0, 2500.0)  # K
U_PLAUSIBLE = 100.0  # V


def check_physical(cell: Cell) -> None:
    """FloatingPointError if the state is non-finite or outside the physical window (a state
    outside it is never written as a result)."""
    s, d = cell.state, cell.derived
    arrays = (s.alloy, s.electrolyte, s.cathode)
    every = np.concatenate(arrays)
    low, high = every.min(), every.max()  # a NaN anywhere makes both NaN
    if not (math.isfinite(low) and math.isfinite(high)) or s.alloy.min() < -1e-9:
        when = f"at t = {s.time / 86400:.3f} d"
        raise FloatingPointError(
            f"non-finite or negative inventory {when}: alloy {s.alloy}, "
            f"electrolyte {s.electrolyte}, cathode {s.cathode}")
    lo, hi = T_PLAUSIBLE
    if not (lo <= d.temperature <= hi and abs(d.cell_voltage) <= U_PLAUSIBLE):
        when = f"at t = {s.time / 86400:.3f} d"
        if d.temperature > hi:  # hot: more heat than the pot sheds
            cause = ("the pot overheated: its Joule heat exceeds what the lining sheds (lower the "
                     "current density or the ACD, or let more heat out; window.max_temperature "
                     "stops such a run earlier)")
        else:
            cause = ("the electrolyte froze across, its resistance soaring (check the set point "
                     "against the electrolyte liquidus, the lining, and the electrolyte mixing, "
                     "electrolyte.eddy_diffusivity)")
        raise FloatingPointError(
            f"non-physical state {when}: electrolyte temperature {d.temperature - ZERO_CELSIUS:.4g} degC "
            f"(expected {lo - ZERO_CELSIUS:.0f} to {hi - ZERO_CELSIUS:.0f}), cell voltage "
            f"{d.cell_voltage:.4g} V (expected below {U_PLAUSIBLE:.0f} V); the coupled current-heat "
            "solution has run away: " + cause)


class PhysicalWindow(Operation):
    """The guard of :func:`check_physical` after the state-changing operations."""

    def after(self, cell, step):
        check_physical(cell)
        return None


@dataclass
class CathodeTap(Operation):
    """Tap the cathode metal every ``every`` steps or when it reaches ``level`` [m]
    (``schedule.tap_mode``), and at the end of the campaign; a batch outside the product
    specification stops the campaign if ``stop_on_spec``."""

    product: object  # cellsim.config.schema product specification
    every: int
    level: float | None = None
    stop_on_spec: bool = False

    def after(self, cell, step):
        due = step.last or (cell.derived.cathode_depth >= self.level if self.level is not None
                            else step.index % self.every == 0)
        if not due:
            return None
        batch = cell.tap()
        if batch.sum() <= 0:
            return None
        w = batch / batch.sum()
        tap = Tap(time=cell.state.time, mass=float(batch.sum()), composition=w,
                  violations=check_spec(w, self.product),
                  pathways=cell.last_tap_tags / batch.sum(),  # by origin (docs/purity.md)
                  cations=cell.last_tap_cations / batch.sum())
        step.log.taps.append(tap)
        if tap.violations and self.stop_on_spec:
            return f"product spec {self.product.name} broken: " + ", ".join(tap.violations)
        return None


class Limits(Operation):
    """The cell's stop criteria: anode-alloy and pot limits, then the thermal limits."""

    def after(self, cell, step):
        return cell.alloy_limit_broken() or cell.thermal_limit_broken()


@dataclass
class OperatingWindow(Operation):
    """The operating window (cellsim.window) after the stop criteria: a state outside it
    stops the campaign and is neither recorded nor snapshot (Recording, Snapshots)."""

    config: Config

    def after(self, cell, step):
        ce = current_efficiency(produced_al(cell, step.log), cell.state.charge)
        step.outside = violation(self.config, cell, ce)
        return f"outside the operating window: {step.outside}" if step.outside else None


_VOLTAGE_KEYS = tuple((f"voltage_{t}", t) for t in VOLTAGE_TERMS)  # (series name, term)


def record(cell: Cell, log: Log, ce: float) -> None:
    """Append the present values of every SERIES entry to ``log``."""
    s, d = cell.state, cell.derived
    row = {
        "time": s.time, "cell_current": cell.current, "cell_voltage": d.cell_voltage,
        **{key: float(d.voltage[t]) for key, t in _VOLTAGE_KEYS},
        "temperature": d.temperature, "heater_power": d.heater_power,
        "heat_margin": d.heat_margin, "joule_heat": d.joule_heat, "feed_sink": d.feed_sink,
        **{f"heat_loss_{f}": float(v) for f, v in d.heat.by_face().items()},
        "ledge_thickness": d.heat.ledge_thickness, "alloy_depth": d.alloy_depth,
        "cathode_depth": d.cathode_depth, "alloy_al_activity": d.a_al_alloy,
        "alloy_composition": s.alloy / s.alloy.sum(),
        "cathode_composition": s.cathode / s.cathode.sum(),
        "electrolyte_impurities": s.electrolyte / (s.electrolyte_base + s.alf3 + s.electrolyte.sum()),
        "current_efficiency": ce,
        "alf3_fraction": cell.alf3_fraction(), "alf3_activity": cell.alf3_activity(),
        "electrolyte_liquid_fraction": cell.electrolyte_liquid_fraction(),
        **_electrolyte_row(cell),
    }
    row["charge"], row["energy"] = s.charge, float(sum(s.energy.values()))
    for name, value in row.items():
        log.series[name].append(np.array(value, dtype=float))


def _electrolyte_row(cell: Cell) -> dict:
    """The electrolyte's composition and properties (cellsim.electrolyte) for the recorder."""
    props = cell.salt_props
    m = cell.salt.masses(cell.state)
    return {"electrolyte_composition": m / m.sum(), "electrolyte_mass": m.sum(),
            "electrolyte_conductivity": electrolyte_conductivity(cell.config.electrolyte, cell.derived.temperature),
            "electrolyte_density": props.density, "electrolyte_liquidus": props.liquidus,
            "electrolyte_specific_heat": props.specific_heat,
            "acd": cell.electrolyte_volume / cell.config.geometry.area}


def produced_al(cell: Cell, log: Log) -> float:
    """Al produced so far [kg]: tapped plus what the cathode metal gained."""
    return cell.state.tapped[0] + cell.state.cathode[0] - log.cathode_al_0


@dataclass
class Recording(Operation):
    """The time series every ``every`` steps, at a stop and at the end (``numerics.record_interval``)."""

    every: int

    def start(self, cell, step):
        record(cell, step.log, math.nan)

    def after(self, cell, step):
        if step.outside:
            return None
        if step.index % self.every == 0 or step.stop or step.last:
            record(cell, step.log, current_efficiency(produced_al(cell, step.log), cell.state.charge))
        return None


@dataclass
class Snapshots(Operation):
    """Field snapshots every ``interval`` [s], at a stop and at the end, into the run file."""

    interval: float
    next_time: float = 0.0

    def start(self, cell, step):
        if step.run is not None:
            step.run.write_snapshot(cell.snapshot())
        self.next_time = self.interval

    def after(self, cell, step):
        t = cell.state.time
        if step.run is not None and not step.outside and (
                t >= self.next_time - _DUE or step.stop or step.last):
            step.run.write_snapshot(cell.snapshot())
            while self.next_time <= t + _DUE:
                self.next_time += self.interval
        return None


@dataclass
class SyncPoints(Operation):
    """Every ``interval`` [s] (``numerics.checkpoint_interval``), unless the campaign ends
    there: the cell drops its solver caches, so what follows depends on the state alone,
    and the run file (if any) receives a checkpoint, unless one was written less than
    ``wall_interval`` [s] of wall-clock time before (``numerics.checkpoint_wall_interval``;
    the first sync point always writes). Writing is the only thing the wall clock decides:
    the caches are dropped at every sync point, so the results do not depend on it."""

    interval: float
    config: Config
    next_time: float = 0.0
    wall_interval: float = 0.0
    written_at: float = -math.inf  # time.time() of the last checkpoint written [s]

    def start(self, cell, step):
        self.next_time = self.interval

    def after(self, cell, step):
        if cell.state.time >= self.next_time - _DUE and not step.stop and not step.last:
            self.next_time += self.interval
            cell.reset_caches()
            now = wallclock.time()
            if step.run is not None and now - self.written_at >= self.wall_interval:
                self.written_at = now  # stored with the checkpoint: set before writing it
                step.run.write_checkpoint(self.config, cell, step.runner)
        return None


def operations_of(config: Config) -> list[Operation]:
    """The scheduled operations of ``config`` in the order of a step (module docstring)."""
    sched, num, dt = config.schedule, config.numerics, config.schedule.time_step
    ops: list[Operation] = [CurrentSchedule(current_program(config))]
    if sched.feed_mode == "batch":
        ops.append(BatchFeed(_every(sched.feed_interval, dt)))
    if sched.bleed_mode != "none":
        ops.append(AlloyBleed(sched.bleed_mode, sched.bleed_interval, sched.bleed_threshold,
                              sched.bleed_mass, sched.bleed_fraction))
    if sched.salt_additions == "interval":
        ops.append(ElectrolyteAdditions(interval=sched.addition_interval,
                                        amounts=(sched.addition_alf3, sched.addition_base_salt)))
    elif sched.salt_additions == "table":
        rows = sorted(sched.additions, key=lambda a: a.time)
        ops.append(ElectrolyteAdditions(rows=tuple((a.time, a.alf3, a.base_salt) for a in rows)))
    if sched.salt_renewal_mode != "none":
        ops.append(SaltRenewal(sched.salt_renewal_interval if sched.salt_renewal_mode == "interval" else None,
                               sched.salt_renewal_threshold, sched.salt_renewal_mass,
                               sched.salt_renewal_fraction))
    ops += [PhysicalWindow(),
            CathodeTap(config.product, _every(sched.tap_interval, dt),
                       sched.tap_level if sched.tap_mode == "level" else None, sched.stop_on_spec),
            Limits(), OperatingWindow(config), Recording(_every(num.record_interval, dt)),
            Snapshots(num.snapshot_interval),
            SyncPoints(num.checkpoint_interval, config,
                       wall_interval=num.checkpoint_wall_interval)]
    return ops
