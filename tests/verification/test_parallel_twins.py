"""kernels/parallel.py: a parallel kernel and its serial twin compute the same numbers.

With one thread the parallel kernel's reduction runs over one chunk in the serial order,
so the twin must agree bit for bit (the runs below PARALLEL_MIN_CELLS use the twin, and
their results must not depend on which was compiled); with more threads the reductions are
regrouped and agree to rounding.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from cellsim.kernels import heat, linalg, parallel

TWINS = [linalg.dot, linalg.cg_step, linalg.xpby, heat.enthalpy_from_temperature,
         heat.temperature_from_enthalpy, heat.surface_linearisation]


def _problem(shape=(9, 4, 13), seed=0):
    rng = np.random.default_rng(seed)
    n0, n1, n2 = shape
    g = (rng.random((n0 + 1, n1, n2)), rng.random((n0, n1 + 1, n2)), rng.random((n0, n1, n2 + 1)))
    return g, rng.random(shape), rng.random(shape), rng.random(shape)


def test_every_parallel_kernel_has_a_serial_twin_of_the_same_source():
    for k in TWINS:
        assert isinstance(k, parallel.ByThreads)
        assert k.serial.py_func.__code__ is k.parallel.py_func.__code__
        assert k.parallel.targetoptions.get("parallel") and not k.serial.targetoptions.get("parallel")


def test_serial_twin_equals_parallel_kernel_on_one_thread():
    rng = np.random.default_rng(0)
    n = 5000
    a, b = rng.random(n), rng.random(n)
    t = 900.0 + 100.0 * rng.random(n)
    c_s, c_l, lat = 1e6 * (1 + rng.random(n)), 1e6 * (1 + rng.random(n)), 4e8 * rng.random(n)
    t_s = 950.0 + 10.0 * rng.random(n)
    t_l = t_s + 5.0 * rng.random(n)
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        assert linalg.dot.serial(a, b) == linalg.dot.parallel(a, b)
        assert linalg.dot.serial(a, b) == pytest.approx(float(a @ b), rel=1e-13)
        outs = []
        for kernel in (linalg.cg_step.serial, linalg.cg_step.parallel):
            x, r = a.copy(), b.copy()
            rr = kernel(x, r, a, b, 0.3)
            outs.append((rr, x, r))
        assert outs[0][0] == outs[1][0]
        assert np.array_equal(outs[0][1], outs[1][1]) and np.array_equal(outs[0][2], outs[1][2])
        assert np.allclose(outs[0][1], a + 0.3 * a) and np.allclose(outs[0][2], b - 0.3 * b)
        h1, h2 = np.empty(n), np.empty(n)
        heat.enthalpy_from_temperature.serial(t, c_s, c_l, t_s, t_l, lat, h1)
        heat.enthalpy_from_temperature.parallel(t, c_s, c_l, t_s, t_l, lat, h2)
        assert np.array_equal(h1, h2)
        back = [np.empty(n) for _ in range(6)]
        heat.temperature_from_enthalpy.serial(h1, c_s, c_l, t_s, t_l, lat, *back[:3])
        heat.temperature_from_enthalpy.parallel(h1, c_s, c_l, t_s, t_l, lat, *back[3:])
        assert all(np.array_equal(back[i], back[i + 3]) for i in range(3))
        assert np.allclose(back[0], t, rtol=1e-12)  # the inverse of H(T)
    finally:
        numba.set_num_threads(before)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
def test_two_threads_agree_to_rounding():
    rng = np.random.default_rng(1)
    a, b = rng.random(200_000), rng.random(200_000)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(2)
        s2 = linalg.dot.parallel(a, b)
    finally:
        numba.set_num_threads(before)
    assert linalg.dot.serial(a, b) == pytest.approx(s2, rel=1e-13)


def test_the_switch_follows_set_threads():
    before = parallel.threads()
    try:
        parallel.set_threads(1)
        assert parallel.threads() == 1 and numba.get_num_threads() == 1
    finally:
        parallel.set_threads(before)


@pytest.mark.parametrize("preset, expected", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_threads_sleep_when_idle_unless_the_user_says_otherwise(preset, expected):
    """Importing the kernels sets OMP_WAIT_POLICY=PASSIVE before any parallel launch (the
    OpenMP runtime reads it when Numba loads it), keeping a value the user set; the child
    process reports the variable and the layer Numba then runs on."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if preset is not None:
        env["OMP_WAIT_POLICY"] = preset
    code = ("import os, numba, numpy as np\n"
            "from cellsim.kernels import linalg\n"
            "linalg.dot.parallel(np.ones(10), np.ones(10))\n"
            "print(os.environ['OMP_WAIT_POLICY'], numba.threading_layer())\n")
    # -P: the installed cellsim, not a source tree in the working folder (kernels/ is installed
    # as cellsim.kernels only)
    out = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True, text=True, check=True)
    policy, layer = out.stdout.split()
    assert policy == expected and layer in ("omp", "tbb", "workqueue")


def test_the_tbb_layer_loads_when_asked_for_and_installed():
    """NUMBA_THREADING_LAYER=tbb: the tbb wheel's library (in <prefix>/lib) is loaded before
    Numba looks for it, so the layer is tbb; unasked, nothing is loaded."""
    import os
    import subprocess
    import sys

    libs = [os.path.join(p, "lib", "libtbb.so.12") for p in (sys.prefix, sys.base_prefix)]
    if not any(os.path.exists(p) for p in libs):
        pytest.skip("tbb not installed (pip install tbb)")
    code = ("import numba, numpy as np\n"
            "from cellsim.kernels import linalg, parallel\n"
            "linalg.dot.parallel(np.ones(10), np.ones(10))\n"
            "print(numba.threading_layer(), parallel._TBB is not None)\n")
    for asked, expected in (("tbb", "tbb True"), (None, "False")):
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
        if asked:
            env["NUMBA_THREADING_LAYER"] = asked
        out = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True, text=True,
                             check=True).stdout.strip()
        assert out.endswith(expected), out
