"""Structured grids: geometry, volumes, areas and the pot builders."""

import numpy as np
import pytest

from cellsim.fields.grid import Block, Grid, Layer, layered_box, layered_cylinder, stretched_faces

LAYERS = [Layer("anode_collector", 0.1, 3), Layer("anode_alloy", 0.15, 4), Layer("electrolyte", 0.05, 5),
          Layer("cathode_metal", 0.1, 4), Layer("lid", 0.1, 2)]


def test_cylinder_volumes_and_areas_close():
    g = layered_cylinder(0.5, 20, LAYERS, r_ratio=0.9)
    assert g.shape == (20, 1, 18)
    assert g.volumes().sum() == pytest.approx(np.pi * 0.25 * 0.5, rel=1e-13)
    assert g.face_areas(2)[:, :, 0].sum() == pytest.approx(np.pi * 0.25, rel=1e-13)
    assert g.face_areas(0)[-1].sum() == pytest.approx(2 * np.pi * 0.5 * 0.5, rel=1e-13)
    assert np.all(g.face_areas(0)[0] == 0.0)  # the axis carries no flux
    assert g.region_mask("electrolyte").sum() == 20 * 5
    np.testing.assert_allclose(g.centres(2)[7:12], 0.25 + 0.01 * (np.arange(5) + 0.5))


def test_box_with_collector_blocks():
    rods = [Block("cathode_collector", (0.1, 0.3), (0.1, 0.3), (0.35, 0.5)),
            Block("cathode_collector", (0.6, 0.8), (0.6, 0.8), (0.35, 0.5))]
    g = layered_box(1.0, 0.9, 10, 9, LAYERS, rods)
    assert g.regions["cathode_collector"] == 5
    cells = g.region_mask("cathode_collector")
    assert cells.sum() == 2 * 2 * 2 * (4 // 2 + 2)  # rods span the lid and half the metal
    assert g.volumes().sum() == pytest.approx(1.0 * 0.9 * 0.5, rel=1e-13)
    for a in range(3):
        assert g.face_areas(a).shape[a] == g.shape[a] + 1


def test_stretched_faces_and_validation():
    f = stretched_faces(2.0, 5, ratio=1.3, start=1.0)
    assert f[0] == 1.0 and f[-1] == pytest.approx(3.0)
    assert np.allclose(np.diff(f)[1:] / np.diff(f)[:-1], 1.3)
    with pytest.raises(ValueError, match="strictly increasing"):
        Grid("xyz", (np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([0.0, 0.0])),
             np.zeros((1, 1, 1), np.int32))
    with pytest.raises(ValueError, match="geometry"):
        Grid("rtheta", (np.array([0.0, 1.0]),) * 3, np.zeros((1, 1, 1), np.int32))
    with pytest.raises(ValueError, match="material map shape"):
        Grid("xyz", (np.array([0.0, 1.0]),) * 3, np.zeros((2, 1, 1), np.int32))
    assert "rz" in repr(layered_cylinder(1.0, 2, LAYERS[:2]))


def test_cached_geometry_is_handed_out_as_copies():
    """widths and volumes are computed once per grid; a caller writing into the array it got
    does not change the grid's (a ring's volume: pi (r1^2 - r0^2) dz); ``cached`` builds once."""
    g = layered_cylinder(1.0, 4, [Layer("a", 0.5, 2), Layer("b", 0.5, 2)])
    w, v = g.widths(0), g.volumes()
    w[:] = -1.0
    v[:] = -1.0
    np.testing.assert_allclose(g.widths(0), 0.25)
    r = g.faces[0]
    np.testing.assert_allclose(g.volumes()[:, 0, 0], np.pi * (r[1:] ** 2 - r[:-1] ** 2) * 0.25)
    calls = []
    first = g.cached("k", lambda: calls.append(1) or [1])
    assert g.cached("k", lambda: calls.append(1) or [2]) is first and calls == [1]
