"""A remesh of an r-z pot reuses its boundary stage and what the heat solver derives from it
(issue 17): the same numbers as building both afresh, bit for bit; other inputs are not
mistaken for the same."""

import copy
import dataclasses

import numpy as np
import pytest

from cellsim.config import load_config
from cellsim.fields import pot as pot_module
from cellsim.fields.heat import BoxSource, HeatSolver
from cellsim.fields.remap import build_layers


@pytest.fixture(scope="module")
def config():
    return load_config("rusal-3kA")


@pytest.fixture(scope="module")
def pots(config):
    geo = config.geometry
    a, c = geo.anode_alloy_depth, geo.cathode_metal_depth
    return build_layers(config, "coarse", a, c), build_layers(config, "coarse", a - 0.004, c + 0.006)


def _fresh_boundaries(config, pot):
    """The boundary stage of ``pot`` built without the memo (new objects)."""
    layout = pot_module.PotLayout(pot.grid, pot.current_slice, walls=("r+",))
    return pot_module._pot_boundaries(config, layout, pot_module.PotOptions())


def test_a_remeshed_pot_shares_the_boundary_stage_and_it_equals_a_fresh_one(config, pots):
    first, moved = pots
    assert not np.array_equal(first.grid.faces[2], moved.grid.faces[2])  # the layers moved
    for side in first.bcs:
        assert moved.bcs[side] is first.bcs[side]
    bcs, films, groups, outer = _fresh_boundaries(config, moved)
    assert outer == 0.0
    assert set(bcs) == set(moved.bcs) and set(films) == set(moved.films) and list(groups) == list(moved.loss_groups)
    for side, bc in bcs.items():
        for name, value in vars(bc).items():
            np.testing.assert_array_equal(getattr(moved.bcs[side], name), value)
    for a, film in films.items():
        np.testing.assert_array_equal(moved.films[a], film)
        assert not moved.films[a].flags.writeable  # shared: read-only
    for name, (side, mask) in groups.items():
        side_m, mask_m = moved.loss_groups[name]
        assert side_m == side and (mask is None) == (mask_m is None)
        if mask is not None:
            np.testing.assert_array_equal(mask_m, mask)


def test_other_lining_or_rods_are_not_the_same_boundary_stage(config, pots):
    first, _ = pots
    lining = dataclasses.replace(config.lining, inside_heat_transfer=2.0 * config.lining.inside_heat_transfer)
    other = build_layers(dataclasses.replace(config, lining=lining), "coarse", config.geometry.anode_alloy_depth,
                         config.geometry.cathode_metal_depth)
    assert other.bcs["z+"] is not first.bcs["z+"]
    wall = np.asarray(first.films[0]) > 0
    np.testing.assert_array_equal(other.films[0][wall], 2.0 * first.films[0][wall])
    col = dataclasses.replace(config.collectors, rod_thermal_conductivity=0.5 * config.collectors.rod_thermal_conductivity)
    rods = build_layers(dataclasses.replace(config, collectors=col), "coarse", config.geometry.anode_alloy_depth,
                        config.geometry.cathode_metal_depth)
    top, top_rods = np.asarray(first.bcs["z+"].h), np.asarray(rods.bcs["z+"].h)
    on_rods = first.grid.material[:, :, -1] == first.grid.regions["rods"]
    np.testing.assert_array_equal(top_rods[on_rods], 0.5 * top[on_rods])


