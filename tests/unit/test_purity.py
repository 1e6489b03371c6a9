"""Purity pathways and current-efficiency losses (cellsim.purity) against hand calculations,
conservation with every pathway on, and the directions the sources give."""

import dataclasses
import math

import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import ConfigError, load_config
from cellsim.elements import ALL_ELEMENTS, ELEMENTS, IMPURITIES
from cellsim.models import make_model
from cellsim.purity import (anode_transfer, codeposition, efficiency, equilibria, ledger,
                            salt_entrainment, sources, transport)
from cellsim.purity.pathways import Pathways

F, R = 96485.33212, 8.314462618
LUMPED = ["numerics.model=lumped"]


def _model(*overrides):
    return make_model(load_config("rusal-3kA", LUMPED + list(overrides)))


# ------------------------------------------------------------------ (a) transport-limited deposition
def test_one_ppm_fe_in_the_melt_gives_about_170_ppm_in_the_product():
    # 1 ppm Fe, 2700 kg/m3, k = 3e-5 m/s, 0.5 A/cm2: c = 1e-6*2700/0.055845 mol/m3,
    # Fe deposit k c M_Fe against Al deposit j M_Al / 3F
    c = 1e-6 * 2700.0 / 0.055845
    hand = 3e-5 * c * 0.055845 / (5000.0 * 0.0269815 / (3 * F))
    w = transport.product_fraction_from_melt(1e-6, 2700.0, 0.055845, 3e-5, 5000.0)
    assert w == pytest.approx(hand, rel=1e-12)
    assert 160e-6 < w < 180e-6


def test_noble_input_to_the_electrolyte_splits_between_the_metals_by_their_film_conductances():
    m = _model()
    fe = IMPURITIES.index("Fe")
    s = m.state
    s.alloy[1:] = 0.0  # no impurity in the metals: only the electrolyte's Fe moves
    s.cathode[1:] = 0.0
    s.electrolyte[:] = 0.0
    s.electrolyte[fe] = 1e-3  # kg
    m.update_state()
    ex = m.physics.species.exchange(m, 600.0, m.derived.temperature, m.physics.electrical)
    to_cathode, to_alloy = ex.cathode[fe], ex.alloy[fe]
    # equal salt films, S << 1: both conductances are A k_salt -> one half each
    assert to_cathode / (to_cathode + to_alloy) == pytest.approx(0.5, abs=1e-6)
    assert transport.cathode_share(2.0, 2.0) == 0.5


# ------------------------------------------------------------------ (b) sources
def test_makeup_salt_carries_its_contents():
    out = sources.makeup_impurities(10.0, 2.0, {"Fe": 200e-6, "Si": 500e-6}, {"Fe": 50e-6})
    assert out[IMPURITIES.index("Fe")] == pytest.approx(10 * 200e-6 + 2 * 50e-6, rel=1e-12)
    assert out[IMPURITIES.index("Si")] == pytest.approx(10 * 500e-6, rel=1e-12)


def test_steel_rods_dissolve_fe_at_the_film_rate_and_graphite_nothing():
    area = sources.wetted_rod_area(6, 0.08, 0.06)
    assert area == pytest.approx(6 * (math.pi * 0.08 * 0.06 + math.pi * 0.04**2), rel=1e-12)
    steel = sources.collector_dissolution("steel", area, 1e-4, 2349.0, 0.025, 0.005)
    assert steel[IMPURITIES.index("Fe")] == pytest.approx(1e-4 * 2349.0 * 0.020 * area, rel=1e-12)
    assert not np.any(sources.collector_dissolution("graphite", area, 1e-4, 2349.0, 0.025, 0.0))
    assert sources.wetted_lining_area(2.0, 0.05, 0.01) == 0.0  # a ledge covers the wall
    assert sources.wetted_lining_area(2.0, 0.05, 0.0) == pytest.approx(0.1)


