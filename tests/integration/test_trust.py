"""Trustworthy runs from the command line (issue 14): each reproducer gets its documented
exit code and a message naming the cause; no two writers; integrity of results and
checkpoints; resource guards; output names from config data stay names."""

import os
import pickle
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from cellsim.cli import (EXIT_BUSY, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL, EXIT_OUTSIDE_WINDOW,
                         default_output_name, safe_name)
from cellsim.checkpoint import CHECKPOINT_FORMAT
from cellsim.config import load_config
from clitools import run_cli, sweep_spec

pytestmark = pytest.mark.integration

LUMPED = ["--set", 'numerics.model="lumped"']


cli = run_cli


def short_run(path, *sets):
    return run_cli("run", "rusal-3kA", "-q", "-o", path, *LUMPED, sets=('schedule.duration="3 d"',) + sets)


# ------------------------------------------------------------------ impossible physics
@pytest.mark.parametrize("sets, words", [
    (['operation.current="1e-9 A"', 'schedule.duration="1500 d"', 'schedule.time_step="1 d"'],
     ["current efficiency"]),
    (['geometry.inner_radius="20 m"'], ["current efficiency"]),
])
def test_runs_that_leave_the_window_exit_3_and_are_marked(tmp_path, sets, words):
    out = tmp_path / "r.h5"
    result = run_cli("run", "rusal-3kA", "-o", out, *LUMPED, sets=sets)
    assert result.exit_code == EXIT_OUTSIDE_WINDOW, result.output
    assert "left the operating window" in result.output and all(w in result.output for w in words)
    with h5py.File(out) as h5:
        assert h5.attrs["operating_window"].startswith("outside: ")
        assert np.isnan(h5["summary/specific_energy"][()]) and np.isnan(h5["summary/product_al"][()])
        assert np.all(h5["series/cathode_depth"][()] >= 0)
    show = cli("show", str(out))
    assert show.exit_code == 0 and show.output.startswith("OUTSIDE THE OPERATING WINDOW")


@pytest.mark.parametrize("sets, words", [
    (['geometry.acd="8 cm"'], ["1019.2 degC", "overheats"]),  # the reference cell (scrap demagged)
    (['operation.current="4.5 kA"'], ["overheats"]),
])
def test_designs_that_start_outside_the_window_write_nothing(tmp_path, sets, words):
    out = tmp_path / "r.h5"
    result = run_cli("run", "rusal-3kA", "-o", out, *LUMPED, sets=sets)
    assert result.exit_code == EXIT_OUTSIDE_WINDOW, result.output
    assert all(w in result.output for w in words) and "nothing written" in result.output
    assert not out.exists()


@pytest.mark.parametrize("sets, key", [
    (['geometry.acd="1 mm"'], "geometry.acd"),
    (['geometry.acd="90 cm"'], "geometry.acd"),
    (['collectors.rod_count=1000'], "collectors.rod_count"),
    (['scrap.metallic_yield=5e-324'], "scrap.metallic_yield"),
    (['numerics.model="3d"', 'geometry.inner_radius="20 m"', 'numerics.resolution="fine"'],
     "numerics.max_cells"),
    (['numerics.model="3d"', 'collectors.rod_count=100000000000', 'collectors.rod_diameter="1 um"'],
     "numerics.max_cells"),
    (['schedule.duration="1e12 d"', 'schedule.time_step="1 s"'], "schedule.time_step"),
    (['schedule.time_step="10 s"', 'schedule.tap_interval="1 h"', 'numerics.record_interval="1 s"'],
     "numerics.record_interval"),
    (['schedule.time_step="10 s"', 'schedule.tap_interval="1 h"', 'numerics.checkpoint_interval="10 s"'],
     "numerics.checkpoint_interval"),
])
def test_check_refuses_impossible_or_unaffordable_designs(sets, key):
    start = time.perf_counter()
    result = run_cli("check", "rusal-3kA", sets=sets)
    assert time.perf_counter() - start < 20  # refused before anything is built
    assert result.exit_code == EXIT_INPUT, result.output
    assert f"key '{key}'" in result.output and "Traceback" not in result.output


def test_max_cells_lifts_the_grid_guard():
    cfg = load_config("rusal-3kA", ['numerics.model="3d"', 'numerics.max_cells=1000000000',
                                    'geometry.inner_radius="20 m"', 'numerics.resolution="fine"'])
    assert cfg.numerics.max_cells == 10**9


