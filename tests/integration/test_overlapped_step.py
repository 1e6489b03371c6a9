"""cellsim.physics.Physics.step: the heat and species steps of a large grid run in two threads
at once (``numerics.overlap_steps``: "auto" while a core is free, "on", "off"; the
environment variable CELLSIM_OVERLAP_STEPS overrides it). They read only the start of the
step, so two threads give the numbers of one, bit for bit; an error in the species thread
reaches the caller; the policy's free-core rule and the run's metadata are checked against
their definitions."""

from __future__ import annotations

import json

import numba
import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.config.errors import ConfigError
from cellsim.fields import solvers
from cellsim.io import read_result, write_result
from cellsim.models import make_model

COARSE = ['numerics.model="3d"', 'numerics.resolution="coarse"']


def _allow(monkeypatch, min_cells: int = 0, threads: int = 2) -> None:
    """The overlap on (whatever the load) from ``min_cells`` cells, ``threads`` allowed."""
    monkeypatch.setattr(solvers, "_OVERLAP", ["on"])
    monkeypatch.setattr(solvers, "OVERLAP_MIN_CELLS", min_cells)
    monkeypatch.setattr(solvers, "_MAX_THREADS", [threads])


def _run(threads: int, monkeypatch, steps: int = 3, extra=()):
    _allow(monkeypatch, 0, threads)
    model = make_model(load_config("rusal-3kA", COARSE + list(extra)))
    assert model.physics.mesh.concurrent_steps() is (threads == 2)
    for _ in range(steps):
        model.step(5400.0)
    s = model.state
    assert model.physics.steps_overlapped == (steps if threads == 2 else 0)
    return (model.physics.thermal.heat_state.T.copy(), model.physics.species.concentration.copy(),
            s.alloy.copy(), s.cathode.copy(), s.electrolyte.copy(), dict(s.energy))


def test_two_threads_give_the_numbers_of_one(monkeypatch):
    one = _run(1, monkeypatch)
    two = _run(2, monkeypatch)
    for a, b in zip(one[:5], two[:5]):
        assert np.array_equal(a, b)
    assert one[5] == two[5]


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs NUMBA_NUM_THREADS >= 2")
def test_the_species_thread_sets_its_own_kernel_threads(monkeypatch):
    """Numba's thread count is per thread: the species thread starts at NUMBA_NUM_THREADS, so
    a species PCG (its stencil kernels' parallel reductions) must set its own one thread, or
    its sums run in another order (3e-11 apart before it did)."""
    extra = ['numerics.linear_solver.species="multigrid"']
    one = _run(1, monkeypatch, extra=extra)
    two = _run(2, monkeypatch, extra=extra)
    for a, b in zip(one[:5], two[:5]):
        assert np.array_equal(a, b)


def test_an_error_in_the_species_thread_reaches_the_caller(monkeypatch):
    _allow(monkeypatch)
    model = make_model(load_config("rusal-3kA", COARSE))
    species = model.physics.species

    def broken(*a, **k):
        raise FloatingPointError("species solve for Cu gave non-finite values")

    monkeypatch.setattr(species, "exchange", broken)
    with pytest.raises(FloatingPointError, match="Cu"):
        model.step(5400.0)


def test_the_mode_off_small_grids_and_one_thread_do_not_overlap(monkeypatch):
    monkeypatch.setattr(solvers, "_OVERLAP", [None])
    monkeypatch.delenv("CELLSIM_OVERLAP_STEPS", raising=False)
    monkeypatch.setattr(solvers, "_MAX_THREADS", [2])
    monkeypatch.setattr(solvers, "_spare_core", lambda: True)  # a core free
    big = solvers.OVERLAP_MIN_CELLS * 2
    assert big < solvers.PARALLEL_MIN_CELLS
    assert solvers.overlap_steps(big)  # "auto", the default
    huge = solvers.PARALLEL_MIN_CELLS  # kernels parallel: "auto" leaves them the cores
    assert not solvers.overlap_steps(huge) and solvers.overlap_steps(huge, "on")
    assert not solvers.overlap_steps(big, "off")
    assert solvers.overlap_steps(big, "on")
    assert not solvers.overlap_steps(solvers.OVERLAP_MIN_CELLS - 1, "on")
    solvers.set_overlap("off")  # the process's override wins over the run's key
    assert not solvers.overlap_steps(big, "on")
    solvers.set_overlap(None)
    monkeypatch.setattr(solvers, "_spare_core", lambda: False)  # every core busy
    assert not solvers.overlap_steps(big)
    assert solvers.overlap_steps(big, "on")
    monkeypatch.setattr(solvers, "_MAX_THREADS", [1])
    assert not solvers.overlap_steps(big, "on")


