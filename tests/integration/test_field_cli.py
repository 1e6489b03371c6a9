"""End to end at the axisymmetric level: run, documented field datasets, plot --time, resume."""

from pathlib import Path

import h5py
import pytest

from clitools import run_cli

pytestmark = pytest.mark.integration
LAYOUT = (Path(__file__).resolve().parents[2] / "docs" / "hdf5-layout.md").read_text()
SETS = ["--set", 'schedule.duration="2 d"', "--set", 'numerics.model="axisymmetric"',
        "--set", 'numerics.resolution="coarse"', "--set", 'numerics.snapshot_interval="1 d"']


def test_run_plot_time_and_documented_fields(tmp_path):
    out = tmp_path / "ax.h5"
    r = run_cli("run", "rusal-3kA", "-o", str(out), "-q", *SETS)
    assert r.exit_code == 0, r.output
    with h5py.File(out) as h5:
        assert h5["fields/temperature"].shape[0] == 3
        undocumented = [n for n in h5["fields"] if f"`/fields/{n}`" not in LAYOUT]
        assert not undocumented and all("units" in ds.attrs for ds in h5["fields"].values())
    r = run_cli("plot", str(out), "--time", "1 d", "-o", str(tmp_path / "p"))
    assert r.exit_code == 0, r.output
    for name in ("potential", "current", "temperature"):
        png = tmp_path / "p" / f"field-{name}-day001.00.png"
        assert png.is_file() and png.stat().st_size > 20_000
    assert not (tmp_path / "ax.h5.part").exists() and not (tmp_path / "ax.h5.ckpt").exists()


def test_resume_errors_are_clear(tmp_path):
    r = run_cli("run", "--resume", str(tmp_path / "none.h5"))
    assert r.exit_code == 2 and "no checkpoint" in r.output
    r = run_cli("run", "rusal-3kA", "--resume", str(tmp_path / "none.h5"))
    assert r.exit_code == 2 and "stored configuration" in r.output
