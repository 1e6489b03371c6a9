"""Files of a running campaign: field snapshots and restart checkpoints (``cellsim run``).

While ``cellsim run ... -o OUT.h5`` runs, two files sit next to OUT.h5:

* ``OUT.h5.part``: the field snapshots so far (HDF5, ``/fields`` as in docs/hdf5-layout.md),
  appended as the campaign goes;
* ``OUT.h5.ckpt``: the latest checkpoint, rewritten atomically (temporary file, then rename)
  every ``numerics.checkpoint_interval``: the configuration, the model's ``checkpoint()``
  data, the runner's state (step, taps, recorded series) and the number of snapshots
  written by then. It is a Python pickle: resume only files you wrote yourself.

At the end the result is written to OUT.h5 (atomically, with the snapshots copied in) and
both files are removed. ``cellsim run --resume OUT.h5`` reads the checkpoint, drops
snapshots written after it and continues; at the same thread count the result is
identical, bit for bit, to an uninterrupted run (tests/integration/test_resume.py),
because every checkpoint time is also a sync point where the model drops its solver caches
whether or not a file is written (cellsim.campaign).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import h5py

from . import __version__
from .snapshots import append_snapshot, truncate_snapshots

CHECKPOINT_FORMAT = 2  # 2: the cell with its providers (cellsim.cell)


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
        with open(tmp, "wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.ckpt)

    def load_checkpoint(self) -> dict:
        """The checkpoint data; snapshots after it are dropped from the .part file."""
        if not self.ckpt.is_file():
            raise FileNotFoundError(f"{self.ckpt}: no checkpoint to resume from (a campaign "
                                    f"writes one every numerics.checkpoint_interval)")
        with open(self.ckpt, "rb") as fh:
            data = pickle.load(fh)
        if data.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"{self.ckpt}: checkpoint format {data.get('format')} is not "
                             f"{CHECKPOINT_FORMAT}")
        self.n_snapshots = data["n_snapshots"]
        if self.part.exists():
            with h5py.File(self.part, "a") as h5:
                truncate_snapshots(h5, self.n_snapshots)
        return data

    def snapshots_file(self) -> Path | None:
        return self.part if self.part.exists() and self.n_snapshots > 0 else None

    def finish(self) -> None:
        """Remove the side files (after the result has been written)."""
        for p in (self.part, self.ckpt):
            if p.exists():
                p.unlink()
