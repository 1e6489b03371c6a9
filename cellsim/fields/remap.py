"""Moving layers: rebuild the pot with new depths and carry the heat field over (r-z and 3D).

The pot builder puts the same number of cells in every layer whatever its thickness, and
only the cavity's layers move (the lid height is fixed: the gas space shrinks as the metal
layers grow), so an old and a new pot have the same cell counts and the same layer
boundaries in a different place. The remap maps each layer of the new grid linearly onto
the same layer of the old grid (z only; the r, or x and y, faces do not change) and takes,
in every column, the overlap-weighted average of the old volumetric enthalpy H [J/m3]. The
layer bounds are read from the column with the most material changes along z (a cavity
column without rod: it crosses every layer).

What is conserved: in the mapped coordinate, sum(H dz) per column and per layer, i.e.
each layer keeps its enthalpy per volume and its temperature profile (a growing layer
gets more of the same hot metal, as the inventories say). The physical energy content
sum(H V) changes by the enthalpy of the volume each layer gained or lost,
``remap_energy`` [J] = sum over cells of H_new (V_new - V_mapped), reported by the model
(tested: zero for an unchanged grid, and equal to sum(H V) new minus old).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cellsim.config.schema import Config
from cellsim.fields.grid import Grid
from cellsim.fields.memo import BoundedMemo
from cellsim.fields.pot import PotModel, build_pot


def layer_config(config: Config, alloy_depth: float, cathode_depth: float) -> Config:
    """``config`` with the layer depths [m] of the moment; the lid and the rods stay where they
    were: the gas space and the rods' length from the metal surface (collectors.rod_length)
    change together, so the rods' length beyond the lid does not."""
    geo, col = config.geometry, config.collectors
    cavity = geo.anode_alloy_depth + geo.acd + geo.cathode_metal_depth + geo.freeboard
    freeboard = max(cavity - alloy_depth - geo.acd - cathode_depth, 1e-4)
    col = dataclasses.replace(col, rod_length=col.rod_length + freeboard - geo.freeboard)
    geo = dataclasses.replace(geo, anode_alloy_depth=alloy_depth, cathode_metal_depth=cathode_depth,
                              freeboard=freeboard)
    return dataclasses.replace(config, geometry=geo, collectors=col)


def build_layers(config: Config, resolution: str, alloy_depth: float, cathode_depth: float,
                 **kwargs) -> PotModel:
    """The pot of ``config`` with the given layer depths [m] (see :func:`layer_config`);
    keyword arguments go to :func:`cellsim.fields.pot.build_pot` (options, geometry)."""
    return build_pot(layer_config(config, alloy_depth, cathode_depth), resolution, **kwargs)


def _knots(grid: Grid) -> np.ndarray:
    """z faces [m] where the material changes along the column that changes most (layer bounds);
    once per grid (shared, read-only)."""
    return grid.cached("remap_knots", lambda: _layer_knots(grid))


def _layer_knots(grid: Grid) -> np.ndarray:
    knots = grid.faces[2][_knot_faces(grid.material)]
    knots.flags.writeable = False
    return knots


def _knot_faces(m: np.ndarray) -> np.ndarray:
    """Indices of the z faces where the material changes along the column that changes most,
    with the first and last face; by material map (a remesh keeps it: ``_KNOT_FACES``)."""
    key = (m.shape, m.tobytes())
    rows = _KNOT_FACES.get(key)
    if rows is None:
        changes = np.sum(m[:, :, 1:] != m[:, :, :-1], axis=2)
        i, j = np.unravel_index(int(np.argmax(changes)), changes.shape)
        col = m[i, j, :]
        inner = np.nonzero(col[1:] != col[:-1])[0] + 1
        rows = np.concatenate(([0], inner, [m.shape[2]])).astype(np.intp)
        rows.flags.writeable = False
        _KNOT_FACES.put(key, rows)
    return rows


# material map -> the knots' face indices (``_knot_faces``)
_KNOT_FACES = BoundedMemo(8)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    """np.allclose(a, b) for finite arrays of one shape (its test, |a - b| <= 1e-8 + 1e-5 |b|,
    without its ~20 Python calls: a remesh asks twice)."""
    return bool(np.all(np.abs(a - b) <= 1e-8 + 1e-5 * np.abs(b)))


def overlap_matrix(old: Grid, new: Grid) -> np.ndarray:
    """W (new z cells x old z cells): H_new[..., k] = sum_m W[k, m] H_old[..., m]."""
    return _overlap(old, new)[0]


def _overlap(old: Grid, new: Grid) -> tuple[np.ndarray, np.ndarray]:
    """``overlap_matrix`` and the new z faces mapped into old coordinates [m]."""
    ko, kn = _knots(old), _knots(new)
    if ko.size != kn.size or old.shape[:2] != new.shape[:2] or not (
            _close(old.faces[0], new.faces[0]) and _close(old.faces[1], new.faces[1])):
        raise ValueError("remap: the two pots differ in more than their layer depths")
    xi = np.interp(new.faces[2], kn, ko)  # new faces mapped into old coordinates
    zo = old.faces[2]
    lo = np.maximum(xi[:-1, None], zo[None, :-1])
    hi = np.minimum(xi[1:, None], zo[None, 1:])
    w = np.clip(hi - lo, 0.0, None)
    return w / w.sum(axis=1, keepdims=True), xi


def remap_enthalpy(old: Grid, new: Grid, H: np.ndarray) -> tuple[np.ndarray, float]:
    """H [J/m3] on ``new`` and the remap energy [J] (module docstring)."""
    W, xi = _overlap(old, new)
    H_new = np.einsum("ijm,km->ijk", H, W)
    volumes = new.volumes()
    mapped = volumes * (np.diff(xi) / np.diff(new.faces[2]))[None, None, :]
    energy = float(np.sum(H_new * (volumes - mapped)))
    return H_new, energy
