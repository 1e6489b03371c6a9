"""A memo of what a field set-up builds from a key, kept across remeshes (a remesh moves the
layers' faces, so most of the set-up is the same): bounded, the oldest entry dropped first."""

from __future__ import annotations


class BoundedMemo(dict):
    """A dict of at most ``size`` entries; :meth:`put` drops the oldest one to make room."""

    def __init__(self, size: int = 8):
        super().__init__()
        self.size = size

    def put(self, key, value):
        """Store ``value`` under ``key`` (the oldest entry dropped when full) and return it."""
        if key not in self and len(self) >= self.size:
            self.pop(next(iter(self)))
        self[key] = value
        return value
