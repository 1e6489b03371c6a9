"""Parameter sweeps: specs (TOML), local or Dask execution, resumable storage, reports."""

from .runner import SweepRun, run_sweep
from .spec import SweepSpec, SweepSpecError, load_spec
from .store import SweepStore, SweepStoreError, read_summary

__all__ = ["SweepRun", "SweepSpec", "SweepSpecError", "SweepStore", "SweepStoreError",
           "load_spec", "read_summary", "run_sweep"]