def test_a_campaign_without_a_tap_prints_no_nan(tmp_path):
    result = cli("run", "rusal-3kA", "-o", str(tmp_path / "r.h5"), *LUMPED,
                 "--set", 'schedule.max_temperature="755 degC"')
    assert result.exit_code == 0 and "melt too hot" in result.output
    assert "nan" not in result.output.lower().replace("nanosecond", "")
    assert "n/a" in result.output


def test_long_config_values_are_cut_in_errors():
    result = cli("check", "rusal-3kA", "--set", f'meta.description={"x" * 1000}',
                 "--set", f'geometry.acd="{"9" * 200000} kg"')
    assert result.exit_code == EXIT_INPUT and len(result.output) < 3000


# ---------------------------------------------------------------------------- two writers
def test_default_output_names_differ_by_configuration_and_are_names():
    a = default_output_name(load_config("rusal-3kA", ['geometry.acd="4 cm"']))
    b = default_output_name(load_config("rusal-3kA", ['geometry.acd="5 cm"']))
    assert a != b and a.startswith("rusal-3kA-") and b.endswith(".h5")
    assert safe_name("../../x") == "x" and safe_name("/etc/passwd") == "etc_passwd"
    assert safe_name("..") == "run" and "/" not in safe_name("a/../../b")


