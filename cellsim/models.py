"""Registry of the model levels (``numerics.model``): which mesh and providers make each.

A level is a :class:`Level`: a mesh factory (None: no grid, the lumped level) and one
provider factory per role of ``cellsim.contracts`` (electrical, thermal, species), each
called with ``(config, mesh)``. :func:`make_model` composes them into a
``cellsim.physics.Physics`` and returns the :class:`cellsim.cell.Cell` that holds it; the
runner drives every level through the cell. A new level is a new entry here (and its
providers), not an ``if`` in the runner: see docs/architecture.md and the toy level of
tests/unit/test_contracts.py. Factories are "module:attribute" strings, imported on first
use, so the lumped level does not import the field code.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Callable

from .cell import Cell
from .config.schema import Config
from .physics import Physics


@dataclass(frozen=True)
class Level:
    """A model level: factories "module:attribute" (or callables) of ``(config, mesh)``."""

    electrical: str | Callable
    thermal: str | Callable
    species: str | Callable
    mesh: str | Callable | None = None  # of ``(config)``
    electrolyte: str | Callable = "cellsim.electrolyte.provider:SaltProvider"
    description: str = ""
    pathways: str | Callable = "cellsim.purity.pathways:Pathways"  # of ``(config)``, every level


_FIELDS = "cellsim.fields.axisymmetric"
LEVELS: dict[str, Level] = {
    "lumped": Level("cellsim.lumped.providers:SlabElectrical", "cellsim.lumped.providers:SteadyHeatBalance",
                    "cellsim.lumped.providers:FilmExchange",
                    description="0D: uniform slabs, steady heat balance, three-pool film exchange"),
    "axisymmetric": Level(f"{_FIELDS}:FieldElectrical", f"{_FIELDS}:FieldThermal", f"{_FIELDS}:FieldSpecies",
                          mesh=f"{_FIELDS}:PotMesh",
                          description="2D r-z fields of current, heat and species (x-y-z for a rectangular pot)"),
    "3d": Level(f"{_FIELDS}:FieldElectrical", f"{_FIELDS}:FieldThermal", f"{_FIELDS}:FieldSpecies",
                mesh="cellsim.fields.threed:StaircaseMesh",
                description="3D x-y-z fields (a cylinder as a staircase) with the shell's radiation"),
}


def _load(factory):
    if isinstance(factory, str):
        module, name = factory.split(":")
        return getattr(import_module(module), name)
    return factory


def make_physics(config: Config, level: Level) -> Physics:
    """The providers of ``level`` composed for ``config``."""
    mesh = None if level.mesh is None else _load(level.mesh)(config)
    return Physics(electrical=_load(level.electrical)(config, mesh), thermal=_load(level.thermal)(config, mesh),
                   species=_load(level.species)(config, mesh), mesh=mesh,
                   pathways=_load(level.pathways)(config),
                   electrolyte=_load(level.electrolyte)(config, mesh))


def make_model(config: Config, level: Level | None = None) -> Cell:
    """The cell of ``config`` with the physics of ``config.numerics.model`` (or ``level``)."""
    if level is None:
        name = config.numerics.model
        if name not in LEVELS:
            raise KeyError(f"unknown model level {name!r}; known: {sorted(LEVELS)}")
        level = LEVELS[name]
    return Cell(config, make_physics(config, level))