# ------------------------------------------------------------------ (c) anode alloy
def test_codissolution_only_above_the_al_limiting_current():
    j_lim = anode_transfer.al_limiting_current_density(1e-4, 5e4)
    assert j_lim == pytest.approx(3 * F * 1e-4 * 5e4, rel=1e-12)
    x, n = np.array([0.8, 0.2]), np.array([3.0, 1.0])
    assert not np.any(anode_transfer.codissolution_flux(0.9 * j_lim, j_lim, 1.0, x, n))
    flux = anode_transfer.codissolution_flux(j_lim + 1000.0, j_lim, 2.0, x, n)
    # 2000 A over F (0.8*3 + 0.2*1) per mole of alloy, split by mole fraction
    assert flux == pytest.approx(x * 2000.0 / (F * 2.6), rel=1e-12)
    assert F * np.dot(flux, n) == pytest.approx(2000.0, rel=1e-12)  # the excess current


def test_entrainment_share_is_alpha_times_the_alloy_content():
    m = _model()
    s, cu = m.state, ALL_ELEMENTS.index("Cu")
    seen = {}
    original = m.pathways.entrainment

    def spy(al_deposited, alloy):
        seen.update(al=al_deposited, w=alloy / alloy.sum())
        return original(al_deposited, alloy)

    m.pathways.entrainment = spy
    al0, ox0 = s.cathode[0], s.oxidized
    m.step(3600.0)
    alpha = m.config.purity.alloy_entrainment
    # cathode Al gain = deposit - oxidised + alpha * deposit * w_Al  ->  deposit
    deposit = (s.cathode[0] - al0 + s.oxidized - ox0) / (1.0 + alpha * seen["w"][0])
    assert seen["al"] == pytest.approx(deposit, rel=1e-9)
    entrained_cu = s.tags_cathode[ledger.TAGS.index("entrainment"), cu - 1]
    assert entrained_cu == pytest.approx(alpha * deposit * seen["w"][cu], rel=1e-9)
    assert 25e-6 < alpha * seen["w"][cu] < 35e-6  # the calibration: Cu 20-40 ppm at 33 % Cu


# ------------------------------------------------------------------ (c') salt inclusions
SALT_ON = ["purity.salt_entrainment=true", "purity.salt_inclusions=1e-5"]


def test_salt_inclusion_fraction_and_metal_contents_by_hand():
    # 1e-5 kg salt per kg Al, 2 kg Al deposited, 80 kg of salt: 2e-5 kg carried, 2.5e-7 of it
    assert salt_entrainment.carried_fraction(1e-5, 2.0, 80.0) == pytest.approx(2e-5 / 80.0, rel=1e-15)
    assert salt_entrainment.carried_fraction(1e-5, -1.0, 80.0) == 0.0
    assert salt_entrainment.carried_fraction(0.5, 1e3, 80.0) == 1.0  # never more than the electrolyte
    # NaF: 22.98977 / (22.98977 + 18.998403); BaCl2: 137.327 / (137.327 + 2 * 35.45)
    metals = salt_entrainment.metals_of(("NaF", "BaCl2", "base"), (1.0, 2.0, 5.0))
    assert metals["Na"] == pytest.approx(22.98977 / 41.988173, rel=1e-4)
    assert metals["Ba"] == pytest.approx(2.0 * 137.327 / 208.227, rel=1e-4)
    assert set(metals) == {"Na", "Ba"}  # the pseudo-component has no formula


