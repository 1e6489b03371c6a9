"""The documentation generated from code, or describing files the code writes, stays true."""

from pathlib import Path

import h5py
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.config.reference import render_markdown
from cellsim.io import write_result

LUMPED = ['numerics.model="lumped"']  # explicit: these tests need the 0D level's speed or numbers

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_configuration_reference_is_up_to_date():
    committed = (DOCS / "configuration.md").read_text()
    assert committed == render_markdown(), "regenerate: python -m cellsim.config.reference > docs/configuration.md"


def test_every_path_in_a_result_file_is_documented(tmp_path):
    layout = (DOCS / "hdf5-layout.md").read_text()
    result = run_campaign(load_config("rusal-3kA", LUMPED + ['schedule.duration="3 d"']))
    path = write_result(result, tmp_path / "r.h5")
    undocumented = []

    def visit(name, obj):
        parts = name.split("/")
        if not isinstance(obj, h5py.Dataset) or parts[0] in ("summary", "ledger"):
            return  # documented by pattern
        documented = f"`/{name}`" in layout or f"/{name}`" in layout or (
            parts[0] == "series" and (f"`/series/{parts[1]}`" in layout or
                                      any(parts[1].startswith(p) for p in ("voltage_", "heat_loss_"))))
        if not documented:
            undocumented.append(name)

    with h5py.File(path) as h5:
        h5.visititems(visit)
        for attr in h5.attrs:
            if attr not in layout:
                undocumented.append(f"@{attr}")
    assert not undocumented


@pytest.mark.parametrize("name", ["hdf5-layout.md", "configuration.md", "model.md", "architecture.md"])
def test_docs_exist(name):
    assert (DOCS / name).is_file()
