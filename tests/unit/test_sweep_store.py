"""The sweep record: journal durability, tables with units, refusal to mix two sweeps."""

import csv
import json

import h5py
import numpy as np
import pytest

from cellsim.sweep.spec import load_spec
from cellsim.sweep.store import SweepStore, SweepStoreError, read_summary

SPEC = """
[sweep]
name = "t"
base = "rusal-3kA"
[parameters]
"geometry.acd" = ["4 cm", "5 cm", "6 cm"]
"""


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SPEC)
    return load_spec(path)


def outcome(case, status="ok", energy=3.6e7):
    return {"case": case, "status": status, "error": "" if status == "ok" else "ValueError: bad",
            "stop_reason": "duration reached" if status == "ok" else "", "wall_time": 1.0,
            "summary": {"specific_energy": energy, "product_al": 0.9999} if status == "ok" else {}}


def test_tables_carry_units_and_failed_cases(tmp_path, spec):
    store = SweepStore(tmp_path / "out")
    store.open(spec, resume=False)
    store.record(outcome("case-0000"))
    store.record(outcome("case-0001", "failed"))
    h5_path, csv_path = store.write_tables(spec)
    rows = list(csv.DictReader(csv_path.read_text().splitlines()))
    assert rows[0]["geometry.acd [cm]"] == "4" and float(rows[0]["specific_energy [kWh/t]"]) == 10000
    assert rows[1]["status"] == "failed" and rows[1]["error"] == "ValueError: bad"
    assert rows[1]["specific_energy [kWh/t]"] == "" and rows[2]["status"] == "pending"
    table = read_summary(store.folder)
    assert table["input_units"]["geometry.acd"] == ("cm", "quantity")
    assert np.allclose(table["inputs"]["geometry.acd"], [0.04, 0.05, 0.06])
    assert table["outputs"]["specific_energy"][0] == 3.6e7 and np.isnan(table["outputs"]["specific_energy"][1])
    with h5py.File(h5_path) as h5:
        assert h5["outputs/specific_energy"].attrs["units"] == "J/kg"
        assert h5["inputs/geometry.acd"].attrs["units"] == "m"


def test_torn_journal_line_is_skipped_and_closed(tmp_path, spec):
    store = SweepStore(tmp_path / "out")
    store.open(spec, resume=False)
    store.record(outcome("case-0000"))
    with open(store.folder / "journal.jsonl", "a") as fh:
        fh.write('{"case": "case-0001", "sta')  # killed mid-write
    assert set(store.journal()) == {"case-0000"}
    store.record(outcome("case-0002"))
    assert set(store.journal()) == {"case-0000", "case-0002"}
    lines = (store.folder / "journal.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["case"] == "case-0002"


def test_folder_holds_one_sweep(tmp_path, spec):
    from cellsim.locking import OutputBusy

    store = SweepStore(tmp_path / "out")
    store.open(spec, resume=False)
    with pytest.raises(OutputBusy, match="in use by another cellsim process"):
        SweepStore(tmp_path / "out").open(spec, resume=True)  # a second sweep while it runs
    store.close()
    with pytest.raises(SweepStoreError, match="--resume"):
        SweepStore(tmp_path / "out").open(spec, resume=False)
    again = SweepStore(tmp_path / "out")
    again.open(spec, resume=True)
    again.close()
    other = tmp_path / "o.toml"
    other.write_text(SPEC.replace('"6 cm"', '"7 cm"'))
    with pytest.raises(SweepStoreError, match="different sweep"):
        SweepStore(tmp_path / "out").open(load_spec(other), resume=True)


def test_read_summary_of_a_non_sweep_folder(tmp_path):
    with pytest.raises(SweepStoreError, match="no summary.h5"):
        read_summary(tmp_path)