def test_salt_inclusions_carry_the_melt_of_the_moment_into_the_cathode_metal():
    m = _model(*SALT_ON)
    s, mg = m.state, IMPURITIES.index("Mg")
    for _ in range(24):  # a day: the scrap's Mg builds MgF2 in the electrolyte
        m.step(3600.0)
    seen = {}
    original = m.pathways.salt_carried

    def spy(al_deposited, salt_mass):
        f = original(al_deposited, salt_mass)
        seen.update(al=al_deposited, salt=salt_mass, f=f)
        return f

    m.pathways.salt_carried = spy
    tags0 = s.tags_cathode[ledger.TAGS.index("salt_inclusions")].copy()
    na0, base0, alx30 = s.cations_included_cathode.copy(), s.salt_included_base, s.salt_included_alx3
    mg0, cath_mg0 = s.salt_included_halides[mg], s.cathode[ALL_ELEMENTS.index("Mg")]
    m.step(3600.0)
    f = 1e-5 * seen["al"] / seen["salt"]
    assert seen["f"] == pytest.approx(f, rel=1e-15)
    assert 0.95 < seen["al"] < 1.01 and 60.0 < seen["salt"] < 100.0  # 3 kA, 1 h: 1.007 kg at 100 %
    # the electrolyte's Mg after the step's exchange, times f, entered the cathode metal as Mg
    mg_in = s.salt_included_halides[mg] - mg0
    assert mg_in > 0.0 and s.cathode[ALL_ELEMENTS.index("Mg")] - cath_mg0 > 0.0
    assert mg_in == pytest.approx(f / (1.0 - f) * s.electrolyte[mg], rel=1e-9)
    assert s.tags_cathode[ledger.TAGS.index("salt_inclusions"), mg] > tags0[mg]
    base_in = s.salt_included_base - base0
    assert base_in == pytest.approx(f / (1.0 - f) * s.electrolyte_base, rel=1e-9)
    assert s.salt_included_alx3 - alx30 == pytest.approx(f / (1.0 - f) * s.alf3, rel=1e-9)
    # the Na of the carried NaF (22.98977 of 41.988173 g/mol) joined the metal's Na
    na_in = (s.cations_included_cathode - na0)[0]
    naf_after = m.salt.masses(s)[m.salt.names.index("NaF")]
    assert na_in == pytest.approx(f / (1.0 - f) * naf_after * 22.98977 / 41.988173, rel=1e-6)


def test_salt_inclusions_report_na_mg_and_ba_in_the_product(all_on):
    _, _, r = all_on
    s = r.summary
    assert s["product_salt_inclusions"] > 0.0
    assert 0.0 < s["product_Na_from_salt_inclusions"] < s["product_Na"]
    assert s["product_Mg_from_salt_inclusions"] > 0.0 and s["product_Ba_from_salt_inclusions"] > 0.0
    # Ba of BaCl2 in the carried salt: at most its share of the fresh base salt (60/77 BaCl2)
    assert s["product_Ba_from_salt_inclusions"] < s["product_salt_inclusions"] * 60 / 77 * 137.327 / 208.227
    assert "salt inclusions" in r.format_summary()


def test_salt_entrainment_on_without_a_coefficient_names_the_key():
    with pytest.raises(ConfigError) as info:
        load_config("rusal-3kA", LUMPED + ["purity={salt_entrainment=true}"])
    assert "'purity.salt_inclusions'" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_config("rusal-3kA", LUMPED + ["purity.salt_inclusions=-1e-5"])
    assert "'purity.salt_inclusions'" in str(info.value)


# ------------------------------------------------------------------ (d) cation co-deposition
def test_sodium_codeposition_equilibrium_by_hand():
    T, a_alx3 = 1023.15, 0.1
    # delta_E(Na, fluoride) interpolated by hand between the 1000 and 1050 K nodes
    dE = -0.5654 + (T - 1000.0) / 50.0 * (-0.5576 + 0.5654)
    K = math.exp(F * -dE / (R * T))  # n = 1, delta_E < 0 -> K >> 1
    hand = 0.2 * 0.42 * 1.0 / (180.0 * K * a_alx3 ** (1 / 3))
    x = codeposition.metal_mole_fraction("Na", "fluoride", T, a_alx3, 1.0, 0.42, 0.2, 180.0)
    assert x == pytest.approx(hand, rel=1e-4)
    # a basic electrolyte (less AlX3) gives more Na in the metal, as Dewing's acidity scale says
    assert codeposition.metal_mole_fraction("Na", "fluoride", T, 0.05, 1.0, 0.42, 0.2, 180.0) > x


# ------------------------------------------------------------------ (e) delta_E(T)
def test_delta_e_table_matches_janaf():
    pytest.importorskip("janaf")
    from cellsim.validation import thermodynamics

    for T in (800.0, 975.0, 1000.0, 1125.0, 1300.0):
        ref = thermodynamics.delta_E(T)
        for key in equilibria.TABLE:
            tol = 5e-4 if T in equilibria.T_NODES else 0.01  # between nodes: linear interpolation
            assert equilibria.delta_E(*key, T) == pytest.approx(ref[key], abs=tol), (key, T)


