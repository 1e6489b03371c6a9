"""NetCDF/CF labelling of result files, so that xarray and NetCDF tools read them as they are.

Every array axis gets an HDF5 dimension scale (the netCDF-4 way of naming a dimension):
``time`` (seconds, a coordinate), ``element``, ``impurity``, ``tap``, ``bleed``, ``addition``,
and in ``/fields`` ``r`` / ``x`` / ``y`` (cell centres, m), ``z`` (cell index: the axial faces
move with the layers, see ``z_faces``), ``r_face`` / ``x_face`` / ``y_face`` / ``z_face`` and
``component``. Every variable gets a ``long_name``; the root carries CF and ACDD global
attributes. ``xr.open_dataset(path, engine="h5netcdf", group=G)`` then gives named dimensions
for every group (tests/unit/test_cf.py).

Also the derived time series written next to the recorded ones (``DERIVED``).
"""

from __future__ import annotations

import numpy as np

from .elements import ALL_ELEMENTS, ELEMENTS, IMPURITIES
from .units import FARADAY

CONVENTIONS = "CF-1.10, ACDD-1.3"

DERIVED = {  # name -> (units, long name), computed from recorded series at write time
    "al_produced": ("kg", "cumulative cathode Al produced (current efficiency x Faraday)"),
    "specific_energy": ("J/kg", "running specific energy: cumulative energy / cumulative Al "
                                "produced (1 kWh/t = 3600 J/kg)"),
    "purity": ("1", "Al mass fraction of the cathode metal (instantaneous purity)"),
}


def derived_series(series: dict) -> dict[str, np.ndarray]:
    """The DERIVED series from the recorded ones (empty when charge/energy were not recorded).

    al_produced = CE x Q M_Al / 3F is the definition of the cumulative current efficiency
    (cellsim.results), so it is exact at every record, as is energy / al_produced.
    """
    out: dict[str, np.ndarray] = {}
    if "cathode_composition" in series:
        out["purity"] = np.asarray(series["cathode_composition"])[:, 0]
    if "charge" not in series or "current_efficiency" not in series or "energy" not in series:
        return out
    m_al = ELEMENTS["Al"].molar_mass
    ce = np.nan_to_num(np.asarray(series["current_efficiency"], dtype=float), nan=0.0)
    al = ce * np.asarray(series["charge"]) * m_al / (3 * FARADAY)
    out["al_produced"] = al
    with np.errstate(divide="ignore", invalid="ignore"):
        out["specific_energy"] = np.where(al > 0, np.asarray(series["energy"]) / al, np.nan)
    return out


def _scale(group, name: str, values, units: str, long_name: str, **attrs):
    """A 1D coordinate dataset that is also a dimension scale named ``name``."""
    values = np.asarray(values)
    if values.dtype.kind in "US":
        import h5py

        ds = group.create_dataset(name, data=values.astype(object), dtype=h5py.string_dtype())
    else:
        ds = group.create_dataset(name, data=values)
    ds.attrs.update({"units": units, "long_name": long_name, **attrs})
    ds.make_scale(name)
    return ds


def _attach(ds, *scales) -> None:
    for axis, scale in enumerate(scales):
        ds.dims[axis].attach_scale(scale)


def _long_name(ds, fallback: str) -> None:
    if "long_name" not in ds.attrs:
        ds.attrs["long_name"] = str(ds.attrs.get("description", fallback.replace("_", " ")))


def label_file(h5, *, title: str, summary: str, references: str, history: str) -> None:
    """Add dimension scales, long names and global attributes to an open result file."""
    h5.attrs.update({
        "Conventions": CONVENTIONS, "title": title, "summary": summary,
        "source": f"cellsim {h5.attrs.get('cellsim_version', '')}".strip(),
        "history": history, "references": references,
        "date_created": str(h5.attrs.get("created", "")),
        "keywords": "aluminium, electrorefining, three-layer cell, scrap, molten salt",
    })
    if "mass_balance" in h5:
        el = _scale(h5, "element", list(ALL_ELEMENTS), "1", "chemical element")
        _attach(h5["mass_balance"], el)
        _long_name(h5["mass_balance"], "conserved element totals, final minus initial")
    if "salt_balance" in h5:
        sb = h5["salt_balance"]
        _attach(sb, _scale(h5, "salt_element", [str(c) for c in sb.attrs["columns"]], "1",
                           "element of the salt (halogens and base cations)"))
        _long_name(sb, "conserved totals of the salt's own elements, final minus initial")
    if "series" in h5:
        _label_series(h5["series"])
    for name, dim in (("taps", "tap"), ("bleeds", "bleed"), ("additions", "addition"),
                      ("renewals", "renewal")):
        if name in h5:
            _label_events(h5[name], dim)
    for name in ("summary", "ledger"):
        for key, ds in h5.get(name, {}).items():
            _long_name(ds, f"{key} ({'energy of the ledger term over the campaign' if name == 'ledger' else 'campaign figure'})")
    if "fields" in h5:
        _label_fields(h5["fields"])


