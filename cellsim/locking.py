"""One writer per output: an exclusive, non-blocking lock held for the whole of a run.

``cellsim run`` locks ``OUT.h5.lock`` before it touches OUT.h5 or its side files (.part,
.ckpt) and keeps the lock until the result is written; ``cellsim sweep`` locks
``FOLDER/.lock`` before it reads or creates the manifest and keeps it while the cases run.
A second writer gets :class:`OutputBusy` at once, naming the path and the holder's pid.

The lock is ``fcntl.flock`` on an open file (released by the kernel when the process dies,
so a killed run never leaves a stale lock). The lock file is removed on release; since
another process may have opened it just before, a taker checks after locking that the path
still names the file it locked, and retries otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: msvcrt byte-range lock instead
    fcntl = None
    import msvcrt


class OutputBusy(RuntimeError):
    """Another process writes the same output."""


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except OSError:
        return False


class Lock:
    """An acquired lock on ``path`` (use :meth:`release`, or as a context manager)."""

    def __init__(self, path: str | Path, what: str):
        self.path = Path(path)
        for _ in range(20):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(fd):
                holder = ""
                try:
                    holder = os.read(fd, 32).decode(errors="replace").strip()
                finally:
                    os.close(fd)
                raise OutputBusy(f"{what} is in use by another cellsim process"
                                 f"{f' (pid {holder})' if holder else ''}: wait for it to finish, "
                                 f"or write elsewhere with -o (lock {self.path})")
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                self.fd = fd
                return
            os.close(fd)  # the holder removed it between our open and lock: take the new one
        raise OutputBusy(f"{what}: could not take the lock {self.path}")

    def release(self) -> None:
        if getattr(self, "fd", None) is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> "Lock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()
