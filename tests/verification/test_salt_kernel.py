"""kernels/salt.component_masses against its Python definition (SaltProvider._masses): the
salt's component masses from the cell's inventories, bit for bit: the configured salt with
the co-deposited cations' halides taken from their column, or pro rata, or without
co-deposition; negative inventories count as none."""

import numpy as np
import pytest

from cellsim.config import load_config
from cellsim.electrolyte.provider import SaltProvider
from cellsim.kernels import salt

CASES = {"columns": [], "pro rata": [], "no cations": ["purity.codeposition=false"]}


def _args(prov, base, alx3, imp, deficit):
    return (len(prov.names), base, alx3, imp, deficit, float(deficit.sum()) if deficit.size else 0.0,
            prov._base_ix, prov.base_w, prov._deficit_ix, prov._deficit_pro_rata, prov._alx3_ix,
            prov._halide_ix, prov._halide_per_element)


@pytest.mark.parametrize("case", sorted(CASES))
def test_component_masses_equal_the_provider(case):
    cfg = load_config("rusal-3kA", ['numerics.model="lumped"', *CASES[case]])
    prov = SaltProvider(cfg)
    if case == "columns":
        assert prov.cation_salts and not prov._deficit_pro_rata
    if case == "pro rata":  # a base without the cations' halide columns (the other branch)
        prov._deficit_pro_rata = True
    rng = np.random.default_rng(len(case))
    n_imp, n_cat = prov._halide_ix.size, len(prov.cation_salts)
    for _ in range(200):
        base, alx3 = rng.uniform(-1.0, 60.0), rng.uniform(-1.0, 20.0)
        imp = rng.uniform(-1e-3, 1.0, n_imp) * 10.0 ** rng.uniform(-6, 0, n_imp)
        deficit = rng.uniform(0.0, 0.5, n_cat)
        got = salt.component_masses(*_args(prov, base, alx3, imp, deficit))
        ref = prov._masses(base, alx3, imp, deficit)
        assert np.array_equal(got, ref)  # equal, not close
        assert np.all(got[prov._halide_ix] >= 0.0)


def test_provider_masses_use_the_kernel_with_its_cache():
    """SaltProvider.masses (the kernel) equals _masses on a cell's state, and recomputes when
    an inventory moves in place."""
    cfg = load_config("rusal-3kA", ['numerics.model="lumped"'])
    prov = SaltProvider(cfg)

    class S:
        electrolyte_base, alf3 = 50.0, 12.0
        electrolyte = np.linspace(0.0, 0.3, prov._halide_ix.size)
        cation_salt_deficit = np.full(len(prov.cation_salts), 0.1)

    ref = prov._masses(S.electrolyte_base, S.alf3, S.electrolyte, S.cation_salt_deficit)
    assert np.array_equal(prov.masses(S), ref)
    S.electrolyte[1] += 0.5  # in place, as SaltProvider.precipitate does
    ref = prov._masses(S.electrolyte_base, S.alf3, S.electrolyte, S.cation_salt_deficit)
    assert np.array_equal(prov.masses(S), ref)
