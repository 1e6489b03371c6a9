"""Current distribution in the cell: div(sigma grad phi) = 0 with electrode kinetics.

The total current I [A] enters at the anode terminal (an equipotential boundary whose
potential V is solved for) and leaves at the cathode terminal (phi = 0). Each face between
an electrode's metal region and its electrolyte region carries the potential jump eta(j)
of cellsim.kernels.interface (Butler-Volmer or linear), solved by Newton's method on the
interface currents; each Newton step is one linear solve with the interface faces'
conductances linearised, and the anode terminal is handled by superposition,
phi = u + V w with A u = b(jumps) and A w = b(terminal at 1 V).

Voltage breakdown: the discrete energy identity sum(half-cell Joule powers) +
sum(interface powers) = V I holds to solver precision, so every entry is a power divided
by I [V] and the entries add up to the terminal voltage exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cellsim.fields import fvm
from cellsim.fields.grid import Grid
from cellsim.fields.memo import BoundedMemo
from cellsim.fields.solvers import ConvergenceError, StencilOperator, make_solver
from cellsim.kernels import fv
from cellsim.kernels.interface import KINETICS
from cellsim.units import FARADAY, GAS_CONSTANT

EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class Kinetics:
    """Electrode kinetics: i0 [A/m2], T [K], transfer coefficients, electrons, model."""

    i0: float
    temperature: float
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    n_electrons: int = 3
    model: str = "butler_volmer"  # or "linear"

    @property
    def nf(self) -> float:
        """n F / (R T) [1/V]."""
        return self.n_electrons * FARADAY / (GAS_CONSTANT * self.temperature)

    def overpotential(self, j: float) -> float:
        """eta [V] at anodic current density j [A/m2] (see cellsim.kernels.interface)."""
        eta, slope = np.empty(1), np.empty(1)
        KINETICS[self.model](np.array([float(j)]), *(np.array([v]) for v in
                             (self.i0, self.alpha_a, self.alpha_c, self.nf)), eta, slope)
        return float(eta[0])


@dataclass(frozen=True)
class Electrode:
    """A metal|electrolyte interface: breakdown key ``name``, the two region names, kinetics."""

    name: str
    metal: str
    electrolyte: str
    kinetics: Kinetics


@dataclass(frozen=True)
class Terminal:
    """Boundary faces on ``side`` ("z-", "x+", ...) of cells in ``region`` (None: all)."""

    side: str
    region: str | None = None


@dataclass(frozen=True, eq=False)
class CurrentSolution:
    """Result of a current solve (SI units; arrays of cell shape unless stated).

    phi [V]; terminal_voltage V [V]; face_current: per axis, face-shape current along
    +axis [A]; current_density (3, n0, n1, n2) [A/m2]; joule_power: Joule heat per cell [W]
    (the heat field's source as it is, cellsim.fields.heat); power_by_region [W];
    interface_power [W] per electrode; breakdown [V] (sums to terminal_voltage);
    newton_iterations.
    """

    phi: np.ndarray
    terminal_voltage: float
    face_current: tuple[np.ndarray, np.ndarray, np.ndarray]
    current_density: np.ndarray
    joule_power: np.ndarray
    power_by_region: dict[str, float]
    interface_power: dict[str, float]
    breakdown: dict[str, float]
    newton_iterations: int


@dataclass(frozen=True, eq=False)
class _Faces:
    """Interface faces of one electrode on one axis (flat face indices and data)."""

    axis: int
    face: np.ndarray  # flat index into the face array of ``axis``
    lo: np.ndarray  # flat cell index on the low side
    hi: np.ndarray
    sign: np.ndarray  # +1: metal on the low side
    area: np.ndarray
    params: tuple  # i0, alpha_a, alpha_c, nf as (m,) arrays
    model: str
    electrode: str


def _interface_faces(grid: Grid, el: Electrode) -> list[_Faces]:
    out = []
    k = el.kinetics
    for a, face, lo, hi, sign, area in grid.cached(("interface_faces", el.metal, el.electrolyte),
                                                   lambda: _interface_geometry(grid, el.metal, el.electrolyte)):
        m = face.size
        out.append(_Faces(a, face, lo, hi, sign, area,
                          tuple(np.full(m, v) for v in (k.i0, k.alpha_a, k.alpha_c, k.nf)), k.model, el.name))
    return out


def _interface_geometry(grid: Grid, metal_name: str, salt_name: str) -> list[tuple]:
    """Per axis with interface faces between the two regions: (axis, flat face index, flat
    low and high cell index, sign (+1: metal on the low side), face area), read-only arrays."""
    metal, salt = grid.regions[metal_name], grid.regions[salt_name]
    out = []
    for a, face, lo, hi, sign in _interface_indices(grid.material, metal, salt):
        area = grid.face_areas(a, copy=False).reshape(-1)[face]
        area.flags.writeable = False
        out.append((a, face, lo, hi, sign, area))
    return out


# Interface face indices by material map: a remesh moves the layers' faces, not the material
# map (every layer keeps its cells), so the new grid's indices are the old ones.
_INDICES: dict = {}


def _region_cells(mat: np.ndarray, regions: dict) -> dict:
    """Flat indices (C order) of each region's cells, by material map (as _INDICES)."""
    key = ("regions", mat.shape, mat.tobytes(), tuple(regions.items()))
    hit = _INDICES.get(key)
    if hit is None:
        if len(_INDICES) >= 16:
            _INDICES.clear()
        hit = _INDICES[key] = {name: np.flatnonzero(mat == mid) for name, mid in regions.items()}
        for x in hit.values():
            x.flags.writeable = False
    return hit


def _interface_indices(mat: np.ndarray, metal: int, salt: int) -> list[tuple]:
    key = (mat.shape, mat.tobytes(), metal, salt)
    hit = _INDICES.get(key)
    if hit is not None:
        return hit
    out = []
    for a in range(3):
        n = mat.shape[a]
        lo_cells = np.take(mat, np.arange(n - 1), axis=a)
        hi_cells = np.take(mat, np.arange(1, n), axis=a)
        sign = np.where((lo_cells == metal) & (hi_cells == salt), 1.0,
                        np.where((lo_cells == salt) & (hi_cells == metal), -1.0, 0.0))
        idx = np.nonzero(sign)
        if idx[0].size == 0:
            continue
        face = list(idx)
        face[a] = face[a] + 1
        fshape = tuple(n_ + (1 if b == a else 0) for b, n_ in enumerate(mat.shape))
        arrays = (np.ravel_multi_index(face, fshape), np.ravel_multi_index(list(idx), mat.shape),
                  np.ravel_multi_index(face, mat.shape), sign[idx])
        for x in arrays:
            x.flags.writeable = False
        out.append((a,) + arrays)
    if len(_INDICES) >= 16:
        _INDICES.clear()
    _INDICES[key] = out
    return out


def _kinetics(f: _Faces, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """eta [V] and d eta / d j [ohm m2] of the faces ``f`` at current densities ``j`` [A/m2]
    (the anodic current density of each face is sign j)."""
    eta, slope = np.empty_like(j), np.empty_like(j)
    KINETICS[f.model](f.sign * j, *f.params, eta, slope)
    return eta, slope


def _terminal_bcs(grid: Grid, anode: Terminal, cathode: Terminal) -> tuple[dict, dict]:
    """Boundary conditions (anode at 1 V, cathode at 0 V) and the anode-face masks per side."""
    h, val, masks = {}, {}, {}
    for term, value in ((anode, 1.0), (cathode, 0.0)):
        a, high = fvm.side_index(term.side)
        side = fvm.SIDES[2 * a + int(high)]
        cells = grid.material[fvm.side_slice(a, high, grid.shape[a], False)]
        mask = np.ones(cells.shape, bool) if term.region is None else cells == grid.regions[term.region]
        if not mask.any():
            raise ValueError(f"terminal on {term.side!r} touches no cell of region {term.region!r}")
        h.setdefault(side, np.zeros(cells.shape))[mask] = np.inf
        val.setdefault(side, np.zeros(cells.shape))[mask] = value
        if value == 1.0:
            masks[side] = mask
    return {s: fvm.BoundaryCondition(h=h[s], value=val[s]) for s in h}, masks


def _terminal_assembler(grid: Grid, anode: Terminal, cathode: Terminal):
    """``_terminal_bcs`` and the operator's assembler (fvm.Assembler) with them. The
    conditions and masks depend on the material map, the regions and the terminals only (not
    on the faces): a remesh (the layers moved, every layer keeps its cells) gets the same
    ones again (``_TERMINALS``; shared, read-only), the assembler's geometry is the grid's."""
    key = (grid.shape, grid.material.tobytes(), tuple(grid.regions.items()), anode, cathode)
    hit = _TERMINALS.get(key)
    if hit is None:
        bcs, masks = _terminal_bcs(grid, anode, cathode)
        for a in (*masks.values(), *(v for bc in bcs.values() for v in (bc.h, bc.value))):
            a.flags.writeable = False
        hit = _TERMINALS.put(key, (bcs, masks))
    bcs, masks = hit
    return bcs, masks, fvm.Assembler(grid, bcs)


# material map, regions and terminals -> (_terminal_bcs' conditions, anode masks)
_TERMINALS = BoundedMemo(8)


# Relative residual of the polish's correction solve (CurrentSolver._polish) with an iterative
# backend: the correction only has to bring the imbalance from ~2x its rounding floor below it,
# and the loop checks the true imbalance again after it (another correction if not). 1e-2 takes
# 3 V-cycles on the default 3D pot, 1e-6 took 8; one correction sufficed in both (12 steps).
# A direct backend keeps 1e-6 (back-substitutions; the r-z results stay bit for bit).
POLISH_RTOL_ITERATIVE = 1e-2
# ... and, with an iterative backend, a 1-norm residual of the correction solve of at most
# this share of the rounding floor (pcg's l1_max): the potential's imbalance after the
# correction is that residual plus the floor's own noise (~0.5 floor), so one correction then
# suffices. On the default 3D pot the imbalance arrives at 95-690x the floor and 1e-2 alone
# left 0.5-3.8x, so a third of the calls took a second correction (3-4 V-cycles and a PCG
# start); with the share 0.5 every call took one, ending at 0.51-0.89x (5 days of rusal-3kA:
# 446 -> 421 current V-cycles; 0.4: 424, 0.6: 420 but up to 0.98x).
POLISH_L1_SHARE = 0.5

# Relative residual of the Newton iterations' w and u solves with an iterative backend and
# terminals (CurrentSolver.solve, rtol=None): the polish balances the charge after them and the
# interface currents are taken from the polished potential, so the superposed solves need not
# reach 1e-12. On the default 3D pot (2-day run, 11 solves) 1e-10 takes 188 V-cycles in the w/u
# solves and 46 in the polish against 238 and 33 at 1e-12 (-14 %), and the face currents
# conserve the pot current to 2e-11 I (1.7e-10 I before, when the interface currents came from
# the potential before the polish); 1e-9 and 1e-8 moved the work into the polish (233, 227).
WU_RTOL_ITERATIVE = 1e-10

# From the second call of an iterative solver on (the last call's potential phi0 and voltage V0
# kept), a Newton iteration solves A p = V0 b_w + b_u from phi0 and A w = b_w from the last w,
# then V = V0 + (I - I(p)) / (sum g_t - g_t . w) and phi = p + (V - V0) w: the same
# superposition, the terminal current exactly I for any w, and w's residual enters phi only
# times the voltage step V - V0 (~1e-3 V0 between steps), so the w solve asks W_RTOL_STEP
# while that step is below VOLTAGE_STEP_SMALL V0 (else WU_RTOL_ITERATIVE), and p replaces the
# u solve. On the default 3D pot (2-day run, 11 solves): 155 + 45 polish V-cycles against
# 188 + 46 (a u solve from the last u took 7-12 V-cycles, p from phi0 1-8); w at 1e-7 or 1e-4
# left more to the polish (137 + 56, 115 + 83).
W_RTOL_STEP = 1e-9
VOLTAGE_STEP_SMALL = 1e-2


class CurrentSolver:
    """Reusable current solver for one grid, electrode set and terminal pair.

    The linear solver (factorisation or multigrid hierarchy) and the last interface
    currents are kept between calls, so repeated solves with slowly changing sigma (a
    transient or a campaign) start from the previous state.
    """

    def __init__(self, grid: Grid, electrodes: list[Electrode], anode_terminal: Terminal | None,
                 cathode_terminal: Terminal | None, solver: str = "auto",
                 bcs: dict[str, fvm.BoundaryCondition] | None = None):
        self.grid, self.electrodes = grid, list(electrodes)
        if anode_terminal is None:  # fixed boundary data (verification): phi = u only
            self.bcs, self.anode_masks = fvm.normalise_sides(bcs), {}
            self._assemble = fvm.Assembler(grid, self.bcs)
        else:  # the terminals' conditions and the operator's geometry: once per grid
            self.bcs, self.anode_masks, self._assemble = grid.cached(
                ("current_terminals", anode_terminal, cathode_terminal),
                lambda: _terminal_assembler(grid, anode_terminal, cathode_terminal))
        self.faces = [f for el in self.electrodes for f in _interface_faces(grid, el)]
        # the grid's own geometry (shared, read here only)
        self._areas = [grid.face_areas(a, copy=False) for a in range(3)]
        self._widths = [grid.widths(a, copy=False) for a in range(3)]
        self._volumes = grid.volumes()
        # flat indices of each region's cells in C order (what a boolean mask selects)
        self._region_cells = _region_cells(grid.material, grid.regions)
        # each anode side's boundary layer of cells (index) and mask: the terminal dot products
        self._terminal_cells = {s: (fvm.side_slice(*fvm.side_index(s), grid.shape[fvm.side_index(s)[0]], False), m)
                                for s, m in self.anode_masks.items()}
        self.solver_kind, self._solver, self._j = solver, None, None
        self._wu = None  # the last call's (w, u), the first Newton solves' start (iterative backends)
        self._last = None  # the last call's (phi, V) (iterative backends; WU_RTOL_STEP above)
        self._solver_g = None  # the face conductances (list) the linear solver was last given

    def warm_start(self, other: "CurrentSolver | dict | None") -> None:
        """Start Newton from the last interface currents of ``other`` (a solver of a nearby
        grid, e.g. before a remesh, or its ``warm_state``) when its interface faces have the
        same layout; only the initial guess changes, the converged solution meets the same
        tolerance."""
        if isinstance(other, dict):
            j, wu, last = other["j"], (other["w"], other["u"]), (other["phi"], other["volt"])
        elif other is None or other._j is None:
            return
        else:
            j, wu, last = other._j, other._wu, other._last
        if [f.face.size for f in self.faces] == [x.size for x in j]:
            self._j = [np.array(x, dtype=np.float64) for x in j]
            if wu is not None and wu[0].shape == self.grid.shape:
                self._wu, self._last = wu, last

    def warm_state(self) -> dict | None:
        """What ``warm_start`` takes from this solver, as plain data (a checkpoint holds it):
        the last interface current densities [A/m2], unit-voltage and interface solutions w, u,
        potential phi [V] and terminal voltage [V]. None before a solve and for a direct
        backend (its solves start from zero; its Newton from the last currents only while the
        solver lives, as before)."""
        if self._wu is None or self._last is None or self._j is None:
            return None
        (w, u), (phi, volt) = self._wu, self._last
        return {"j": [x.copy() for x in self._j], "w": w.copy(), "u": None if u is None else u.copy(),
                "phi": phi.copy(), "volt": float(volt)}

    def _linear_solve(self, g, b, x0, rtol=None):
        if self._solver is None:
            self._solver = make_solver(*g, kind=self.solver_kind)
        elif g is not self._solver_g:  # the u solve shares the w solve's operator (the same list)
            self._solver.update(*g)
        self._solver_g = g
        rtol = self.rtol if rtol is None else rtol
        if rtol is None:  # the polish balances the charge after the w and u solves
            rtol = WU_RTOL_ITERATIVE if self._iterative() and self.anode_masks else 1e-12
        return self._solver.solve(b, x0=x0, rtol=rtol)

    def solve(self, sigma: np.ndarray, current: float, tol: float = 1e-10, max_newton: int = 30,
              rtol: float | None = None, source: np.ndarray | None = None) -> CurrentSolution:
        """Solve for total current ``current`` [A] with conductivity ``sigma`` [S/m] per cell.

        tol [V]: Newton stops when every interface jump matches eta(j) to tol.
        rtol: relative true residual of each Newton iteration's linear solves; None:
        WU_RTOL_ITERATIVE with an iterative backend and terminals (the polish balances the
        charge after them), else 1e-12. source: optional volumetric
        current source [A/m3] (verification). Raises ConvergenceError.
        Without terminals (fixed ``bcs``) ``current`` is ignored and the breakdown is empty.
        """
        self.rtol = rtol
        op = self._assemble(sigma)
        b_src = 0.0 if source is None else source * self.grid.volumes()
        g_ohm = list(op.g)  # the ohmic conductances (op's arrays, not written to)
        j = [np.zeros(f.face.size) for f in self.faces] if self._j is None else self._j
        w = u = terminal_g = None
        if self._wu is not None:
            # the last call's unit-voltage and interface solutions (kept by iterative backends
            # only): sigma moved little since, so PCG starts near them (~14 -> 3-9 V-cycles
            # each on the 3D pot); a direct backend starts from zero as before
            w, u = self._wu
        # the interface faces' ohmic conductances (0 where a side is inactive, sigma = 0) and
        # their mask, fixed for this solve
        ohmic = []
        for f in self.faces:
            go = g_ohm[f.axis].flat[f.face]
            active = go > 0.0
            ohmic.append((go, active, np.where(active, go, 1.0)))
        kin = [_kinetics(f, jf) for f, jf in zip(self.faces, j)]  # eta, slope at j
        for it in range(1, max_newton + 1):
            g = [x.copy() for x in g_ohm]
            b_jump = np.zeros(self.grid.n_cells)
            lin = []
            for f, jf, (eta, slope), (go, active, _) in zip(self.faces, j, kin, ohmic):
                gf = np.where(active, go / (1.0 + go * slope / f.area), 0.0)
                d = f.sign * eta - slope * jf
                g[f.axis].flat[f.face] = gf
                # a cell is the low (high) side of at most one face of an axis, so the indices
                # are distinct and a fancy-index add is np.add.at's (the same additions)
                b_jump[f.lo] += gf * d
                b_jump[f.hi] += -gf * d
                lin.append((gf, d))
            b_u = (b_jump.reshape(self.grid.shape) + b_src)
            if not self.anode_masks:
                phi, volt = self._linear_solve(g, op.b + b_u, w), 0.0
                w = phi
            else:
                if terminal_g is None:  # the anode faces' conductances of this operator
                    terminal_g = {s: op.boundary_g[s][m] for s, m in self.anode_masks.items()}
                gt = sum(np.sum(tg) for tg in terminal_g.values())
                if self._last is not None and self.rtol is None:  # p from the last phi (above)
                    phi0, v0 = self._last
                    p = self._linear_solve(g, op.b * v0 + b_u, phi0)
                    gp = self._terminal_sum(terminal_g, p)
                    gw = self._terminal_sum(terminal_g, w)
                    step = (current - (gt * v0 - gp)) / (gt - gw)  # with the last w
                    small = abs(step) <= VOLTAGE_STEP_SMALL * abs(v0)
                    w = self._linear_solve(g, op.b, w, rtol=W_RTOL_STEP if small else None)
                else:
                    w = self._linear_solve(g, op.b, w)
                    u = self._linear_solve(g, b_u, u) if np.any(b_u) else 0.0 * w
                gw = self._terminal_sum(terminal_g, w)
                if not gt - gw > 1e-9 * gt:
                    raise ConvergenceError(
                        "current: no conducting path between the anode and cathode terminals "
                        "(check for insulating layers, sigma = 0, cutting the cell)")
                if self._last is not None and self.rtol is None:
                    volt = v0 + (current - (gt * v0 - gp)) / (gt - gw)
                    phi = p + (volt - v0) * w
                    self._last = (phi, volt)  # the next Newton iteration's start
                else:
                    gu = self._terminal_sum(terminal_g, u)
                    volt = (current + gu) / (gt - gw)
                    phi = u + volt * w
            if not np.all(np.isfinite(phi)):
                raise ConvergenceError("current solve produced non-finite potentials")
            j, worst, kin = self._update_interfaces(phi, ohmic, lin)
            if worst <= tol and self.anode_masks:
                phi, volt = self._polish(g, op, op.b * volt + b_u, phi, volt, w, current, terminal_g)
                # the interface currents of the polished potential (the linearised faces of
                # the operator the polish balanced: every face current then conserves charge
                # to the polish's floor), and the Newton test again on them
                j, worst, kin = self._update_interfaces(phi, ohmic, lin)
            if worst <= tol:
                self._j = j
                if self._iterative() and self.anode_masks and w is not None:
                    self._wu = (w, u if u is not None and not np.isscalar(u) else None)
                    self._last = (phi, volt)
                return self._result(sigma, op, g_ohm, phi, volt, current, j, kin, it)
        raise ConvergenceError(
            f"electrode kinetics: Newton did not converge in {max_newton} iterations "
            f"(largest interface jump error {worst:.2e} V > {tol:.1e} V)")

    def _iterative(self) -> bool:
        """The linear solver is iterative (no kept factor, e.g. the 3D multigrid)."""
        return self._solver is not None and not self._solver.backend.reuses_factor

    def _polish(self, g, op, b, phi, volt, w, current, terminal_g, max_steps=3):
        """Correct phi = u + V w until the cell imbalance is below 1e-12 I or its rounding
        floor, eps sum_cells (diagonal |phi|).

        The two superposed solves each meet rtol relative to their own right-hand side,
        but V ||b_w|| can exceed I by the ratio of terminal to cell conductance (1e3 and
        more), so the charge balance of the sum needs this correction: A d = r with the
        terminal at 0, then the terminal correction dV = g_t . d / (sum g_t - g_t . w).

        Below the floor a correction is noise: on the 3D pot one correction (an iterative
        backend: a PCG solve at POLISH_RTOL_ITERATIVE whose residual's 1-norm is also below
        POLISH_L1_SHARE of the floor, 3-5 V-cycles) brings the imbalance from 95-690x the
        floor to 0.5-0.9x, further ones leave it there; at r-z (a direct
        backend) 1e-12 I is below the floor (~2.7e-10 I) and the Newton solves arrive at
        0.4-1.5x it, so 0 or 1 corrections (3 each before, every one after the first noise).

        If ``max_steps`` corrections do not get there the solve stops with a ConvergenceError
        naming the imbalance and the floor (never a potential that does not conserve charge).
        """
        r = np.empty_like(phi)
        gt = sum(np.sum(tg) for tg in terminal_g.values())
        gw = self._terminal_sum(terminal_g, w)
        iterative = self._iterative()
        diag = StencilOperator(*g).diagonal()
        target = 1e-12 * abs(current)
        for step in range(max_steps + 1):
            fv.residual(*g, phi, b, r)
            imbalance = np.sum(np.abs(r))
            if imbalance <= target:
                return phi, volt
            floor = EPS * np.sum(diag * np.abs(phi))
            if imbalance <= floor:
                return phi, volt
            if step == max_steps:
                break
            # the operator g of the last Newton solve
            if iterative:
                d = self._solver.solve(r, rtol=POLISH_RTOL_ITERATIVE, l1_max=POLISH_L1_SHARE * floor)
            else:
                d = self._solver.solve(r, rtol=1e-6)
            dv = self._terminal_sum(terminal_g, d) / (gt - gw)
            phi = phi + d + dv * w
            b = b + dv * op.b
            volt += dv
        scale = abs(current) if current else 1.0
        raise ConvergenceError(
            f"current: the cell's charge imbalance (sum of |cell residuals|) is "
            f"{imbalance / scale:.2e} I after {max_steps} corrections of the potential, above "
            f"both 1e-12 I and its rounding floor {floor / scale:.2e} I (the linear solver does not "
            f"converge on this operator: check the conductivities)")

    def _terminal_sum(self, terminal_g, x):
        """sum over the anode faces of g_face x_cell (``terminal_g``: each side's anode face
        conductances of the operator)."""
        total = 0
        for side, tg in terminal_g.items():
            cells, mask = self._terminal_cells[side]
            total += float(np.sum(tg * x[cells][mask]))
        return total

    def _update_interfaces(self, phi, ohmic, lin):
        """New interface current densities, the largest jump-equation error [V] and the
        kinetics (eta, slope) at the new current densities (the next linearisation's)."""
        flat, new, kin, worst = phi.reshape(-1), [], [], 0.0
        for f, (gf, d), (_, active, go_safe) in zip(self.faces, lin, ohmic):
            dphi = flat[f.lo] - flat[f.hi]
            jf = gf * (dphi - d) / f.area
            eta, slope = _kinetics(f, jf)
            err = np.where(active, dphi - jf * f.area / go_safe - f.sign * eta, 0.0)
            worst = max(worst, float(np.max(np.abs(err))))
            new.append(jf)
            kin.append((eta, slope))
        return new, worst, kin

    def _result(self, sigma, op, g_ohm, phi, volt, current, j, kin, iterations):
        grid = self.grid
        bcs = self.bcs
        if self.anode_masks:
            bcs = {s: fvm.BoundaryCondition(bc.h, np.where(np.asarray(bc.value) == 1.0, volt, 0.0))
                   for s, bc in self.bcs.items()}
        op_final = fvm.Operator(tuple(g_ohm), op.b, bcs, op.boundary_g)
        flux = list(self._assemble.face_fluxes(op_final, phi))
        iface_power: dict[str, float] = {el.name: 0.0 for el in self.electrodes}
        for f, jf, (eta, _) in zip(self.faces, j, kin):
            flux[f.axis].flat[f.face] = jf * f.area
            drop = f.sign * eta
            iface_power[f.electrode] += float(np.sum(jf * f.area * drop))
        power = np.zeros(grid.shape)
        dens = np.zeros((3,) + grid.shape)
        for a in range(3):
            area = self._areas[a]
            fv.half_cell_dissipation(flux[a], sigma, self._widths[a], area, a, power)
            jd = np.divide(flux[a], area, out=np.zeros_like(area), where=area > 0.0)
            lo, hi = [slice(None)] * 3, [slice(None)] * 3
            lo[a], hi[a] = slice(0, -1), slice(1, None)
            dens[a] = 0.5 * (jd[tuple(lo)] + jd[tuple(hi)])
        flat = power.reshape(-1)
        by_region = {name: float(flat[cells].sum()) for name, cells in self._region_cells.items()}
        breakdown = voltage_breakdown(by_region, iface_power, current) if self.anode_masks else {}
        return CurrentSolution(phi, float(volt), tuple(flux), dens, power, by_region,
                               iface_power, breakdown, iterations)


def voltage_breakdown(power_by_region: dict[str, float], interface_power: dict[str, float],
                      current: float) -> dict[str, float]:
    """Breakdown [V]: region powers / I under the keys electrolyte_ohmic, anode_alloy_ohmic,
    cathode_metal_ohmic, collectors_ohmic (every other region), <electrode>_overpotential,
    and terminal_voltage (their sum)."""
    own = {"electrolyte": "electrolyte_ohmic", "anode_alloy": "anode_alloy_ohmic",
           "cathode_metal": "cathode_metal_ohmic"}
    out = {key: 0.0 for key in own.values()}
    out["collectors_ohmic"] = 0.0
    for name, p in power_by_region.items():
        out[own.get(name, "collectors_ohmic")] += p / current
    for name, p in interface_power.items():
        out[f"{name}_overpotential"] = p / current
    out["terminal_voltage"] = sum(out.values())
    return out

