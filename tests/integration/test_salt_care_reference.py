"""The reference cell's salt care (configs/cells/rusal-3kA.toml, inherited by rusal-500A): a UBC
campaign at the lumped and the axisymmetric level. The scrap's Mg still reaches the salt (90 %
of it is removed before feeding), the MgF2 rises, the conductivity and the cell voltage move
with it, and the renewals at the configured MgF2 threshold keep the salt inside the ranges of
its correlations (no recorded extrapolation); without the practice the same campaign leaves
them. Every mole fraction stays in [0, 1]."""

import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.electrolyte.properties import VALIDITY
from cellsim.electrolyte.provider import SaltProvider

NO_CARE = ["scrap.mg_removal_efficiency=0", 'schedule.salt_renewal_mode="none"']


def _run(level, days, extra=()):
    return run_campaign(load_config("rusal-3kA", [f'numerics.model="{level}"',
                                                  f'schedule.duration="{days} d"', *extra]))


@pytest.fixture(scope="module")
def lumped():
    return _run("lumped", 30)


@pytest.fixture(scope="module")
def rz():
    return _run("axisymmetric", 21)


def test_reference_practice_is_configured_with_ranges():
    cfg = load_config("rusal-3kA")
    assert cfg.scrap.name.startswith("UBC") and cfg.scrap.mg_removal_efficiency == pytest.approx(0.9)
    assert cfg.schedule.salt_renewal_mode == "threshold"
    # the threshold sits inside the narrowest range: Dewing's limiting slopes (5 mol%) and
    # Solheim's liquidus (5 wt% MgF2)
    assert cfg.schedule.salt_renewal_threshold < VALIDITY["liquidus"].hi / 100
    assert load_config("rusal-500A").schedule.salt_renewal_mode == "threshold"


def _check_in_range(r):
    s, se = r.summary, r.series
    prov = SaltProvider(r.config)
    comp = se["electrolyte_composition"]
    assert np.all((comp >= 0.0) & (comp <= 1.0))
    np.testing.assert_allclose(comp.sum(axis=1), 1.0, rtol=1e-12)
    mg = comp[:, prov.names.index("MgF2")]
    threshold = r.config.schedule.salt_renewal_threshold
    assert s["electrolyte_renewals"] >= 1 and r.stop_reason == "duration reached"
    assert mg.max() <= threshold * 1.01  # renewed at the step that passes it
    # the MgF2 rises between renewals: up to near the threshold before the first renewal
    k = np.searchsorted(se["time"], r.renewals[0].time)
    assert np.all(np.diff(mg[:k]) > 0.0) and mg[k - 1] > 0.9 * threshold and mg[k] < 0.6 * mg[k - 1]
    # conductivity and voltage move with the composition; nothing extrapolated
    assert np.ptp(se["electrolyte_conductivity"]) > 0.005 * se["electrolyte_conductivity"][0]
    assert np.ptp(se["cell_voltage"][1:]) > 0.005
    assert r.warnings == []
    assert np.max(np.abs(r.mass_balance)) <= 1e-10 * s["scrap_fed"]
    assert max(abs(v) for v in r.salt_balance.values()) <= 1e-10 * s["scrap_fed"]


def test_lumped_ubc_campaign_stays_in_range(lumped):
    _check_in_range(lumped)


def test_rz_ubc_campaign_stays_in_range(rz):
    _check_in_range(rz)


def test_without_salt_care_the_salt_leaves_the_correlations(lumped):
    """The same 30 days without Mg removal or renewals: the Dewing and Solheim ranges are
    left (recorded), and the MgF2 climbs far past the reference run's."""
    bare = _run("lumped", 30, NO_CARE)
    assert any("alx3_activity" in w for w in bare.warnings)
    assert any("liquidus" in w for w in bare.warnings)
    i = SaltProvider(bare.config).names.index("MgF2")
    assert bare.series["electrolyte_composition"][:, i].max() > 3 * lumped.series["electrolyte_composition"][:, i].max()
