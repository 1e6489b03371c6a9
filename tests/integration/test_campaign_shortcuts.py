"""The campaign's speed shortcuts against the always-solve reference run.

Shortcut measured here: the axisymmetric level reuses its current solution while no
electrolyte cell's conductivity has moved by more than ``numerics.current_reuse`` (1e-4,
relative) since the solve (cellsim/fields/axisymmetric.py); the reference solves the
current at every step (``numerics.current_reuse = 0``). The species field's banded solve is
not a shortcut (it solves the same system; tests/verification/test_species_band.py).

Measured (4 d of rusal-3kA, coarse grid, 2-day taps; the reuse skips ~70 % of the solves at
hourly steps, ~half at the 3 h default step: 19 of 37 solves, the conductivity moving ~3x
further per step):
specific energy 4e-9, mean cell voltage 4e-8, mean heater power 4.5e-6, Al produced 3e-13,
product impurity 1 - Al 2e-7 relative, campaign length identical. Asserted with margin:
1e-6, 1e-6, 1e-4, 1e-9, 1e-5, exact. Conservation does not depend on the shortcut and is
asserted as tightly as everywhere (elements to 1e-12 of the scrap fed); the energy link
between the ledger and the heat field (the heat released in the field each step is I times
the internal voltage terms the ledger books for that step) holds to round-off with the reused
solution as with a fresh one.
"""

import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.fields import axisymmetric as ax
from cellsim.models import make_model

pytestmark = pytest.mark.integration

CASE = ['numerics.model="axisymmetric"', 'numerics.resolution="coarse"', 'schedule.duration="4 d"',
        'schedule.tap_interval="2 d"']
INTERNAL = ("electrolyte_ohmic", "anode_alloy_ohmic", "cathode_metal_ohmic", "collectors_ohmic",
            "anode_overpotential", "cathode_overpotential", "reversible")
TOLERANCE = {"specific_energy": 1e-6, "mean_cell_voltage": 1e-6, "mean_heater_power": 1e-4,
             "al_produced": 1e-9}


def _counting(monkeypatch):
    calls = []
    original = ax.FieldElectrical.solve

    def counted(self, cell, *args, **kw):
        calls.append(cell.state.time)
        return original(self, cell, *args, **kw)

    monkeypatch.setattr(ax.FieldElectrical, "solve", counted)
    return calls


@pytest.fixture(scope="module")
def runs():
    with pytest.MonkeyPatch.context() as mp:
        calls = _counting(mp)
        reference = run_campaign(load_config("rusal-3kA", CASE + ["numerics.current_reuse=0"]))
        n_reference = len(calls)
        calls.clear()
        fast = run_campaign(load_config("rusal-3kA", CASE))  # the default, 1e-4
        return reference, fast, n_reference, len(calls)


def test_reuse_skips_most_current_solves(runs):
    _, _, n_reference, n_fast = runs
    steps = 4 * 86400.0 / load_config("rusal-3kA", CASE).schedule.time_step
    assert n_reference >= steps  # one solve per step at least
    assert n_fast < 0.6 * n_reference  # about half skipped at the 3 h step (19 of 37)


def test_campaign_results_match_the_reference(runs):
    reference, fast, _, _ = runs
    ref, got = reference.summary, fast.summary
    for key, tol in TOLERANCE.items():
        assert got[key] == pytest.approx(ref[key], rel=tol), key
    assert 1.0 - got["product_al"] == pytest.approx(1.0 - ref["product_al"], rel=1e-5)
    assert got["campaign_length"] == ref["campaign_length"] and got["taps"] == ref["taps"] == 2
    assert fast.stop_reason == reference.stop_reason


def test_elements_conserved_with_the_shortcuts(runs):
    _, fast, _, _ = runs
    assert np.max(np.abs(fast.mass_balance)) < 1e-12 * fast.summary["scrap_fed"]


def test_field_heat_is_the_booked_internal_energy_every_step():
    """Each heat step's Joule + electrode sources [W] equal I times the internal voltage terms
    the ledger books for that step (everything but the external drop and the rods beyond the
    lid), whether the current solution was solved or reused (measured 1e-16, asserted 1e-13);
    with the solved terminal voltage V + E_rev instead, to the current solve's energy identity
    (its Newton tolerance on the interface jumps: measured 1.6e-10, asserted 1e-9); the heat
    field's own balance closes every step."""
    model = make_model(load_config("rusal-3kA", CASE))
    electrical, thermal = model.physics.electrical, model.physics.thermal
    reused = 0
    for step in range(1, 49):
        d, key = model.derived, electrical._sigma_ref
        booked = model.current * (sum(d.voltage[t] for t in INTERNAL) - model.current * electrical.outside_resistance())
        model.step(3600.0)
        bal = thermal.balance
        field_heat = sum(sum(bal.sources[name].values()) for name in ("joule", "electrodes"))
        assert field_heat == pytest.approx(booked, rel=1e-13)
        # and the solved terminal voltage closes the current field's energy identity
        assert field_heat == pytest.approx(d.joule_heat, rel=1e-9)
        assert bal.relative_residual < 1e-9
        reused += electrical._sigma_ref is key
        if step == 24:
            model.tap()
    assert reused > 24
