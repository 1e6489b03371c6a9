"""The 3D mesh (``numerics.model = "3d"``): the field providers on an x-y-z pot.

:class:`StaircaseMesh` is the pot built in 3D (cellsim.fields.pot, geometry "xyz"):
rectangular pots, and cylindrical pots as a staircase so that the r-z and 3D levels can be
compared on the same pot. The grid holds a quarter of the pot with insulated symmetry planes
and ``multiplicity`` 4, so every extensive quantity (currents, powers, inventories) is the
whole pot's and the field providers of cellsim.fields.axisymmetric (current, heat, species,
remap in z only, bookkeeping) work on it unchanged.

What is specific:
* the shell radiates through a film whose radiation coefficient is the secant at a surface
  temperature (cellsim.fields.pot); that temperature is mesh state, taken from the side loss
  of the heat field whenever the pot is rebuilt (``radiates_at_shell``; for a staircase
  cylinder the steady start is settled once more at it, ``restart_at_shell``) and
  checkpointed, so a resumed run rebuilds the same pot;
* the electrolyte mean by a Numba dot (``electrolyte_mean``: no BLAS thread pool);
* snapshots: the full 3D temperature, liquid fraction and material, and on the two
  vertical centre planes (y = 0: "xz", x = 0: "yz"; the cells next to them) the potential,
  the three current-density components and the concentrations (docs/hdf5-layout.md).
"""

from __future__ import annotations

import numpy as np

from cellsim.config.schema import Config
from cellsim.contracts import Snapshot
from cellsim.fields.axisymmetric import PotMesh
from cellsim.fields.pot import PotOptions
from cellsim.kernels import linalg as la

PLANES = {"xz": (slice(None), 0), "yz": (0, slice(None))}  # (i, j) index of each centre plane


class StaircaseMesh(PotMesh):
    """The pot on an x-y-z grid (module docstring)."""

    radiates_at_shell = True

    def __init__(self, config: Config):
        super().__init__(config)
        self.restart_at_shell = config.geometry.shape == "cylindrical"

    def electrolyte_mean(self, T: np.ndarray) -> float:
        """Volume mean of a cell field over the electrolyte, by a Numba dot: np.dot of a 3D
        grid's length runs on OpenBLAS's thread pool, whose threads spin against the other
        processes of a shared machine (5-8 ms of CPU per call measured at load 6 on the
        default pot, against 0.04 ms; two calls per step). r-z grids are below OpenBLAS's
        threading size and keep np.dot."""
        return float(la.dot(np.ascontiguousarray(T, dtype=np.float64).reshape(-1), self.electrolyte_weight))

    def _pot_kwargs(self) -> dict:
        return {"geometry": "xyz", "options": PotOptions(surface_temperature=self.surface_temperature)}

    def snapshot(self, time, thermal_provider, electrical_provider, species) -> Snapshot:
        """Fields of the 3D pot (SI): full temperature [K], liquid fraction, material; on the
        centre planes potential [V], current density (x, y, z) [A/m2] and concentration per
        IMPURITIES element [mol/m3]; grid faces [m]."""
        pot, sol, hs = self.pot, electrical_provider.solution, thermal_provider.heat_state
        g = pot.grid
        phi = pot.embed(sol.phi)
        j = [pot.embed(c) for c in sol.current_density]
        conc = [pot.embed(c) for c in species.concentration]
        out = {"time": time, "x_faces": g.faces[0], "y_faces": g.faces[1], "z_faces": g.faces[2],
               "material": g.material, "temperature": hs.T, "liquid_fraction": hs.frac}
        for name, (i, jj) in PLANES.items():
            out[f"potential_{name}"] = phi[i, jj, :]
            out[f"current_density_{name}"] = np.stack([c[i, jj, :] for c in j])
            out[f"concentration_{name}"] = np.stack([c[i, jj, :] for c in conc])
        return Snapshot(out, g.regions)
