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

from cellsim.kernels import fv, heat, linalg, parallel

TWINS = [fv.residual, fv.apply_operator, linalg.shifted_residual, linalg.apply_shifted, linalg.dot]


def _problem(shape=(9, 4, 13), seed=0):
    rng = np.random.default_rng(seed)
    n0, n1, n2 = shape
    g = (rng.random((n0 + 1, n1, n2)), rng.random((n0, n1 + 1, n2)), rng.random((n0, n1, n2 + 1)))
    return g, rng.random(shape), rng.random(shape), rng.random(shape)


def test_every_parallel_kernel_has_a_serial_twin_of_the_same_source():
    for k in TWINS + [heat.temperature_from_enthalpy, linalg.cg_step, linalg.xpby]:
        assert isinstance(k, parallel.ByThreads)
        assert k.serial.py_func.__code__ is k.parallel.py_func.__code__
        assert k.parallel.targetoptions.get("parallel") and not k.serial.targetoptions.get("parallel")


def test_serial_twin_equals_parallel_kernel_on_one_thread():
    (gx, gy, gz), x, b, d = _problem()
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        for kernel, args in ((fv.residual, (gx, gy, gz, x, b)), (linalg.shifted_residual, (gx, gy, gz, d, x, b))):
            r1, r2 = np.empty_like(x), np.empty_like(x)
            s1 = kernel.serial(*args, r1)
            s2 = kernel.parallel(*args, r2)
            assert s1 == s2 and np.array_equal(r1, r2)
        fa, fb = x.reshape(-1), b.reshape(-1)
        assert linalg.dot.serial(fa, fb) == linalg.dot.parallel(fa, fb)
        # residual and operator of the twins agree: r = b - A x
        r = np.empty_like(x)
        fv.residual.serial(gx, gy, gz, x, b, r)
        ax = np.empty_like(x)
        fv.apply_operator.serial(gx, gy, gz, x, ax)
        assert np.allclose(r, b - ax, rtol=0, atol=1e-13)
    finally:
        numba.set_num_threads(before)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
def test_two_threads_agree_to_rounding():
    (gx, gy, gz), x, b, _ = _problem((64, 8, 40), seed=1)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(2)
        r2 = np.empty_like(x)
        s2 = fv.residual.parallel(gx, gy, gz, x, b, r2)
    finally:
        numba.set_num_threads(before)
    r1 = np.empty_like(x)
    s1 = fv.residual.serial(gx, gy, gz, x, b, r1)
    assert np.array_equal(r1, r2) and s1 == pytest.approx(s2, rel=1e-13)


def test_the_switch_follows_set_threads():
    before = parallel.threads()
    try:
        parallel.set_threads(1)
        assert parallel.threads() == 1 and numba.get_num_threads() == 1
    finally:
        parallel.set_threads(before)