def test_heat_solver_on_shared_laws_steps_as_one_built_afresh(config, pots):
    """The solver of the moved pot (the surface laws of the first pot's solver, this grid's
    areas) against one given copies of the boundary conditions (nothing shared): the same
    concatenated boundary data and the same transient step, bit for bit."""
    first, moved = pots
    kept = first.heat_solver()  # the laws of these SurfaceBC objects are now kept
    shared = moved.heat_solver()
    assert shared._patch["arrays"]["h"] is kept._patch["arrays"]["h"]  # reused, not rebuilt
    fresh = HeatSolver(moved.grid, moved.heat, copy.deepcopy(moved.bcs), moved.films, moved.loss_groups)
    for key, arr in fresh._patch["arrays"].items():
        got = shared._patch["arrays"][key]
        assert got.dtype == arr.dtype and got.tobytes() == arr.tobytes(), key
    assert shared._patch["spans"] == fresh._patch["spans"]
    assert shared._spans.tobytes() == fresh._spans.tobytes()
    # the areas are this grid's, not the first pot's: the r+ side's faces moved with the layers
    side = [sd for sd in shared._sides if sd["side"] == "x+"][0]
    np.testing.assert_array_equal(side["area"], moved.grid.face_areas(0)[-1])
    assert not np.array_equal(side["area"], first.grid.face_areas(0)[-1])
    heater = moved.heater(config.operation.temperature)
    joule = BoxSource(moved.current_slice, np.full(moved.current_grid().shape, 2.0))
    results = []
    for solver in (shared, fresh):
        state = solver.state(np.full(moved.grid.shape, config.operation.temperature - 30.0))
        new, balance = solver.step(state, 3600.0, {"joule": joule}, heater)
        results.append((new.H, new.heater_power, balance.losses))
    assert results[0][0].tobytes() == results[1][0].tobytes()
    assert results[0][1] == results[1][1] and results[0][2] == results[1][2]


def test_alternating_boundary_objects_keep_their_laws(pots):
    """The boundary stage comes back as one of a few objects (the rods' outer length moves by
    a rounding between remeshes): each keeps its laws, the last one does not evict the other."""
    first, moved = pots
    kept = first.heat_solver()
    other = HeatSolver(moved.grid, moved.heat, copy.deepcopy(moved.bcs), moved.films, moved.loss_groups)
    assert other._patch["arrays"]["h"] is not kept._patch["arrays"]["h"]
    again = moved.heat_solver()
    assert again._patch["arrays"]["h"] is kept._patch["arrays"]["h"]


def _mesh_rz_afresh(config, s):
    """The r-z mesh built from ``_segments`` (faces and part ids), without the kept plan."""
    pm = pot_module
    geo, col = config.geometry, config.collectors
    r_rod = np.sqrt(col.rod_count) * col.rod_diameter / 2
    z_parts = pm._z_parts(config, "rz")
    g = pm.GRADING_RZ
    r_parts = ([("rods", r_rod, pm.CELLS_RZ["rods"], g["rods"]),
                ("cavity", geo.inner_radius - r_rod, pm.CELLS_RZ["cavity"], g["cavity"])]
               + [(f"side_{i}", L.thickness, pm._lining_cells_rz(L.thickness), g["lining"])
                  for i, L in enumerate(config.lining.side)])
    zf, zid = pm._segments(z_parts, s)
    rf, rid = pm._segments(r_parts, s)
    regions = {n: i for i, n in enumerate(pm._region_order(config, z_parts))}
    material = np.array([[regions[pm._column_name(zn[0], rn[0])] for zn in z_parts] for rn in r_parts])[np.ix_(rid, zid)]
    return rf, zf, material[:, None, :], regions


@pytest.mark.parametrize("resolution", ["coarse", "default", "fine"])
def test_the_kept_rz_plan_gives_the_mesh_built_afresh_bit_for_bit(config, resolution):
    """_mesh_rz keeps what does not depend on the thicknesses (_RZ_PLANS): over depths that
    differ, with and without a gas space, and with a part split (PART_SPLIT), its faces,
    material map and regions equal those built from _segments, bit for bit, and a grid's map
    is its own (writing into it leaves the plan and the next grid alone)."""
    s = pot_module.RESOLUTIONS[resolution]
    geo = config.geometry
    cavity = geo.anode_alloy_depth + geo.acd + geo.cathode_metal_depth + geo.freeboard
    depths = [(geo.anode_alloy_depth, geo.cathode_metal_depth), (geo.anode_alloy_depth - 0.0123, 0.31),
              (0.057, cavity - geo.acd - 0.057)]  # the last: the thinnest gas space (0.1 mm)
    try:
        for split in ({}, {"electrolyte": 2}):
            pot_module.PART_SPLIT.clear()
            pot_module.PART_SPLIT.update(split)
            for a, c in depths:
                from cellsim.fields.remap import layer_config
                cfg = layer_config(config, a, c)
                layout = pot_module._mesh_rz(cfg, s)
                rf, zf, material, regions = _mesh_rz_afresh(cfg, s)
                grid = layout.grid
                assert grid.faces[0].tobytes() == rf.tobytes() and grid.faces[2].tobytes() == zf.tobytes()
                np.testing.assert_array_equal(grid.material, material)
                assert grid.regions == regions
                assert layout.current[2].stop == zf.size - 1
                grid.material[...] = -1  # its own copy
                assert (pot_module._mesh_rz(cfg, s).grid.material == material).all()
    finally:
        pot_module.PART_SPLIT.clear()


