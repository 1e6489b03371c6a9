"""An interrupted sweep resumes with --resume and loses no finished case."""

import json
import os
import signal
import subprocess
import time

import pytest

from cellsim.sweep import load_spec, run_sweep
from cellsim.sweep.store import SweepStore

pytestmark = pytest.mark.integration

SPEC = """
[sweep]
name = "kill"
base = "rusal-3kA"
set = ['schedule.duration="{days} d"', 'numerics.model="lumped"']
[parameters]
"geometry.acd" = {{ start = "3 cm", stop = "6 cm", num = {n} }}
"""


def journal_lines(folder):
    path = folder / "journal.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.endswith("}")]


def test_killed_sweep_resumes_without_losing_or_rerunning_cases(tmp_path):
    (tmp_path / "s.toml").write_text(SPEC.format(days=6, n=12))
    out = tmp_path / "out"
    proc = subprocess.Popen(["cellsim", "sweep", "s.toml", "-o", "out", "--workers", "2", "-q"],
                            cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(journal_lines(out)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its spawned workers, no clean-up
    proc.wait()
    before = {r["case"]: r for r in journal_lines(out)}
    assert 2 <= len(before) < 12, "the kill must interrupt the sweep"
    mtimes = {c: (out / "cases" / f"{c}.h5").stat().st_mtime_ns for c in before}

    resumed = subprocess.run(["cellsim", "sweep", "s.toml", "-o", "out", "--workers", "2",
                              "--resume"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    after = journal_lines(out)
    names = [r["case"] for r in after]
    assert sorted(set(names)) == [f"case-{i:04d}" for i in range(12)]
    assert all(r["status"] == "ok" for r in after)
    for case in before:  # finished before the kill: kept, not run again
        assert names.count(case) == 1
        assert (out / "cases" / f"{case}.h5").stat().st_mtime_ns == mtimes[case]
    csv_rows = (out / "summary.csv").read_text().splitlines()[1:]
    assert len(csv_rows) == 12 and all(",ok," in row for row in csv_rows)


def test_result_file_without_journal_line_is_recovered(tmp_path):
    (tmp_path / "s.toml").write_text(SPEC.format(days=1, n=2))
    spec = load_spec(tmp_path / "s.toml")
    first = run_sweep(spec, tmp_path / "out", workers=1)
    assert first.ok == 2
    journal = tmp_path / "out" / "journal.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text(lines[0] + "\n")  # parent killed after the worker wrote case-0001.h5
    again = run_sweep(spec, tmp_path / "out", workers=1, resume=True)
    assert (again.recovered, again.ok, again.skipped) == (1, 0, 2)
    records = SweepStore(tmp_path / "out").journal()
    assert records["case-0001"]["summary"] == first.outcomes[1]["summary"]
