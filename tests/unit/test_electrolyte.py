"""The electrolyte as state (cellsim.electrolyte): components, properties against published
points, composition invariants, salt care operations and their conservation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.config.loader import ConfigError
from cellsim.electrolyte import COMPONENTS, OutOfRange, RangeLog
from cellsim.electrolyte.provider import SaltProvider
from cellsim.electrolyte.components import ATOMIC_MASS, element_matrix
from cellsim.electrolyte.properties import FreshElectrolyte
from cellsim.elements import ALL_ELEMENTS, IMPURITIES
from cellsim.models import make_model

# the bare cell: the reference cell's salt care (Mg removal, renewals at 2.5 wt% MgF2) off, so
# that the mechanisms below act alone (tests/integration/test_salt_care_reference.py tests it)
NO_CARE = ["scrap.mg_removal_efficiency=0", 'schedule.salt_renewal_mode="none"']
LUMPED = ['numerics.model="lumped"', *NO_CARE]
C = 273.15


def _melt(names, w0, kappa0=1.0, liquidus0=1000.0, rho0=2000.0, cp0=1000.0, a0=0.1, T=1273.15):
    comps = [COMPONENTS[n] for n in names]
    return FreshElectrolyte(tuple(names), np.array(w0, float), np.array([c.molar_mass for c in comps]),
                np.array([c.molar_volume(T) for c in comps]), np.array([c.cp for c in comps]),
                "AlF3", kappa0, rho0, liquidus0, cp0, a0)


def _cryolite_plus(name, x, T=1273.15):
    """Component masses of cryolite (as 3 NaF + AlF3 counted as one formula unit of Na3AlF6)
    with mole fraction x of component ``name`` on the cryolite formula basis (as Hives's and
    Solheim's correlations count it); returns (melt, masses of pure cryolite, masses with x)."""
    M_cry = 3 * COMPONENTS["NaF"].molar_mass + COMPONENTS["AlF3"].molar_mass
    names = ("NaF", "AlF3", name)
    w_naf = 3 * COMPONENTS["NaF"].molar_mass / M_cry
    melt = _melt(names, [w_naf, 1 - w_naf, 0.0], T=T)
    n_add = x / (1 - x)  # per mole of cryolite
    m_pure = np.array([3 * COMPONENTS["NaF"].molar_mass, COMPONENTS["AlF3"].molar_mass, 0.0])
    m = m_pure + np.array([0.0, 0.0, n_add * COMPONENTS[name].molar_mass])
    return melt, m_pure, m


# ------------------------------------------------------------------- components
def test_molar_masses_against_published_formula_weights():
    """CRC formula weights [g/mol]: NaF 41.988, BaCl2 208.23, AlF3 83.977, MgF2 62.302."""
    for name, M in (("NaF", 41.988), ("BaCl2", 208.23), ("AlF3", 83.977), ("MgF2", 62.302)):
        assert COMPONENTS[name].molar_mass * 1e3 == pytest.approx(M, abs=0.01)


@pytest.mark.parametrize("name, t_m, rho_m", [("BaCl2", 962.0, 3.174), ("BaF2", 1368.0, 4.14),
                                               ("BaCl2", 1081.0, 3.174 - 0.000681 * 119)])
def test_liquid_density_against_janz_points(name, t_m, rho_m):
    """Liquid density at the melting point and at t_max of the CRC Janz table ([Janz1988]): the
    molar volume linearised at 1000 K reproduces them within 1 %."""
    c = COMPONENTS[name]
    rho = c.molar_mass / c.molar_volume(t_m + C) / 1e3
    assert rho == pytest.approx(rho_m, rel=0.01)


@pytest.mark.parametrize("name, formula", [("NaF", "NaF"), ("NaCl", "NaCl"), ("KCl", "KCl"),
                                            ("BaCl2", "BaCl2"), ("MgF2", "MgF2"), ("CaF2", "CaF2"),
                                            ("BaF2", "BaF2"), ("MgCl2", "MgCl2"), ("LiF", "LiF")])
def test_heat_capacity_against_janaf(name, formula):
    """Liquid cp at 1000 K from the NIST-JANAF tables ([Chase1998], PyPI janaf) within 1 %."""
    _janaf = pytest.importorskip("cellsim.validation._janaf")
    pytest.importorskip("janaf")
    cp = _janaf.heat_capacity(_janaf.table(formula, "l"), 1000.0) / COMPONENTS[name].molar_mass
    assert COMPONENTS[name].cp == pytest.approx(cp, rel=0.01)


def test_element_matrix_closes_each_component():
    names = tuple(COMPONENTS)
    A = element_matrix(names, tuple(ATOMIC_MASS))
    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-12)


