"""Tidy tables of a result file: CSV (one file per table), JSON, netCDF (``cellsim export``).

Every column header carries its unit, ``name [unit]``: SI as in the HDF5 file, plus the two
conversions researchers plot (time in days, specific energy in kWh/t). Tables:

* series  : one row per record; 2D series become one column per element
            (``alloy_composition Fe [1]``);
* taps    : one row per tap, with its purity, mass fractions and whether it met the spec;
* summary : one row per campaign figure (``name, value, unit``), ledger terms included.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import h5py
import numpy as np

from .elements import ALL_ELEMENTS, IMPURITIES
from .io import current_name
from .units import day

FORMATS = ("csv", "json", "netcdf")
SUFFIX = {"csv": ".csv", "json": ".json", "netcdf": ".nc"}
KWH_PER_T = 1.0 / 3600.0  # J/kg -> kWh/t
COORDS = ("element", "impurity", "tap", "bleed", "addition", "origin", "cation", "renewal",
          "electrolyte_component", "salt_component")  # axis labels, not columns (with older names)


def _columns(group) -> list[tuple[str, np.ndarray]]:
    """(header, column) pairs of a group whose datasets share their first axis."""
    out = []
    names = sorted(group, key=lambda n: (n != "time", n))  # time first, then by name
    for stored in names:
        ds, name = group[stored], current_name(stored)  # today's name of an older file's entry
        if not isinstance(ds, h5py.Dataset) or stored in COORDS or (name != "time" and ds.is_scale):
            continue
        units = str(ds.attrs.get("units", "1"))
        data = ds[()]
        if data.dtype.kind in "SO":
            data = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in data],
                            dtype=object)
        if data.ndim == 1:
            out.append((f"{name} [{units}]", data))
        elif data.ndim == 2:
            cols = [c.decode() if isinstance(c, bytes) else str(c)
                    for c in ds.attrs.get("columns", [])]
            if len(cols) != data.shape[1]:
                cols = list(IMPURITIES) if data.shape[1] == len(IMPURITIES) else list(ALL_ELEMENTS)
            out += [(f"{name} {el} [{units}]", data[:, i]) for i, el in enumerate(cols)]
        elif data.ndim == 3 and "tags" in ds.attrs:  # /taps/pathways: (tap, origin, impurity)
            cols = [c.decode() if isinstance(c, bytes) else str(c) for c in ds.attrs["columns"]]
            out += [(f"{name} {el} from {tag} [{units}]", data[:, k, i])
                    for k, tag in enumerate(str(t) for t in ds.attrs["tags"])
                    for i, el in enumerate(cols)]
    return out


def tables(path: str | Path) -> dict[str, tuple[list[str], list[list]]]:
    """name -> (header, rows) of the tidy tables of the result file ``path``."""
    with h5py.File(path, "r") as h5:
        series = _columns(h5["series"])
        t = dict(series)["time [s]"]
        series.insert(1, ("time [d]", t / day))
        if "specific_energy [J/kg]" in dict(series):
            series.append(("specific_energy [kWh/t]", dict(series)["specific_energy [J/kg]"] * KWH_PER_T))
        taps = _columns(h5["taps"])
        taps.insert(0, ("tap [1]", np.arange(h5["taps/time"].shape[0])))
        taps.insert(2, ("time [d]", h5["taps/time"][()] / day))
        taps.insert(3, ("purity [wt% Al]", h5["taps/composition"][()][:, 0] * 100.0))
        summary = [(current_name(name), float(np.asarray(ds[()]).item()), str(ds.attrs.get("units", "1")))
                   for name, ds in h5["summary"].items()]
        summary += [(f"ledger_{name}", float(ds[()]), "J") for name, ds in h5["ledger"].items()]
        if "specific_energy" in h5["summary"]:
            summary.append(("specific_energy_kwh_per_t",
                            float(h5["summary/specific_energy"][()]) * KWH_PER_T, "kWh/t"))
    out = {}
    for name, cols in (("series", series), ("taps", taps)):
        header = [h for h, _ in cols]
        n = len(cols[0][1]) if cols else 0
        out[name] = (header, [[_plain(c[i]) for _, c in cols] for i in range(n)])
    out["summary"] = (["name", "value", "unit"], [[n, _plain(v), u] for n, v, u in summary])
    return out


def _plain(v):
    """A JSON/CSV-friendly scalar: Python float/int/bool/str, NaN and infinities as None (JSON
    has neither)."""
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v) if math.isfinite(v) else None
    return v


def outputs(path: str | Path, fmt: str, out: str | Path | None = None) -> list[Path]:
    """The files ``export`` writes for ``fmt`` (CSV: one per table, named STEM-TABLE.csv)."""
    path = Path(path)
    base = Path(out) if out else path.with_suffix(SUFFIX[fmt])
    if fmt == "csv":
        stem = base.with_suffix("")
        return [stem.with_name(f"{stem.name}-{t}.csv") for t in ("series", "taps", "summary")]
    return [base]


def export(path: str | Path, fmt: str, out: str | Path | None = None) -> list[Path]:
    """Write the tables of result ``path`` as ``fmt``; returns the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    files = outputs(path, fmt, out)
    if fmt == "netcdf":
        _netcdf(path, files[0])
        return files
    data = tables(path)
    if fmt == "csv":
        for file, name in zip(files, ("series", "taps", "summary")):
            header, rows = data[name]
            with open(file, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(header)
                w.writerows([["" if v is None else v for v in row] for row in rows])
        return files
    files[0].write_text(json.dumps(to_json(path, data), indent=1) + "\n")
    return files


def to_json(path: str | Path, data: dict | None = None) -> dict:
    """The whole result as one JSON-ready dict: attributes, summary and the tables."""
    data = data or tables(path)
    with h5py.File(path, "r") as h5:
        attrs = {k: _plain(v.item() if isinstance(v, np.ndarray) and v.size == 1 else v)
                 for k, v in h5.attrs.items() if not isinstance(v, np.ndarray) or v.size == 1}
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
    return {
        "attributes": attrs,
        "summary": {n: {"value": v, "unit": u} for n, v, u in data["summary"][1]},
        "series": {h: [row[i] for row in data["series"][1]]
                   for i, h in enumerate(data["series"][0])},
        "taps": [dict(zip(data["taps"][0], row)) for row in data["taps"][1]],
    }


def summary_json(result) -> dict:
    """Summary of a CampaignResult as JSON-ready data (SI values with their units)."""
    from .io import summary_unit

    return {
        "config_name": result.config.meta.name,
        "stop_reason": result.stop_reason,
        "summary": {k: {"value": _plain(float(v)), "unit": summary_unit(k)}
                    for k, v in result.summary.items()},
        "ledger": {k: {"value": _plain(float(v)), "unit": "J"} for k, v in result.ledger.items()},
        "specific_energy_kwh_per_t": _plain(float(result.summary["specific_energy"]) * KWH_PER_T),
    }


def _netcdf(path: str | Path, out: Path) -> None:
    """Every group of the result into one netCDF-4 file (xarray, h5netcdf)."""
    try:
        import xarray as xr
    except ImportError:
        raise ValueError("--format netcdf needs xarray and h5netcdf (pip install xarray h5netcdf)") from None
    with h5py.File(path, "r") as h5:
        groups = [g for g in h5 if isinstance(h5[g], h5py.Group)]
    if out.exists():
        out.unlink()
    with xr.open_dataset(path, engine="h5netcdf") as root:
        root.to_netcdf(out, engine="h5netcdf", mode="w")
    for g in groups:
        with xr.open_dataset(path, engine="h5netcdf", group=g) as ds:
            names = {k: current_name(k) for k in list(ds.variables) + list(ds.dims)}
            ds.load().rename({k: v for k, v in names.items() if v != k}).to_netcdf(
                out, engine="h5netcdf", mode="a", group=g)
