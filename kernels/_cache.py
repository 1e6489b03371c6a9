"""Keep Numba's on-disk cache of this package in step with the package's source.

Numba keys a cached kernel on its own file's source only. A kernel compiled together with a
kernel of another file (every call between kernels is compiled into the caller, and
``inline="always"`` helpers are too) is not recompiled when only that other file changes: the
old machine code keeps running without a word (numba.core.caching, ``get_source_stamp``:
one file's hash). Whoever edits a kernel here, a researcher trying another flux limiter for
instance, would get the old kernel.

So the cache is kept per package: a hash of every ``*.py`` file of this package is written
next to Numba's cache files; when it differs from the source now (an edit, an upgrade), the
package's cache files are removed before any kernel loads, and every kernel recompiles on its
first call (``cellsim warmup`` does them ahead). Two processes starting at once at most
compile twice; neither can load a kernel older than its source.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

STAMP = "cellsim-kernels.sha256"


def source_hash(package: Path) -> str:
    """SHA-256 over the names and bytes of the package's ``*.py`` files, in name order."""
    h = hashlib.sha256()
    for f in sorted(package.glob("*.py")):
        h.update(f.name.encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _anchor() -> None:
    """A function of this package: Numba's cache locator is asked where its cache would be."""


def cache_dir() -> Path | None:
    """The folder where Numba caches this package's kernels (the same locator rules Numba
    applies: NUMBA_CACHE_DIR, the in-tree __pycache__, the user-wide cache), or None if
    Numba finds no writable place (then nothing is cached and nothing can be stale)."""
    try:
        from numba.core.caching import CompileResultCacheImpl
        locator = CompileResultCacheImpl(_anchor).locator
        path = Path(locator.get_cache_path())
        locator.ensure_cache_path()
        return path
    except Exception:  # a Numba without these internals, or no writable place
        return None


def drop_stale(package: Path) -> bool:
    """Remove the package's Numba cache files if they were built from another source.
    Returns True if files were removed (or no stamp was there yet)."""
    folder = cache_dir()
    if folder is None:
        return False
    now = source_hash(package)
    stamp = folder / STAMP
    try:
        if stamp.read_text().strip() == now:
            return False
    except OSError:
        pass
    for f in list(folder.glob("*.nbi")) + list(folder.glob("*.nbc")):
        try:
            f.unlink()
        except OSError:  # removed by another process starting at the same time
            pass
    tmp = folder / f"{STAMP}.{os.getpid()}.tmp"
    try:
        tmp.write_text(now + "\n")
        os.replace(tmp, stamp)
    except OSError:
        pass
    return True
