"""The physics of a model level: one provider per role, coupled in one fixed order.

``Physics`` is what a :class:`cellsim.cell.Cell` holds; it knows the roles of
``cellsim.contracts`` and nothing of a particular level. The order (the same for every
level, Lie splitting lagged by one step at the field levels):

* ``start``: the mesh (if any) for the initial layers, the species and the thermal start
  (field: steady heat with its own Joule heat);
* ``update`` (the cell's ``update_state``; idempotent): remesh if the layers moved beyond
  ``numerics.remesh_threshold`` (each provider maps its fields), the electrical update
  (field: the current on the present temperature), then the thermal operating point;
* ``step``: the temperature the species will see (start of step), the heat step with the
  sources of the start of the step, then the species exchange (on a large grid the two at
  once, in two threads: ``Physics.step``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from .contracts import (CellView, Electrical, Electrolyte, ExchangeStep, Layers, Mesh,
                        OperatingPoint, PurityPathways, Snapshot, Species, Thermal)


@dataclass
class Physics:
    """Providers of one model level (see the module docstring)."""

    electrical: Electrical
    thermal: Thermal
    species: Species
    mesh: Mesh | None = None
    pathways: PurityPathways | None = None  # stateless rates (cellsim.purity); the cell books them
    electrolyte: Electrolyte | None = None  # composition -> properties (the cell's default if None)
    # steps advanced by this object, and how many of them ran heat and species in two threads
    steps_run: int = field(default=0, init=False)
    steps_overlapped: int = field(default=0, init=False)

    @property
    def providers(self) -> tuple:
        return (self.electrical, self.thermal, self.species)

    def start(self, cell: CellView, layers: Layers) -> None:
        if self.mesh is not None:
            self.mesh.build(layers.alloy_depth, layers.cathode_depth)
            self._rebuilt(cell, None)
        self.species.start(cell)
        self.thermal.start(cell, layers, self.electrical)
        if self.mesh is not None and self.mesh.restart_at_shell:  # 3D staircase cylinder
            self._build(cell, layers, None)
            self.thermal.settle(cell, self.electrical)

    def _build(self, cell: CellView, layers: Layers, old) -> None:
        if self.mesh.radiates_at_shell:  # the shell's radiation secant at the field's shell
            self.mesh.surface_temperature = self.thermal.shell_temperature()
        self.mesh.remesh(layers.alloy_depth, layers.cathode_depth)
        self._rebuilt(cell, old)

    def _rebuilt(self, cell: CellView, old) -> None:
        for p in self.providers:
            p.rebuilt(cell, old)

    def update(self, cell: CellView, layers: Layers) -> tuple[OperatingPoint, np.ndarray | None]:
        """The operating point, and the electrolyte's impurity inventory [kg] if a remesh
        changed it (the species field owns it; None otherwise)."""
        electrolyte = None
        if self.mesh is not None:
            self.mesh.track(cell.state.time, layers.alloy_depth, layers.cathode_depth)
        if self.mesh is not None and self.mesh.needs_remesh(layers.alloy_depth, layers.cathode_depth):
            self._build(cell, layers, self.mesh.pot)
            self.mesh.remeshes += 1
            electrolyte = self.species.electrolyte_inventory()
        self.electrical.update(cell, self.thermal)
        return self.thermal.operating_point(cell, layers, self.electrical), electrolyte

    def step(self, cell: CellView, dt: float,
             alloy_feed: np.ndarray | None = None) -> tuple[float, ExchangeStep]:
        """Advance heat and species over dt: (heater power applied [W], the exchange).
        ``alloy_feed`` [kg/s per IMPURITIES element]: the continuous feed into the alloy over
        the step, a source inside the species' implicit exchange (None: no feed).

        Both read the start of the step only (the species the temperature field before the
        heat step, which makes a new one), so on a grid large enough
        (``Mesh.concurrent_steps``) the species step runs in a second Python
        thread while the heat step runs in this one (the kernels release the GIL): the same
        operations, the same numbers, in less wall time when a second core is free."""
        temperature = self.thermal.step_temperature(cell)
        self.steps_run += 1
        if self.mesh is not None and self.mesh.concurrent_steps():
            self.steps_overlapped += 1
            return self._step_overlapped(cell, dt, temperature, alloy_feed)
        heater = self.thermal.advance(cell, dt, self.electrical)
        return heater, self._exchange(cell, dt, temperature, alloy_feed)

    def _exchange(self, cell: CellView, dt: float, temperature, alloy_feed) -> ExchangeStep:
        if alloy_feed is None:
            return self.species.exchange(cell, dt, temperature, self.electrical)
        return self.species.exchange(cell, dt, temperature, self.electrical,
                                     alloy_feed=alloy_feed)

    def _step_overlapped(self, cell: CellView, dt: float, temperature,
                         alloy_feed) -> tuple[float, ExchangeStep]:
        """``step`` with the species exchange in a worker thread; an error of either step is
        raised here (the heat step's first, as when they run in turn)."""
        out: dict = {}

        def species():
            try:
                self.mesh.enter_thread()
                out["exchange"] = self._exchange(cell, dt, temperature, alloy_feed)
            except BaseException as exc:  # re-raised in the calling thread
                out["error"] = exc

        worker = threading.Thread(target=species, name="cellsim-species-step", daemon=True)
        worker.start()
        try:
            heater = self.thermal.advance(cell, dt, self.electrical)
        finally:
            worker.join()
        if "error" in out:
            raise out["error"]
        return heater, out["exchange"]

    def thread_report(self) -> dict:
        """The threads of the steps this object advanced, for a run's metadata: the mesh's
        policy (field levels; cellsim.fields.solvers.thread_policy), the steps and how many of
        them ran heat and species at once (the count of this process: a resumed run counts
        from its resume)."""
        policy = self.mesh.thread_policy() if self.mesh is not None else {}
        return {**policy, "steps": self.steps_run, "steps_overlapped": self.steps_overlapped}

    def configure(self, config) -> None:
        """The configuration of the moment (the electrolyte's properties from its composition,
        cellsim.electrolyte): the mesh and every provider holding one take it; the mesh
        rebuilds when the salt layer or its heat properties moved (``needs_remesh``)."""
        for p in (self.mesh, *self.providers):
            if p is not None:
                p.config = config

    def electrolyte_changed(self, cell: CellView) -> None:
        """The cell changed the electrolyte's impurity inventory outside the exchange (renewal,
        precipitation): a species provider that owns it takes the cell's."""
        self.species.electrolyte_changed(cell)

    def snapshot(self, time: float) -> Snapshot | None:
        if self.mesh is None:
            return None
        return self.mesh.snapshot(time, self.thermal, self.electrical, self.species)

    def reset_caches(self) -> None:
        for p in self.providers:
            p.reset_caches()

    def checkpoint(self) -> dict:
        return {"mesh": None if self.mesh is None else self.mesh.checkpoint(),
                **{role: p.checkpoint() for role, p in zip(ROLES, self.providers)}}

    def restore(self, cell: CellView, data: dict) -> None:
        if self.mesh is not None:
            self.mesh.restore(data["mesh"])
            self._rebuilt(cell, None)
        for role, p in zip(ROLES, self.providers):
            p.restore(cell, data[role])


ROLES = ("electrical", "thermal", "species")
