"""The CLI end to end, as a user runs it (subprocess) and through click's runner."""

import subprocess

import pytest
from click.testing import CliRunner

from cellsim.cli import main
from clitools import run_cli

pytestmark = pytest.mark.integration


def test_run_show_check_through_the_installed_command(tmp_path):
    out = tmp_path / "r.h5"
    run = subprocess.run(["cellsim", "run", "rusal-3kA", "-o", str(out), "--set",
                          'schedule.duration="3 d"'], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "specific energy" in run.stdout and "kWh/t Al" in run.stdout
    assert out.is_file()
    show = subprocess.run(["cellsim", "show", str(out)], capture_output=True, text=True)
    assert show.returncode == 0
    assert show.stdout.strip() in run.stdout


def test_version_and_help():
    runner = CliRunner()
    assert runner.invoke(main, ["--version"]).output.startswith("cellsim, version")
    for command in ("run", "check", "show"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_check_accepts_good_and_rejects_bad_input(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["check", "rusal-500A"])
    assert ok.exit_code == 0 and "ok" in ok.output
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "rusal-3kA"\n[geometry]\nacd = "4.5 kg"\n')
    result = runner.invoke(main, ["check", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "geometry.acd" in result.output and "length" in result.output


def test_run_refuses_bad_input_before_computing(tmp_path):
    result = run_cli("run", "rusal-3kA", "-o", tmp_path / "x.h5", sets=("geometry.acd=-1cm",))
    assert result.exit_code == 2
    assert not (tmp_path / "x.h5").exists()


def test_show_refuses_a_file_that_is_not_a_result(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"\x89HDF junk")
    result = run_cli("show", str(junk))
    assert result.exit_code == 2 and "error:" in result.output
    missing = run_cli("show", str(tmp_path / "none.h5"))
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_plot_writes_readable_pngs(tmp_path):
    out = tmp_path / "r.h5"
    runner = CliRunner()
    assert runner.invoke(main, ["run", "rusal-3kA", "-o", str(out), "-q", "--set",
                                'schedule.duration="6 d"', "--set", 'numerics.model="lumped"']).exit_code == 0
    result = runner.invoke(main, ["plot", str(out)])
    assert result.exit_code == 0, result.output
    pngs = sorted((tmp_path / "r-plots").glob("*.png"))
    assert [p.stem for p in pngs] == ["alloy", "electrolyte", "heat", "overview", "purity", "voltage"]
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
