"""``cellsim sweep`` and ``cellsim sweep-report`` end to end, with a case that fails."""

import csv
import subprocess

import pytest

from clitools import sweep_spec

pytestmark = pytest.mark.integration

SPEC = sweep_spec("mini", '''
    "geometry.acd" = ["4 cm", "-1 cm", "5 cm"]
    "operation.current_density" = ["0.5 A/cm2"]
''')


def cellsim(*args, cwd):
    return subprocess.run(["cellsim", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_failed_case_is_recorded_and_the_others_complete(tmp_path):
    (tmp_path / "mini.toml").write_text(SPEC)
    dry = cellsim("sweep", "mini.toml", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0 and "3 cases" in dry.stdout
    assert "case-0001" in dry.stdout and "INVALID" in dry.stdout and "geometry.acd" in dry.stdout
    assert not (tmp_path / "sweeps").exists()

    run = cellsim("sweep", "mini.toml", "--workers", "2", cwd=tmp_path)
    assert run.returncode == 3, run.stderr  # documented: some cases failed
    assert "2 ok, 1 failed" in run.stdout
    # no progress bar off a tty: stderr holds only the one-line count of failed cases
    assert run.stderr.startswith("error: 1 of 3 cases failed") and run.stderr.count("\n") == 1
    folder = tmp_path / "sweeps" / "mini"
    rows = {r["case"]: r for r in csv.DictReader((folder / "summary.csv").read_text().splitlines())}
    assert rows["case-0001"]["status"] == "failed"
    assert "geometry.acd" in rows["case-0001"]["error"] and "-1.0 cm" in rows["case-0001"]["error"]
    for name in ("case-0000", "case-0002"):
        assert rows[name]["status"] == "ok" and (folder / "cases" / f"{name}.h5").is_file()
        assert float(rows[name]["operation.current_density [A/cm2]"]) == 0.5
        assert 0.5 < float(rows[name]["mean_cell_voltage [V]"]) < 5
    assert not (folder / "cases" / "case-0001.h5").exists()

    again = cellsim("sweep", "mini.toml", cwd=tmp_path)
    assert again.returncode == 2 and "--resume" in again.stderr

    report = cellsim("sweep-report", str(folder), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "case-0001 failed" in report.stdout
    for fig in ("pareto.png", "lines_geometry.acd.png"):
        assert (folder / "report" / fig).stat().st_size > 10_000
    assert (folder / "report" / "report.md").read_text().startswith("# Sweep mini")


def test_bad_spec_is_a_clear_error(tmp_path):
    (tmp_path / "bad.toml").write_text(SPEC.replace('"4 cm"', '"4 kg"'))
    run = cellsim("sweep", "bad.toml", cwd=tmp_path)
    assert run.returncode == 2
    assert "bad.toml" in run.stderr and "parameters.geometry.acd" in run.stderr and "length" in run.stderr
