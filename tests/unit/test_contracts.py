"""Conformance of every registered model level, and of a toy level defined here, with the
contract of ``cellsim.contracts``: each provider has its role's members, ``update_state`` is
idempotent, every operation on the cell leaves the derived quantities current (calling
``update_state`` after it changes nothing), element totals are conserved through steps and
operations, a checkpoint continues bit for bit, and the runner drives the level.

The toy level ("no exchange": the dissolved impurities stay where they are) is one provider
class and one ``Level`` entry: adding a level touches the registry and its providers only.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Generic, Protocol

import numpy as np
import pytest

from cellsim import contracts
from cellsim.campaign import run_campaign
from cellsim.cell import Cell
from cellsim.config import load_config
from cellsim.contracts import ExchangeStep
from cellsim.lumped.providers import Stateless
from cellsim.models import LEVELS, Level, make_model

# cylindrical pot for the lumped and r-z levels; the 3D level on the coarse rectangular pot
CELLS = {"lumped": "rusal-3kA", "axisymmetric": "rusal-3kA", "3d": "rusal-3kA-rect", "toy": "rusal-3kA"}
FAST = ['numerics.resolution="coarse"']


class NoExchange(Stateless):
    """Toy species provider: no impurity crosses an interface (zero fluxes)."""

    def start(self, cell) -> None:
        pass

    def electrolyte_inventory(self) -> None:
        return None

    def add(self, masses, where: str = "electrolyte") -> None:
        pass  # no cells: inputs stay in the cell's inventory, as at the lumped level

    def exchange(self, cell, dt, temperature, electrical, alloy_feed=None) -> ExchangeStep:
        s, zero = cell.state, np.zeros(len(cell.state.electrolyte))
        alloy = s.alloy[1:] if alloy_feed is None else s.alloy[1:] + dt * alloy_feed
        return ExchangeStep(alloy.copy(), s.electrolyte.copy(), s.cathode[1:].copy(), zero, zero)


TOY = Level("cellsim.lumped.providers:SlabElectrical", "cellsim.lumped.providers:SteadyHeatBalance",
            NoExchange, description="lumped electrical and thermal, no impurity exchange")
ALL = {**LEVELS, "toy": TOY}


def _config(name: str, extra=()):
    model = "lumped" if name == "toy" else name
    if name == "toy":  # no make-up or lining inputs either: the toy's electrolyte stays clean
        extra = ("purity={}", *extra)
    return load_config(CELLS[name], FAST + [f'numerics.model="{model}"', *extra])


def _cell(name: str, extra=()) -> Cell:
    return make_model(_config(name, extra), ALL[name])


@pytest.fixture(scope="module", params=sorted(ALL))
def level(request):
    return request.param


@pytest.fixture(scope="module")
def cell(level):
    return _cell(level)


def _unchanged_by_update(cell: Cell) -> None:
    before = cell.derived
    after = cell.update_state()
    for f in dataclasses.fields(before):
        a, b = getattr(before, f.name), getattr(after, f.name)
        assert a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b)), f.name


def test_providers_have_their_roles_members(level, cell):
    p = cell.physics
    assert isinstance(p.electrical, contracts.Electrical)
    assert isinstance(p.thermal, contracts.Thermal)
    assert isinstance(p.species, contracts.Species)
    assert isinstance(p.pathways, contracts.PurityPathways)
    assert (p.mesh is None) == (ALL[level].mesh is None)
    if p.mesh is not None:
        assert isinstance(p.mesh, contracts.Mesh)
    assert isinstance(cell, contracts.CellView)


def _accepts_the_roles_calls(obj, role) -> list[str]:
    """Members of ``role`` (a Protocol of cellsim.contracts, its bases included) whose
    implementation on ``obj`` does not accept every positional argument the role declares
    (``isinstance`` with a runtime-checkable Protocol checks the names only)."""
    bad = []
    for proto in role.__mro__:
        if proto in (object, Protocol, Generic) or not issubclass(proto, Protocol):
            continue
        for name, member in vars(proto).items():
            if name.startswith("_") or not inspect.isfunction(member):
                continue
            declared = [q for q in inspect.signature(member).parameters.values()
                        if q.name != "self" and q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD)]
            try:
                inspect.signature(getattr(obj, name)).bind(*[None] * len(declared))
            except TypeError as e:
                bad.append(f"{type(obj).__name__}.{name}: {e}")
    return bad


def test_providers_accept_their_roles_calls(level, cell):
    """Every provider's members take the arguments its role declares (the optional ones too:
    the cell and the coupling may pass them), the toy level's included."""
    p = cell.physics
    bad = []
    for obj, role in ((p.electrical, contracts.Electrical), (p.thermal, contracts.Thermal),
                      (p.species, contracts.Species), (p.pathways, contracts.PurityPathways)):
        bad += _accepts_the_roles_calls(obj, role)
    if p.mesh is not None:
        bad += _accepts_the_roles_calls(p.mesh, contracts.Mesh)
    assert not bad, "\n".join(bad)


def test_update_state_is_idempotent_and_operations_keep_derived_current(level, cell):
    _unchanged_by_update(cell)
    total0 = np.abs(cell.initial).sum()
    cell.step(3600.0)
    _unchanged_by_update(cell)
    cell.feed()
    _unchanged_by_update(cell)
    cell.bleed(0.05 * cell.state.alloy.sum())
    _unchanged_by_update(cell)
    cell.add_salt(1.0, 2.0)
    _unchanged_by_update(cell)
    cell.set_current(0.9 * cell.current)
    _unchanged_by_update(cell)
    cell.step(3600.0)
    cell.tap()
    _unchanged_by_update(cell)
    assert np.max(np.abs(cell.totals() - cell.initial)) < 1e-12 * total0


def test_snapshot_only_at_field_levels(level, cell):
    snap = cell.snapshot()
    if ALL[level].mesh is None:
        assert snap is None
    else:
        assert snap.fields["time"] == cell.state.time and snap.regions["electrolyte"] >= 0
        assert snap.fields["temperature"].ndim in (2, 3)


def test_checkpoint_continues_bit_for_bit(level):
    a = _cell(level)
    a.step(3600.0)
    a.reset_caches()  # a sync point, as the runner makes before writing a checkpoint
    data = a.checkpoint()
    b = _cell(level)
    b.restore(data)
    for cell in (a, b):
        cell.step(3600.0)
        cell.feed()
    for name in ("alloy", "electrolyte", "cathode", "energy"):
        assert getattr(a.state, name) == pytest.approx(getattr(b.state, name), rel=0, abs=0), name
    assert a.derived == b.derived


def test_the_runner_drives_the_level(level, monkeypatch):
    """One day through ``run_campaign`` with the level registered (the toy level, too)."""
    monkeypatch.setitem(LEVELS, "toy", TOY)
    cfg = _config(level, ['schedule.duration="1 d"', 'schedule.tap_interval="12 h"'])
    if level == "toy":  # a registered level needs no other change (the config names it)
        cfg = dataclasses.replace(cfg, numerics=dataclasses.replace(cfg.numerics, model="toy"))
    result = run_campaign(cfg)
    assert result.stop_reason == "duration reached" and result.summary["taps"] == 2
    assert np.max(np.abs(result.mass_balance)) < 1e-12 * result.summary["scrap_fed"] * 100
    if level == "toy":  # nothing dissolves: the electrolyte stays clean
        assert np.all(result.series["electrolyte_impurities"] == 0.0)
