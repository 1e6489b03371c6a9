"""File names made from configuration data (``meta.name``, a sweep's ``name``)."""

from __future__ import annotations

import re


def safe_name(name: str, fallback: str = "run") -> str:
    """A file name made from configuration data: letters, digits, '.', '-', '_' only, no
    leading dot, at most 64 characters; never a path (only ``-o`` chooses a folder)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).lstrip("._")[:64]
    return cleaned or fallback