def test_solvers_sharing_a_grids_geometry_leave_it_as_computed():
    """The heat, current and species set-ups read the grid's own face areas and widths
    (Grid.face_areas / widths with copy=False, shared): after steps of an r-z cell that
    remesh at every step, every grid it used still holds the areas, widths and volumes computed
    afresh from its faces, bit for bit (nothing wrote into the shared arrays)."""
    from cellsim.fields.grid import Grid
    from cellsim.models import make_model

    cell = make_model(load_config("rusal-3kA", ['numerics.model="axisymmetric"', 'numerics.resolution="coarse"',
                                                'numerics.remesh_threshold="0.01 mm"']))
    cell.update_state()
    mesh, grids = cell.physics.mesh, []
    for _ in range(4):
        grids += [mesh.pot.grid, mesh.current_grid]
        cell.step(3 * 3600.0)
        cell.update_state()
    assert mesh.remeshes >= 3
    for grid in grids:
        fresh = Grid(grid.geometry, grid.faces, grid.material, grid.regions)
        for a in range(3):
            assert grid.face_areas(a, copy=False).tobytes() == fresh.face_areas(a).tobytes()
            assert grid.widths(a, copy=False).tobytes() == np.diff(grid.faces[a]).tobytes()
        assert grid.volumes().tobytes() == fresh.volumes().tobytes()


def test_remeshed_current_grids_share_the_terminals_and_knots_as_built_afresh(config, pots):
    """The current's terminal conditions and anode masks (current._TERMINALS) and the remap's
    knot faces (remap._KNOT_FACES) are kept by material map: a remeshed grid gets the same
    objects, equal to those built afresh, its knots are its own faces at them, and another
    material map (another resolution) is not taken for the same."""
    from cellsim.fields import current, remap
    from cellsim.fields.current import Terminal

    terms = (Terminal("z-"), Terminal("z+", "rods"))
    first, moved = (p.current_grid() for p in pots)
    a = current._terminal_assembler(first, *terms)
    b = current._terminal_assembler(moved, *terms)
    assert a[0] is b[0] and a[1] is b[1] and a[2] is not b[2]  # the assembler is the grid's
    bcs, masks = current._terminal_bcs(moved, *terms)
    assert list(bcs) == list(b[0]) and list(masks) == list(b[1])
    for side, bc in bcs.items():
        np.testing.assert_array_equal(b[0][side].h, bc.h)
        np.testing.assert_array_equal(b[0][side].value, bc.value)
        assert not b[0][side].h.flags.writeable
    for side, mask in masks.items():
        np.testing.assert_array_equal(b[1][side], mask)
    for pot in pots:
        g = pot.grid
        m = g.material
        changes = np.sum(m[:, :, 1:] != m[:, :, :-1], axis=2)
        i, j = np.unravel_index(int(np.argmax(changes)), changes.shape)
        inner = np.nonzero(m[i, j, 1:] != m[i, j, :-1])[0] + 1
        want = np.concatenate(([g.faces[2][0]], g.faces[2][inner], [g.faces[2][-1]]))
        assert remap._knots(g).tobytes() == want.tobytes()
    other = build_layers(config, "default", config.geometry.anode_alloy_depth, config.geometry.cathode_metal_depth)
    assert current._terminal_assembler(other.current_grid(), *terms)[0] is not a[0]
    assert remap._knots(other.grid).size == remap._knots(pots[0].grid).size
    assert remap._knot_faces(other.grid.material) is not remap._knot_faces(pots[0].grid.material)


def test_bounded_memo_drops_the_oldest_entry_when_full():
    from cellsim.fields.memo import BoundedMemo

    m = BoundedMemo(2)
    assert m.put("a", 1) == 1 and m.put("b", 2) == 2
    m.put("a", 10)  # a key already held is replaced, nothing dropped
    assert dict(m) == {"a": 10, "b": 2}
    m.put("c", 3)  # full: the oldest ("a") goes
    assert dict(m) == {"b": 2, "c": 3} and m.get("a") is None
