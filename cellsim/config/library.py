"""The packaged library (``configs/``): what ``cellsim list`` shows."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from .loader import library_root


@dataclass(frozen=True)
class LibraryEntry:
    name: str  # what `use = "..."` and `--set section.use=...` take
    description: str  # one line
    sources: tuple[str, ...]


def _first_comment(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
        if line.strip():
            break
    return ""


def library_entries(kind: str) -> list[LibraryEntry]:
    """Entries of one library folder (cells, electrolytes, alloys, scrap, specs, grids, ...)."""
    out = []
    for path in sorted((library_root() / kind).glob("*.toml"), key=lambda p: p.stem.lower()):
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
        meta = data.get("meta", {}) if kind == "cells" else data
        description = (meta.get("description") or _first_comment(text)
                       or str(data.get("name", "")))
        sources = tuple(str(s) for s in meta.get("sources", ()))
        if kind == "cells" and not sources and "extends" in data:
            sources = (f"as {data['extends']}",)
        out.append(LibraryEntry(path.stem, description, sources))
    return out
