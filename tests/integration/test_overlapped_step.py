"""cellsim.physics.Physics.step: the heat and species steps of a large grid run in two threads
at once; they read only the start of the step, so the results are those of the two in turn,
bit for bit, and an error in the species thread reaches the caller."""

from __future__ import annotations

import numpy as np
import pytest

from cellsim.config import load_config
from cellsim.fields import solvers
from cellsim.models import make_model

COARSE = ['numerics.model="3d"', 'numerics.resolution="coarse"']


def _run(overlap: bool, monkeypatch, steps: int = 3):
    monkeypatch.setattr(solvers, "OVERLAP_MIN_CELLS", 0 if overlap else 1 << 62)
    monkeypatch.setattr(solvers, "_MAX_THREADS", [2])  # the overlap wants two threads allowed
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
    monkeypatch.setattr(solvers, "OVERLAP_MIN_CELLS", 0)
    monkeypatch.setattr(solvers, "_MAX_THREADS", [2])
    model = make_model(load_config("rusal-3kA", COARSE))
    species = model.physics.species

    def broken(*a, **k):
        raise FloatingPointError("species solve for Cu gave non-finite values")

    monkeypatch.setattr(species, "exchange", broken)
    with pytest.raises(FloatingPointError, match="Cu"):
        model.step(5400.0)


def test_small_grids_and_one_thread_do_not_overlap(monkeypatch):
    monkeypatch.setattr(solvers, "_MAX_THREADS", [2])
    assert not solvers.overlap_steps(solvers.OVERLAP_MIN_CELLS - 1)
    assert solvers.overlap_steps(solvers.OVERLAP_MIN_CELLS)
    monkeypatch.setattr(solvers, "_MAX_THREADS", [1])
    assert not solvers.overlap_steps(10 * solvers.OVERLAP_MIN_CELLS)
