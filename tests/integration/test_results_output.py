"""Results researchers use directly: xarray-ready HDF5 (named dimensions on every group), the
cumulative time series, export, --json, figures. One lumped and one coarse axisymmetric run
shared by the module."""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from cellsim.units import FARADAY
from clitools import run_cli

xr = pytest.importorskip("xarray")
pytest.importorskip("h5netcdf")
pytestmark = pytest.mark.integration

LUMPED = ["--set", 'schedule.duration="3 d"', "--set", 'numerics.model="lumped"']
FIELD = ["--set", 'schedule.duration="2 d"', "--set", 'numerics.model="axisymmetric"',
         "--set", 'numerics.resolution="coarse"', "--set", 'numerics.snapshot_interval="1 d"']


def _run(folder, name: str, sets: list) -> Path:
    out = folder / name
    r = run_cli("run", "rusal-3kA", "-o", out, "-q", *sets)
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def lumped(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("lumped"), "rusal-3kA.h5", LUMPED)


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("field"), "ax.h5", FIELD)


def _groups(path) -> list[str]:
    with h5py.File(path) as h5:
        return ["/"] + [k for k in h5 if isinstance(h5[k], h5py.Group)]


@pytest.mark.parametrize("which", ["lumped", "field"])
def test_every_group_opens_in_xarray_with_named_dimensions(which, request):
    path = request.getfixturevalue(which)
    groups = _groups(path)
    assert {"series", "taps", "summary", "ledger"} <= set(groups)
    if which == "field":
        assert "fields" in groups
    for group in groups:
        with xr.open_dataset(path, engine="h5netcdf", group=group) as ds:
            phony = [d for d in ds.sizes if str(d).startswith("phony_dim")]
            assert not phony, (group, phony)
            for name, var in ds.variables.items():
                assert var.attrs.get("long_name"), (group, name)
                assert "units" in var.attrs, (group, name)
            if group in ("series", "fields"):
                assert "time" in ds.coords and ds["time"].attrs["units"] == "s"
                assert ds["time"].dims == ("time",) and ds.sizes["time"] >= 2
                assert np.all(np.diff(ds["time"].values) > 0)
    with xr.open_dataset(path, engine="h5netcdf") as root:
        for attr in ("Conventions", "title", "summary", "source", "history", "references"):
            assert root.attrs.get(attr), attr
        assert "CF-" in root.attrs["Conventions"] and "ACDD-" in root.attrs["Conventions"]
        assert "[RUSAL2025]" in root.attrs["references"]


def test_series_dimensions_follow_the_columns(lumped):
    with xr.open_dataset(lumped, engine="h5netcdf", group="series") as s:
        assert s.alloy_composition.dims == ("time", "element")
        assert s.electrolyte_impurities.dims == ("time", "impurity")
        assert list(s.element.values) == ["Al", "Fe", "Cu", "Si", "Mn", "Zn", "Mg", "Ti"]
        # mass fractions of each record sum to one (element axis is the composition)
        assert np.allclose(s.alloy_composition.sum("element"), 1.0, atol=1e-12)
    with xr.open_dataset(lumped, engine="h5netcdf", group="taps") as t:
        assert t.composition.dims == ("tap", "element") and t.sizes["tap"] >= 1


def test_fields_dimensions_are_the_grid(field):
    with h5py.File(field) as h5:
        r_faces = h5["fields/r_faces"][()]
        nz = h5["fields/z_faces"].shape[1] - 1
    with xr.open_dataset(field, engine="h5netcdf", group="fields") as f:
        assert f.temperature.dims == ("time", "r", "z")
        assert f.current_density.dims == ("time", "component", "r", "z")
        assert f.concentration.dims == ("time", "impurity", "r", "z")
        # r is the cell centre between two faces, z the cell index
        assert np.allclose(f.r.values, 0.5 * (r_faces[1:] + r_faces[:-1]))
        assert f.sizes["z"] == nz and f.r.attrs["units"] == "m"


