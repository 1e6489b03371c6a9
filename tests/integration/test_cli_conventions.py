"""CLI conventions, each with its documented exit code and message: output folders, no
silent overwrite, --time checked before any figure, sweeps that report failed cases,
case-insensitive library names with did-you-mean, --quiet, and `cellsim list`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from cellsim.references import bibliography, cited_keys
from clitools import run_cli, sweep_spec

pytestmark = pytest.mark.integration
SHORT = ["--set", 'schedule.duration="1 d"', "--set", 'numerics.model="lumped"']


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r.h5"
    r = run_cli("run", "rusal-3kA", "-o", str(out), "-q", *SHORT)
    assert r.exit_code == 0 and r.output == "", r.output  # --quiet prints nothing
    return out


def test_missing_output_folder_is_an_error_unless_mkdir(tmp_path):
    out = tmp_path / "no" / "such" / "r.h5"
    r = run_cli("run", "rusal-3kA", "-o", str(out), "-q", *SHORT)
    assert r.exit_code == 2 and str(tmp_path / "no" / "such") in r.output
    assert "--mkdir" in r.output and not (tmp_path / "no").exists()
    r = run_cli("run", "rusal-3kA", "-o", str(out), "-q", "--mkdir", *SHORT)
    assert r.exit_code == 0 and out.is_file()


def test_existing_result_is_not_overwritten_without_force(result):
    before = result.stat().st_mtime_ns
    r = run_cli("run", "rusal-3kA", "-o", str(result), "-q", *SHORT)
    assert r.exit_code == 2 and "exists" in r.output and "--force" in r.output
    assert result.stat().st_mtime_ns == before
    r = run_cli("run", "rusal-3kA", "-o", str(result), "-q", "--force", *SHORT)
    assert r.exit_code == 0 and result.stat().st_mtime_ns != before


@pytest.mark.parametrize("at, message", [("20", "give a unit"), ("500 d", "no field snapshots")])
def test_plot_time_is_checked_before_any_figure(result, tmp_path, at, message):
    outdir = tmp_path / "figs"
    r = run_cli("plot", str(result), "--time", at, "-o", str(outdir))
    assert r.exit_code == 2 and message in r.output, r.output
    assert not outdir.exists()  # nothing written


def test_plot_time_outside_the_run_is_an_error(tmp_path):
    out = tmp_path / "ax.h5"
    r = run_cli("run", "rusal-3kA", "-o", out, "-q", sets=('schedule.duration="1 d"', 'numerics.resolution="coarse"',
                                                          'numerics.snapshot_interval="1 d"'))
    assert r.exit_code == 0, r.output
    r = run_cli("plot", str(out), "--time", "500 d", "-o", str(tmp_path / "f"))
    assert r.exit_code == 2 and "outside the run" in r.output and "0 to 1 d" in r.output
    assert not (tmp_path / "f").exists()


def test_plot_quiet_and_missing_parent(result, tmp_path):
    r = run_cli("plot", str(result), "-o", str(tmp_path / "a" / "b"))
    assert r.exit_code == 2 and str(tmp_path / "a") in r.output
    r = run_cli("plot", str(result), "-q", "-o", str(tmp_path / "p"))
    assert r.exit_code == 0 and r.output == "" and list((tmp_path / "p").glob("*.png"))


def test_library_names_are_case_insensitive_with_did_you_mean():
    r = run_cli("check", "RUSAL-3KA")
    assert r.exit_code == 0 and "rusal-3kA" in r.output
    r = run_cli("check", "rusal-3ka-rct")
    assert r.exit_code == 2 and "did you mean 'rusal-3kA-rect'?" in r.output
    r = run_cli("check", "rusal-3kA", "--set", "scrap.use=UBC")
    assert r.exit_code == 0
    r = run_cli("check", "rusal-3kA", "--set", "scrap.use=ubk")
    assert r.exit_code == 2 and "did you mean 'ubc'?" in r.output


def test_sweep_with_a_failed_case_exits_3_and_says_how_many(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(sweep_spec("tiny", '"geometry.acd" = ["4 cm", "-1 cm"]', design="grid",
                               sets=('schedule.duration="1 d"', 'numerics.model="lumped"')))
    r = run_cli("sweep", str(spec), "-o", str(tmp_path / "out"), "-j", "1", "-q")
    assert r.exit_code == 3, r.output
    assert "1 of 2 cases failed" in r.output


def test_list_scrap_prints_every_grade_with_resolvable_sources():
    from cellsim.config.library import library_entries

    r = run_cli("list", "scrap")
    assert r.exit_code == 0
    bib = bibliography()
    for entry in library_entries("scrap"):
        assert f"  {entry.name} " in r.output and entry.description in r.output
        keys = cited_keys(" ".join(entry.sources))
        # a source is a key, or a value tagged as recalled [R] or estimated [E]
        assert keys or any(t in " ".join(entry.sources) for t in ("[E]", "[R]")), entry.name
        assert all(k in bib for k in keys)
    full = run_cli("list", "SCRAP", "--full")
    assert full.exit_code == 0 and bib["GoldenMetals-nd"] in full.output


def test_run_sweep_without_a_main_guard_gives_a_clear_message(tmp_path):
    (tmp_path / "s.toml").write_text(sweep_spec("tiny", '"geometry.acd" = ["4 cm", "5 cm"]', design="grid",
                                                sets=('schedule.duration="1 d"', 'numerics.model="lumped"')))
    (tmp_path / "script.py").write_text(textwrap.dedent('''
        from cellsim.sweep.runner import run_sweep
        from cellsim.sweep.spec import load_spec
        run_sweep(load_spec("s.toml"), "out", workers=2)
    '''))
    r = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 1
    assert 'if __name__ == "__main__"' in r.stderr
    assert "BrokenProcessPool" not in r.stderr and r.stderr.count("Traceback") == 1
