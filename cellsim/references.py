"""Citation keys and the bibliography in docs/references.md.

A source is cited anywhere in the project by its key in square brackets, ``[Assael2006]``:
an author or organisation name (letters, starting with a capital) followed by the year and an
optional letter, or by ``-nd`` for an undated web page. ``docs/references.md`` holds one entry
per line, ``- [Key] full citation``; it is installed with the package (``cellsim.docs``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

KEY_PATTERN = r"[A-Z][A-Za-z]+(?:\d{4}[a-z]?|-nd)"
CITATION = re.compile(r"\[(" + KEY_PATTERN + r")\]")
"""A citation in running text: the key between square brackets."""
ENTRY = re.compile(r"^- \[(" + KEY_PATTERN + r")\] (.+)$")
"""One line of the bibliography."""


def references_file() -> Path:
    """Path of docs/references.md: the installed copy, else the source tree's."""
    try:
        from importlib import resources

        path = Path(str(resources.files("cellsim.docs") / "references.md"))
        if path.is_file():
            return path
    except (ModuleNotFoundError, TypeError):  # an editable install made before docs/ shipped
        pass
    return Path(__file__).resolve().parents[1] / "docs" / "references.md"


def parse_references(text: str) -> list[tuple[str, str]]:
    """(key, citation) of every entry line, in file order."""
    return [(m.group(1), m.group(2).strip()) for m in map(ENTRY.match, text.splitlines()) if m]


@lru_cache(maxsize=1)
def bibliography() -> dict[str, str]:
    """key -> full citation, from docs/references.md."""
    return dict(parse_references(references_file().read_text(encoding="utf-8")))


def cited_keys(text: str) -> list[str]:
    """Citation keys in ``text``, each once, in order of first appearance."""
    return list(dict.fromkeys(CITATION.findall(text)))


def resolve(texts) -> list[tuple[str, str | None]]:
    """(key, citation or None if unknown) for every key cited in the strings ``texts``."""
    bib = bibliography()
    keys = cited_keys("\n".join(texts))
    return [(key, bib.get(key)) for key in keys]
