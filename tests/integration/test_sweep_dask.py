"""The Dask path gives the same summary as the local pool (cluster on loopback, in the test)."""

import subprocess

import numpy as np
import pytest

from cellsim.sweep import load_spec, read_summary, run_sweep
from clitools import sweep_spec

pytestmark = pytest.mark.integration

SPEC = sweep_spec("dask", '''
    "geometry.acd" = ["4 cm", "0 cm", "5.5 cm"]
    "operation.current_density" = ["0.45 A/cm2"]
''')


def test_dask_and_local_summaries_agree(tmp_path):
    distributed = pytest.importorskip("distributed")
    (tmp_path / "s.toml").write_text(SPEC)
    spec = load_spec(tmp_path / "s.toml")
    local = run_sweep(spec, tmp_path / "local", workers=2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        remote = run_sweep(spec, tmp_path / "dask", scheduler=cluster.scheduler_address)
        cli = subprocess.run(["cellsim", "sweep", "s.toml", "-o", "cli", "--scheduler",
                              cluster.scheduler_address], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)
    assert cli.returncode == 3, cli.stderr  # documented: some cases failed
    assert "2 ok, 1 failed" in cli.stdout and "1 of 3 cases failed" in cli.stderr
    c = read_summary(tmp_path / "cli")
    np.testing.assert_array_equal(c["outputs"]["specific_energy"],
                                  read_summary(tmp_path / "local")["outputs"]["specific_energy"])
    assert (local.ok, local.failed) == (remote.ok, remote.failed) == (2, 1)
    a, b = read_summary(tmp_path / "local"), read_summary(tmp_path / "dask")
    assert list(a["status"]) == list(b["status"]) == ["ok", "failed", "ok"]
    assert list(a["error"]) == list(b["error"])
    assert set(a["outputs"]) == set(b["outputs"])
    for name in a["outputs"]:
        np.testing.assert_array_equal(a["outputs"][name], b["outputs"][name], err_msg=name)