@pytest.mark.parametrize("value, mode", [("1", "on"), ("on", "on"), ("0", "off"), ("OFF", "off"),
                                         ("auto", "auto"), ("", None)])
def test_the_environment_variable(monkeypatch, value, mode):
    monkeypatch.setattr(solvers, "_OVERLAP", [None])
    monkeypatch.setenv("CELLSIM_OVERLAP_STEPS", value)
    assert solvers._env_overlap() == mode
    assert solvers.overlap_mode("on") == (mode or "on")  # it overrides the run's key
    assert solvers.thread_policy("on")["overlap_set_by"] == (
        "CELLSIM_OVERLAP_STEPS" if mode else "numerics.overlap_steps")


def test_a_bad_environment_variable_or_key_is_named(monkeypatch):
    monkeypatch.setattr(solvers, "_OVERLAP", [None])
    monkeypatch.setenv("CELLSIM_OVERLAP_STEPS", "sometimes")
    with pytest.raises(ValueError, match="CELLSIM_OVERLAP_STEPS.*sometimes.*auto, on, off"):
        solvers.overlap_steps(10 * solvers.OVERLAP_MIN_CELLS)
    with pytest.raises(ConfigError, match="overlap_steps"):
        load_config("rusal-3kA", ['numerics.overlap_steps="sometimes"'])


def test_a_core_is_free_when_the_others_left_two_less_a_quarter(monkeypatch):
    """The others' cores = (busy time of the allowed cores - this process's CPU time) / span,
    from samples (time, busy s, own s) fed to the rule; free when the usable cores less the
    others' are at least 1.75 (two threads, a quarter of a core of margin)."""
    samples = iter([(0.0, 0.0, 0.0),  # the first: a window starts, no verdict yet (in turn)
                    (0.5, 0.9, 0.8),  # within the window: the last verdict
                    (2.0, 3.9, 3.6),  # others (3.9 - 3.6) / 2 = 0.15 cores: free
                    (4.0, 7.9, 6.6),  # others (4.0 - 3.0) / 2 = 0.5 cores: busy
                    (6.0, 11.9, 10.2)])  # others (4.0 - 3.6) / 2 = 0.2: free again
    monkeypatch.setattr(solvers, "_cpu_sample", lambda: next(samples))
    monkeypatch.setattr(solvers, "usable_cores", lambda: 2)
    rule = solvers._FreeCore()
    assert [rule() for _ in range(5)] == [False, False, True, False, True]
    assert rule.others == pytest.approx(0.2)
    monkeypatch.setattr(solvers, "usable_cores", lambda: 1)  # one core allowed: never
    rule = solvers._FreeCore()
    samples = iter([(0.0, 0.0, 0.0), (2.0, 2.0, 2.0)])
    assert [rule() for _ in range(2)] == [False, False]
    monkeypatch.setattr(solvers, "usable_cores", lambda: 4)  # 4 cores, the others use 2.2
    rule = solvers._FreeCore()  # (4 - 2.2 = 1.8 free) or 2.4 (1.6 free)
    samples = iter([(0.0, 0.0, 0.0), (1.0, 3.2, 1.0), (2.0, 6.6, 2.0)])
    assert [rule() for _ in range(3)] == [False, True, False]


def test_usable_cores_follow_the_affinity(monkeypatch):
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5})
    assert solvers.usable_cores() in (1, 2, 3)  # a cgroup quota may cap it
    sample = solvers._cpu_sample()  # /proc/stat of the allowed cores only (here none exist
    assert sample is None or sample[1] >= 0.0  # beyond cpu1 on a 2-core machine: 0 busy)


def test_the_run_records_its_threads(monkeypatch, tmp_path):
    """The result and its file carry the policy and the steps overlapped: with the overlap on,
    every one of duration / time step steps."""
    _allow(monkeypatch)
    cfg = load_config("rusal-3kA", COARSE + ['schedule.duration="12 h"'])
    result = run_campaign(cfg)
    steps = round(cfg.schedule.duration / cfg.schedule.time_step)
    assert result.threads["steps"] == result.threads["steps_overlapped"] == steps
    assert result.threads["overlap_steps"] == "on"
    assert result.threads["overlap_set_by"] == "solvers.set_overlap"
    assert result.threads["kernel_threads"] == 2
    path = write_result(result, tmp_path / "r.h5")
    assert read_result(path).threads == json.loads(json.dumps(result.threads))