def test_meta_name_never_chooses_a_folder(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    result = cli("run", "rusal-3kA", "-q", *LUMPED, "--set", 'schedule.duration="1 d"',
                 "--set", 'meta.name="../../x"', cwd=work)
    assert result.exit_code == 0, result.output
    written = list(work.iterdir())
    assert len(written) == 1 and written[0].name.startswith("x-") and written[0].suffix == ".h5"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def _hold_lock(path: Path):
    """A second process that holds the lock of ``path`` (as a running cellsim does)."""
    code = textwrap.dedent(f"""
        import sys, time
        from cellsim.locking import Lock
        Lock({str(path)!r}, "x")
        print("locked", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-P", "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_run_on_a_busy_output_is_refused(tmp_path):
    out = tmp_path / "r.h5"
    (tmp_path / "r.h5.ckpt").write_bytes(b"the running campaign's checkpoint")
    holder = _hold_lock(tmp_path / "r.h5.lock")
    try:
        second = short_run(out)
        assert second.exit_code == EXIT_BUSY and "in use by another cellsim process" in second.output
        resume = cli("run", "--resume", str(out))
        assert resume.exit_code == EXIT_BUSY
        # the running campaign's side files are untouched
        assert (tmp_path / "r.h5.ckpt").read_bytes() == b"the running campaign's checkpoint"
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert short_run(out).exit_code == 0  # free again once the holder is gone
    assert not (tmp_path / "r.h5.lock").exists()


def grid_spec(name: str) -> str:
    return sweep_spec(name, '"geometry.acd" = ["4 cm", "5 cm"]', design="grid",
                      sets=('numerics.model="lumped"', 'schedule.duration="1 d"'))


def test_a_second_sweep_into_a_busy_folder_is_refused(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(grid_spec("s"))
    folder = tmp_path / "out"
    folder.mkdir()
    holder = _hold_lock(folder / ".lock")
    try:
        for extra in ([], ["--resume"]):
            result = cli("sweep", str(spec), "-o", str(folder), "-j", "1", "-q", *extra)
            assert result.exit_code == EXIT_BUSY and "in use" in result.output
        assert not (folder / "sweep.json").exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_the_sweep_name_never_chooses_a_folder(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(grid_spec("../../evil"))
    work = tmp_path / "work"
    work.mkdir()
    result = cli("sweep", str(spec), "-j", "1", "-q", cwd=work)
    assert result.exit_code == 0, result.output
    assert (work / "sweeps" / "evil" / "sweep.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml", "work"]


def test_a_sweep_records_cases_outside_the_window(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(grid_spec("w").replace('["4 cm", "5 cm"]', '["4.5 cm", "8 cm"]'))
    folder = tmp_path / "out"
    result = cli("sweep", str(spec), "-o", str(folder), "-j", "1")
    assert result.exit_code == 0, result.output
    import csv

    rows = {r["case"]: r for r in csv.DictReader((folder / "summary.csv").read_text().splitlines())}
    assert rows["case-0000"]["status"] == "ok" and rows["case-0001"]["status"] == "outside_window"
    assert "overheats" in rows["case-0001"]["error"] and rows["case-0001"]["specific_energy [kWh/t]"] == ""
    assert float(rows["case-0000"]["mean_temperature [K]"]) > 973.15
    report = cli("sweep-report", str(folder))
    assert report.exit_code == 0 and "1 outside the operating window" in report.output
    assert "case-0001: the initial state is outside the operating window" in report.output


def test_sweep_case_counts_are_checked_before_building(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(grid_spec("big").replace(
        '"geometry.acd" = ["4 cm", "5 cm"]',
        '"geometry.acd" = { start = "3 cm", stop = "6 cm", num = 100000 }\n'
        '"operation.current" = { start = "2 kA", stop = "3 kA", num = 100000 }'))
    result = cli("sweep", str(spec), "--dry-run")
    assert result.exit_code == EXIT_INPUT and "at most 100000 cases" in result.output
    spec.write_text(grid_spec("big").replace('design = "grid"', 'design = "sobol"\nsamples = 1073741824')
                    .replace('["4 cm", "5 cm"]', '{ bounds = ["3 cm", "6 cm"] }'))
    result = cli("sweep", str(spec), "--dry-run")
    assert result.exit_code == EXIT_INPUT and "sweep.samples" in result.output


# ------------------------------------------------------------------------------ integrity
@pytest.fixture(scope="module")
def result_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("r") / "r.h5"
    assert short_run(out).exit_code == 0
    return out


def test_a_changed_value_in_a_result_is_an_error_naming_the_dataset(result_file, tmp_path):
    import shutil

    bad = tmp_path / "bad.h5"
    shutil.copy(result_file, bad)
    with h5py.File(bad, "a") as h5:
        ds = h5["summary/specific_energy"]
        ds[()] = ds[()] * (1 - 1e-3)  # a quiet 0.1 % change, as a flipped bit would make
    for command in ("show", "plot"):  # the whole-file digest sees it before HDF5 reads
        result = cli(command, str(bad))
        assert result.exit_code == EXIT_INPUT, result.output
        assert "whole-file checksum mismatch" in result.output and str(bad) in result.output
    from cellsim.io import stamp_file_digest

    stamp_file_digest(bad)  # an edit that also rewrote the file's digest: the dataset's own
    for command in ("show", "plot"):  # checksum names the object
        result = cli(command, str(bad))
        assert result.exit_code == EXIT_INPUT, result.output
        assert "checksum mismatch in /summary/specific_energy" in result.output


def test_flipped_bytes_give_a_clean_error_or_the_same_summary(result_file, tmp_path):
    data = bytearray(result_file.read_bytes())
    good = cli("show", str(result_file)).output
    rng = np.random.default_rng(14)
    codes = set()
    for i, pos in enumerate(rng.integers(0, len(data), 60)):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << int(rng.integers(8))
        path = tmp_path / f"f{i}.h5"
        path.write_bytes(bytes(flipped))
        result = cli("show", str(path))
        codes.add(result.exit_code)
        assert result.exit_code in (0, EXIT_INPUT), (pos, result.output)
        assert "Traceback" not in result.output
        if result.exit_code == 0:
            assert result.output == good, pos  # a flip in unused bytes only
    assert EXIT_INPUT in codes


def _interrupted_run(tmp_path):
    """A lumped campaign killed after its first checkpoints (OUT.h5.ckpt left behind)."""
    out = tmp_path / "cut.h5"
    code = textwrap.dedent(f"""
        import os, signal
        from cellsim.checkpoint import RunFile
        from cellsim.campaign import run_campaign
        from cellsim.config import load_config
        cfg = load_config("rusal-3kA", ['numerics.model="lumped"', 'schedule.duration="5 d"',
                                        'numerics.checkpoint_interval="1 d"'])
        def progress(t, info):
            if t > 2.5 * 86400:
                os.kill(os.getpid(), signal.SIGKILL)
        run_campaign(cfg, progress, run=RunFile({str(out)!r}))
    """)
    subprocess.run([sys.executable, "-P", "-c", code])
    assert (tmp_path / "cut.h5.ckpt").is_file()
    return out


def test_a_checkpoint_crafted_to_run_code_is_rejected(tmp_path):
    out = tmp_path / "r.h5"
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (tmp_path / "r.h5.ckpt").write_bytes(pickle.dumps({"format": 1, "x": Payload()}))
    result = cli("run", "--resume", str(out))
    assert result.exit_code == EXIT_INPUT and "not a cellsim checkpoint" in result.output
    assert not marker.exists()
    # nor does an HDF5 checkpoint that names a class outside cellsim
    with h5py.File(tmp_path / "r.h5.ckpt", "w") as h5:
        h5.attrs["format"] = "cellsim-checkpoint"
        h5.attrs["format_version"] = CHECKPOINT_FORMAT
        g = h5.create_group("checkpoint")
        g.attrs["plain_type"] = "dataclass:os:system"
        g.attrs["keys"] = [b"command"]
        g.create_dataset("0", data=np.bytes_(f"touch {marker}".encode())).attrs["plain_type"] = "str"
    result = cli("run", "--resume", str(out))
    assert result.exit_code == EXIT_INPUT and "not a cellsim dataclass" in result.output
    assert not marker.exists()


def test_resume_checks_the_checkpoint_and_cleans_temporaries(tmp_path):
    out = _interrupted_run(tmp_path)
    ckpt = tmp_path / "cut.h5.ckpt"
    stale = [tmp_path / "cut.h5.ckpt.tmp-99999", tmp_path / ".cut.h5.tmp-99999"]
    for p in stale:
        p.write_bytes(b"left by a kill")
    original = ckpt.read_bytes()
    with h5py.File(ckpt, "a") as h5:  # change one stored number
        def first_float(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.attrs.get("plain_type") == "float":
                obj[()] = obj[()] + 1.0
                return name
        changed = h5.visititems(first_float)
    result = cli("run", "--resume", str(out))
    assert result.exit_code == EXIT_INPUT and "checksum mismatch" in result.output, changed
    assert not any(p.exists() for p in stale)
    ckpt.write_bytes(original)
    result = cli("run", "--resume", str(out), "-q")
    assert result.exit_code == 0, result.output
    assert out.is_file() and not ckpt.exists()


def test_resume_without_the_snapshots_is_refused(tmp_path):
    out = tmp_path / "f.h5"
    code = textwrap.dedent(f"""
        import os, signal
        from cellsim.checkpoint import RunFile
        from cellsim.campaign import run_campaign
        from cellsim.config import load_config
        cfg = load_config("rusal-3kA", ['numerics.resolution="coarse"', 'schedule.duration="3 d"',
                                        'numerics.checkpoint_interval="1 d"', 'schedule.tap_interval="1 d"'])
        def progress(t, info):
            if t > 1.5 * 86400:
                os.kill(os.getpid(), signal.SIGKILL)
        run_campaign(cfg, progress, run=RunFile({str(out)!r}))
    """)
    subprocess.run([sys.executable, "-P", "-c", code], env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    (tmp_path / "f.h5.part").unlink()
    result = cli("run", "--resume", str(out))
    assert result.exit_code == EXIT_INPUT and "field snapshots of this run are missing" in result.output


# ---------------------------------------------------------------------- the top-level handler
def test_an_unexpected_error_is_one_line_with_a_log(tmp_path, monkeypatch):
    import cellsim.campaign

    def broken(*args, **kwargs):
        raise KeyError("something internal")

    monkeypatch.setattr(cellsim.campaign, "run_campaign", broken)
    monkeypatch.setenv("CELLSIM_LOG_DIR", str(tmp_path / "logs"))
    result = cli("run", "rusal-3kA", *LUMPED, "-o", str(tmp_path / "r.h5"))
    assert result.exit_code == EXIT_INTERNAL
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "KeyError" in lines[0] and "--debug" in lines[0]
    logs = list((tmp_path / "logs").glob("cellsim-error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    assert "Traceback" in logs[0].read_text() and "Traceback" not in result.output
    debug = run_cli("--debug", "run", "rusal-3kA", *LUMPED, "-o", tmp_path / "r.h5")
    assert isinstance(debug.exception, KeyError)  # --debug lets the traceback through


def test_an_unwritable_output_is_refused_before_the_campaign(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        start = time.perf_counter()
        result = short_run(folder / "r.h5")
        assert result.exit_code == EXIT_INPUT and "cannot create the output" in result.output
        assert time.perf_counter() - start < 10
    finally:
        folder.chmod(0o700)


def test_the_failed_exit_code_is_documented():
    help_text = cli("--help").output
    for code in (EXIT_FAILED, EXIT_INPUT, EXIT_OUTSIDE_WINDOW, EXIT_BUSY, EXIT_INTERNAL):
        assert f"{code} " in help_text


# ------------------------------------------------------------- clean errors, not tracebacks
@pytest.mark.parametrize("csv_text, words", [
    (None, "no such file"),
    ("time [d], current [kA]\n0, 3\nnan, 3\n", "times must be finite"),
    ("time [d], current [kA]\n0, 3\n1, inf\n", "currents must be finite and positive"),
    ("time [d], current [kA]\n0, 3\n1, -3\n", "currents must be finite and positive"),
    (b"time [d], current [kA]\n0, 3\n1, \xff\n", "cannot read as CSV text"),
])
def test_a_bad_current_program_is_refused_by_check(tmp_path, csv_text, words):
    path = tmp_path / "p.csv"
    if isinstance(csv_text, bytes):
        path.write_bytes(csv_text)
    elif csv_text is not None:
        path.write_text(csv_text)
    result = cli("check", "rusal-3kA", "--set", 'schedule.current_program="csv"',
                 "--set", f'schedule.current_file="{path}"')
    assert result.exit_code == EXIT_INPUT and "schedule.current_file" in result.output
    assert words in result.output


@pytest.mark.parametrize("sets, key", [
    (['cathode_metal.initial_composition_wt_pct={Cu=100}'], "cathode_metal.initial_composition_wt_pct"),
    (['geometry.anode_alloy_depth="1e-300 m"'], "geometry.anode_alloy_depth"),
    (['geometry.acd="1 km^400"'], "geometry.acd"),
    # metals "too conductive" for the current solve: refused by key, not "no conducting path"
    (['cathode_metal.resistivity="1e-12 uohm cm"'], "cathode_metal.resistivity"),
    (['anode_alloy.resistivity="1e-12 uohm cm"'], "anode_alloy.resistivity"),
    (['geometry.acd="1 ' + "(" * 600 + 'cm"'], "geometry.acd"),
])
def test_hostile_values_are_clean_errors(sets, key):
    result = run_cli("check", "rusal-3kA", sets=sets)
    assert result.exit_code == EXIT_INPUT, result.output
    assert f"key '{key}'" in result.output and len(result.output) < 2000


@pytest.mark.parametrize("text, key", [
    (b'extends = "rusal-3kA"\n[meta]\nname = "\xff\xfe"\n', "<encoding>"),
    (('extends = "rusal-3kA"\nx = ' + "[" * 2000 + "]" * 2000 + "\n").encode(), "<syntax>"),
])
def test_hostile_files_are_clean_errors(tmp_path, text, key):
    path = tmp_path / "c.toml"
    path.write_bytes(text)
    result = cli("check", str(path))
    assert result.exit_code == EXIT_INPUT and f"key '{key}'" in result.output


def test_library_sources_must_be_a_list(tmp_path):
    from cellsim.config.loader import library_root

    lib = (library_root() / "electrolytes" / "gadeau.toml").read_text()
    (tmp_path / "el.toml").write_text("sources = 5\n" + lib.split("]\n", 1)[1])
    (tmp_path / "c.toml").write_text('extends = "rusal-3kA"\n[electrolyte]\nuse = "el.toml"\n')
    result = cli("check", str(tmp_path / "c.toml"))
    assert result.exit_code == EXIT_INPUT and "key 'sources' = 5" in result.output


def _sleep_as_worker(parent: int) -> None:
    from cellsim.sweep.runner import die_with_parent

    die_with_parent(parent)
    time.sleep(60)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
def test_sweep_workers_die_with_their_parent(tmp_path):
    code = textwrap.dedent("""
        import multiprocessing, os, sys, time
        sys.path[:0] = %r  # test_trust and the tests' helpers (clitools)
        from test_trust import _sleep_as_worker
        if __name__ == "__main__":
            p = multiprocessing.get_context("spawn").Process(target=_sleep_as_worker, args=(os.getpid(),))
            p.start()
            print(p.pid, flush=True)
            time.sleep(60)
    """ % [str(Path(__file__).parent), str(Path(__file__).parents[1])])
    script = tmp_path / "parent.py"
    script.write_text(code)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.time() + 30  # generous: the child may still be importing under load
    while time.time() < deadline:
        try:
            state = Path(f"/proc/{child}/status").read_text()
        except FileNotFoundError:
            break
        if "\nState:\tZ" in state:  # dead, waiting to be reaped by init
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        pytest.fail("the worker outlived its parent")


def test_plot_of_fields_checks_the_snapshots(tmp_path):
    out = tmp_path / "f.h5"
    run = cli("run", "rusal-3kA", "-q", "-o", str(out), "--set", 'numerics.resolution="coarse"',
              "--set", 'schedule.duration="1 d"', "--set", 'schedule.tap_interval="1 d"',
              "--set", 'numerics.snapshot_interval="12 h"')
    assert run.exit_code == 0, run.output
    with h5py.File(out, "a") as h5:
        ds = h5["fields/temperature"]
        ds[0, 0, 0] = ds[0, 0, 0] + 1.0
    assert cli("show", str(out)).exit_code == EXIT_INPUT  # the whole-file digest sees any byte
    from cellsim.io import stamp_file_digest

    stamp_file_digest(out)  # with the file's digest rewritten, the per-dataset checksums act:
    assert cli("show", str(out)).exit_code == 0  # show reads no fields
    result = cli("plot", str(out), "-o", str(tmp_path / "p"), "--time", "12 h")
    assert result.exit_code == EXIT_INPUT and "checksum mismatch in /fields/temperature" in result.output
