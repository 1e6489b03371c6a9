"""cellsim.physics.Physics.step: with the overlap enabled (solvers.set_overlap; off by default)
the heat and species steps of a large grid run in two threads at once; they read only the
start of the step, so the results are those of the two in turn, bit for bit, and an error in
the species thread reaches the caller."""

from __future__ import annotations

import numpy as np
import pytest

from cellsim.config import load_config
from cellsim.fields import solvers
from cellsim.models import make_model

COARSE = ['numerics.model="3d"', 'numerics.resolution="coarse"']


def _allow(monkeypatch, min_cells: int = 0) -> None:
    """The overlap enabled, two threads allowed and a core to spare, whatever the load."""
    monkeypatch.setattr(solvers, "_OVERLAP", [True])
    monkeypatch.setattr(solvers, "OVERLAP_MIN_CELLS", min_cells)
    monkeypatch.setattr(solvers, "_MAX_THREADS", [2])
    monkeypatch.setattr(solvers, "_spare_core", lambda: True)


def _run(overlap: bool, monkeypatch, steps: int = 3):
    _allow(monkeypatch, 0 if overlap else 1 << 62)
    model = make_model(load_config("rusal-3kA", COARSE))
    assert model.physics.mesh.concurrent_steps() is overlap
    for _ in range(steps):
        model.step(5400.0)
    s = model.state
    return (model.physics.thermal.heat_state.T.copy(), model.physics.species.concentration.copy(),
            s.alloy.copy(), s.cathode.copy(), s.electrolyte.copy(), dict(s.energy))


def test_overlapped_step_gives_the_numbers_of_the_serial_step(monkeypatch):
    serial = _run(False, monkeypatch)
    overlapped = _run(True, monkeypatch)
    for a, b in zip(serial[:5], overlapped[:5]):
        assert np.array_equal(a, b)
    assert serial[5] == overlapped[5]


def test_an_error_in_the_species_thread_reaches_the_caller(monkeypatch):
    _allow(monkeypatch)
    model = make_model(load_config("rusal-3kA", COARSE))
    species = model.physics.species

    def broken(*a, **k):
        raise FloatingPointError("species solve for Cu gave non-finite values")

    monkeypatch.setattr(species, "exchange", broken)
    with pytest.raises(FloatingPointError, match="Cu"):
        model.step(5400.0)


def test_small_grids_one_thread_and_a_busy_machine_do_not_overlap(monkeypatch):
    import os

    monkeypatch.setattr(solvers, "_OVERLAP", [False])  # the default: off
    monkeypatch.setattr(solvers, "_MAX_THREADS", [2])
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.5, 0.5, 0.5))
    assert not solvers.overlap_steps(10 * solvers.OVERLAP_MIN_CELLS)
    solvers.set_overlap(True)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))  # this run, overlapping
    assert not solvers.overlap_steps(solvers.OVERLAP_MIN_CELLS - 1)
    assert solvers.overlap_steps(solvers.OVERLAP_MIN_CELLS)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.6, 2.0, 2.0))  # every core busy
    assert not solvers.overlap_steps(10 * solvers.OVERLAP_MIN_CELLS)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    monkeypatch.setattr(solvers, "_MAX_THREADS", [1])
    assert not solvers.overlap_steps(10 * solvers.OVERLAP_MIN_CELLS)