# ------------------------------------------------------------------- properties
@pytest.mark.parametrize("x", [0.10, 0.20, 0.35])
def test_conductivity_mgf2_term_against_hives(x):
    """Hives et al. (1993): kappa = 7.22 exp(-1204.3/T) - 1.07 x_MgF2 in cryolite (SD 0.018
    S/cm, valid to 35 mol%, x on the Na3AlF6 formula basis). At 1000 degC, a melt of cryolite
    (one pseudo-component) and MgF2 with the configured value at pure cryolite follows it within
    that SD."""
    T = 1000.0 + C
    k_pure = 7.22 * math.exp(-1204.3 / T)
    M_cry = 3 * COMPONENTS["NaF"].molar_mass + COMPONENTS["AlF3"].molar_mass
    comps = [COMPONENTS["AlF3"], COMPONENTS["MgF2"]]
    melt = FreshElectrolyte(("base", "AlF3", "MgF2"), np.array([1.0, 0.0, 0.0]),
                np.array([M_cry] + [c.molar_mass for c in comps]), np.array([1e-4, 3e-5, 3e-5]),
                np.array([1.0, 1.0, 1.0]), "AlF3", k_pure, 2000.0, 1000.0, 1.0, 0.1)
    m = np.array([(1 - x) * M_cry, 0.0, x * COMPONENTS["MgF2"].molar_mass])
    assert melt.mole_fractions(m)[2] == pytest.approx(x, rel=1e-12)
    assert melt.conductivity(m, RangeLog()) == pytest.approx(k_pure - 1.07 * x, abs=0.018)


@pytest.mark.parametrize("w_alf3, kappa", [(0.0, 5.17), (0.5, 2.33)])
def test_conductivity_alf3_term_against_naf_alf3(w_alf3, kappa):
    """NaF-AlF3 at 1000 degC: 5.17 S/cm without AlF3 and 2.33 with 50 wt% ([JILM1974]). The
    AlF3 slope is calibrated on these two points (so this checks the calibration and the mole
    fraction bookkeeping, not an independent datum), from a melt configured at 25 wt%."""
    melt = _melt(("NaF", "AlF3"), [0.75, 0.25], kappa0=1.0)
    pure = melt.conductivity(np.array([1.0, 0.0]), RangeLog())
    ratio = melt.conductivity(np.array([1 - w_alf3, w_alf3]), RangeLog()) / pure
    assert ratio == pytest.approx(kappa / 5.17, rel=1e-12)
    assert melt.conductivity(np.array([0.75, 0.25]), RangeLog()) == 1.0


@pytest.mark.parametrize("w_mgf2", [0.02, 0.04, 0.05])
def test_liquidus_against_solheim(w_mgf2):
    """Solheim et al. (1996): t = 1011 - 3.95 [MgF2 wt%] degC for cryolite (valid < 5 wt%)."""
    melt, m_pure, _ = _cryolite_plus("MgF2", 0.0)
    melt = _melt(("NaF", "AlF3", "MgF2"), m_pure / m_pure.sum(), liquidus0=1011.0 + C)
    m = m_pure.copy()
    m[2] = w_mgf2 * m_pure.sum() / (1 - w_mgf2)
    assert melt.liquidus(m, RangeLog()) - C == pytest.approx(1011.0 - 3.95 * 100 * w_mgf2, abs=1e-9)


def test_out_of_range_is_recorded_once_then_an_error_far_outside():
    melt, m_pure, _ = _cryolite_plus("MgF2", 0.0)
    melt = _melt(("NaF", "AlF3", "MgF2"), m_pure / m_pure.sum(), liquidus0=1011.0 + C)
    log = RangeLog()

    def at(w):
        m = m_pure.copy()
        m[2] = w * m_pure.sum() / (1 - w)
        return m

    melt.liquidus(at(0.08), log)
    melt.liquidus(at(0.10), log)
    assert list(log.entries) == ["liquidus: wt% MgX2 - fresh"]
    assert log.entries["liquidus: wt% MgX2 - fresh"][1] == pytest.approx(8.0)
    with pytest.raises(OutOfRange, match="liquidus.*hard limit"):
        melt.liquidus(at(0.30), log)