def test_delta_e_moves_with_temperature():
    assert equilibria.delta_E("Cu", "fluoride", 1100.0) < equilibria.delta_E("Cu", "fluoride", 900.0)
    assert equilibria.delta_E("Mn", "fluoride", 900.0) == equilibria.delta_E("Mn", "fluoride", 1100.0)


# ------------------------------------------------------------------ (f) current efficiency
def test_dissolved_metal_flux_by_hand():
    # 0.6 m2, 1e-4 mass fraction at 2700 kg/m3, a_Al 1 vs 0.65, k 1e-4 m/s, ACD 4.5 cm, D 2e-4 m2/s
    c = 1e-4 * 2700.0 / 0.0269815
    hand = 0.6 * c * 0.35 / (2 / 1e-4 + 0.045 / 2e-4)
    assert efficiency.dissolved_metal_flux(c, 1.0, 0.65, 1e-4, 0.6, 0.045, 2e-4) == pytest.approx(hand, rel=1e-12)
    assert efficiency.al_solubility(1e-4, 1073.15, 1023.15, 6e-3) == pytest.approx(1.3e-4, rel=1e-12)


def test_al_solubility_composition_term_by_hand():
    # [Odegard1988]: +0.0268 wt% per unit NaF/AlF3 mass ratio against 0.0517 wt% at 1000 degC
    # and R = 1.5 -> 0.52 per unit R; R 0.2 above the reference raises 1e-4 by 10.4 %
    assert 0.0268 / (-0.2877 + 0.0268 * 1.5 + 2.992e-4 * 1000.0) == pytest.approx(0.52, abs=0.005)
    w = efficiency.al_solubility(1e-4, 1023.15, 1023.15, 6e-3, 0.2, 0.52)
    assert w == pytest.approx(1e-4 * (1.0 + 0.52 * 0.2), rel=1e-12)
    assert efficiency.al_solubility(1e-4, 1023.15, 1023.15, 6e-3, -10.0, 0.52) == 0.0  # never < 0


COMPOSITION = ["current_efficiency.solubility_ratio_coefficient=0.52",
               "current_efficiency.solubility_reference_ratio=0.739"]


def test_dissolved_metal_loss_rises_in_a_basic_melt():
    pw = Pathways(load_config("rusal-3kA", LUMPED + COMPOSITION))
    ref = pw.reference_ratio()
    assert ref == 0.739  # the Gadeau bath's NaF/AlF3, 17 / 23
    cfg = load_config("rusal-3kA", LUMPED)
    cfg = dataclasses.replace(cfg, current_efficiency=dataclasses.replace(
        cfg.current_efficiency, solubility_reference_ratio=None))
    assert Pathways(cfg).reference_ratio() == pytest.approx(17.0 / 23.0, rel=1e-12)  # the default
    flux = [pw.dissolved_metal(1023.15, 1.0, 0.6, r) for r in (ref - 0.1, ref, ref + 0.1)]
    assert flux[0] < flux[1] < flux[2]  # more NaF per AlF3: more dissolved Al, lower CE
    assert flux[1] == pytest.approx(pw.dissolved_metal(1023.15, 1.0, 0.6), rel=1e-12)
    assert flux[2] / flux[1] == pytest.approx(1.0 + 0.052 / (1.0 + 6e-3 * (1023.15 - pw.ce.solubility_reference_temperature)),
                                              rel=1e-9)


def test_campaign_ce_falls_when_the_melt_turns_basic():
    # less AlF3 in the fresh salt (the same NaF and BaCl2): a basic electrolyte, higher R, lower CE
    runs = {}
    for name, comp, alf3 in (("acidic", "{BaCl2=58.0, NaF=16.4, AlF3=25.6}", 0.256),
                             ("basic", "{BaCl2=62.0, NaF=17.6, AlF3=20.4}", 0.204)):
        cfg = load_config("rusal-3kA", LUMPED + COMPOSITION + [
            "schedule.duration=1d", f"electrolyte.composition_wt_pct={comp}",
            f"electrolyte.alf3_mass_fraction={alf3}"])
        s = run_campaign(cfg).summary
        runs[name] = s["ce_loss_dissolved_metal"]
    # R 0.64 -> 0.86: +0.52 * 0.22 = +11 % on the solubility; the melt temperatures differ by
    # < 1 K (< 0.6 % through the temperature term)
    assert runs["basic"] > 1.05 * runs["acidic"]


