"""The 3D campaign model (``numerics.model = "3d"``): the axisymmetric level on an x-y-z pot.

``ThreeDModel`` is ``cellsim.fields.axisymmetric.AxisymmetricModel`` with the pot built in
3D (cellsim.fields.pot, geometry "xyz"): rectangular pots, and cylindrical pots as a
staircase so that the r-z and 3D levels can be compared on the same pot. The grid holds a
quarter of the pot with insulated symmetry planes and ``multiplicity`` 4, so every
extensive quantity (currents, powers, inventories) is the whole pot's and the physics,
coupling, remap (z only) and bookkeeping are the axisymmetric level's code unchanged.

What is specific:
* the shell of a staircase cylinder radiates through a film whose radiation coefficient is
  the secant at a surface temperature (cellsim.fields.pot); that temperature is model
  state, updated from the side loss of the field whenever the pot is rebuilt (start and
  remesh) and checkpointed, so a resumed run rebuilds the same pot;
* snapshots: the full 3D temperature, liquid fraction and material, and on the two
  vertical centre planes (y = 0: "xz", x = 0: "yz"; the cells next to them) the potential,
  the three current-density components and the concentrations (docs/hdf5-layout.md).
"""

from __future__ import annotations

import numpy as np

from cellsim.fields.axisymmetric import AxisymmetricModel
from cellsim.fields.pot import PotOptions

PLANES = {"xz": (slice(None), 0), "yz": (0, slice(None))}  # (i, j) index of each centre plane


class ThreeDModel(AxisymmetricModel):
    """Lumped inventories with the current, heat and species fields of the 3D pot (SI)."""

    level = "3d"

    def __init__(self, config):
        self.surface_temperature = PotOptions().surface_temperature  # K, see module docstring
        self._restoring = False
        super().__init__(config)

    def _pot_kwargs(self) -> dict:
        return {"geometry": "xyz", "options": PotOptions(surface_temperature=self.surface_temperature)}

    def _build(self, alloy_depth: float, cathode_depth: float) -> None:
        if self.pot is not None and getattr(self, "balance", None) is not None and not self._restoring:
            self.surface_temperature = self.pot.shell_temperature(self.heat_state.T, self.balance)
        super()._build(alloy_depth, cathode_depth)

    def _start(self, alloy_depth: float, cathode_depth: float) -> None:
        super()._start(alloy_depth, cathode_depth)
        if self.config.geometry.shape == "cylindrical":  # radiation secant at the field's shell
            self._build(alloy_depth, cathode_depth)
            solution = self._current(self.heat_state)
            sources = self._sources(solution, self._feed_sink(self.config.operation.temperature))
            self.heat_state, self.balance = self.heat_solver.steady(sources, self.heater, self.heat_state)
            self._version += 1

    def snapshot(self) -> dict:
        """Fields of the 3D pot (SI): full temperature [K], liquid fraction, material; on the
        centre planes potential [V], current density (x, y, z) [A/m2] and concentration per
        IMPURITIES element [mol/m3]; grid faces [m]."""
        g, sol, hs, pot = self.pot.grid, self.solution, self.heat_state, self.pot
        phi = pot.embed(sol.phi)
        j = [pot.embed(c) for c in sol.current_density]
        conc = [pot.embed(c) for c in self.concentration]
        out = {"time": self.state.time, "x_faces": g.faces[0], "y_faces": g.faces[1], "z_faces": g.faces[2],
               "material": g.material, "temperature": hs.T, "liquid_fraction": hs.frac}
        for name, (i, jj) in PLANES.items():
            out[f"potential_{name}"] = phi[i, jj, :]
            out[f"current_density_{name}"] = np.stack([c[i, jj, :] for c in j])
            out[f"concentration_{name}"] = np.stack([c[i, jj, :] for c in conc])
        return out

    def checkpoint(self) -> dict:
        data = super().checkpoint()
        data["fields"]["surface_temperature"] = self.surface_temperature
        return data

    def restore(self, data: dict) -> None:
        self.surface_temperature = data["fields"]["surface_temperature"]
        self._restoring = True
        try:
            super().restore(data)
        finally:
            self._restoring = False