def test_alx3_activity_dewing_slopes():
    """d ln a_AlF3 / d x_MgF2 = +11 (Dewing 1989) at constant x_AlF3; BaF2 -2.5."""
    melt = _melt(("NaF", "AlF3", "MgF2", "BaF2"), [0.6, 0.4, 0.0, 0.0], a0=0.1)
    log = RangeLog()
    m0 = np.array([0.6, 0.4, 0.0, 0.0])
    n0 = m0 / melt.molar_mass
    for j, slope in ((2, 11.0), (3, -2.5)):
        dn = 1e-6 * n0.sum()
        n = n0.copy()
        n[j] += dn
        a = melt.alx3_activity(n * melt.molar_mass, log)
        x = n / n.sum()
        expected = math.log(x[1] / melt.x0[1]) + slope * x[j]
        assert math.log(a / 0.1) == pytest.approx(expected, rel=1e-9)
    assert melt.alx3_activity(m0, log) == pytest.approx(0.1, rel=1e-12)


# --------------------------------------------------------------- composition state
def test_fresh_salt_has_the_configured_properties():
    cfg = load_config("rusal-3kA", LUMPED)
    model = make_model(cfg)
    p, el = model.salt_props, cfg.electrolyte
    assert p.density == pytest.approx(el.density, rel=1e-12)
    assert p.conductivity == pytest.approx(el.conductivity, rel=1e-12)
    assert p.liquidus == pytest.approx(el.liquidus, rel=1e-12)
    assert p.specific_heat == pytest.approx(el.specific_heat, rel=1e-12)
    assert p.volume == pytest.approx(cfg.geometry.area * cfg.geometry.acd, rel=1e-12)
    assert model.alf3_activity() == pytest.approx(el.alf3_activity, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 100), st.floats(0, 100), st.lists(st.floats(0, 50), min_size=7, max_size=7))
def test_mole_fractions_stay_in_unit_interval(base, alf3, imp):
    """Any non-negative inventories give mole fractions in [0, 1] summing to 1."""
    cfg = load_config("rusal-3kA", LUMPED)
    prov = SaltProvider(cfg)

    class S:
        electrolyte_base, electrolyte = base + 1e-9, np.array(imp)
        cation_salt_deficit = np.zeros(len(prov.cation_salts))
    S.alf3 = alf3
    x = np.array(list(prov.mole_fractions(S).values()))
    assert np.all((x >= 0) & (x <= 1))
    assert x.sum() == pytest.approx(1.0, rel=1e-12)


def test_halogen_balance_of_the_exchange_closes():
    """A UBC campaign with every purity pathway on: F in the salt equals F of the initial salt
    plus the F of the AlF3 added (make-up) and of the halides the make-up salts and the lining
    brought in; Na of the salt plus Na co-deposited into the metal is constant. Counted here
    by hand from the component masses, independently of SaltProvider.element_totals."""
    m = make_model(load_config("rusal-3kA", LUMPED + ['schedule.duration="5 d"']))
    prov, s = m.salt, m.state
    assert m.config.purity.codeposition and m.config.purity.lining and m.config.purity.makeup_salts
    A = element_matrix(prov.names, ("F", "Na"))
    f_0, na_0 = A @ prov.masses(s)
    for _ in range(120):
        m.step(3600.0)
    f_now, na_now = A @ prov.masses(s)
    m_f = ATOMIC_MASS["F"]
    f_sourced = sum(v * COMPONENTS[h].n * m_f / ATOMIC_MASS[e]
                    for e, h, v in zip(IMPURITIES, prov.halides, s.electrolyte_sourced))
    f_in = f_0 + s.alf3_added * 3 * m_f / COMPONENTS["AlF3"].molar_mass + f_sourced
    # salt carried into the metal as inclusions (purity.salt_entrainment) leaves with its F and Na;
    # the Na it carried is also booked among the metal's cations (cations_included_*)
    f_inc, na_inc = A @ prov._masses(s.salt_included_base, s.salt_included_alx3,
                                     s.salt_included_halides, s.salt_included_deficit)
    assert m.config.purity.salt_entrainment and f_inc > 0.0
    assert na_inc == pytest.approx(s.cations_included_cathode[0] + s.cations_included_tapped[0], rel=1e-9)
    assert f_now + f_inc == pytest.approx(f_in, rel=1e-12)
    assert na_now + s.cations_cathode[0] + s.cations_tapped[0] == pytest.approx(na_0, rel=1e-12)
    assert s.electrolyte[IMPURITIES.index("Mg")] > 0.1  # the balance is not trivial
    assert s.cations_cathode[0] + s.cations_tapped[0] > 0.0 and f_sourced > 0.0
    # the co-deposited NaF leaves the NaF column, not the BaCl2 (the base pro rata)
    base = s.electrolyte_base + s.cation_salt_deficit.sum()
    i_ba = prov.names.index("BaCl2")
    assert prov.masses(s)[i_ba] == pytest.approx(base * prov.base_w[prov.base_names.index("BaCl2")],
                                                 rel=1e-14)


