"""The r-z species step in one kernel call (kernels/species.exchange_band_step: the exchange
ratios, then band_step_all; through SpeciesField._step_fused) against the path it replaces
(``fused = False``: SpeciesField.exchange_ratios per electrode, then _step_systems: the
systems built with NumPy, BandSolver.solve per impurity), and
the exchange ratios' kernel (kernels/exchange.face_exchange_ratios) against the former NumPy
implementation (tests/reference/species_numpy.exchange_ratios): equal bit for bit, in the
regimes a campaign meets (finite pools and reservoirs, the feed as a source, stale and
renewed factorisations, time-step changes, a steady state, migration, a remesh, taps)."""

import math
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from reference import species_numpy as ref

from cellsim.fields.grid import Grid
from cellsim.fields.species import N_SPECIES, MetalPool, SpeciesField, SpeciesOptions

pytestmark = pytest.mark.verification
C_SALT = 2700.0 / 0.1034


def _numpy_is_libm() -> bool:
    """NumPy's exp and power are the C library's (this project's machines): the kernels'
    math.exp and ** then give the same bits; a CPU where NumPy vectorises them may differ by
    an ulp (then compared at 1e-14)."""
    x = np.linspace(-60.0, 60.0, 4001)
    return (np.array_equal(np.exp(x), [math.exp(v) for v in x])
            and np.array_equal(0.37 ** (x / 40.0), [0.37 ** (v / 40.0) for v in x]))


def _equal(a, b, what):
    if _numpy_is_libm():
        assert np.array_equal(a, b), what  # equal, not close
    else:
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=0.0, err_msg=what)


def layered(nr=10, n_salt=5, below=3):
    """An r-z pot: alloy, a salt layer of n_salt cells starting at cell ``below``, cathode metal."""
    zf = np.concatenate([np.linspace(0.0, 0.12, below + 1), 0.12 + np.linspace(0.0, 0.045, n_salt + 1)[1:],
                         0.165 + np.linspace(0.0, 0.06, 4)[1:]])
    mat = np.zeros((nr, 1, zf.size - 1), np.int32)
    mat[:, :, below:below + n_salt], mat[:, :, below + n_salt:] = 1, 2
    mat[-1, :, below + n_salt - 1] = 2  # a step in the cathode: interface faces on both axes
    return Grid("rz", (np.linspace(0, 0.4, nr + 1), np.array([0.0, 2 * np.pi]), zf), mat,
                {"anode_alloy": 0, "electrolyte": 1, "cathode_metal": 2})


def _current(grid, I, seed=0):
    """A stand-in CurrentSolution: random face currents of about I [A] on every axis, phi."""
    rng = np.random.default_rng(seed)
    fc = tuple(I * (0.5 + rng.random(grid.face_areas(a).shape)) * grid.face_areas(a) / grid.face_areas(2)[:, :, 0].sum()
               for a in range(3))
    phi = -0.3 * grid.centres(2)[None, None, :] * np.ones(grid.shape)
    return SimpleNamespace(phi=phi, face_current=fc)


def _pools(step, volumes, feed, gamma=None):
    alloy = MetalPool(np.array([3e3, 5e2, 4e2, 2e2, 1e2, 60.0, 1.0]) * (1.0 - 0.02 * step), 9e4, volumes[0],
                      gamma=gamma,
                      source=np.linspace(1e-7, 7e-7, N_SPECIES) * (1 + step) if feed else None)
    cath = MetalPool(np.full(N_SPECIES, 0.5 + 0.1 * step), 8.7e4, volumes[1])
    return alloy, cath


