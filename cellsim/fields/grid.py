"""Structured cell-centred grids for the field solvers (current, heat, species).

Every grid is stored as three axes, so one set of kernels serves both geometries:

* ``"xyz"``: 3D Cartesian, axes (x, y, z), z vertical.
* ``"rz"``: 2D axisymmetric, axes (r, theta, z) with a single azimuthal cell spanning the
  full 2 pi; r runs over [0, R]. Areas and volumes are those of the full solid of
  revolution, so currents and powers are totals for the whole pot.

Field arrays have shape ``grid.shape = (n0, n1, n2)`` (``n1 == 1`` for "rz"); face arrays of
axis a have that shape with ``n_a + 1`` along a. Cell centres are the midpoints of their
faces. The material map is an int32 array of cell shape; its meaning (which id is which
layer) is given by the builder's ``regions`` mapping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

GEOMETRIES = ("rz", "xyz")


@dataclass(frozen=True, eq=False)
class Grid:
    """A structured grid with non-uniform spacing.

    Parameters
    ----------
    geometry : "rz" or "xyz"
    faces : three 1D float64 arrays of face coordinates [m] (for "rz" the middle one is
        [0, 2 pi] [rad]), each strictly increasing.
    material : int32 array of cell shape, material (region) id per cell.
    regions : mapping region name -> material id (documentation of ``material``).
    multiplicity : number of mirror images each cell stands for ("xyz" only): 4 for a quarter
        pot cut along two insulated symmetry planes, so volumes and face areas (hence every
        conductance, current, power and inventory) are those of the whole pot, as the single
        azimuthal cell of an "rz" grid stands for the whole revolution.
    """

    geometry: str
    faces: tuple[np.ndarray, np.ndarray, np.ndarray]
    material: np.ndarray
    regions: dict[str, int] = field(default_factory=dict)
    multiplicity: float = 1.0

    def __post_init__(self) -> None:
        if self.geometry not in GEOMETRIES:
            raise ValueError(f"grid geometry must be one of {GEOMETRIES}, got {self.geometry!r}")
        faces = tuple(np.ascontiguousarray(f, dtype=np.float64) for f in self.faces)
        widths = []
        for a, f in enumerate(faces):
            if f.ndim != 1 or f.size < 2:
                raise ValueError(f"faces of axis {a} must be a strictly increasing 1D array")
            w = f[1:] - f[:-1]  # the widths (np.diff's operation), checked and kept
            if (w <= 0.0).any():
                raise ValueError(f"faces of axis {a} must be a strictly increasing 1D array")
            widths.append(w)
        if self.geometry == "rz":
            if faces[0][0] < 0.0:
                raise ValueError("r faces must start at r >= 0")
            if faces[1].size != 2:
                raise ValueError("an 'rz' grid has exactly one azimuthal cell")
        object.__setattr__(self, "faces", faces)
        # the faces are fixed from here on: the shape and face areas are computed once
        object.__setattr__(self, "_shape", tuple(f.size - 1 for f in faces))
        mat = np.ascontiguousarray(self.material, dtype=np.int32)
        if mat.shape != self.shape:
            raise ValueError(f"material map shape {mat.shape} != grid shape {self.shape}")
        object.__setattr__(self, "material", mat)
        object.__setattr__(self, "_areas", {})
        # widths, volumes and the cell count depend on the faces only: computed once, copies
        # handed out (callers may write into them)
        object.__setattr__(self, "_widths", tuple(widths))
        object.__setattr__(self, "_n_cells", math.prod(self._shape))
        object.__setattr__(self, "_volumes", None)
        object.__setattr__(self, "_memo", {})
        if not self.multiplicity > 0 or (self.geometry == "rz" and self.multiplicity != 1.0):
            raise ValueError(f"multiplicity must be positive (1 for 'rz'), got {self.multiplicity!r}")

    @property
    def shape(self) -> tuple[int, int, int]:
        """Number of cells per axis."""
        return self._shape  # type: ignore[return-value]

    @property
    def n_cells(self) -> int:
        return self._n_cells  # type: ignore[return-value]

    def widths(self, axis: int, copy: bool = True) -> np.ndarray:
        """Cell widths along ``axis``, shape (n_axis,) [m] (or [rad]) (a new array; copy=False:
        the grid's own, shared, which the caller must not write into)."""
        w = self._widths[axis]  # type: ignore[attr-defined]
        return w.copy() if copy else w

    def centres(self, axis: int) -> np.ndarray:
        """Cell-centre coordinates along ``axis``, shape (n_axis,) [m]."""
        f = self.faces[axis]
        return 0.5 * (f[1:] + f[:-1])

    def volumes(self) -> np.ndarray:
        """Cell volumes, cell shape [m3] (a new array)."""
        vol = self._volumes  # type: ignore[has-type]
        if vol is None:
            vol = self._cell_volumes()
            object.__setattr__(self, "_volumes", vol)
        return vol.copy()

    def _cell_volumes(self) -> np.ndarray:
        f0, f1, f2 = self.faces
        if self.geometry == "rz":
            a0 = 0.5 * (f0[1:] ** 2 - f0[:-1] ** 2)  # r dr integrated
        else:
            a0 = self._widths[0] * self.multiplicity  # type: ignore[attr-defined]
        return a0[:, None, None] * self._widths[1][None, :, None] * self._widths[2][None, None, :]  # type: ignore[attr-defined]

    def face_areas(self, axis: int, copy: bool = True) -> np.ndarray:
        """Face areas of ``axis``, face shape of that axis [m2] (a new array; copy=False: the
        grid's own, shared, which the caller must not write into: a solver's set-up)."""
        areas = self._areas.get(axis)
        if areas is None:
            areas = self._areas[axis] = self._face_areas(axis)
        return areas.copy() if copy else areas

    def _face_areas(self, axis: int) -> np.ndarray:
        f0, f1, f2 = self.faces
        d0, d1, d2 = self._widths  # type: ignore[attr-defined]
        if self.geometry == "rz":
            ring = 0.5 * (f0[1:] ** 2 - f0[:-1] ** 2)
            if axis == 0:
                return f0[:, None, None] * d1[None, :, None] * d2[None, None, :]
            if axis == 1:
                return _filled((d0.size, 2, d2.size), d0[:, None, None] * d2[None, None, :])
            return _filled((d0.size, 1, d2.size + 1), ring[:, None, None] * d1[None, :, None])
        m = self.multiplicity
        if axis == 0:
            return _filled((d0.size + 1, d1.size, d2.size), m * d1[None, :, None] * d2[None, None, :])
        if axis == 1:
            return _filled((d0.size, d1.size + 1, d2.size), m * d0[:, None, None] * d2[None, None, :])
        return _filled((d0.size, d1.size, d2.size + 1), m * d0[:, None, None] * d1[None, :, None])

    def cached(self, key, build):
        """``build()``, computed once per grid and ``key`` (geometry derived from the faces and
        the material map only, e.g. a solver's index maps, so solvers rebuilt on the same grid
        share them). The result is shared: callers must not modify it."""
        memo = self._memo  # type: ignore[attr-defined]
        if key not in memo:
            memo[key] = build()
        return memo[key]

    def with_material(self, faces, material) -> "Grid":
        """A grid of the same geometry, regions and multiplicity with new faces and material."""
        return Grid(self.geometry, faces, material, self.regions, self.multiplicity)

    def region_mask(self, name: str) -> np.ndarray:
        """Boolean cell mask of the named region."""
        return self.material == self.regions[name]

    def __repr__(self) -> str:
        ext = ", ".join(f"[{f[0]:.4g}, {f[-1]:.4g}]" for f in self.faces)
        mult = f", multiplicity={self.multiplicity:g}" if self.multiplicity != 1.0 else ""
        return f"Grid({self.geometry}, shape={self.shape}, extent={ext}{mult}, regions={list(self.regions)})"


def _filled(shape: tuple, values: np.ndarray) -> np.ndarray:
    """A new array of ``shape`` holding ``values`` broadcast (np.broadcast_to(...).copy()'s
    result, without its Python layers)."""
    out = np.empty(shape)
    out[...] = values
    return out


@dataclass(frozen=True)
class Layer:
    """One horizontal layer of a pot, bottom to top: name, thickness [m], cells across it."""

    name: str
    thickness: float
    n_cells: int


@dataclass(frozen=True)
class Block:
    """A box of one region overriding the layers (collector rod, bottom block) in 3D [m]."""

    name: str
    x: tuple[float, float]
    y: tuple[float, float]
    z: tuple[float, float]


def stretched_faces(length: float, n: int, ratio: float = 1.0, start: float = 0.0) -> np.ndarray:
    """Face coordinates of ``n`` cells over ``length`` [m], geometric growth ``ratio`` per cell."""
    if ratio == 1.0:
        w = np.ones(n)
    else:
        w = ratio ** np.arange(n)
    return start + np.concatenate(([0.0], np.cumsum(w))) * (length / w.sum())


def _layer_faces(layers: Sequence[Layer]) -> tuple[np.ndarray, np.ndarray]:
    """z faces [m] of stacked uniform layers and the layer index of each z cell."""
    z0, parts, ids = 0.0, [np.zeros(1)], []
    for i, layer in enumerate(layers):
        if layer.thickness <= 0.0 or layer.n_cells < 1:
            raise ValueError(f"layer {layer.name!r}: thickness and n_cells must be positive")
        parts.append(z0 + layer.thickness * np.arange(1, layer.n_cells + 1) / layer.n_cells)
        ids += [i] * layer.n_cells
        z0 += layer.thickness
    return np.concatenate(parts), np.array(ids, dtype=np.int32)


def _regions(layers: Sequence[Layer], extra: Sequence[str] = ()) -> dict[str, int]:
    regions: dict[str, int] = {}
    for name in [layer.name for layer in layers] + list(extra):
        regions.setdefault(name, len(regions))
    return regions


def layered_cylinder(radius: float, n_r: int, layers: Sequence[Layer], r_ratio: float = 1.0) -> Grid:
    """An axisymmetric ("rz") pot of stacked layers (listed bottom to top).

    ``r_ratio`` < 1 clusters radial cells toward the wall. Layers with equal names share
    one region id.
    """
    regions = _regions(layers)
    zf, lid = _layer_faces(layers)
    ids = np.array([regions[layers[i].name] for i in lid], dtype=np.int32)
    faces = (stretched_faces(radius, n_r, r_ratio), np.array([0.0, 2.0 * np.pi]), zf)
    material = np.broadcast_to(ids[None, None, :], (n_r, 1, zf.size - 1)).copy()
    return Grid("rz", faces, material, regions)


def layered_box(
    lx: float, ly: float, n_x: int, n_y: int, layers: Sequence[Layer], blocks: Sequence[Block] = ()
) -> Grid:
    """A rectangular ("xyz") pot of stacked layers with discrete blocks (collectors).

    Each block assigns its region to every cell whose centre lies inside its box, in the
    order given, so rods dipping from an insulating lid into the cathode metal are
    ``Block("cathode_collector", ...)`` spanning the lid layer and part of the metal.
    """
    regions = _regions(layers, [b.name for b in blocks])
    zf, lid = _layer_faces(layers)
    ids = np.array([regions[layers[i].name] for i in lid], dtype=np.int32)
    faces = (stretched_faces(lx, n_x), stretched_faces(ly, n_y), zf)
    material = np.broadcast_to(ids[None, None, :], (n_x, n_y, zf.size - 1)).copy()
    c = [0.5 * (f[1:] + f[:-1]) for f in faces]
    for b in blocks:
        inside = [(ci > lo) & (ci < hi) for ci, (lo, hi) in zip(c, (b.x, b.y, b.z))]
        sel = inside[0][:, None, None] & inside[1][None, :, None] & inside[2][None, None, :]
        material[sel] = regions[b.name]
    return Grid("xyz", faces, material, regions)