# ---------------------------------------------------------------- operations
RENEW = ['schedule.salt_renewal_mode="interval"', 'schedule.salt_renewal_interval="3 d"',
         "schedule.salt_renewal_fraction=0.4"]


@pytest.fixture(scope="module")
def renewed():
    return run_campaign(load_config("rusal-3kA", LUMPED + RENEW + [
        'schedule.duration="12 d"', 'schedule.bleed_mode="interval"', 'schedule.bleed_interval="5 d"',
        "scrap.mg_removal_efficiency=0.5", 'scrap.mg_removal_energy="50 kWh/t"']))


def test_renewals_bleeds_taps_conserve_elements_and_salt(renewed):
    r = renewed
    throughput = r.summary["scrap_fed"]
    assert r.summary["electrolyte_renewals"] == 4 and r.bleeds and r.taps
    assert np.max(np.abs(r.mass_balance)) <= 1e-10 * throughput
    assert set(r.salt_balance) == {"F", "Cl", "Na", "Ba"}
    assert max(abs(v) for v in r.salt_balance.values()) <= 1e-10 * throughput


def test_salt_component_totals_are_conserved():
    cfg = load_config("rusal-3kA", LUMPED + RENEW + ['schedule.duration="7 d"'])
    m = make_model(cfg)
    before = m.salt_component_totals()
    for step in range(1, 24 * 7 + 1):
        m.step(3600.0)
        if step % 48 == 0:
            m.renew_salt(0.3 * m.salt_props.mass)
    after = m.salt_component_totals()
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-10 * m.state.scrap_fed)
    assert m.state.electrolyte_renewals == 3
    np.testing.assert_allclose(m.salt_element_totals(), m.initial_salt_elements, rtol=0,
                               atol=1e-10 * m.state.scrap_fed)


@pytest.mark.parametrize("refill", ["mass", "level"])
def test_renewal_replaces_the_removed_salt_with_fresh_salt(refill):
    """refill = mass: the salt keeps its mass; level: it is back at its initial mass (the
    configured layer). Either way a quarter of every impurity leaves with the salt."""
    cfg = load_config("rusal-3kA", LUMPED + [f'schedule.salt_renewal_refill="{refill}"'])
    m = make_model(cfg)
    initial = m.salt.masses(m.state).sum()
    for _ in range(48):
        m.step(3600.0)
    prov = m.salt
    mass0, mg0 = prov.masses(m.state).sum(), m.state.electrolyte[IMPURITIES.index("Mg")]
    assert mass0 > initial * 1.01
    m.renew_salt(0.25 * mass0)
    expected = mass0 if refill == "mass" else initial
    assert prov.masses(m.state).sum() == pytest.approx(expected, rel=1e-12)
    assert m.state.electrolyte[IMPURITIES.index("Mg")] == pytest.approx(0.75 * mg0, rel=1e-12)
    with pytest.raises(ValueError, match="salt renewal of .* expected between 0 and the salt"):
        m.renew_salt(2 * mass0)


def test_mg_removal_is_booked_per_scrap(renewed):
    """Removed Mg = efficiency x Mg of the raw scrap metal treated; energy per t scrap."""
    r, cfg = renewed, renewed.config
    w_mg = cfg.scrap.composition["Mg"]
    raw_metal = r.summary["scrap_fed"] * cfg.scrap.metallic_yield
    assert r.summary["mg_removed"] == pytest.approx(0.5 * w_mg * raw_metal, rel=1e-9)
    assert r.ledger["mg_removal"] == pytest.approx(50 * 3.6e3 * r.summary["scrap_fed"], rel=1e-9)