def test_composition_term_is_inactive_in_a_melt_without_naf():
    # no NaF/AlF3 ratio to follow: the solubility keeps its temperature term only
    cell = make_model(load_config("rusal-3kA", LUMPED + COMPOSITION + [
        "electrolyte.composition_wt_pct={BaCl2=77.0, AlF3=23.0}"]))
    assert cell.naf_alf3_ratio() is None
    pw = cell.pathways
    assert pw.dissolved_metal(1023.15, 1.0, 0.6, None) == pytest.approx(
        Pathways(load_config("rusal-3kA", LUMPED + ["current_efficiency.solubility_ratio_coefficient=0"]))
        .dissolved_metal(1023.15, 1.0, 0.6), rel=1e-12)


@pytest.mark.parametrize("key, lo, hi, sign", [
    ("geometry.acd", "3cm", "7cm", -1),  # longer path, less loss
    ("electrolyte.mass_transfer_coefficient", "0.5e-2cm/s", "2e-2cm/s", +1),  # stirring: more loss
    ("electrolyte.eddy_diffusivity", "2e-6m2/s", "2e-4m2/s", +1),
])
def test_dissolved_metal_loss_moves_with_acd_and_stirring(key, lo, hi, sign):
    T = 1036.0
    flux = [Pathways(load_config("rusal-3kA", LUMPED + [f"{key}={v}"])).dissolved_metal(T, 1.0, 0.6)
            for v in (lo, hi)]
    assert sign * (flux[1] - flux[0]) > 0.0


def test_current_efficiency_moves_with_temperature_and_current():
    pw = Pathways(load_config("rusal-3kA", LUMPED))
    assert pw.dissolved_metal(1073.0, 1.0, 0.6) > pw.dissolved_metal(1023.0, 1.0, 0.6)
    # the loss does not depend on the current: CE = 1 - loss / (I / 3F) rises with the current
    loss = pw.dissolved_metal(1023.0, 1.0, 0.6)
    ce = [1.0 - loss / (I / (3 * F)) for I in (2000.0, 4000.0)]
    assert ce[1] > ce[0]


def test_stirring_lowers_the_current_efficiency_of_a_campaign():
    ce = [run_campaign(load_config("rusal-3kA", LUMPED + ["schedule.duration=2d",
                                                         f"electrolyte.mass_transfer_coefficient={k}"]))
          .summary["current_efficiency"] for k in ("0.5e-2cm/s", "2e-2cm/s")]
    assert ce[1] < ce[0]


def _campaign_ce(*overrides):
    cfg = load_config("rusal-3kA", LUMPED + ["schedule.duration=2d", *overrides])
    s = run_campaign(cfg).summary
    return s["current_efficiency"], s["mean_temperature"], s["mean_heater_power"]


def test_campaign_ce_falls_with_the_melt_temperature():
    """Both melts held at their set point by the heater (above the ~765 degC the 3 kA pot reaches
    on its own Joule heat): the hotter one dissolves more metal
    (c_sat rises with T, [Odegard1988]) and loses more current."""
    (ce_lo, t_lo, h_lo), (ce_hi, t_hi, h_hi) = (_campaign_ce(f'operation.temperature="{t} degC"')
                                                for t in (780, 820))
    assert h_lo > 0.0 and h_hi > 0.0
    assert (t_lo, t_hi) == (pytest.approx(1053.15, abs=1e-6), pytest.approx(1093.15, abs=1e-6))
    assert ce_hi < ce_lo


def test_campaign_ce_rises_with_the_acd_at_a_held_temperature():
    """A longer ACD adds the bulk path ACD/D_t to the dissolved metal's way to the alloy. At
    the reference set point a 5.5 cm ACD self-heats the pot to ~840 degC (that CE falls, the
    melt being hotter: docs/purity.md); at 870 degC the heater holds both, so the ACD alone acts."""
    (ce_short, t_short, h_short), (ce_long, t_long, h_long) = (
        _campaign_ce('operation.temperature="870 degC"', f'geometry.acd="{acd} cm"')
        for acd in (3.5, 5.5))
    assert h_short > 0.0 and h_long > 0.0 and t_short == pytest.approx(t_long, abs=1e-6)
    assert ce_long > ce_short


