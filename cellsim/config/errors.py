"""The error of a bad configuration (raised by the loader and the cross-section checks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _short(text: str, limit: int = 200) -> str:
    """A value as echoed in an error: long values are cut (a 200 kB value is not repeated)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class ConfigError(ValueError):
    """Invalid configuration; the message names file, key, value and what was expected."""

    def __init__(self, file: str | Path | None, key: str, value: Any, expected: str):
        self.file, self.key, self.value, self.expected = file, key, value, expected
        where = f"{file}: " if file else ""
        given = "is missing" if value is None else f"= {_short(repr(value))}"
        super().__init__(f"{where}key '{key}' {given}: expected {expected}")