def test_cumulative_series_agree_with_ledger_faraday_and_the_recorded_power(lumped):
    with h5py.File(lumped) as h5:
        s = {k: h5["series"][k][()] for k in h5["series"]}
        ledger = sum(float(ds[()]) for ds in h5["ledger"].values())
        summary = {k: float(ds[()]) for k, ds in h5["summary"].items()}
    t, current = s["time"], s["cell_current"]
    # constant 3 kA: the charge is I t (analytic)
    assert np.allclose(s["charge"], 3000.0 * t, rtol=1e-12, atol=1e-6)
    # the last cumulative energy is the campaign's ledger total
    assert math.isclose(s["energy"][-1], ledger, rel_tol=1e-12)
    # energy increments against the trapezoid of the recorded power I U + heater (1 %: the
    # records are 6 h apart; the model integrates every 1 h step)
    power = current * s["cell_voltage"] + s["heater_power"]
    inc = np.diff(s["energy"])
    trap = 0.5 * (power[1:] + power[:-1]) * np.diff(t)
    assert np.allclose(inc[1:], trap[1:], rtol=1e-2)
    # Faraday: Al = CE Q M / 3F, and the running kWh/t ends on the summary figure
    m_al = 26.9815e-3
    assert math.isclose(s["al_produced"][-1], s["current_efficiency"][-1] * s["charge"][-1]
                        * m_al / (3 * FARADAY), rel_tol=1e-9)
    assert math.isclose(s["al_produced"][-1], summary["al_produced"], rel_tol=1e-9)
    assert math.isclose(s["specific_energy"][-1], summary["specific_energy"], rel_tol=1e-9)
    assert np.isnan(s["specific_energy"][0])
    assert np.allclose(s["purity"], s["cathode_composition"][:, 0])


def test_export_csv_is_tidy_with_units_in_every_header(lumped, tmp_path):
    import csv

    out = tmp_path / "run.csv"
    r = run_cli("export", str(lumped), "--format", "csv", "-o", str(out))
    assert r.exit_code == 0, r.output
    files = {p.name: p for p in tmp_path.glob("run-*.csv")}
    assert set(files) == {"run-series.csv", "run-taps.csv", "run-summary.csv"}
    with h5py.File(lumped) as h5:
        t = h5["series/time"][()]
        fe = h5["series/alloy_composition"][()][:, 1]
        tap_al = h5["taps/composition"][()][:, 0]
        kwh_t = float(h5["summary/specific_energy"][()]) / 3600.0
    with open(files["run-series.csv"]) as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    assert all(h.endswith("]") and " [" in h for h in header), header
    assert header[:2] == ["time [s]", "time [d]"] and len(rows) == len(t) + 1
    col = {h: i for i, h in enumerate(header)}
    assert np.allclose([float(r[col["time [d]"]]) for r in rows[1:]], t / 86400.0)
    assert np.allclose([float(r[col["alloy_composition Fe [1]"]]) for r in rows[1:]], fe)
    with open(files["run-taps.csv"]) as fh:
        taps = list(csv.DictReader(fh))
    assert np.allclose([float(x["purity [wt% Al]"]) for x in taps], tap_al * 100.0)
    with open(files["run-summary.csv"]) as fh:
        summary = {x["name"]: x for x in csv.DictReader(fh)}
    assert summary["specific_energy_kwh_per_t"]["unit"] == "kWh/t"
    assert math.isclose(float(summary["specific_energy_kwh_per_t"]["value"]), kwh_t, rel_tol=1e-12)
    # no overwrite without --force
    again = run_cli("export", str(lumped), "--format", "csv", "-o", str(out))
    assert again.exit_code == 2 and "--force" in again.output
    forced = run_cli("export", str(lumped), "-o", str(out), "--force", "-q")
    assert forced.exit_code == 0 and forced.output == ""


def test_export_json_and_netcdf(lumped, tmp_path):
    import json

    r = run_cli("export", lumped, "--format", "json", "-o", tmp_path / "r.json")
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "r.json").read_text())
    with h5py.File(lumped) as h5:
        n = h5["series/time"].shape[0]
        se = float(h5["summary/specific_energy"][()])
    assert doc["summary"]["specific_energy"] == {"value": se, "unit": "J/kg"}
    assert len(doc["series"]["cell_voltage [V]"]) == n and doc["taps"]
    r = run_cli("export", lumped, "--format", "netcdf", "-o", tmp_path / "r.nc")
    assert r.exit_code == 0, r.output
    with xr.open_dataset(tmp_path / "r.nc", engine="h5netcdf", group="series") as s:
        assert s.sizes["time"] == n and s.cell_voltage.attrs["units"] == "V"