@pytest.mark.parametrize("equilibria", ["janaf", "fixed_1000K"])
@pytest.mark.parametrize("depletion", [False, True])
def test_exchange_ratio_kernel_equals_numpy(equilibria, depletion):
    grid = layered()
    opts = SpeciesOptions(salt_concentration=C_SALT, equilibria=equilibria, surface_depletion=depletion,
                          potential_offsets={"Cu": 0.01, "Mg": -0.02})
    field = SpeciesField(grid, opts)
    gamma = np.array([1.2, 0.8, 1.0, 0.5, 2.0, 0.3, 1.1])
    T_cells = 960.0 + 200.0 * grid.centres(2)[None, None, :] * np.ones(grid.shape)  # across JANAF nodes
    T_cells[0, 0, 4] = 1000.0  # on a node
    for T in (1003.7, T_cells, 300.0, 5000.0):  # a scalar, a field, both ends of the table
        for current in (None, _current(grid, 3e3), _current(grid, -3e3, seed=1)):
            for alloy in (_pools(0, (0.06, 0.03), False, gamma)[0],
                          replace(_pools(1, (0.06, 0.03), False)[0], a_al=0.93)):
                for which, pool in (("anode", alloy), ("cathode", _pools(0, (0.06, 0.03), False)[1])):
                    got = field.exchange_ratios(which, pool, T, current, alf3_activity=0.37)
                    want = ref.exchange_ratios(field, which, pool, T, current, alf3_activity=0.37)
                    assert got.shape == want.shape == ((field.anode if which == "anode" else field.cathode).cell.size,
                                                       N_SPECIES)
                    _equal(got, want, f"{which} T={np.ndim(T)} current={current is not None}")
    # the current beyond the film's Al mass-transfer limit: refused by both, by name
    if depletion:
        huge = _current(grid, 2e7)
        for f in (field.exchange_ratios, lambda *a: ref.exchange_ratios(field, *a)):
            with pytest.raises(ValueError, match="exceeds the Al mass-transfer limit"):
                f("anode", alloy, 1000.0, huge)


def _pair(grid, opts):
    fused, numpy = SpeciesField(grid, opts), SpeciesField(grid, opts)
    numpy.fused = False
    return fused, numpy