# ------------------------------------------------------------------ bookkeeping
@pytest.fixture(scope="module")
def all_on():
    overrides = LUMPED + ["schedule.duration=6d", "current_efficiency.shunt_fraction=0.01",
                          "collectors.rod_material=steel", "anode_alloy.metal_mass_transfer_coefficient=1e-7cm/s",
                          "schedule.tap_interval=1d"] + SALT_ON + COMPOSITION
    cfg = load_config("rusal-3kA", overrides)
    model = make_model(cfg)
    return cfg, model, run_campaign(cfg)


def test_conservation_with_every_pathway_on(all_on):
    cfg, _, r = all_on
    p = cfg.purity
    assert all((p.makeup_salts, p.lining, p.collectors, p.codissolution, p.entrainment, p.codeposition,
                p.salt_entrainment))
    assert r.summary["product_Mg_from_salt_inclusions"] > 0
    assert r.summary["ce_loss_shunt"] > 0 and r.summary["product_Fe_from_collectors"] > 0
    assert r.summary["product_Cu_from_codissolution"] > 0  # the starved alloy film co-dissolves
    handled = r.summary["scrap_fed"] + 2000.0  # kg: scrap plus the ~2 t of metal and salt in the pot
    assert np.all(np.abs(r.mass_balance) <= 1e-10 * handled)


def test_cations_and_tags_are_conserved():
    m = _model("schedule.duration=2d")
    for _ in range(48):
        m.step(3600.0)
    m.tap()
    assert np.allclose(m.cation_totals(), m.initial_cations, rtol=1e-12, atol=0.0)
    s = m.state
    assert np.allclose(s.tags_cathode.sum(axis=0), np.maximum(s.cathode[1:], 0), rtol=1e-12, atol=1e-18)
    assert np.allclose(s.tags_tapped.sum(axis=0), s.tapped[1:], rtol=1e-12, atol=1e-18)


def test_loss_terms_add_up_to_one_minus_ce(all_on):
    _, _, r = all_on
    s = r.summary
    total = sum(s[f"ce_loss_{m}"] for m in efficiency.LOSSES)
    assert total == pytest.approx(1.0 - s["current_efficiency"], abs=1e-12)


def test_pathway_shares_add_up_to_the_product_content(all_on):
    _, _, r = all_on
    for e in IMPURITIES:
        parts = sum(r.summary[f"product_{e}_from_{t}"] for t in ledger.TAGS)
        assert parts == pytest.approx(r.summary[f"product_{e}"], rel=1e-9, abs=1e-15)
    for tap in r.taps:
        assert tap.pathways.sum(axis=0) == pytest.approx(tap.composition[1:], rel=1e-9, abs=1e-15)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("override, key", [
    ("purity.alloy_entrainment=-1e-4", "purity.alloy_entrainment"),
    ("purity.alloy_entrainment=1.5", "purity.alloy_entrainment"),
    ("collectors.rod_material=copper", "collectors.rod_material"),
    ("purity.lining_release_mg_per_m2_d={Fe=-3}", "purity.lining_release_mg_per_m2_d.Fe"),
    ("current_efficiency.shunt_fraction=1.2", "current_efficiency.shunt_fraction"),
    ("current_efficiency.oxidation_rate='-1 kg/(m2 d)'", "current_efficiency.oxidation_rate"),
    ("purity.cation_salt_mole_fraction={Na=0.4,Xe=0.1}", "purity.cation_salt_mole_fraction.Xe"),
])
def test_bad_coefficients_name_the_key(override, key):
    with pytest.raises(ConfigError) as info:
        load_config("rusal-3kA", LUMPED + [override])
    assert f"'{key}'" in str(info.value)


@pytest.mark.parametrize("overrides, key", [
    (["purity.lining_release_mg_per_m2_d={}"], "purity.lining_release_mg_per_m2_d"),
    (["electrolyte.alf3_impurities_ppm={}", "electrolyte.base_salt_impurities_ppm={}"],
     "electrolyte.alf3_impurities_ppm"),
    (["purity.cation_metal_activity_coefficient={}"], "purity.cation_metal_activity_coefficient"),
])
def test_a_pathway_on_without_its_data_names_the_key(overrides, key):
    with pytest.raises(ConfigError) as info:
        load_config("rusal-3kA", LUMPED + overrides)
    assert f"'{key}'" in str(info.value)


