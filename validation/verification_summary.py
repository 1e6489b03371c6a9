"""Verification summary: the measured convergence order of every numerical kernel.

Each row solves a problem with a known exact solution on a sequence of refined grids (or
time steps) and reports the observed order between the two finest, log(e_coarse/e_fine) /
log(refinement ratio), against the order the discretisation is designed to have. The
problems are the ones tests/verification asserts (cellsim.validation._mms, _mms_heat and
_mms_species hold them; the tests and this case share the code):

* FV diffusion operator (cell-centred, harmonic face conductances, Dirichlet closures):
  smooth variable k on smoothly stretched r-z and 3D grids; second order in the
  volume-weighted L2 norm.
* Current with the Butler-Volmer potential jump at the electrode faces (nonlinear, Newton):
  a manufactured potential whose jump equals the overpotential of the local current density
  (anode in r-z, cathode in 3D); second order.
* Heat, spatial: a transient linear in time (backward Euler exact in time) with variable k,
  Dirichlet, convective and radiative boundaries; second order, r-z and 3D.
* Heat, time: a field that the FV operator reproduces exactly, decaying in time; backward
  Euler is first order.
* Stefan front: one-phase solidification against Neumann's similarity solution, cells and
  steps refined together (dt proportional to dx). The enthalpy method with backward Euler is
  designed first order here; the measured order is higher (about 2 to 2.6 over 10-80 cells)
  because the front error of the isothermal enthalpy scheme is dominated by a second-order
  spatial term at these resolutions. Checked as "at least the design order".
* Species transport (drift-diffusion with the exchange law at both interfaces, resolved
  salt film): second order, r-z and 3D.

Inputs: all analytic; no physical parameter of a cell enters. Tolerance: 0.05 below the
design order (the verification tests assert the same bounds), or ±0.05 for the time order,
which must not exceed 1 either. Sources: the manufactured solution of each row (its module
and the verification test that asserts it). The exactness checks (composite slab, series
stack, steady species flux, energy and element balances to round-off) stay in
tests/verification; they are not orders and are not repeated here.

Cost: about 100 s for all rows (the r-z and 3D current-jump and heat rows dominate), so the
case is slow; the normal test run executes the cheap rows through this case
(tests/integration/test_validation_cases.py) and every row through tests/verification.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from cellsim.validate import Check

NAME = "verification_summary"
TITLE = "Verification summary: convergence orders of the kernels"
FAST = False
TOL = 0.05


def _fv(geometry):
    def errors(n):
        from ._mms import k_rz, k_xyz, solve_mms, u_rz, u_xyz
        u, k = (u_rz, k_rz) if geometry == "rz" else (u_xyz, k_xyz)
        return solve_mms(geometry, n, u, k, "multigrid")[1]
    return errors


def _jump(geometry, s):
    def errors(n):
        from ._mms import solve_jump
        return solve_jump(geometry, n, s)[1]
    return errors


def _heat(geometry):
    def errors(n):
        from ._mms_heat import spatial_error
        return spatial_error(geometry, n)
    return errors


def _heat_time(steps):
    from ._mms_heat import time_errors
    return time_errors((steps,))[0]


def _stefan(n):
    from ._mms_heat import T_END, neumann_front, stefan_front
    exact = neumann_front(T_END)
    return abs(stefan_front(n, 2 * n) - exact) / exact


def _species(geometry):
    def errors(n):
        from ._mms_species import species_errors
        return species_errors(geometry, n)[0]
    return errors


@dataclass(frozen=True)
class Problem:
    quantity: str
    error: Callable[[int], float]  # error at resolution n
    sizes: tuple  # cells per direction, or time steps
    step: Callable[[int], float]  # mesh size h [m] (or time step [s]) of resolution n
    step_label: str
    error_label: str
    design: float
    source: str
    cheap: bool
    kind: str = "at_least"


_MMS = "manufactured solution, cellsim.validation."
PROBLEMS = (
    Problem("FV diffusion, r-z: L2 order", _fv("rz"), (8, 16, 32, 64), lambda n: 0.5 / n,
            "h = R / n_r [m]", "L2 error of u", 2.0,
            _MMS + "_mms u_rz, k_rz (tests/verification/test_fv_mms.py)", True),
    Problem("FV diffusion, 3D: L2 order", _fv("xyz"), (16, 32, 64), lambda n: 0.3 / n,
            "h = L_x / n [m]", "L2 error of u", 2.0,
            _MMS + "_mms u_xyz, k_xyz (tests/verification/test_fv_mms.py)", True),
    Problem("current + Butler-Volmer jump, r-z anode: L2 order", _jump("rz", +1), (32, 64, 128),
            lambda n: 0.1 / n, "h = L / n [m]", "L2 error of phi [V]", 2.0,
            _MMS + "_mms solve_jump (tests/verification/test_current_mms.py)", False),
    Problem("current + Butler-Volmer jump, 3D cathode: L2 order", _jump("xyz", -1), (24, 36, 54),
            lambda n: 0.1 / n, "h = L / n [m]", "L2 error of phi [V]", 2.0,
            _MMS + "_mms solve_jump (tests/verification/test_current_mms.py)", False),
    Problem("heat transient, r-z: spatial L2 order", _heat("rz"), (24, 48, 96), lambda n: 0.5 / n,
            "h = R / n [m]", "L2 error of T [K]", 2.0,
            _MMS + "_mms_heat spatial_error (tests/verification/test_heat_mms.py)", False),
    Problem("heat transient, 3D: spatial L2 order", _heat("xyz"), (20, 30, 45), lambda n: 0.3 / n,
            "h = L_x / n [m]", "L2 error of T [K]", 2.0,
            _MMS + "_mms_heat spatial_error (tests/verification/test_heat_mms.py)", False),
    Problem("heat, backward Euler: time order", _heat_time, (4, 8, 16, 32), lambda n: 4000.0 / n,
            "time step [s]", "max error of T [K]", 1.0,
            _MMS + "_mms_heat time_errors (tests/verification/test_heat_mms.py)", True, "within"),
    Problem("Stefan front (dt ~ dx): order", _stefan, (10, 20, 40, 80), lambda n: 0.3 / n,
            "dx [m] (dt = 5 h / 2n)", "relative front error", 1.0,
            "Neumann similarity solution, cellsim.validation._mms_heat stefan_front "
            "(tests/verification/test_heat_stefan.py)", False),
    Problem("species drift-diffusion + exchange, r-z: L2 order", _species("rz"), (16, 32, 64),
            lambda n: 1.0 / n, "h = L / n [m]", "L2 error of c [mol/m3]", 2.0,
            _MMS + "_mms_species (tests/verification/test_species_mms.py)", True),
    Problem("species drift-diffusion + exchange, 3D: L2 order", _species("xyz"), (8, 16, 32),
            lambda n: 1.0 / n, "h = L / n [m]", "L2 error of c [mol/m3]", 2.0,
            _MMS + "_mms_species (tests/verification/test_species_mms.py)", False),
)
CHEAP = tuple(p.quantity for p in PROBLEMS if p.cheap)


def observed(sizes, errors) -> np.ndarray:
    """Orders between successive resolutions: log(e_i / e_i+1) / log(n_i+1 / n_i)."""
    e, n = np.asarray(errors, float), np.asarray(sizes, float)
    return np.log(e[:-1] / e[1:]) / np.log(n[1:] / n[:-1])


def _check(p: Problem, model: float, note: str = "", figures: tuple = ()) -> Check:
    return Check(NAME, p.quantity, model, p.design, TOL, "-", p.source, kind=p.kind, note=note,
                 figures=figures)


def expected_checks() -> list[Check]:
    """The checks this case makes, with NaN model values (nothing is run)."""
    return [_check(p, float("nan")) for p in PROBLEMS]


def run(figures_dir=None, problems: tuple | None = None) -> list[Check]:
    """Run the problems (all, or the named ``problems``) and report the finest-pair order."""
    chosen = [p for p in PROBLEMS if problems is None or p.quantity in problems]
    results = []
    for p in chosen:
        errors = np.array([p.error(n) for n in p.sizes])
        results.append((p, errors, observed(p.sizes, errors)))
    figures = ()
    if figures_dir is not None:
        figures = (_plot(results, Path(figures_dir) / "convergence.png"),)
    checks = []
    for p, errors, orders in results:
        note = (f"errors {', '.join(f'{e:.3g}' for e in errors)} on n = "
                f"{', '.join(map(str, p.sizes))}; orders {', '.join(f'{o:.3f}' for o in orders)}")
        checks.append(_check(p, float(orders[-1]), note, figures))
    return checks


def _plot(results, path: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    path.parent.mkdir(parents=True, exist_ok=True)
    cols = 2 if len(results) > 1 else 1
    rows = (len(results) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 2.9 * rows), layout="constrained",
                             squeeze=False)
    for ax, (p, errors, orders) in zip(axes.flat, results):
        h = np.array([p.step(n) for n in p.sizes])
        ax.loglog(h, errors, "o-", color="tab:blue", label=f"measured (finest {orders[-1]:.2f})")
        ref = errors[-1] * (h / h[-1]) ** p.design
        ax.loglog(h, ref, "k--", lw=1, label=f"design slope {p.design:g}")
        ax.set(xlabel=p.step_label, ylabel=p.error_label)
        ax.set_title(p.quantity.rsplit(":", 1)[0], fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(True, which="both", lw=0.3, alpha=0.5)
        ax.xaxis.set_minor_locator(NullLocator())  # ticks at the resolutions run
        ax.set_xticks(h, [f"{v:.4g}" for v in h], fontsize=8)
    for ax in list(axes.flat)[len(results):]:
        ax.set_visible(False)
    fig.suptitle("Convergence of the kernels: error against mesh size or time step", fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)