def _same(a, b, fa, fb):
    for name in ("c", "flux_alloy_to_salt", "flux_salt_to_cathode"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert fa.n_factorisations == fb.n_factorisations
    for key in ("lu", "z", "schur", "renew", "iterations"):
        assert np.array_equal(fa.solver._factors[key], fb.solver._factors[key]), key
    sa, sb = fa.solver_state(), fb.solver_state()
    assert sa.keys() == sb.keys() and all(np.array_equal(sa[k], sb[k]) for k in sa if k != "matrices")
    assert sa["matrices"].keys() == sb["matrices"].keys()
    for name, m in sa["matrices"].items():
        assert all(np.array_equal(m[k], sb["matrices"][name][k]) for k in ("at", "value")), name


CASES = [(v, feed) for v in [(0.06, 0.03), (np.inf, 0.03), (0.06, np.inf), (np.inf, np.inf)]
         for feed in (False, True) if math.isfinite(v[0]) or not feed]  # a reservoir takes no source


@pytest.mark.parametrize("volumes,feed", CASES)
@pytest.mark.parametrize("migration", [False, True])
def test_fused_step_equals_numpy_path(volumes, feed, migration):
    """A sequence of steps with changing pools, temperatures, currents and time steps (kept,
    stale and renewed factorisations), then a remesh (a field on a grid whose layer moved,
    fresh factors): every step, every factor and the checkpointed state equal bit for bit."""
    opts = SpeciesOptions(salt_concentration=C_SALT, migration=migration, equilibria="janaf")
    grid = layered()
    fused, numpy = _pair(grid, opts)
    assert fused._bw is not None and not fused.solver._wide()
    c = fused.uniform(np.linspace(0.0, 3.0, N_SPECIES))
    for step, dt in enumerate((3600.0, 3600.0, 3300.0, 3600.0, 60.0, 86400.0, 10800.0)):
        alloy, cath = _pools(step, volumes, feed)
        T = 1000.0 + (400.0 + 10.0 * step) * grid.centres(2)[None, None, :] * np.ones(grid.shape)
        current = _current(grid, 2e3 * (1 + 0.1 * step), seed=step)
        a = fused.step(dt, c, alloy, cath, T, current=current, alf3_activity=0.3 + 0.01 * step)
        b = numpy.step(dt, c, alloy, cath, T, current=current, alf3_activity=0.3 + 0.01 * step)
        _same(a, b, fused, numpy)
        c = a.c
    assert 0 < fused.n_factorisations < 7 * N_SPECIES  # kept factors were reused
    moved = layered(below=4)  # a remesh: the layer moved up a cell
    f2, n2 = _pair(moved, opts)
    c2 = f2.uniform(fused.inventory(c))
    alloy, cath = _pools(7, volumes, feed)
    _same(f2.step(3600.0, c2, alloy, cath, 1010.0), n2.step(3600.0, c2, alloy, cath, 1010.0), f2, n2)
    if volumes == (np.inf, np.inf):  # the steady state
        f2.step(np.inf, c2, alloy, cath, 1010.0)  # warm the backends alike
        n2.step(np.inf, c2, alloy, cath, 1010.0)
        _same(f2.step(np.inf, c2, alloy, cath, 1020.0), n2.step(np.inf, c2, alloy, cath, 1020.0), f2, n2)


def test_fused_step_refuses_as_the_numpy_path():
    grid = layered()
    fused, numpy = _pair(grid, SpeciesOptions(salt_concentration=C_SALT))
    c = fused.uniform(np.ones(N_SPECIES))
    alloy, cath = _pools(0, (0.06, 0.03), False)
    for field in (fused, numpy):
        with pytest.raises(ValueError, match="dt = inf"):
            field.step(np.inf, c, alloy, cath, 1000.0)
        with pytest.raises(ValueError, match="takes no source"):
            field.step(3600.0, c, replace(alloy, volume=np.inf, source=np.ones(N_SPECIES)), cath, 1000.0)
        with pytest.raises(ValueError, match="at the anode exceeds the Al mass-transfer limit"):
            field.step(3600.0, c, alloy, cath, 1000.0, current=_current(grid, 2e7))
        with pytest.raises(ValueError, match="at the cathode exceeds the Al mass-transfer limit"):
            field.step(3600.0, c, alloy, cath, 1000.0, current=_current(grid, -2e7))
        bad = c.copy()
        bad[2, 0, 0, 4] = np.nan
        with pytest.raises(FloatingPointError, match="species solve for Si did not converge"):
            field.step(3600.0, bad, alloy, cath, 1000.0)


def test_campaign_fused_equals_numpy_path(monkeypatch):
    """Four days of the r-z reference run (rusal-3kA: taps, the continuous feed, the remeshes
    as the layers move) with the fused step and with the NumPy path: every output equal."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "regression"))
    from regression_cases import flatten

    from cellsim.campaign import run_campaign
    from cellsim.config import load_config
    from cellsim.fields import species

    init0 = species.SpeciesField.__init__
    built = []

    def run(fused):
        def init(self, *a, **k):
            init0(self, *a, **k)
            self.fused = fused
            built.append(self)
        monkeypatch.setattr(species.SpeciesField, "__init__", init)
        cfg = load_config("rusal-3kA", ['numerics.model="axisymmetric"', 'schedule.duration="4 d"',
                                         'numerics.remesh_threshold="5 mm"'])  # many remeshes
        return run_campaign(cfg)

    a = run(True)
    fields = len(built)
    b = run(False)
    assert fields > 10  # remeshes: a new field each
    assert len(a.taps) >= 1  # a tap within the four days
    fa, fb = flatten(a), flatten(b)
    assert fa.keys() == fb.keys()
    for k in fa:
        assert np.array_equal(fa[k], fb[k], equal_nan=True), k


def _grids():
    yield layered()
    yield layered(nr=7, n_salt=3, below=2)
    g2 = layered()  # 3D: the layer repeated along y, a bump in the alloy on one side
    mat = np.repeat(g2.material, 4, axis=1)
    mat[2, 1, 3] = 0
    mat[0, 3, 7] = 2
    yield Grid("xyz", (g2.faces[0], np.linspace(0.0, 0.3, 5), g2.faces[2]), mat, g2.regions)
    from cellsim.config import load_config
    from cellsim.models import make_model

    model = make_model(load_config("rusal-3kA", ['numerics.model="axisymmetric"']))
    yield model.physics.mesh.current_grid  # the reference run's r-z species grid


def test_interface_kernel_equals_numpy():
    for grid in _grids():
        field = SpeciesField(grid, SpeciesOptions(salt_concentration=C_SALT))
        for side, metal in (("anode", "anode_alloy"), ("cathode", "cathode_metal")):
            want = ref.interface(field, grid.regions["electrolyte"], grid.regions[metal])
            got = getattr(field, side)
            assert want["cell"].size > 0
            for k, v in want.items():
                assert np.array_equal(getattr(got, k), v), (side, k)
                assert getattr(got, k).dtype == v.dtype, (side, k)
