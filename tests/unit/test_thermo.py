import pytest

from cellsim.thermo import AL_LATENT_HEAT, aluminium_enthalpy, feed_heating


def test_feed_enthalpy_matches_janaf_figures():
    # JANAF [Chase1998], rounded: 295 kWh/t to liquid at the melting point, 325 at 750 degC, 341 at 800
    kwh_t = 1e3 / 3.6e6
    assert feed_heating(298.15, 1023.15) * kwh_t == pytest.approx(325.0, rel=0.02)
    assert feed_heating(298.15, 1073.15) * kwh_t == pytest.approx(341.0, rel=0.02)
    assert AL_LATENT_HEAT == pytest.approx(10.71e3 / 26.9815e-3, rel=1e-3)
    # crossing the melting point adds the latent heat
    jump = aluminium_enthalpy(933.45) - aluminium_enthalpy(933.45 - 1e-9)
    assert jump == pytest.approx(AL_LATENT_HEAT, rel=1e-6)