def test_ubc_salt_evolves_and_voltage_follows():
    """UBC, lumped: the salt's MgF2 rises, the salt grows (ACD with it) and the voltage rises;
    every mole fraction stays in [0, 1]."""
    r = run_campaign(load_config("rusal-3kA", LUMPED + ['schedule.duration="15 d"']))
    s = r.series
    mg = s["electrolyte_composition"][:, SaltProvider(r.config).names.index("MgF2")]
    assert mg[0] == 0.0 and mg[-1] > 0.1
    assert np.all(np.diff(mg) >= -1e-15)
    assert s["acd"][-1] > s["acd"][0] * 1.05
    assert s["cell_voltage"][-1] > s["cell_voltage"][1] + 0.05
    assert np.all((s["electrolyte_composition"] >= 0) & (s["electrolyte_composition"] <= 1))
    # the salt volume over the area is the ACD: mass / density / area
    area = r.config.geometry.area
    # (the ACD takes the salt volume when a property moved by cellsim.cell.PROPERTY_LAG)
    np.testing.assert_allclose(s["acd"], s["electrolyte_mass"] / s["electrolyte_density"] / area, rtol=2.5e-3)


def test_precipitation_books_mgf2_above_the_solubility():
    r = run_campaign(load_config("rusal-3kA", LUMPED + ['schedule.duration="30 d"',
                                                        "electrolyte.mgx2_solubility_wt_pct=8"]))
    i = SaltProvider(r.config).names.index("MgF2")
    assert r.series["electrolyte_composition"][:, i].max() <= 0.08 + 1e-12
    assert r.summary["salt_precipitate"] > 1.0
    assert np.max(np.abs(r.mass_balance)) <= 1e-10 * r.summary["scrap_fed"]


def test_precipitation_can_stop_the_run():
    r = run_campaign(load_config("rusal-3kA", LUMPED + [
        'schedule.duration="30 d"', "electrolyte.mgx2_solubility_wt_pct=5",
        'electrolyte.precipitation="stop"']))
    assert r.stop_reason.startswith("MgX2 solubility reached")
    assert r.summary["campaign_length"] < 30 * 86400


def test_layer_order_stops_the_run():
    """A margin larger than the fresh salt's distance to the cathode metal: stop, named."""
    r = run_campaign(load_config("rusal-3kA", LUMPED + ['schedule.duration="3 d"',
                                                        'electrolyte.layer_density_margin="0.36 g/cm3"']))
    assert r.stop_reason.startswith("layer order: the electrolyte")
    assert "cathode metal above it" in r.stop_reason


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("override, key", [
    ("electrolyte.composition_wt_pct={BaCl2=60, NaF=17, AlF3=23, Unobtainium=1}",
     "electrolyte.composition_wt_pct.Unobtainium"),
    ("electrolyte.composition_wt_pct={BaCl2=60, NaF=10, AlF3=23}", "electrolyte.composition_wt_pct"),
    ("electrolyte.composition_wt_pct={BaCl2=60, NaF=20, AlF3=20}", "electrolyte.composition_wt_pct"),
    ('schedule.salt_renewal_mode="interval"', "schedule.salt_renewal_interval"),
    ("schedule.salt_renewal_threshold_mgx2_wt_pct=0", "schedule.salt_renewal_threshold_mgx2_wt_pct"),
    ('schedule.salt_renewal_mass="500 kg"', "schedule.salt_renewal_mass"),
    ("scrap.mg_removal_efficiency=1.5", "scrap.mg_removal_efficiency"),
])
def test_bad_salt_input_names_the_key(override, key):
    with pytest.raises(ConfigError) as err:
        load_config("rusal-3kA", [override])
    assert f"key '{key}'" in str(err.value)


def test_threshold_renewal_without_a_threshold_names_the_key(tmp_path):
    from cellsim.config.library import library_root

    text = (library_root() / "cells" / "rusal-3kA.toml").read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith("salt_renewal_threshold_mgx2_wt_pct")]
    assert len(lines) == len(text.splitlines()) - 1
    path = tmp_path / "no-threshold.toml"
    path.write_text("\n".join(lines))
    with pytest.raises(ConfigError) as err:
        load_config(str(path))
    assert "key 'schedule.salt_renewal_threshold_mgx2_wt_pct'" in str(err.value)


def test_without_composition_the_melt_is_a_pseudo_component():
    cfg = load_config("rusal-3kA", LUMPED + ["electrolyte.composition_wt_pct={}"])
    prov = SaltProvider(cfg)
    assert prov.names[:2] == ("base", "AlF3")
    m = make_model(cfg)
    assert m.salt_props.density == pytest.approx(cfg.electrolyte.density, rel=1e-12)
    assert m.salt_props.mean_molar_mass == pytest.approx(cfg.electrolyte.mean_molar_mass, rel=1e-12)


def test_all_elements_have_a_halide():
    prov = SaltProvider(load_config("rusal-3kA", LUMPED))
    assert len(prov.halides) == len(IMPURITIES) == len(ALL_ELEMENTS) - 1
