"""HDF5 layout: round trip, units on every dataset, provenance, atomic writes, clear errors."""

import h5py
import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.io import ResultFileError, read_result, write_result

LUMPED = ['numerics.model="lumped"']  # explicit: these tests need the 0D level's speed or numbers


@pytest.fixture(scope="module")
def result():
    return run_campaign(load_config("rusal-3kA", LUMPED + ['schedule.duration="4 d"']))


def test_round_trip_preserves_everything(result, tmp_path):
    path = write_result(result, tmp_path / "r.h5", config_file="rusal-3kA")
    back = read_result(path)
    assert back.config == result.config
    assert back.stop_reason == result.stop_reason
    assert back.summary == pytest.approx(result.summary, nan_ok=True)
    for name, values in result.series.items():
        assert np.array_equal(back.series[name], values, equal_nan=True), name
    assert len(back.taps) == len(result.taps)
    assert back.format_summary() == result.format_summary()


def test_every_dataset_has_units_and_the_file_has_provenance(result, tmp_path):
    path = write_result(result, tmp_path / "r.h5")
    with h5py.File(path) as h5:
        missing = []
        h5.visititems(lambda name, obj: missing.append(name)
                      if isinstance(obj, h5py.Dataset) and "units" not in obj.attrs else None)
        assert not missing
        for key in ("cellsim_version", "git_revision", "created", "numpy", "numba", "wall_time_s"):
            assert key in h5.attrs
        assert h5["series/temperature"].attrs["units"] == "K"
        assert list(h5["series/alloy_composition"].attrs["columns"])[0] == "Al"


def test_failed_write_leaves_the_old_file_and_no_temporary(result, tmp_path, monkeypatch):
    path = write_result(result, tmp_path / "r.h5")
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("cellsim.io._write_taps", boom)
    with pytest.raises(RuntimeError):
        write_result(result, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.h5"]


def test_foreign_files_are_refused_clearly(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    with pytest.raises(ResultFileError, match="cannot open as HDF5"):
        read_result(text)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h5:
        h5["x"] = 1
    with pytest.raises(ResultFileError, match="not a cellsim result"):
        read_result(other)


def test_a_changed_byte_anywhere_is_refused_before_hdf5_reads_the_file(result, tmp_path):
    """The user block holds the SHA-256 of the rest of the file, checked with plain reads (a
    damaged HDF5 file can crash the HDF5 library before the per-dataset checksums are read)."""
    import hashlib

    path = write_result(result, tmp_path / "r.h5")
    data = path.read_bytes()
    assert data[512:520] == b"\x89HDF\r\n\x1a\n"  # HDF5 starts after the 512-byte user block
    assert hashlib.sha256(data[512:]).hexdigest().encode() in data[:512]
    for where in (3, 100, 511, 512, len(data) // 2, len(data) - 1):  # tag, digest, pad, HDF5 part
        damaged = bytearray(data)
        damaged[where] ^= 0x10
        bad = tmp_path / f"d{where}.h5"
        bad.write_bytes(bytes(damaged))
        with pytest.raises(ResultFileError, match="digest|checksum") as err:
            read_result(bad)
        assert str(bad) in str(err.value)


def test_a_result_without_the_digest_block_still_reads(result, tmp_path):
    """Files written before the whole-file digest (no user block) read as before."""
    path = write_result(result, tmp_path / "r.h5")
    old = tmp_path / "old.h5"
    with h5py.File(path, "r") as src, h5py.File(old, "w") as dst:
        for key in src:
            src.copy(src[key], dst, key)
        dst.attrs.update(dict(src.attrs))
    assert old.read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
    back = read_result(old)
    assert back.summary["specific_energy"] == result.summary["specific_energy"]
