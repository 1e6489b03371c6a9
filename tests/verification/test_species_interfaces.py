"""Species field against exact results: steady 1D flux between the two interfaces, element
conservation over a multi-step run, no numerical leakage, and the well-mixed limit equal to
the lumped three-pool exchange (cellsim.lumped.chemistry.exchange_step)."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from cellsim.elements import ELEMENTS, IMPURITIES
from cellsim.fields.grid import Grid
from cellsim.fields.species import N_SPECIES, MetalPool, SpeciesField, SpeciesOptions
from cellsim.lumped import chemistry
from cellsim.units import FARADAY, GAS_CONSTANT

pytestmark = pytest.mark.verification
C_SALT, T, ACD = 2700.0 / 0.1034, 1023.0, 0.045
VALENCE = np.array([ELEMENTS[s].valence for s in IMPURITIES], dtype=float)


def column(geometry="xyz", n_salt=9, n_lat=1, width=0.3, stretch=1.3):
    """Alloy | salt (stretched cells) | cathode; one metal cell each side [m]."""
    w = stretch ** np.arange(n_salt)
    zs = 0.1 + ACD * np.concatenate([[0.0], np.cumsum(w)]) / w.sum()
    zf = np.concatenate([[0.0], zs, [zs[-1] + 0.06]])
    lat = np.linspace(0.0, width, n_lat + 1)
    faces = (lat, np.array([0.0, 2 * np.pi]), zf) if geometry == "rz" else (lat, np.array([0.0, width]), zf)
    mat = np.ones((n_lat, 1, zf.size - 1), np.int32)
    mat[:, :, 0], mat[:, :, -1] = 0, 2
    return Grid(geometry, faces, mat, {"anode_alloy": 0, "electrolyte": 1, "cathode_metal": 2})


def hand_S(a_al, c_total, family="fluoride", a_alx3=0.1):
    """Equilibrium salt/metal molar-concentration ratio, written out from docs/species.md."""
    dE = np.array([getattr(ELEMENTS[s], f"delta_E_{family}") for s in IMPURITIES])
    x_ratio = a_alx3 ** (VALENCE / 3) * np.exp(-VALENCE * FARADAY * dE / (GAS_CONSTANT * T)) / a_al ** (VALENCE / 3)
    return x_ratio * C_SALT / c_total


@pytest.mark.parametrize("geometry,n_lat", [("xyz", 1), ("rz", 5)])
@pytest.mark.parametrize("family", ["fluoride", "chloride"])
def test_steady_flux_between_interfaces_is_exact(geometry, n_lat, family):
    grid = column(geometry, n_lat=n_lat)
    area = grid.face_areas(2)[:, :, 0].sum()
    opts = SpeciesOptions(salt_concentration=C_SALT, family=family, eddy_diffusivity=2e-6,
                          k_metal_anode=3e-4, k_metal_cathode=2e-4)
    field = SpeciesField(grid, opts)
    c_a, c_c = np.linspace(1.0, 300.0, N_SPECIES), np.linspace(5.0, 0.5, N_SPECIES)
    alloy = MetalPool(c_a, 9e4, math.inf, a_al=0.7)
    cath = MetalPool(c_c, 8.7e4, math.inf)
    out = field.step(math.inf, np.zeros((N_SPECIES,) + grid.shape), alloy, cath, T)
    S_a, S_c = hand_S(0.7, 9e4, family), hand_S(1.0 - c_c.sum() / 8.7e4, 8.7e4, family)
    D = opts.diffusivity
    resistance = 2 / opts.k_salt + S_a / 3e-4 + ACD / D + S_c / 2e-4
    exact = area * (S_a * c_a - S_c * c_c) / resistance
    # 1e-8: Mg in chloride has S ~ 1e6, so the anode faces' conductance is ~1e-7 of the
    # diffusive ones and the steady matrix (no storage) loses that much (measured 2e-9)
    np.testing.assert_allclose(out.flux_alloy_to_salt, exact, rtol=1e-8)
    np.testing.assert_allclose(out.flux_salt_to_cathode, exact, rtol=1e-8)
    # the profile is linear between the film-corrected interface values
    z = grid.centres(2)[1:-1]
    c_wall = S_a * c_a - exact / area * (S_a / 3e-4 + 1 / opts.k_salt)
    profile = c_wall[:, None] - (exact / area / D)[:, None] * (z - 0.1)[None, :]
    got = out.c[:, :, 0, 1:-1]
    np.testing.assert_allclose(got, np.broadcast_to(profile[:, None, :], got.shape),
                               rtol=1e-8, atol=1e-12 * np.abs(profile).max())


class _Current(SimpleNamespace):
    """Stand-in for a CurrentSolution: upward current I, uniform over the z faces."""


def _fake_current(grid, I):
    A = grid.face_areas(2)
    Fz = I * A / A[:, :, 0].sum()
    z = grid.centres(2)
    phi = -0.5 * (z / z[-1])[None, None, :] * (1 + 0.2 * np.cos(3 * grid.centres(0)))[:, None, None]
    return _Current(phi=phi, face_current=(np.zeros(grid.face_areas(0).shape),
                                           np.zeros(grid.face_areas(1).shape), Fz))


def _pools(grid, w_alloy, w_cath):
    """Alloy and cathode pools from impurity mass fractions over IMPURITIES."""
    vol_a = grid.volumes()[grid.material == 0].sum()
    vol_c = grid.volumes()[grid.material == 2].sum()
    ma = np.concatenate([[1 - np.sum(w_alloy)], w_alloy]) * 3200 * vol_a
    mc = np.concatenate([[1 - np.sum(w_cath)], w_cath]) * 2349 * vol_c
    return MetalPool.from_masses(ma, vol_a), MetalPool.from_masses(mc, vol_c)


def _run(field, grid, alloy, cath, steps, current=None):
    c = np.zeros((N_SPECIES,) + grid.shape)
    T_field = T + 5.0 * np.cos(np.pi * grid.centres(0) / grid.faces[0][-1])[:, None, None] * np.ones(grid.shape)
    for i in range(steps):
        dt = 3600.0 * (1 + 0.5 * np.sin(i))
        out = field.step(dt, c, alloy, cath, T_field, current=current)
        c = out.c
        alloy = MetalPool(alloy.c - dt * out.flux_alloy_to_salt / alloy.volume, alloy.c_total, alloy.volume)
        cath = MetalPool(cath.c + dt * out.flux_salt_to_cathode / cath.volume, cath.c_total, cath.volume)
    return c, alloy, cath


def test_element_conservation_multistep():
    grid = column("rz", n_salt=8, n_lat=6, width=0.437, stretch=1.0)
    opts = SpeciesOptions(salt_concentration=C_SALT, migration=True, eddy_diffusivity=6e-7)
    field = SpeciesField(grid, opts)
    w = np.array([0.025, 0.30, 0.014, 0.074, 0.0, 0.015, 0.0012])  # end-of-campaign UBC alloy, no Zn
    alloy, cath = _pools(grid, w, np.zeros(N_SPECIES))
    before = alloy.moles + cath.moles
    c, alloy2, cath2 = _run(field, grid, alloy, cath, 40, _fake_current(grid, 3000.0))
    after = alloy2.moles + cath2.moles + field.inventory(c)
    np.testing.assert_allclose(after, before, rtol=1e-10, atol=0.0)
    zn = IMPURITIES.index("Zn")
    assert np.all(c[zn] == 0.0) and cath2.c[zn] == 0.0 and alloy2.c[zn] == 0.0
    assert np.all(c >= 0.0)
    assert cath2.moles[IMPURITIES.index("Mg")] > 0.0  # transfer did happen


def test_zero_impurity_scrap_gives_zero_in_cathode():
    """Only the Cu weighting agent in the alloy: every other element stays exactly 0 (and pure
    Al leaves the cathode exactly pure)."""
    grid = column("rz", n_salt=6, n_lat=4, stretch=1.0)
    field = SpeciesField(grid, SpeciesOptions(salt_concentration=C_SALT, migration=True))
    cu = IMPURITIES.index("Cu")
    w = np.zeros(N_SPECIES)
    w[cu] = 0.33
    alloy, cath = _pools(grid, w, np.zeros(N_SPECIES))
    c, _, cath2 = _run(field, grid, alloy, cath, 20, _fake_current(grid, 3000.0))
    others = np.arange(N_SPECIES) != cu
    assert np.all(cath2.c[others] == 0.0) and np.all(c[others] == 0.0)
    alloy, cath = _pools(grid, np.zeros(N_SPECIES), np.zeros(N_SPECIES))
    c, _, cath2 = _run(field, grid, alloy, cath, 5, _fake_current(grid, 3000.0))
    assert np.all(cath2.c == 0.0) and np.all(c == 0.0)


@pytest.mark.parametrize("eddy,tol", [(2.0, 2e-6), (2e-4, 0.012)])
def test_well_mixed_limit_matches_lumped_exchange(eddy, tol):
    """Same pools, S and films as the lumped exchange_step, 24 steps of 1 h. The resolved core
    adds L/D_eff to the films' 2/k_salt = 2e4 s/m: 0.0225 s/m at D_t = 2 m2/s (every pool of
    every element agrees to 1.1e-6 relative, measured), 225 s/m at the default D_t = 2e-4 m2/s
    (1.1 %, measured 1.115 %; 10 % at 2e-5, 53 % at 2e-6)."""
    grid = column("xyz", n_salt=10, width=0.5, stretch=1.0)
    area = 0.25
    opts = SpeciesOptions(salt_concentration=C_SALT, eddy_diffusivity=eddy)
    field = SpeciesField(grid, opts)
    w = np.array([0.02, 0.30, 0.01, 0.05, 0.01, 0.01, 0.001])
    alloy, cath = _pools(grid, w, np.zeros(N_SPECIES))
    S_a = field.exchange_ratios("anode", alloy, T)[0]
    S_c = field.exchange_ratios("cathode", cath, T)[0]
    g_a = chemistry.film_conductance(area, S_a, opts.k_salt, opts.k_metal_anode)
    g_c = chemistry.film_conductance(area, S_c, opts.k_salt, opts.k_metal_cathode)
    a_al_alloy, a_al_cath = alloy.x_al, cath.x_al  # the lumped step holds S fixed
    n_a, n_s, n_c = alloy.moles, np.zeros(N_SPECIES), cath.moles
    v_salt = field.volumes.sum()
    c = np.zeros((N_SPECIES,) + grid.shape)
    for _ in range(24):
        n_a, n_s, n_c, _, _ = chemistry.exchange_step(n_a, n_s, n_c, alloy.volume, v_salt, cath.volume,
                                                      S_a, S_c, g_a, g_c, 3600.0)
        out = field.step(3600.0, c, alloy, cath, T)
        c = out.c
        alloy = MetalPool(alloy.c - 3600.0 * out.flux_alloy_to_salt / alloy.volume, alloy.c_total, alloy.volume,
                          a_al=a_al_alloy)
        cath = MetalPool(cath.c + 3600.0 * out.flux_salt_to_cathode / cath.volume, cath.c_total, cath.volume,
                         a_al=a_al_cath)
    total = n_a + n_s + n_c
    for lumped, fieldv in ((n_s, field.inventory(c)), (n_c, cath.moles), (n_a, alloy.moles)):
        assert np.all(np.abs(fieldv - lumped) <= tol * np.abs(lumped) + 1e-14 * total), (fieldv - lumped) / lumped


def test_feed_into_the_alloy_inside_the_field_step_matches_the_lumped_exchange():
    """The continuous feed as a source of the alloy pool's row (MetalPool.source): in the
    well-mixed limit the field step with the feed equals the lumped exchange step with the
    same source (each pool of each element to 2e-6, as without the feed, above), and the
    elements close on what was fed to round-off."""
    grid = column("xyz", n_salt=10, width=0.5, stretch=1.0)
    area = 0.25
    opts = SpeciesOptions(salt_concentration=C_SALT, eddy_diffusivity=2.0)
    field = SpeciesField(grid, opts)
    w = np.array([0.02, 0.30, 0.01, 0.05, 0.01, 0.01, 0.001])
    alloy, cath = _pools(grid, w, np.zeros(N_SPECIES))
    feed = alloy.moles / (24 * 3600.0)  # mol/s: the alloy's impurities again over a day
    S_a = field.exchange_ratios("anode", alloy, T)[0]
    S_c = field.exchange_ratios("cathode", cath, T)[0]
    g_a = chemistry.film_conductance(area, S_a, opts.k_salt, opts.k_metal_anode)
    g_c = chemistry.film_conductance(area, S_c, opts.k_salt, opts.k_metal_cathode)
    a_al_alloy, a_al_cath = alloy.x_al, cath.x_al
    n_a, n_s, n_c = alloy.moles, np.zeros(N_SPECIES), cath.moles
    before = alloy.moles + cath.moles
    v_salt = field.volumes.sum()
    c = np.zeros((N_SPECIES,) + grid.shape)
    dt = 3600.0
    for _ in range(24):
        n_a, n_s, n_c, _, _ = chemistry.exchange_step(n_a, n_s, n_c, alloy.volume, v_salt, cath.volume,
                                                      S_a, S_c, g_a, g_c, dt, feed_alloy=feed)
        fed = MetalPool(alloy.c, alloy.c_total, alloy.volume, a_al=a_al_alloy, source=feed)
        out = field.step(dt, c, fed, cath, T)
        c = out.c
        alloy = MetalPool(alloy.c + dt * (feed - out.flux_alloy_to_salt) / alloy.volume, alloy.c_total,
                          alloy.volume, a_al=a_al_alloy)
        cath = MetalPool(cath.c + dt * out.flux_salt_to_cathode / cath.volume, cath.c_total, cath.volume,
                         a_al=a_al_cath)
    after = alloy.moles + cath.moles + field.inventory(c)
    np.testing.assert_allclose(after, before + 24 * dt * feed, rtol=1e-10, atol=0.0)
    total = n_a + n_s + n_c
    for lumped, fieldv in ((n_s, field.inventory(c)), (n_c, cath.moles), (n_a, alloy.moles)):
        assert np.all(np.abs(fieldv - lumped) <= 2e-6 * np.abs(lumped) + 1e-14 * total), (fieldv - lumped) / lumped
    with pytest.raises(ValueError, match="reservoir"):
        field.step(dt, c, MetalPool(alloy.c, alloy.c_total, math.inf, source=feed), cath, T)
