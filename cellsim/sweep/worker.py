"""The work of one sweep case, run in a worker process (local pool or Dask worker).

Kept free of sweep objects: a task is a plain dict of picklable values, so it travels to
processes started by spawn and to remote Dask workers alike. The case's HDF5 file is written
atomically by the worker (``cellsim.io.write_result``); the outcome returned to the parent
holds only scalars, which the single summary writer records.
"""

from __future__ import annotations

import os
import time


def warm_up() -> None:
    """Import the model once per worker process (the pool initializer), not once per case."""
    import cellsim.campaign  # noqa: F401
    import cellsim.io  # noqa: F401


def run_task(task: dict) -> dict:
    """Run one case; never raises for a failing case (the error is returned instead).

    Status: "ok"; "outside_window" (the campaign left the operating window, cellsim.window:
    its file is written and marked, its energy and purity are not results); "failed".

    ``task``: ``case`` (name), ``base`` (config), ``overrides`` (tuple of ``key=value``),
    ``current_density`` (A/m2 or None: sets ``operation.current`` to density times area),
    ``output`` (path of the case HDF5 file).
    """
    start = time.perf_counter()
    outcome = {"case": task["case"], "status": "failed", "error": "", "stop_reason": "",
               "summary": {}, "campaign_time": float("nan"), "pid": os.getpid()}
    try:
        from cellsim.campaign import run_campaign
        from cellsim.config import load_config
        from cellsim.io import write_result

        overrides = tuple(task["overrides"])
        config = load_config(task["base"], overrides)
        if task.get("current_density") is not None:
            current = task["current_density"] * config.geometry.area
            config = load_config(task["base"], overrides + (f'operation.current="{current!r} A"',))
        result = run_campaign(config)
        write_result(result, task["output"], config_file=task["base"])
        outcome.update(status="outside_window" if result.window else "ok",
                       error=f"outside the operating window: {result.window}" if result.window else "",
                       stop_reason=result.stop_reason, campaign_time=result.wall_time,
                       summary={k: float(v) for k, v in result.summary.items()})
    except Exception as exc:  # a failed case is data, not a crash of the sweep
        from cellsim.window import OutsideWindow

        if isinstance(exc, OutsideWindow):
            outcome.update(status="outside_window", error=str(exc))
        else:
            outcome["error"] = f"{type(exc).__name__}: {exc}"
    outcome["wall_time"] = time.perf_counter() - start
    return outcome
