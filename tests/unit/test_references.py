"""Sources inside the project: every citation key resolves in docs/references.md, the list is
sorted and unique, and nothing cites a file that is not part of the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cellsim.references import CITATION, bibliography, parse_references, resolve

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = ROOT / "docs" / "references.md"
SCANNED = ("cellsim", "kernels", "configs", "validation", "docs", "tests", "benchmarks")
SUFFIXES = {".py", ".toml", ".md", ".txt", ".cfg", ".ini", ".ipynb"}

# Files of the development context that are not in the repository or the installed package;
# built from pieces so that this module does not match itself.
FORBIDDEN = [
    (re.compile("physics" + "-data", re.IGNORECASE), "the shared data notes"),
    (re.compile(r"\b" + "MODEL" + r"\.md\b"), "the shared model contract"),
    (re.compile(r"\b" + "DESIGN" + r"\.md\b"), "the shared design notes"),
    (re.compile(r"\b(style|performance)" + r"\.md\b"), "shared style/performance notes"),
    (re.compile(r"\.\./" + "shared/"), "a folder outside the repository"),
]


def project_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "pyproject.toml"]
    for top in SCANNED:
        files += [p for p in (ROOT / top).rglob("*") if p.suffix in SUFFIXES and p.is_file()
                  and "__pycache__" not in p.parts]
    return sorted(files)


def test_no_file_cites_files_outside_the_repository():
    bad = []
    for path in project_files():
        text = path.read_text(encoding="utf-8")
        for pattern, what in FORBIDDEN:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{path.relative_to(ROOT)}:{line}: {m.group(0)!r} ({what})")
    assert not bad, "cite docs/references.md keys instead:\n" + "\n".join(bad)


def test_every_citation_key_resolves():
    known = bibliography()
    missing = []
    for path in project_files():
        if path == REFERENCES:
            continue
        text = path.read_text(encoding="utf-8")
        for m in CITATION.finditer(text):
            if m.group(1) not in known:
                line = text.count("\n", 0, m.start()) + 1
                missing.append(f"{path.relative_to(ROOT)}:{line}: [{m.group(1)}]")
    assert not missing, "add these keys to docs/references.md:\n" + "\n".join(missing)


def test_references_are_one_sorted_unique_line_each_with_year_and_source():
    text = REFERENCES.read_text(encoding="utf-8")
    entries = parse_references(text)
    # every list line of the file is an entry (a malformed line would silently drop a key)
    bullets = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(entries), [b for b in bullets if not CITATION.match(b[2:])]
    keys = [k for k, _ in entries]
    assert len(set(keys)) == len(keys), "duplicate keys"
    assert keys == sorted(keys), "keep docs/references.md in plain sort order of the key"
    for key, citation in entries:
        year = re.search(r"(\d{4})[a-z]?$", key)
        if year:
            assert year.group(1) in citation, (key, "the year of the key is not in the entry")
        # a citation names where to find it: a URL, a DOI, or a journal/volume
        assert re.search(r"https?://|\d+\(\d+\)|\b\d{2,}\b", citation), key


def test_every_entry_is_cited_somewhere():
    """A dead entry is a source the project no longer uses: drop it or cite it."""
    used = set()
    for path in project_files():
        if path != REFERENCES:
            used |= set(CITATION.findall(path.read_text(encoding="utf-8")))
    # references.md may cite other entries (e.g. a standard read through a web copy)
    used |= set(CITATION.findall(" ".join(bibliography().values())))
    assert not set(bibliography()) - used, sorted(set(bibliography()) - used)


@pytest.mark.parametrize("text, keys", [
    ("Assael et al. [Assael2006] and [Chase1998].", ["Assael2006", "Chase1998"]),
    ("[GoldenMetals-nd] [E] [R] [S] [C] list[str] a[i]", ["GoldenMetals-nd"]),
])
def test_citation_syntax(text, keys):
    assert [k for k, _ in resolve([text])] == keys


def test_check_prints_the_citations_of_the_inputs_it_resolved():
    from click.testing import CliRunner

    from cellsim.cli import main

    out = CliRunner().invoke(main, ["check", "rusal-3kA"])
    assert out.exit_code == 0, out.output
    bib = bibliography()
    # the scrap grade, the spec and the grid resolved through `use =` each bring their source
    for key in ("GoldenMetals-nd", "Fastmarkets-nd", "OWID2024", "Thonstad1996"):
        assert f"[{key}] {bib[key]}" in out.output
    swapped = CliRunner().invoke(main, ["check", "rusal-3kA", "--set", 'scrap.use="a380"'])
    assert f"[TransformacionPuebla-nd] {bib['TransformacionPuebla-nd']}" in swapped.output
    assert "[GoldenMetals-nd]" not in swapped.output
