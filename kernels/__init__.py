"""Numba kernels of cellsim (installed as ``cellsim.kernels``).

Kernel contract:

* plain arrays (contiguous float64 / int32 / int64) and scalars in, arrays out;
  no classes, dicts, configuration objects, I/O or globals;
* no allocation inside hot loops; results go to ``out=`` arrays where the module says so;
* no exceptions raised inside loops: return a status or a count of bad cells and let the
  calling layer in ``cellsim`` raise a clear error;
* every docstring gives shapes, dtypes and SI units;
* every kernel is ``@njit(cache=True, nogil=True)`` (a kernel releases the GIL, so field
  solves in two Python threads run at once: cellsim.physics overlaps the heat and species
  steps of a large grid) and has a verification test in tests/verification;
  a flat ``parallel=True`` kernel may be exported as ``parallel.ByThreads`` (the parallel
  kernel and its serial twin of the same source, chosen by the thread count: one thread
  runs, and a first run compiles, only the twin; kernels/parallel.py).

This package never imports ``cellsim``.
"""

from pathlib import Path as _Path

from ._cache import drop_stale as _drop_stale

# Numba's cache knows only each kernel's own file; a kernel compiled with another file's
# kernel would outlive an edit of that file. Drop the package's cache when its source changed.
_drop_stale(_Path(__file__).resolve().parent)