def _label_series(g) -> None:
    t = g["time"]
    t.attrs.update({"long_name": "simulated time since the start of the campaign",
                    "standard_name": "time", "axis": "T"})
    t.make_scale("time")
    el = _scale(g, "element", list(ALL_ELEMENTS), "1", "chemical element")
    imp = _scale(g, "impurity", list(IMPURITIES), "1", "impurity element")
    comp = None
    if "electrolyte_composition" in g:  # the electrolyte's components (cellsim.electrolyte)
        names = [str(c) for c in g["electrolyte_composition"].attrs["columns"]]
        comp = _scale(g, "electrolyte_component", names, "1", "electrolyte component")
    for name, ds in list(g.items()):
        if name in ("time", "element", "impurity", "electrolyte_component"):
            continue
        _long_name(ds, name)
        if name == "electrolyte_composition":
            _attach(ds, t, comp)
        elif ds.ndim == 2:
            _attach(ds, t, imp if ds.shape[1] == len(IMPURITIES) else el)
        elif ds.ndim == 1:
            _attach(ds, t)


def _label_events(g, dim: str) -> None:
    n = g["time"].shape[0] if "time" in g else 0
    idx = _scale(g, dim, np.arange(n, dtype=np.int64), "1", f"{dim} number, from 0")
    scales = {}

    def scale(name, values, long_name):
        if name not in scales:
            scales[name] = _scale(g, name, list(values), "1", long_name)
        return scales[name]

    for name, ds in list(g.items()):
        if name == dim or name in scales:
            continue
        _long_name(ds, f"{dim} {name}")
        if ds.ndim >= 1:
            ds.dims[0].attach_scale(idx)
        columns = [str(c) for c in ds.attrs.get("columns", ALL_ELEMENTS)]
        if ds.ndim == 3 and "tags" in ds.attrs:  # (tap, origin, impurity): /taps/pathways
            ds.dims[1].attach_scale(scale("origin", [str(t) for t in ds.attrs["tags"]],
                                          "origin of an impurity in the product (docs/purity.md)"))
        if ds.ndim >= 2:
            if columns == list(ALL_ELEMENTS):
                last = scale("element", ALL_ELEMENTS, "chemical element")
            elif columns == list(IMPURITIES):
                last = scale("impurity", IMPURITIES, "impurity element")
            else:  # /taps/cations
                last = scale("cation", columns, "co-deposited electrolyte cation")
            ds.dims[ds.ndim - 1].attach_scale(last)
    if "time" in g:
        g["time"].attrs["long_name"] = f"time of each {dim} since the start of the campaign"


def _centres(faces) -> np.ndarray:
    faces = np.asarray(faces)
    return 0.5 * (faces[1:] + faces[:-1])


def _label_fields(g) -> None:
    t = g["time"]
    t.attrs.update({"long_name": "simulated time of each snapshot", "standard_name": "time",
                    "axis": "T"})
    t.make_scale("time")
    geometry = g.attrs.get("geometry", "rz")
    axes = ("x", "y") if geometry == "xyz" else ("r",)
    scales = {}
    for a in axes:
        faces = g[f"{a}_faces"]
        scales[f"{a}_face"] = _scale(g, f"{a}_face", np.arange(faces.shape[0]), "1",
                                     f"{a} cell face index")
        _attach(faces, scales[f"{a}_face"])
        _long_name(faces, f"{a} cell faces")
        scales[a] = _scale(g, a, _centres(faces[()]), "m", f"{a} of the cell centres",
                           axis=a.upper() if a != "r" else "X")
    nzf = g["z_faces"].shape[1]
    scales["z_face"] = _scale(g, "z_face", np.arange(nzf), "1", "z cell face index")
    scales["z"] = _scale(g, "z", np.arange(nzf - 1), "1",
                         "z cell index (the axial faces move with the layers: see z_faces)")
    _attach(g["z_faces"], t, scales["z_face"])
    _long_name(g["z_faces"], "axial cell faces")
    ncomp = {"rz": 2, "xyz": 3}.get(geometry, 2)
    comp = _scale(g, "component", list("rz" if geometry != "xyz" else "xyz"), "1",
                  "vector component")
    imp = _scale(g, "impurity", list(IMPURITIES), "1", "impurity element")
    skip = set(scales) | {"time", "component", "impurity", "z_faces"} | {f"{a}_faces" for a in axes}
    for name, ds in g.items():
        if name in skip:
            continue
        _long_name(ds, name)
        if geometry == "xyz" and name.endswith(("_xz", "_yz")):
            space = ("x" if name.endswith("_xz") else "y", "z")
        else:
            space = (*axes, "z")
        extra = ds.ndim - 1 - len(space)
        dims = [t]
        if extra == 1:
            dims.append(comp if ds.shape[1] == ncomp and not name.startswith("concentration")
                        else imp)
        elif extra != 0:
            continue  # unknown layout: leave it unlabelled rather than mislabel it
        dims += [scales[a] for a in space]
        if tuple(ds.shape[1:]) != tuple(s.shape[0] for s in dims[1:]):
            continue
        _attach(ds, *dims)