def test_entrainment_on_without_a_coefficient_names_the_key():
    with pytest.raises(ConfigError) as info:  # a whole [purity] table replaces the cell's
        load_config("rusal-3kA", LUMPED + ["purity={entrainment=true}"])
    assert "'purity.alloy_entrainment'" in str(info.value)


def test_field_level_books_the_pathways_into_its_concentration_field():
    cfg = load_config("rusal-3kA", ["numerics.model=axisymmetric", "numerics.resolution=coarse",
                                    "schedule.duration=2d", "schedule.tap_interval=1d"])
    r = run_campaign(cfg)
    handled = r.summary["scrap_fed"] + 2000.0
    assert np.all(np.abs(r.mass_balance) <= 1e-10 * handled)
    assert r.summary["product_Fe_from_makeup_salts"] > 0.0
    cell = make_model(cfg)
    for _ in range(6):
        cell.step(3600.0)
    field = cell.physics.species.electrolyte_inventory()
    assert field == pytest.approx(cell.state.electrolyte, rel=1e-10, abs=1e-15)


def test_summary_attributes_every_element_above_0_1_ppm(all_on):
    _, _, r = all_on
    text = r.format_summary()
    for e in IMPURITIES:
        if r.summary[f"product_{e}"] > 1e-7:
            assert f"  {e} from " in text, e
    assert "loss: dissolved metal" in text and "Na " in text and "co-deposited" in text
    # entrained alloy Al adds to the cathode: shown as a gain of |share|, never a negative loss
    share = r.summary["ce_loss_entrained_al"]
    assert share < 0
    gain = next(x for x in text.splitlines() if "entrained alloy Al" in x)
    assert gain.strip().startswith("gain:") and f"{-share * 100:.3f}" in gain, gain
    assert not any(x.strip().startswith("loss:") and " -" in x for x in text.splitlines())
    # the base salt's Ba, carried by salt inclusions only, is named on the inclusions' line
    assert r.summary["product_Ba_from_salt_inclusions"] > 1e-7
    line = next(x for x in text.splitlines() if x.strip().startswith("salt inclusions"))
    assert "Ba" in line, line


@pytest.mark.parametrize("level", ["axisymmetric", "3d"])
def test_field_levels_place_inputs_where_they_act(level):
    # lining at the side-wall cells, co-dissolution on the alloy interface, make-up everywhere;
    # each placement holds exactly the mass added
    cfg = load_config("rusal-3kA", [f"numerics.model={level}", "numerics.resolution=coarse"])
    species = make_model(cfg).physics.species
    f = species.field
    masses = np.linspace(1e-4, 7e-4, len(IMPURITIES))
    idx = np.argwhere(f.mask)
    r_max = idx[:, 0].max()
    for where in ("electrolyte", "wall", "anode"):
        before = species.concentration.copy()
        species.add(masses, where)
        added = (species.concentration - before)[:, f.mask]
        assert species.field.inventory(species.concentration - before) * np.asarray(
            [ELEMENTS[e].molar_mass for e in IMPURITIES]) == pytest.approx(masses, rel=1e-12)
        touched = np.nonzero(added[0])[0]
        if where == "electrolyte":
            assert touched.size == f.n
        elif where == "anode":  # the lowest electrolyte row, on the alloy
            assert set(idx[touched, 2]) == {idx[:, 2].min()}
        else:  # the outermost cells of each electrolyte row (r or x-y towards the wall)
            assert 0 < touched.size < f.n
            if level == "axisymmetric":
                assert set(idx[touched, 0]) == {r_max}
            rows = {}
            for i, j, k in idx:
                rows.setdefault((j, k), []).append(i)
            for i, j, k in idx[touched]:
                assert i == max(rows[(j, k)]) or j == max(idx[(idx[:, 0] == i) & (idx[:, 2] == k), 1])
    with pytest.raises(ValueError, match="'roof'"):
        species.add(masses, "roof")
