"""The campaign runner: the clock, the scheduled operations, stop and output.

The runner owns time; the cell owns state (``cellsim.cell``) and the physics of its level
(``numerics.model``, through the registry of ``cellsim.models``), so the same loop drives
every level. The schedule is data: a list of operations (``cellsim.schedule``: current
program, scrap batches, alloy bleeds, electrolyte additions, the physical-window guard, taps,
limits, recording, snapshots, sync points) that share one interface; each step the runner
calls ``before`` of every operation, steps the cell, and calls ``after`` of every operation
in order. A campaign ends at the first of: the configured duration, a tapped batch outside
the product specification (if ``schedule.stop_on_spec``), an anode-alloy or pot limit, a
thermal limit (ledge gone, electrolyte frozen or too hot; ``[schedule]``), leaving the
operating window (cellsim.window: that state is not recorded, the result is marked outside
the window; a design whose initial state is outside does not start), or a non-finite state
(reported as an error, never written as a result).

Every ``numerics.checkpoint_interval`` of simulated time is a sync point: the cell drops
its solver caches (factorisations, warm starts), so what follows depends on the state
alone; with a ``run`` (cellsim.checkpoint.RunFile) the state of cell and runner (with the
operations' timing) is written there, and ``run_campaign(resume=...)`` continues bit for bit.
"""

from __future__ import annotations

import math
import time as wallclock
from dataclasses import dataclass
from typing import Callable

from .cell import Cell
from .config.schema import Config
from .models import make_model
from .results import CampaignResult
from .schedule import SERIES, Log, Operation, Step, check_physical, operations_of
from .window import OutsideWindow, violation


@dataclass
class RunnerState:
    """What the runner carries between steps (checkpointed with the cell)."""

    step: int  # last completed step
    log: Log
    operations: list[Operation]


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
        config, cell = resume["config"], make_model_from(resume)
        rs: RunnerState = resume["runner"]
    else:
        cell = make_model(config)
        check_physical(cell)
        outside = violation(config, cell, None)
        if outside:
            raise OutsideWindow(f"the initial state is outside the operating window: {outside}")
        rs = RunnerState(0, Log(cell.state.cathode[0]), operations_of(config))
        clock = Step(0, False, rs.log, run, rs)
        for op in rs.operations:
            op.start(cell, clock)
    dt, duration = config.schedule.time_step, config.schedule.duration
    n_steps = int(math.ceil(duration / dt - 1e-9))
    stop_reason, outside = "duration reached", None
    for index in range(rs.step + 1, n_steps + 1):
        clock = Step(index, index == n_steps, rs.log, run, rs)
        for op in rs.operations:
            op.before(cell, clock)
        cell.step(min(dt, duration - cell.state.time))
        rs.step = index
        for op in rs.operations:
            reason = op.after(cell, clock)
            clock.stop = clock.stop or reason
        if progress is not None:
            progress(cell.state.time, {"U": cell.derived.cell_voltage, "T": cell.derived.temperature,
                                       "Al": cell.state.cathode[0] / cell.state.cathode.sum()})
        if clock.stop:
            stop_reason, outside = clock.stop, clock.outside
            break
    log = rs.log
    return CampaignResult.from_run(config, cell, log.arrays(), log.taps, stop_reason, log.cathode_al_0,
                                   wallclock.perf_counter() - start, bleeds=log.bleeds,
                                   additions=log.additions, renewals=log.renewals,
                                   window=outside)


def make_model_from(checkpoint: dict) -> Cell:
    """The cell of a checkpoint, restored to its state."""
    cell = make_model(checkpoint["config"])
    cell.restore(checkpoint["model"])
    return cell


__all__ = ["run_campaign", "SERIES", "RunnerState"]
