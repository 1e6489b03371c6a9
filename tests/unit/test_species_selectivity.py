"""Electrochemical selectivity of the species field, checked by hand calculations
(docs/model.md: x_salt/x_metal = a_AlX3^(n/3) exp(-n F dE / R T) / a_Al^(n/3))."""

import math

import numpy as np
import pytest

from cellsim.elements import ELEMENTS, IMPURITIES
from cellsim.fields.grid import Grid
from cellsim.fields.species import N_SPECIES, MetalPool, SpeciesField, SpeciesOptions

C_SALT, T, ACD, A_ALX3 = 2700.0 / 0.1034, 1023.0, 0.045, 0.1
F_OVER_RT = 96485.33212 / (8.314462618 * T)
NOBLE = [IMPURITIES.index(s) for s in ("Fe", "Cu", "Si", "Zn", "Mn", "Ti")]  # fluoride series
MG = IMPURITIES.index("Mg")


def column(n_salt=8):
    zf = np.concatenate([[0.0], 0.1 + ACD * np.linspace(0, 1, n_salt + 1), [0.2]])
    mat = np.ones((1, 1, zf.size - 1), np.int32)
    mat[:, :, 0], mat[:, :, -1] = 0, 2
    return Grid("xyz", (np.array([0.0, 1.0]), np.array([0.0, 1.0]), zf), mat,
                {"anode_alloy": 0, "electrolyte": 1, "cathode_metal": 2})


def S_hand(symbol, a_al, c_total):
    el = ELEMENTS[symbol]
    n = el.valence
    return A_ALX3 ** (n / 3) * math.exp(-n * F_OVER_RT * el.delta_E_fluoride) / a_al ** (n / 3) * C_SALT / c_total


def steady_flux_hand(symbol, a_al, c_metal, opts, c_total=1e5):
    """Alloy -> salt flux [mol/(m2 s)] at steady state into a clean pure-Al cathode."""
    S_a, S_c = S_hand(symbol, a_al, c_total), S_hand(symbol, 1.0, 8.7e4)
    D = opts.diffusivity[IMPURITIES.index(symbol)]
    resistance = 2 / opts.k_salt + S_a / opts.k_metal_anode + ACD / D + S_c / opts.k_metal_cathode
    return S_a * c_metal / resistance


OPTS = SpeciesOptions(salt_concentration=C_SALT)


def steady(a_al, c_metal=100.0, dt=math.inf):
    """One step from clean salt between reservoirs (dt = inf: the steady state)."""
    field = SpeciesField(column(), OPTS)
    alloy = MetalPool(np.full(N_SPECIES, c_metal), 1e5, math.inf, a_al=a_al)
    cath = MetalPool(np.zeros(N_SPECIES), 8.7e4, math.inf)
    return field.step(dt, np.zeros((N_SPECIES,) + field.grid.shape), alloy, cath, T)


def test_noble_elements_stay_below_the_equilibrium_bound():
    """Alloy at high Al activity (Al-Cu eutectic, a_Al = 0.83), salt starting clean, finite
    cathode: after two days every salt cell of every noble element is below S_a c_metal, the
    salt concentration in equilibrium with the alloy (maximum principle of the M-matrix)."""
    grid = column()
    field = SpeciesField(grid, OPTS)
    c_metal = np.array([800.0, 5e4, 500.0, 1500.0, 200.0, 0.0, 30.0])
    alloy = MetalPool(c_metal, 1e5, 0.07, a_al=0.83)
    cath = MetalPool(np.zeros(N_SPECIES), 8.7e4, 0.03)
    c = np.zeros((N_SPECIES,) + grid.shape)
    for _ in range(48):
        out = field.step(3600.0, c, alloy, cath, T)
        c = out.c
        alloy = MetalPool(alloy.c - 3600 * out.flux_alloy_to_salt / 0.07, 1e5, 0.07, a_al=0.83)
        cath = MetalPool(cath.c + 3600 * out.flux_salt_to_cathode / 0.03, 8.7e4, 0.03)
    for k in NOBLE:
        bound = S_hand(IMPURITIES[k], 0.83, 1e5) * alloy.c[k]
        assert c[k].max() <= bound, IMPURITIES[k]
        assert out.flux_salt_to_cathode[k] >= 0.0
    # noble ions deposit at their mass-transfer-limited rate: salt -> cathode flux equals
    # A c_P / (d/D + 1/k_salt) for a clean cathode (S_c c_cathode ~ 0)
    k = IMPURITIES.index("Fe")
    d = 0.5 * ACD / 8
    top = c[k][0, 0, -2]
    expect = top / (d / OPTS.diffusivity[k] + 1 / OPTS.k_salt + S_hand("Fe", cath.x_al, 8.7e4) / OPTS.k_metal_cathode)
    assert out.flux_salt_to_cathode[k] == pytest.approx(expect - 0.0, rel=1e-3)


