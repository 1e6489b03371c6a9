"""Field snapshots in HDF5: appended one at a time, read back by time (docs/hdf5-layout.md).

Group ``/fields`` holds one dataset per field with the snapshot as the first axis, resizable
and chunked one snapshot per chunk, so a campaign of any length writes its fields without
holding them in memory. The pot grid is rebuilt as the layers move (same cell counts), so
the z faces are stored per snapshot. Two layouts: r-z (``FIELDS``) and 3D (``FIELDS_3D``:
full temperature, liquid fraction and material, the other fields on the two vertical
centre planes); the group attribute ``geometry`` says which ("rz" or "xyz").
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from cellsim.elements import IMPURITIES

FIELDS = {  # name -> (units, description)
    "time": ("s", "simulated time of each snapshot"),
    "r_faces": ("m", "radial cell faces (fixed)"),
    "z_faces": ("m", "axial cell faces of each snapshot (the layers move)"),
    "material": ("1", "region id per cell (attribute regions: name = id)"),
    "potential": ("V", "electric potential (0 at the cathode terminal; 0 outside conductors)"),
    "current_density": ("A/m2", "current density per cell, components (r, z)"),
    "temperature": ("K", "temperature per cell"),
    "liquid_fraction": ("1", "liquid fraction per cell (1 - ledge / frozen share)"),
    "concentration": ("mol/m3", "dissolved impurity concentration per cell, one component per "
                      "element of attribute columns (0 outside the electrolyte)"),
}


_PLANE = "on the centre plane {p} (cells next to {c} = 0)"
FIELDS_3D = {  # name -> (units, description)
    "time": ("s", "simulated time of each snapshot"),
    "x_faces": ("m", "x cell faces of the quarter pot, x = 0 the centre plane (fixed)"),
    "y_faces": ("m", "y cell faces of the quarter pot, y = 0 the centre plane (fixed)"),
    "z_faces": ("m", "z cell faces of each snapshot (the layers move)"),
    "material": ("1", "region id per cell (attribute regions: name = id)"),
    "temperature": ("K", "temperature per cell"),
    "liquid_fraction": ("1", "liquid fraction per cell (1 - ledge / frozen share)"),
    **{f"{f}_{p}": (u, f"{d} " + _PLANE.format(p=p, c="y" if p == "xz" else "x"))
       for p in ("xz", "yz") for f, u, d in (
           ("potential", "V", "electric potential (0 at the cathode terminal; 0 outside conductors)"),
           ("current_density", "A/m2", "current density, components (x, y, z),"),
           ("concentration", "mol/m3", "dissolved impurity concentration, one component per element of "
                                       "attribute columns (0 outside the electrolyte),"))},
}
_FIXED = ("r_faces", "x_faces", "y_faces")


def _layout(snap_or_group) -> tuple[str, dict]:
    return ("xyz", FIELDS_3D) if "x_faces" in snap_or_group else ("rz", FIELDS)


def append_snapshot(h5: h5py.File, snap: dict, regions: dict | None = None) -> int:
    """Append ``snap`` (the fields of a ``cellsim.contracts.Snapshot``, r-z or x-y-z layout)
    to ``/fields``; returns the number of snapshots now stored."""
    g = h5.require_group("fields")
    geometry, fields = _layout(snap)
    g.attrs["geometry"] = geometry
    for name in _FIXED:
        if name in fields and name not in g:
            g.create_dataset(name, data=snap[name]).attrs.update(
                {"units": fields[name][0], "description": fields[name][1]})
    n = g["time"].shape[0] if "time" in g else 0
    for name, (units, description) in fields.items():
        if name in _FIXED:
            continue
        value = np.asarray(snap[name], dtype=np.int32 if name == "material" else np.float64)
        if name not in g:
            ds = g.create_dataset(name, shape=(0,) + value.shape, maxshape=(None,) + value.shape,
                                  dtype=value.dtype, chunks=(1,) + value.shape, compression="gzip")
            ds.attrs.update({"units": units, "description": description})
            if name == "material" and regions:
                ds.attrs["regions"] = ", ".join(f"{k}={v}" for k, v in regions.items())
            if name.startswith("concentration"):
                ds.attrs["columns"] = ", ".join(IMPURITIES)
        ds = g[name]
        ds.resize(n + 1, axis=0)
        ds[n] = value
    return n + 1


def truncate_snapshots(h5: h5py.File, n: int) -> None:
    """Keep the first ``n`` snapshots (resume: drop those written after the checkpoint)."""
    g = h5.get("fields")
    if g is None:
        return
    for name in {**FIELDS, **FIELDS_3D}:
        if name not in _FIXED and name in g and g[name].shape[0] > n:
            g[name].resize(n, axis=0)


def snapshot_times(path: str | Path) -> np.ndarray:
    with h5py.File(path, "r") as h5:
        return h5["fields/time"][()] if "fields/time" in h5 else np.zeros(0)


def read_snapshot(path: str | Path, time: float) -> dict:
    """The snapshot nearest to ``time`` [s] as a dict of arrays (plus ``regions``)."""
    with h5py.File(path, "r") as h5:
        if "fields" not in h5:
            raise KeyError(f"{path}: no field snapshots (run a field level, numerics.model = "
                           "\"axisymmetric\" or \"3d\")")
        g = h5["fields"]
        geometry, fields = _layout(g)
        i = int(np.argmin(np.abs(g["time"][()] - time)))
        out = {name: g[name][()] if name in _FIXED else g[name][i] for name in fields}
        out["geometry"] = geometry
        text = g["material"].attrs.get("regions", "")
        out["regions"] = {k: int(v) for k, v in (p.split("=") for p in text.split(", ") if p)}
        return out
