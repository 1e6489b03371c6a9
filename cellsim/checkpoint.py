"""Files of a running campaign: field snapshots and restart checkpoints (``cellsim run``).

While ``cellsim run ... -o OUT.h5`` runs, two files sit next to OUT.h5:

* ``OUT.h5.part``: the field snapshots so far (HDF5, ``/fields`` as in docs/hdf5-layout.md),
  appended as the campaign goes;
* ``OUT.h5.ckpt``: the latest checkpoint, rewritten atomically (temporary file, then rename)
  every ``numerics.checkpoint_interval``: the configuration, the model's ``checkpoint()``
  data, the runner's state (step, taps, recorded series) and the number of snapshots
  written by then. It is HDF5 holding plain data only (cellsim.plaindata: numbers, strings,
  arrays and cellsim dataclasses, never code, unlike a pickle) with a SHA-256 of its content
  that ``--resume`` checks: a damaged or altered checkpoint is an error naming it. A
checkpoint of an older cellsim whose configuration lacks what was added since (the
``[materials]`` section, a lining layer's ``material``, renamed schedule keys) is read with
them filled in as a result file is (cellsim.io.upgrade_config_fields: the packaged
materials, which hold the values the code had before); any other difference of a stored
class is an error naming the file, the class and its missing and extra fields.

At the end the result is written to OUT.h5 (atomically, with the snapshots copied in) and
both files are removed. ``cellsim run --resume OUT.h5`` reads the checkpoint, drops
snapshots written after it and continues; at the same thread count the result is
identical, bit for bit, to an uninterrupted run (tests/integration/test_resume.py),
because every checkpoint time is also a sync point where the model drops its solver caches
whether or not a file is written (cellsim.campaign).
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py

from . import __version__
from .plaindata import PlainDataError, dump, load
from .snapshots import append_snapshot, truncate_snapshots

CHECKPOINT_FORMAT = 3  # 3: plain-data HDF5; 1 and 2 were pickles (no longer read: they could run code)


class CheckpointError(ValueError):
    """The checkpoint (or its snapshot file) cannot be used to resume."""


def clean_temporaries(output: str | Path) -> list[Path]:
    """Remove temporary files that a killed run of ``output`` left behind (call with the
    output's lock held, cellsim.locking); return what was removed."""
    result, _, ckpt = run_paths(output)
    removed = []
    for pattern in (f"{ckpt.name}.tmp-*", f".{result.name}.tmp-*"):
        for p in result.parent.glob(pattern):
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def run_paths(output: str | Path) -> tuple[Path, Path, Path]:
    """(result, snapshots .part, checkpoint .ckpt) for a result path or either side file."""
    p = Path(output)
    if p.suffix in (".part", ".ckpt"):
        p = p.with_suffix("")
    return p, p.with_name(p.name + ".part"), p.with_name(p.name + ".ckpt")


class RunFile:
    """Snapshots and checkpoints of one running campaign (see the module docstring)."""

    def __init__(self, output: str | Path, resume: bool = False):
        self.result, self.part, self.ckpt = run_paths(output)
        self.result.parent.mkdir(parents=True, exist_ok=True)
        self.n_snapshots = 0
        if not resume:
            for p in (self.part, self.ckpt):
                if p.exists():
                    p.unlink()

    def write_snapshot(self, snapshot) -> None:
        """Append a ``cellsim.contracts.Snapshot`` (None, the lumped level: nothing)."""
        if snapshot is None:
            return
        with h5py.File(self.part, "a") as h5:
            self.n_snapshots = append_snapshot(h5, snapshot.fields, snapshot.regions)

    def write_checkpoint(self, config, model, runner_state) -> None:
        data = {"format": CHECKPOINT_FORMAT, "cellsim_version": __version__, "config": config,
                "model": model.checkpoint(), "runner": runner_state, "n_snapshots": self.n_snapshots}
        tmp = self.ckpt.with_name(self.ckpt.name + f".tmp-{os.getpid()}")
        try:
            with h5py.File(tmp, "w") as h5:
                h5.attrs["format"] = "cellsim-checkpoint"
                h5.attrs["format_version"] = CHECKPOINT_FORMAT
                dump(h5, "checkpoint", data)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.ckpt)
        finally:
            if tmp.exists():
                tmp.unlink()

    def load_checkpoint(self) -> dict:
        """The checkpoint data; snapshots after it are dropped from the .part file."""
        if not self.ckpt.is_file():
            raise FileNotFoundError(f"{self.ckpt}: no checkpoint to resume from (a campaign "
                                    f"writes one every numerics.checkpoint_interval)")
        try:
            h5 = h5py.File(self.ckpt, "r")
        except OSError:
            raise CheckpointError(f"{self.ckpt}: not a cellsim checkpoint (cannot open as HDF5; "
                                  "checkpoints of cellsim before format 3 were pickles and are "
                                  "not read)") from None
        with h5:
            if h5.attrs.get("format") != "cellsim-checkpoint" or "checkpoint" not in h5:
                raise CheckpointError(f"{self.ckpt}: not a cellsim checkpoint")
            version = h5.attrs.get("format_version")
            if version != CHECKPOINT_FORMAT:
                raise CheckpointError(f"{self.ckpt}: checkpoint format {version} is not "
                                      f"{CHECKPOINT_FORMAT}")
            from .io import upgrade_config_fields  # the configuration of an older cellsim

            try:
                data = load(h5, "checkpoint", upgrade=upgrade_config_fields)
            except PlainDataError as exc:
                raise CheckpointError(
                    f"{self.ckpt}: {exc}. If it was written by another cellsim version, resume it "
                    "with that version, or run the campaign again without --resume") from None
        if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT or not all(
                k in data for k in ("config", "model", "runner", "n_snapshots")):
            raise CheckpointError(f"{self.ckpt}: incomplete checkpoint")
        self.n_snapshots = data["n_snapshots"]
        if self.n_snapshots > 0 and not self.part.exists():
            raise CheckpointError(f"{self.part}: the field snapshots of this run are missing "
                                  f"({self.n_snapshots} were written before the checkpoint); "
                                  "resuming would lose them")
        if self.part.exists():
            try:
                with h5py.File(self.part, "a") as h5:
                    n = h5["fields/time"].shape[0] if "fields/time" in h5 else 0
                    if n < self.n_snapshots:
                        raise CheckpointError(f"{self.part}: {n} field snapshots, the checkpoint "
                                              f"counts {self.n_snapshots}")
                    truncate_snapshots(h5, self.n_snapshots)
            except (OSError, KeyError) as exc:
                raise CheckpointError(f"{self.part}: damaged snapshot file ({exc})") from None
        return data

    def snapshots_file(self) -> Path | None:
        return self.part if self.part.exists() and self.n_snapshots > 0 else None

    def finish(self) -> None:
        """Remove the side files (after the result has been written)."""
        for p in (self.part, self.ckpt):
            if p.exists():
                p.unlink()