@pytest.mark.parametrize("symbol", ["Fe", "Cu", "Zn", "Si", "Mn"])
def test_noble_transfer_rises_as_al_is_depleted(symbol):
    """Steady alloy -> cathode flux at a_Al 0.9 and 0.6 against the hand formula; salt-film
    limited, so the ratio is (0.9/0.6)^(n/3) (1.145 for Cu, 1.31 for Fe/Zn/Mn, 1.72 for Si)."""
    k = IMPURITIES.index(symbol)
    f_hi, f_lo = steady(0.9).flux_alloy_to_salt[k], steady(0.6).flux_alloy_to_salt[k]
    assert f_hi == pytest.approx(steady_flux_hand(symbol, 0.9, 100.0, OPTS), rel=1e-9)
    assert f_lo == pytest.approx(steady_flux_hand(symbol, 0.6, 100.0, OPTS), rel=1e-9)
    n = ELEMENTS[symbol].valence
    assert f_lo / f_hi == pytest.approx((0.9 / 0.6) ** (n / 3), rel=1e-6)


def test_mg_follows_the_reverse():
    """Mg (less noble): S_a >> k_metal/k_salt, so into clean salt it leaves the alloy at the
    metal-film limit k_metal c_metal whatever the Al activity (the ratio stays 1 where noble
    ones rise by (a1/a2)^(n/3)); the cathode takes it only up to its equilibrium share
    c_salt / S_c, and at steady state the cathode's metal film S_c/k_metal limits the flux."""
    f_hi, f_lo = steady(0.9, dt=1.0).flux_alloy_to_salt[MG], steady(0.6, dt=1.0).flux_alloy_to_salt[MG]
    limit = OPTS.k_metal_anode * 100.0
    S_a = S_hand("Mg", 0.9, 1e5)
    assert S_a / OPTS.k_metal_anode > 1e3 / OPTS.k_salt
    assert f_hi == pytest.approx(limit, rel=1e-3) and f_lo / f_hi == pytest.approx(1.0, abs=1e-3)
    assert steady(0.9).flux_alloy_to_salt[MG] == pytest.approx(steady_flux_hand("Mg", 0.9, 100.0, OPTS), rel=1e-8)
    # salt holding Mg, clean cathode: the cathode's Mg rises to, and stays below, c_salt / S_c
    grid = column()
    field = SpeciesField(grid, OPTS)
    c_alloy = np.zeros(N_SPECIES)
    c_alloy[MG] = 50.0 / S_hand("Mg", 0.83, 1e5)  # alloy in equilibrium with the salt
    alloy = MetalPool(c_alloy, 1e5, math.inf, a_al=0.83)
    cath = MetalPool(np.zeros(N_SPECIES), 8.7e4, 0.03)
    c = np.zeros((N_SPECIES,) + grid.shape)
    c[MG][field.mask] = 50.0  # mol/m3, about 1.2 wt% Mg in the salt
    for _ in range(30):
        out = field.step(3 * 3600.0, c, alloy, cath, T)
        c = out.c
        S_c = S_hand("Mg", cath.x_al, 8.7e4)  # as used in the step (start-of-step pool)
        cath = MetalPool(cath.c + 3 * 3600.0 * out.flux_salt_to_cathode / 0.03, 8.7e4, 0.03)
        share = 50.0 / S_c
        assert cath.c[MG] <= share * (1 + 1e-12)
    assert cath.c[MG] > 0.5 * share and cath.c[MG] / 8.7e4 < 1e-5  # ppm-level co-deposition
