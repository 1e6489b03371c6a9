"""docs/api.md's runnable example runs as documented and writes what it says."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "api_example.py"


def test_api_example_runs(tmp_path):
    pytest.importorskip("xarray")
    r = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "kWh/t" in r.stdout and "sweep: 2 ok, 0 failed" in r.stdout
    for name in ("example.h5", "example-series.csv", "example-plots/voltage.png",
                 "sweeps/example/summary.csv"):
        assert (tmp_path / name).is_file(), name
    api = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    assert "examples/api_example.py" in api