def test_show_and_run_print_json(lumped, tmp_path):
    import json

    shown = run_cli("show", str(lumped), "--json")
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.output)
    with h5py.File(lumped) as h5:
        al = float(h5["summary/al_produced"][()])
        ledger = {k: float(v[()]) for k, v in h5["ledger"].items()}
    assert doc["summary"]["al_produced"] == {"value": al, "unit": "kg"}
    assert doc["ledger"] == {k: {"value": v, "unit": "J"} for k, v in ledger.items()}
    assert math.isclose(doc["specific_energy_kwh_per_t"],
                        doc["summary"]["specific_energy"]["value"] / 3600.0, rel_tol=1e-12)
    ran = run_cli("run", "rusal-3kA", "-o", tmp_path / "j.h5", "--json",
                  sets=('schedule.duration="1 d"', 'numerics.model="lumped"'))
    assert ran.exit_code == 0, ran.output
    doc = json.loads(ran.output)
    assert doc["file"] == str(tmp_path / "j.h5") and doc["summary"]["campaign_length"]["value"] == 86400.0


def test_every_figure_renders_and_reads(lumped, field, tmp_path):
    """Each campaign panel on the reference run: no offset tick labels, legends outside the
    data, a title; every PNG of `cellsim plot` (campaign and fields) written."""
    import matplotlib.pyplot as plt

    from cellsim.io import read_result
    from cellsim.plot import PANELS, campaign_figures
    from cellsim.plot_fields import field_figures

    result = read_result(lumped)
    for name, draw in PANELS.items():
        fig, ax = plt.subplots(figsize=(8.5, 5.0), layout="constrained")
        draw(result, ax)
        fig.canvas.draw()
        assert any(a.get_title() for a in fig.axes), name
        for a in fig.axes:
            offset = a.yaxis.get_offset_text().get_text()
            assert not offset.startswith(("+", "-")), (name, offset)
            legend = a.get_legend()
            if legend is not None:
                assert not legend.get_window_extent().overlaps(a.get_window_extent()), name
            box = a.get_window_extent()  # labels of lines stay inside the axes (off the title)
            for text in a.texts:
                t = text.get_window_extent()
                assert box.y0 <= t.y0 and t.y1 <= box.y1, (name, text.get_text())
        plt.close(fig)
    paths = campaign_figures(result, tmp_path / "c") + field_figures(field, 86400.0, tmp_path / "f")
    assert len(paths) == len(PANELS) + 1 + 4  # panels, overview, four field figures
    for p in paths:
        assert p.is_file() and p.stat().st_size > 20_000, p


def test_a_file_with_the_older_electrolyte_names_reads_with_todays(lumped, tmp_path):
    """A result written before the outputs said "electrolyte" everywhere (salt_impurities,
    bath_liquid_fraction, final_salt_mass, salt_component, ...; cellsim.io.RENAMED) reads
    under today's names in read_result (show, plot) and export, with the same values."""
    import json
    import shutil

    from cellsim.io import RENAMED, _seal, read_result, stamp_file_digest

    old = tmp_path / "old.h5"
    shutil.copy(lumped, old)
    back = {new: stored for stored, new in RENAMED.items()}
    with h5py.File(old, "r+") as h5:
        for group in ("series", "summary"):
            for name in list(h5[group]):
                if name in back:
                    h5[group].move(name, back[name])
        cfg = json.loads(h5["config"].attrs["json"])  # and a configuration of that time
        cfg["schedule"]["min_bath_liquid_fraction"] = cfg["schedule"].pop("min_electrolyte_liquid_fraction")
        h5["config"].attrs["json"] = json.dumps(cfg)
        _seal(h5)
        assert "salt_impurities" in h5["series"] and "final_salt_mass" in h5["summary"]
    stamp_file_digest(old)  # as its writer would have sealed the whole file
    now, then = read_result(lumped), read_result(old)
    assert set(then.series) == set(now.series) and set(then.summary) == set(now.summary)
    for name, values in now.series.items():
        numeric = np.asarray(values).dtype.kind in "fiu"
        assert np.array_equal(then.series[name], values, equal_nan=numeric), name
    assert then.summary["final_electrolyte_mass"] == now.summary["final_electrolyte_mass"]
    assert then.config.schedule == now.config.schedule
    r = run_cli("export", old, "--format", "csv", "-o", tmp_path / "old.csv")
    assert r.exit_code == 0, r.output
    head = (tmp_path / "old-series.csv").read_text().splitlines()[0]
    assert "electrolyte_liquid_fraction [1]" in head and "electrolyte_impurities Fe [1]" in head
    assert "bath" not in head and "salt_impurities" not in head
    summary = (tmp_path / "old-summary.csv").read_text()
    assert "final_electrolyte_mass" in summary and "final_salt_mass" not in summary
    shown = run_cli("show", old)
    assert shown.exit_code == 0, shown.output
