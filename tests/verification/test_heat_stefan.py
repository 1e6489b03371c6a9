"""One-phase Stefan problem (Neumann's similarity solution) for the enthalpy formulation.

Melt at its melting point T_m fills 0 < x < 0.3 m; at t = 0 the wall x = 0 drops to
T_w < T_m and a frozen layer grows: s(t) = 2 lambda sqrt(alpha t), with lambda solving
lambda exp(lambda^2) erf(lambda) = St / sqrt(pi), St = c (T_m - T_w) / L. Isothermal
phase change (t_solidus = t_liquidus), equal solid and liquid properties (those of a
frozen electrolyte ledge). The front is sum((1 - f) dx). Tolerance: the relative front
error at t = 5 h (s = 9.8 cm) at least halves with each doubling of cells and steps
(10 ... 80 cells) and is below 3e-4 on the finest grid. The problem lives in
cellsim.validation._mms_heat (shared with the verification summary).
"""

import pytest

from cellsim.validation._mms_heat import T_END, neumann_front
from cellsim.validation._mms_heat import stefan_front as front

pytestmark = pytest.mark.verification


def test_front_position_converges_to_neumann():
    exact = neumann_front(T_END)
    errors = [abs(front(n, 2 * n) - exact) / exact for n in (10, 20, 40, 80)]
    # measured 1.3e-2, 3.1e-3, 6.2e-4, 1.0e-4 (dt ~ dx)
    assert all(b < 0.5 * a for a, b in zip(errors, errors[1:])), errors
    assert errors[-1] < 3e-4, errors
