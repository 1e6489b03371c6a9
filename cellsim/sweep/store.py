"""The results of a sweep on disk, and the single writer that records them.

Layout of a sweep folder::

    sweep.json        the expanded cases (names, parameter values in SI, overrides); written once
    journal.jsonl     one JSON line per finished case (ok or failed), appended and fsync'ed by the
                      parent process only: the durable record that ``--resume`` trusts
    cases/<case>.h5   one result file per successful case (cellsim-result layout, atomic)
    summary.h5        table of inputs (SI, ``units`` attribute) and every summary output (SI)
    summary.csv       the same cases in reporting units, units in the column headers
    .lock             held (flock) by the one process running the sweep (cellsim.locking)

A case whose HDF5 file exists but whose journal line was lost (the parent was killed between
the worker's write and the journal append) is recovered from the file on resume.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import h5py
import numpy as np

from ..elements import IMPURITIES
from ..io import summary_unit
from ..units import kWh
from .spec import SweepSpec

MANIFEST, JOURNAL, CASES, LOCK = "sweep.json", "journal.jsonl", "cases", ".lock"

# Summary outputs shown in the CSV: name -> (reporting unit, factor from SI).
REPORT_COLUMNS: dict[str, tuple[str, float]] = {
    "specific_energy": ("kWh/t", 1e3 / kWh),
    "specific_energy_scrap": ("kWh/t scrap", 1e3 / kWh),
    "current_efficiency": ("%", 100.0),
    "product_al": ("wt%", 100.0),
    **{f"product_{e}": ("ppm", 1e6) for e in IMPURITIES},
    "campaign_length": ("d", 1 / 86400),
    "al_produced": ("kg", 1.0),
    "mean_cell_voltage": ("V", 1.0),
    "mean_heater_power": ("kW", 1e-3),
    "mean_temperature": ("K", 1.0),
    "co2e_per_al": ("t CO2e/t", 1.0),
    "taps_in_spec": ("1", 1.0),
    "taps": ("1", 1.0),
}


class SweepStoreError(RuntimeError):
    """The output folder cannot hold this sweep (exists, or belongs to another spec)."""


def _manifest(spec: SweepSpec) -> dict:
    return {
        "format": "cellsim-sweep", "format_version": 1, "name": spec.name, "spec_file": spec.path,
        "base": spec.base, "design": spec.design, "samples": spec.samples, "seed": spec.seed,
        "fixed": list(spec.fixed),
        "parameters": [{"key": p.key, "unit": p.unit, "kind": p.kind, "dimension": p.dimension,
                        "values": list(p.values), "bounds": p.bounds} for p in spec.parameters],
        "cases": [{"name": c.name, "values": list(c.values), "role": c.role, "group": c.group,
                   "overrides": list(spec.overrides(c)[0])} for c in spec.cases],
    }


def _create_exclusive(path: Path, text: str) -> None:
    """Write ``path`` atomically and only if it does not exist yet (hard link of a complete
    temporary file: two creators cannot both succeed, a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise SweepStoreError(f"{path.parent} already holds a sweep (created concurrently); "
                              "choose another folder with -o") from None
    finally:
        tmp.unlink()


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


class SweepStore:
    """One sweep folder. Only the parent process (the one writer) calls :meth:`record`."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder).resolve()  # workers (Dask: other processes or hosts) need it absolute
        self.cases = self.folder / CASES

    def case_file(self, name: str) -> Path:
        return self.cases / f"{name}.h5"

    def open(self, spec: SweepSpec, resume: bool) -> None:
        """Lock the folder (cellsim.locking: one sweep process per folder, held until
        :meth:`close`), then create it, or check on resume that it holds this very sweep."""
        from ..locking import Lock

        manifest = _manifest(spec)
        path = self.folder / MANIFEST
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lock = Lock(self.folder / LOCK, f"sweep folder {self.folder}")
        try:
            self._open(path, manifest, resume)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the folder's lock."""
        lock = getattr(self, "lock", None)
        if lock is not None:
            lock.release()
            self.lock = None

    def _open(self, path: Path, manifest: dict, resume: bool) -> None:
        if path.exists():
            if not resume:
                raise SweepStoreError(f"{self.folder} already holds a sweep: add --resume to "
                                      "continue it, or choose another folder with -o")
            old = json.loads(path.read_text())
            if old.get("cases") != json.loads(json.dumps(manifest["cases"])):
                raise SweepStoreError(f"{self.folder} holds a different sweep ({old.get('name')}: "
                                      "its cases differ from this spec); choose another folder")
        self.cases.mkdir(parents=True, exist_ok=True)
        for tmp in [*self.cases.glob(".*.tmp-*"), *self.folder.glob(".*.tmp-*")]:
            tmp.unlink(missing_ok=True)  # left by a killed run; we hold the lock
        if not path.exists():
            _create_exclusive(path, json.dumps(manifest, indent=1))

    def journal(self) -> dict[str, dict]:
        """Recorded outcomes by case (the last line of a case wins; a torn last line is skipped)."""
        records: dict[str, dict] = {}
        path = self.folder / JOURNAL
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the process was killed mid-line
                records[rec["case"]] = rec
        return records

    def record(self, outcome: dict) -> None:
        """Append one outcome durably (flush + fsync) before the case counts as done."""
        path = self.folder / JOURNAL
        prefix = ""
        if path.exists() and path.stat().st_size:
            with open(path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                prefix = "" if fh.read(1) == b"\n" else "\n"  # close a torn line
        with open(path, "a") as fh:
            fh.write(prefix + json.dumps(outcome, allow_nan=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def recover_orphans(self, spec: SweepSpec) -> int:
        """Journal the cases whose result file exists but whose outcome was never recorded."""
        from ..io import ResultFileError, read_result

        done, n = self.journal(), 0
        for case in spec.cases:
            path = self.case_file(case.name)
            if case.name in done or not path.exists():
                continue
            try:
                result = read_result(path)
            except (ResultFileError, OSError, KeyError):
                continue  # unreadable: run the case again
            self.record({"case": case.name, "status": "outside_window" if result.window else "ok",
                         "error": f"outside the operating window: {result.window}" if result.window else "",
                         "stop_reason": result.stop_reason, "campaign_time": result.wall_time,
                         "wall_time": float("nan"), "recovered": True,
                         "summary": {k: float(v) for k, v in result.summary.items()}})
            n += 1
        return n

    def write_tables(self, spec: SweepSpec) -> tuple[Path, Path]:
        """(Re)write summary.h5 and summary.csv from the journal, atomically."""
        records = self.journal()
        names = sorted({k for r in records.values() for k in r.get("summary", {})})
        rows = [(case, records.get(case.name)) for case in spec.cases]
        h5_path, csv_path = self.folder / "summary.h5", self.folder / "summary.csv"
        self._write_h5(h5_path, spec, rows, names)
        self._write_csv(csv_path, spec, rows)
        return h5_path, csv_path

    def _write_h5(self, path: Path, spec: SweepSpec, rows: list, names: list[str]) -> None:
        from .spec import si_unit

        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        strings = h5py.string_dtype()
        with h5py.File(tmp, "w") as h5:
            h5.attrs.update({"format": "cellsim-sweep-summary", "format_version": 1,
                             "name": spec.name, "design": spec.design, "base": spec.base,
                             "spec_file": spec.path, "samples": spec.samples, "seed": spec.seed,
                             "parameters": [p.key for p in spec.parameters]})
            h5["case"] = np.array([c.name for c, _ in rows], dtype=object).astype(strings)
            h5["status"] = np.array([r["status"] if r else "pending" for _, r in rows],
                                    dtype=object).astype(strings)
            h5["error"] = np.array([r["error"] if r else "" for _, r in rows],
                                   dtype=object).astype(strings)
            h5["stop_reason"] = np.array([r["stop_reason"] if r else "" for _, r in rows],
                                         dtype=object).astype(strings)
            h5["role"] = np.array([c.role for c, _ in rows], dtype=object).astype(strings)
            h5["group"] = np.array([c.group for c, _ in rows], dtype=np.int64)
            inputs = h5.create_group("inputs")
            for i, p in enumerate(spec.parameters):
                values = [c.values[i] for c, _ in rows]
                if p.kind in ("quantity", "number", "integer"):
                    ds = inputs.create_dataset(p.key, data=np.array(values, dtype=float))
                else:
                    ds = inputs.create_dataset(p.key, data=np.array(values, dtype=object).astype(strings))
                ds.attrs.update({"units": si_unit(p.dimension) if p.kind == "quantity" else "1",
                                 "display_unit": p.unit, "kind": p.kind})
            outputs = h5.create_group("outputs")
            for name in names:
                col = [r["summary"].get(name, np.nan) if r and r["status"] == "ok" else np.nan
                       for _, r in rows]
                outputs.create_dataset(name, data=np.array(col, dtype=float)).attrs["units"] = \
                    summary_unit(name)
            wall = [r.get("wall_time", np.nan) if r else np.nan for _, r in rows]
            h5.create_dataset("wall_time", data=np.array(wall, dtype=float)).attrs["units"] = "s"
        os.replace(tmp, path)

    def _write_csv(self, path: Path, spec: SweepSpec, rows: list) -> None:
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        header = (["case", "status"] + [p.label for p in spec.parameters]
                  + [f"{k} [{u}]" for k, (u, _) in REPORT_COLUMNS.items()]
                  + ["stop_reason", "error"])
        with open(tmp, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for case, rec in rows:
                summary = rec["summary"] if rec and rec["status"] == "ok" else {}
                out = [case.name, rec["status"] if rec else "pending"]
                out += [_cell(p.display(v)) for p, v in zip(spec.parameters, case.values)]
                out += [_cell(summary[k] * f) if k in summary else ""
                        for k, (_, f) in REPORT_COLUMNS.items()]
                out += [rec["stop_reason"] if rec else "", rec["error"] if rec else ""]
                writer.writerow(out)
        os.replace(tmp, path)


def _cell(x) -> str:
    return f"{x:.8g}" if isinstance(x, float) else str(x)


def read_summary(folder: str | Path) -> dict:
    """The summary table of a sweep folder: columns as arrays, inputs and outputs in SI."""
    path = Path(folder) / "summary.h5"
    if not path.is_file():
        raise SweepStoreError(f"{folder}: no summary.h5 (is this a sweep folder? run "
                              "'cellsim sweep SPEC -o FOLDER' first)")
    with h5py.File(path, "r") as h5:
        dec = lambda ds: np.array([s.decode() if isinstance(s, bytes) else s for s in ds[()]])  # noqa: E731
        table = {"attrs": dict(h5.attrs),
                 "case": dec(h5["case"]), "status": dec(h5["status"]), "error": dec(h5["error"]),
                 "role": dec(h5["role"]), "group": h5["group"][()],
                 "inputs": {}, "input_units": {}, "outputs": {}, "output_units": {}}
        for key in table["attrs"]["parameters"]:
            ds = h5["inputs"][key]
            table["inputs"][key] = ds[()] if ds.dtype.kind == "f" else dec(ds)
            table["input_units"][key] = (ds.attrs["display_unit"], ds.attrs["kind"])
        for key, ds in h5["outputs"].items():
            table["outputs"][key] = ds[()]
            table["output_units"][key] = ds.attrs["units"]
    return table
