"""Dissolved impurities in the electrolyte: implicit finite-volume transport with exchange
at the alloy|salt and salt|cathode interfaces (equations and method in docs/species.md).

For each impurity k (``cellsim.elements.IMPURITIES``) in the electrolyte cells

    dc/dt + div(-D_eff grad c + v c) = 0,   v = -z D_mol F/(R T) grad phi  (optional migration)

with D_eff = D_mol + D_t (D_t: the electrolyte's eddy diffusivity, shared with the heat field). Every face between an electrolyte cell and a metal
region carries the exchange law of ``cellsim.lumped.chemistry`` in local form,

    N_f = g_f (S_f c_metal - c_P),   g_f = A_f / (d_P/D_eff + R_film + S_f/k_metal)   [mol/s]

(metal -> salt), with S_f the equilibrium salt/metal molar-concentration ratio at the face
and c_P the salt cell's concentration. R_film = 1/k_salt in the default ``salt_film="wall"``
mode: the diffusion layer next to the metal (D_mol/k_salt ~ 20 um) is far thinner than any
cell, so the film stays a sub-grid resistance (a wall function) and the resolved field
carries only the core; as D_eff -> infinity the field tends to the lumped three-pool model
exactly. ``salt_film="resolved"`` drops it (R_film = 0) for grids that resolve the layer.

The two metal layers are well mixed pools (``MetalPool``): their concentrations are two
extra unknowns of each backward-Euler step, so the step is implicit in the exchange as in
the lumped ``exchange_step`` (stable when the alloy empties of Mg within one step), and the
fluxes returned are exactly what the pools received: updating the inventories with them
conserves every element to the linear solver's round-off. A pool of infinite volume is a
reservoir held at its concentration. Cell arrays are SI: c [mol/m3] of shape
(len(IMPURITIES), *grid.shape), zero outside the electrolyte.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from cellsim.elements import ALL_ELEMENTS, ELEMENTS, IMPURITIES
from cellsim.fields.grid import Grid
from cellsim.fields.solvers import BACKENDS, StencilOperator
from cellsim.fields.species_linear import EPS, KEEP_MIN_WORK, REFACTOR_AFTER, SOLVERS, BandSolver, BorderedSystem
from cellsim.kernels import fv
from cellsim.kernels import exchange as kx
from cellsim.kernels import species as ks
from cellsim.lumped import chemistry
from cellsim.units import FARADAY, GAS_CONSTANT

N_SPECIES = len(IMPURITIES)
SALT_FILMS = ("wall", "resolved")
# the species' direct paths and, for a symmetric transport (no migration), PCG with any
# preconditioner of the linear-algebra layer (cellsim.fields.solvers.BACKENDS)
LINEAR_SOLVERS = ("auto", "band", "sparse") + tuple(BACKENDS)
# "auto" takes the band path (kernels/species: band LU of the bordered step matrix, kept and
# reused as the preconditioner of an iterative refinement while it converges fast) when its
# factors, one per impurity, fit in this many bytes (the default 3D quarter pot: 26 MB);
# above it SuperLU per impurity and step (grids refined beyond the default 3D one).
BAND_MAX_BYTES = 2.5e8
# Default band work N (bw + 1)^2 above which a remesh that keeps the electrolyte's cells
# keeps the factorisations too (SpeciesField.adopt_factors' min_work), as a sync point does
# (species_linear.KEEP_MIN_WORK): the default 3D pot has 3e7 (a fresh band LU ~25 ms per
# impurity), r-z grids ~2e4 (~40 us).
ADOPT_MIN_WORK = KEEP_MIN_WORK
_MOLAR_MASS = np.array([ELEMENTS[s].molar_mass for s in ALL_ELEMENTS])


@dataclass(frozen=True)
class SpeciesOptions:
    """Physical and numerical settings of the species field (SI).

    salt_concentration : molar concentration of the electrolyte [mol/m3] (density / mean molar mass).
    k_salt, k_metal_anode, k_metal_cathode : film mass-transfer coefficients [m/s].
    molecular_diffusivity : D_mol [m2/s], one per IMPURITIES entry; default 2e-9 for all
        [E] (1-5e-9 m2/s for M2+/M3+ complexes at 700-800 degC, docs/species.md).
    eddy_diffusivity : D_t [m2/s] added to D_mol; default 2e-4 [E] (docs/species.md: the core
        mixing implied by the measured k_salt through a turbulent wall-layer correlation);
        from the configuration's ``electrolyte.eddy_diffusivity``.
    salt_film : "wall" (sub-grid film 1/k_salt at each interface) or "resolved" (none).
    migration : drift of the ions in the potential field (needs ``phi``).
    surface_depletion : the local current density shifts the metal's surface composition
        (Al leaving the alloy enriches its surface in impurities; Al arriving dilutes the
        cathode's), see docs/species.md.
    linear_solver : "band" (reused band factorisations, see BAND_MAX_BYTES), "sparse"
        (SuperLU per impurity and step: the reference), "auto" (band when it fits), or a
        preconditioner of cellsim.fields.solvers.BACKENDS ("lu", "multigrid", "jacobi": PCG on
        the cell block with the pools eliminated, for a symmetric transport: no migration);
        all take the same ``BorderedSystem`` (``SOLVERS``).
    """

    salt_concentration: float
    family: str = "fluoride"
    potential_offsets: dict = field(default_factory=dict)
    alf3_activity: float = 0.1
    k_salt: float = 1e-4
    k_metal_anode: float = 1e-4
    k_metal_cathode: float = 1e-4
    molecular_diffusivity: tuple = (2e-9,) * N_SPECIES
    eddy_diffusivity: float = 2e-4
    salt_film: str = "wall"
    migration: bool = False
    surface_depletion: bool = True
    linear_solver: str = "auto"
    equilibria: str = "fixed_1000K"  # purity.equilibria: "janaf" for delta_E(T)

    def __post_init__(self) -> None:
        if self.linear_solver not in LINEAR_SOLVERS:
            raise ValueError(f"linear_solver must be one of {LINEAR_SOLVERS}, got {self.linear_solver!r}")
        if self.salt_film not in SALT_FILMS:
            raise ValueError(f"salt_film must be one of {SALT_FILMS}, got {self.salt_film!r}")
        if self.linear_solver in BACKENDS and self.migration:
            raise ValueError(f"linear_solver {self.linear_solver!r} (PCG) needs a symmetric transport: "
                             "migration makes it nonsymmetric (use 'band' or 'sparse')")
        if len(self.molecular_diffusivity) != N_SPECIES or min(self.molecular_diffusivity) <= 0.0:
            raise ValueError(f"molecular_diffusivity needs {N_SPECIES} positive values [m2/s]")
        if not self.eddy_diffusivity >= 0.0:
            raise ValueError(f"eddy_diffusivity must be >= 0 m2/s (0: molecular diffusion only), "
                             f"got {self.eddy_diffusivity!r}")

    @classmethod
    def from_config(cls, config, **overrides) -> "SpeciesOptions":
        """Options from a ``cellsim.config.Config`` (melt, films), plus keyword overrides."""
        el = config.electrolyte
        values = dict(salt_concentration=el.density / el.mean_molar_mass, family=el.family,
                      potential_offsets=dict(el.potential_offsets), alf3_activity=el.alf3_activity,
                      k_salt=el.mass_transfer_coefficient,
                      k_metal_anode=config.anode_alloy.metal_mass_transfer_coefficient,
                      k_metal_cathode=config.cathode_metal.metal_mass_transfer_coefficient,
                      eddy_diffusivity=el.eddy_diffusivity, equilibria=config.purity.equilibria,
                      linear_solver=config.numerics.linear_solver.species)
        values.update(overrides)
        return cls(**values)

    @property
    def diffusivity(self) -> np.ndarray:
        """D_eff per impurity [m2/s]."""
        return np.asarray(self.molecular_diffusivity, dtype=float) + self.eddy_diffusivity


@dataclass(frozen=True)
class MetalPool:
    """A well-mixed metal layer at one electrode (start-of-step state, SI).

    c : (len(IMPURITIES),) molar concentration of each impurity [mol/m3].
    c_total : molar concentration of all elements, Al included [mol/m3].
    volume : [m3]; ``math.inf`` makes the pool a reservoir held at ``c``.
    gamma : Raoultian activity coefficients of the impurities (None: 1).
    a_al : Al activity (None: Raoultian, the Al mole fraction).
    source : (len(IMPURITIES),) impurities fed into the pool over the step [mol/s] (None: no
        feed): a source term of the pool's row of the backward-Euler system, so the exchange
        sees the feed within the step (the continuous scrap feed; a finite pool only).
    """

    c: np.ndarray
    c_total: float
    volume: float
    gamma: np.ndarray | None = None
    a_al: float | None = None
    source: np.ndarray | None = None

    @classmethod
    def from_masses(cls, masses, volume: float, gamma=None, source=None) -> "MetalPool":
        """Pool from masses [kg] over ALL_ELEMENTS (Al first) and its volume [m3] (``source``
        as the field's: the feed over the step [mol/s])."""
        moles = np.asarray(masses, dtype=float) / _MOLAR_MASS
        return cls(moles[1:] / volume, moles.sum() / volume, volume, gamma, source=source)

    @property
    def x_al(self) -> float:
        return 1.0 - float(np.sum(self.c)) / self.c_total

    @property
    def activity_al(self) -> float:
        return self.x_al if self.a_al is None else self.a_al

    @property
    def moles(self) -> np.ndarray:
        """Moles of each impurity [mol] (inf for a reservoir)."""
        return self.c * self.volume


class SpeciesStep(NamedTuple):
    """Result of one step: c [mol/m3] (species, *grid.shape); mean fluxes over the step,
    alloy -> salt and salt -> cathode [mol/s] per impurity."""

    c: np.ndarray
    flux_alloy_to_salt: np.ndarray
    flux_salt_to_cathode: np.ndarray


@dataclass(frozen=True, eq=False)
class _Interface:
    """Faces between the electrolyte and one metal region (arrays over the faces)."""

    cell: np.ndarray  # unknown number of the salt cell
    salt_flat: np.ndarray  # flat grid index of the salt cell
    axis: np.ndarray
    face_flat: np.ndarray  # flat index into the face array of ``axis``
    sign: np.ndarray  # +1: metal on the low side (metal -> salt is +axis)
    area: np.ndarray
    half: np.ndarray  # salt centre-to-face distance [m]



class SpeciesField:
    """Backward-Euler transport of all impurities in the ``electrolyte`` cells of ``grid``.

    The same grid as the current (``PotModel.current_grid()``) lets ``step`` take the
    ``CurrentSolution`` directly for the local current density and phi.
    """

    def __init__(self, grid: Grid, options: SpeciesOptions, electrolyte: str = "electrolyte",
                 anode: str = "anode_alloy", cathode: str = "cathode_metal"):
        self.grid, self.options = grid, options
        mask = grid.region_mask(electrolyte)
        if not mask.any():
            raise ValueError(f"grid has no {electrolyte!r} cell")
        self.mask = mask
        self.index = np.full(grid.shape, -1, dtype=np.int64)
        self.n = int(mask.sum())
        self.index[mask] = np.arange(self.n)
        self.volumes = grid.volumes()[mask]
        unit = mask.astype(np.float64)
        # the grid's own geometry (shared, read here only)
        self._areas = [grid.face_areas(a, copy=False) for a in range(3)]
        self._widths = [grid.widths(a, copy=False) for a in range(3)]
        self.geometric = []
        for a in range(3):
            G = np.zeros(self._areas[a].shape)
            fv.interior_conductances(unit, self._widths[a], self._areas[a], a, G)
            self.geometric.append(G)
        self.anode = self._interface(grid.regions[electrolyte], grid.regions[anode])
        self.cathode = self._interface(grid.regions[electrolyte], grid.regions[cathode])
        if self.anode.cell.size == 0 or self.cathode.cell.size == 0:
            raise ValueError("the electrolyte must touch both metal regions")
        self._plain, self._stack = {}, None  # face coefficients without drift (per D_eff; stacked)
        bw = int(ks.band_width(self.index))
        band_bytes = N_SPECIES * self.n * (2 * bw + 1) * 8.0
        solver = options.linear_solver
        if solver == "auto":
            solver = "band" if band_bytes <= BAND_MAX_BYTES else "sparse"
        self._bw = bw if solver == "band" else None
        self._band_width = bw
        self._band = np.empty((self.n, 2 * bw + 1))  # the cell block (band storage), assembly buffer
        self.solver = SOLVERS[solver](self)  # one backend for every impurity and step
        self._wall = None  # side-wall cells (``wall_cells``), found on first use
        self._table = None  # the exchange potentials' table (``_potential_table``), on first use
        self._ones = np.ones(N_SPECIES)
        self._spots = {}  # ``placed``: where -> (flat grid indices, volume), on first use
        self._flat = None  # flat grid indices of the electrolyte cells (``inventory``), on first use
        self._D = np.ascontiguousarray(options.diffusivity)
        self._no_source = np.zeros(N_SPECIES)
        # the whole r-z step in one kernel call (``_step_fused``); False: the NumPy path per impurity
        self.fused = True

    @property
    def n_factorisations(self) -> int:
        return self.solver.n_factorisations

    def _interface(self, salt: int, metal: int) -> _Interface:
        """The faces between the electrolyte (material id ``salt``) and one metal region, in
        one kernel pass (kernels/species.interface_faces)."""
        g = self.grid
        parts = ks.interface_faces(np.ascontiguousarray(g.material), int(salt), int(metal), self.index,
                                   *self._areas, *self._widths)
        return _Interface(*parts)

    # ------------------------------------------------------------------ helpers
    def reset_caches(self) -> None:
        """A sync point: drop what a checkpoint does not hold (the PCG backends' kept solvers),
        so that what follows depends on the checkpointed state alone. The band path's reused
        factorisations stay: ``solver_state`` checkpoints the matrices they factorise and
        ``restore_solver`` rebuilds the same factors bit for bit."""
        self.solver.reset()

    def solver_state(self) -> dict | None:
        """The linear backend's state carried between steps, as plain data (a checkpoint)."""
        return self.solver.state()

    def restore_solver(self, data: dict | None) -> None:
        """The backend's state of ``solver_state`` (None: none kept, as a fresh field)."""
        self.solver.restore(data)

    def adopt_factors(self, old: "SpeciesField | None", min_work: float | None = None) -> bool:
        """Keep ``old``'s band factorisations (``BandSolver``) on this field when a remesh
        left the electrolyte's cells as they were: the same cells column by column (so the same
        numbering and band), the same interface faces. The layer only moved, so its matrices are
        nearly the old ones and the kept factors precondition them as a stale factor of an
        earlier step does (the solve still ends at the float64 floor, and a factor that needs
        more than species_linear.REFACTOR_AFTER iterations is renewed). A fresh factorisation (~25 ms per impurity on
        the default 3D pot) costs about as much as ten steps with a kept one. Narrow bands (every r-z grid:
        band work below ``min_work``, None: the backend's ``keep_min_work``, ADOPT_MIN_WORK) refactorise,
        which costs there about as much as one preconditioned iteration. Returns whether they were kept."""
        if min_work is None:
            min_work = getattr(self.solver, "keep_min_work", ADOPT_MIN_WORK)
        if old is None or old._bw is None or self._bw != old._bw or self.n != old.n:
            return False
        if not (isinstance(old.solver, BandSolver) and isinstance(self.solver, BandSolver)) \
                or old.solver._factors is None:
            return False
        if self.n * (self._bw + 1) ** 2 < min_work:
            return False
        same = (old.mask.shape[:2] == self.mask.shape[:2]
                and np.array_equal(old.mask.sum(axis=2), self.mask.sum(axis=2))
                and all(np.array_equal(getattr(old, side).cell, getattr(self, side).cell)
                        and np.array_equal(getattr(old, side).axis, getattr(self, side).axis)
                        for side in ("anode", "cathode")))
        if same:
            self.solver._factors = old.solver._factors
        return same

    def uniform(self, moles) -> np.ndarray:
        """Field holding ``moles`` [mol] of each impurity spread uniformly [mol/m3]."""
        return self.placed(moles)

    def placed(self, moles, where: str = "electrolyte") -> np.ndarray:
        """Field holding ``moles`` [mol] of each impurity spread by volume over the cells
        ``where`` they enter: 'electrolyte' all, 'wall' the side-wall cells (:meth:`wall_cells`),
        'anode' the cells on the alloy interface [mol/m3]."""
        flat, volume = self._spot(where)
        out = np.zeros((N_SPECIES, self.mask.size))
        out[:, flat] = np.asarray(moles, dtype=float)[:, None] / volume
        return out.reshape((N_SPECIES,) + self.grid.shape)

    def _spot(self, where: str) -> tuple[np.ndarray, float]:
        """(flat grid indices, total volume [m3]) of the cells ``where`` impurities enter."""
        spot = self._spots.get(where)
        if spot is None:
            if where == "electrolyte":
                cells = np.arange(self.n)
            elif where == "wall":
                cells = self.wall_cells()
            elif where == "anode":
                cells = np.unique(self.anode.cell)
            else:
                raise ValueError(f"impurity input at {where!r}: expected 'electrolyte', 'wall' or 'anode'")
            # the cells' flat grid indices and their volume
            spot = self._spots[where] = (np.flatnonzero(self.mask)[cells], self.volumes[cells].sum())
        return spot

    def add_placed(self, c: np.ndarray, moles, where: str = "electrolyte") -> np.ndarray:
        """``c + placed(moles, where)`` (a new array; ``c`` is not written), adding only at the
        cells ``where`` (elsewhere c + 0 is c): the same numbers without building and adding a
        whole field of zeros."""
        flat, volume = self._spot(where)
        out = np.array(c, dtype=np.float64)
        rows = out.reshape(N_SPECIES, -1)
        rows[:, flat] += np.asarray(moles, dtype=float)[:, None] / volume
        return out

    def wall_cells(self) -> np.ndarray:
        """Indices (over the electrolyte cells) of the cells along the side wall: those whose
        outward neighbour on a horizontal axis (towards the high index: the axis and the
        symmetry planes sit at index 0) is not electrolyte or lies outside the grid."""
        if self._wall is None:
            vertical = set(np.unique(self.anode.axis).tolist())
            wall = np.zeros(self.grid.shape, dtype=bool)
            for a in range(3):
                n = self.grid.shape[a]
                if a in vertical or n < 2:
                    continue
                nxt = np.ones(self.grid.shape, dtype=bool)  # outward neighbour not electrolyte
                inner = [slice(None)] * 3
                inner[a] = slice(0, n - 1)
                outer = [slice(None)] * 3
                outer[a] = slice(1, n)
                nxt[tuple(inner)] = ~self.mask[tuple(outer)]
                wall |= self.mask & nxt
            self._wall = self.index[wall]
        return self._wall

    def inventory(self, c: np.ndarray) -> np.ndarray:
        """Moles of each impurity in the electrolyte [mol]. The electrolyte cells are gathered
        by their flat indices (one gather, no boolean mask to scan), laid out as the mask's
        gather lays them out (the product then sums in the same order, bit for bit)."""
        if self._flat is None:
            self._flat = np.flatnonzero(self.mask)
        return c.reshape(c.shape[0], -1)[:, self._flat] @ self.volumes

    def _kernel_inputs(self, T, current):
        """What the exchange kernels take of the temperature and the current: T as an array
        (shape (1,) if uniform, else the grid's shape), whether it is uniform, whether the
        films deplete with the current (``options.surface_depletion``) and the face currents
        they read (the geometric faces, unread, without depletion)."""
        T = np.asarray(T, dtype=float)
        uniform = T.ndim == 0
        if uniform:
            T = T.reshape(1)
        elif T.shape != self.grid.shape:
            T = np.broadcast_to(T, self.grid.shape)
        depletion = current is not None and self.options.surface_depletion
        fc = current.face_current if depletion else self.geometric  # not read without depletion
        return T, uniform, depletion, fc

    def exchange_ratios(self, which: str, pool: MetalPool, T, current=None,
                        alf3_activity: float | None = None) -> np.ndarray:
        """S per face and impurity, (n_faces, N_SPECIES) [-], at electrode ``which``
        ("anode" or "cathode"): the interface_ratio of chemistry at the face's temperature and
        surface Al activity, times c_salt / c_metal and the surface enrichment factor.
        ``alf3_activity``: the electrolyte's AlX3 activity of this step (None: ``options.alf3_activity``).
        A view of a (N_SPECIES, n_faces) array (``_exchange_ratios``)."""
        return self._exchange_ratios(which, pool, T, current, alf3_activity).T

    def _exchange_ratios(self, which: str, pool: MetalPool, T, current=None,
                         alf3_activity: float | None = None) -> np.ndarray:
        """``exchange_ratios`` as (N_SPECIES, n_faces): one kernel call
        (kernels/exchange.face_exchange_ratios, NumPy's operations of
        chemistry.interface_ratio face by face)."""
        o = self.options
        a_alx3 = o.alf3_activity if alf3_activity is None else alf3_activity
        itf = self.anode if which == "anode" else self.cathode
        k_metal = o.k_metal_anode if which == "anode" else o.k_metal_cathode
        T, uniform, depletion, fc = self._kernel_inputs(T, current)
        nodes, values, slopes, offsets = self._potential_table()
        x_al = pool.x_al
        out = np.empty((N_SPECIES, itf.cell.size))
        bad = kx.face_exchange_ratios(
            T.ravel(), uniform, itf.salt_flat, fc[0].ravel(), fc[1].ravel(), fc[2].ravel(), itf.axis, itf.face_flat,
            itf.sign, itf.area, depletion, 3.0 * FARADAY * k_metal * pool.c_total, float(x_al),
            float(x_al if pool.a_al is None else pool.a_al), nodes, values, slopes, offsets, chemistry._NF,
            chemistry._N_3, GAS_CONSTANT, self._gamma(pool), float(a_alx3), float(o.salt_concentration),
            float(pool.c_total), out)
        if bad >= 0:
            raise ValueError(f"local current density at the {which} exceeds the Al mass-transfer "
                             "limit of the metal film (surface Al mole fraction <= 0)")
        return out

    def _potential_table(self):
        """(nodes [K], values [V] (nodes, N_SPECIES), slopes, offsets [V]) of the exchange
        potentials delta_E(T) (chemistry.exchange_potentials): the JANAF table of
        ``equilibria = "janaf"``, one node (a constant) for the 1000 K series; kept."""
        if self._table is None:
            o = self.options
            offsets = np.array([o.potential_offsets.get(s, 0.0) for s in IMPURITIES], dtype=float)
            if o.equilibria == "janaf":
                table = chemistry._janaf_table(o.family)
                nodes, values, slopes = table.nodes, table.values, table.slopes
            else:
                values = chemistry.exchange_potentials(1000.0, o.family, {}, o.equilibria)[None, :]
                nodes, slopes = np.array([1000.0]), np.zeros((0, N_SPECIES))
            self._table = tuple(np.ascontiguousarray(a, dtype=float) for a in (nodes, values, slopes, offsets))
        return self._table

    # ------------------------------------------------------------------ assembly
    def _drift(self, k: int, T, phi) -> list[np.ndarray]:
        """Volumetric drift A v along +axis on every face [m3/s] for impurity k."""
        o = self.options
        if not o.migration or phi is None:
            return [np.zeros_like(G) for G in self.geometric]
        T_salt = float(np.mean(np.broadcast_to(np.asarray(T, dtype=float), self.grid.shape)[self.mask]))
        mobility = chemistry.VALENCE[k] * o.molecular_diffusivity[k] * FARADAY / (GAS_CONSTANT * T_salt)
        phi = np.ascontiguousarray(phi, dtype=np.float64)
        w = []
        for a, G in enumerate(self.geometric):
            out = np.empty(G.shape)
            fv.face_fluxes(G, phi, a, out)  # G (phi_lo - phi_hi) = -A grad(phi).n [V m]
            w.append(mobility * out)
        return w

    def _coefficients(self, k: int, T, phi) -> list[np.ndarray]:
        """Scharfetter-Gummel face coefficients (lo, hi per axis) [m3/s] of impurity k. Without
        drift they depend on D_eff and the grid only and are kept (read only) per D_eff."""
        D = float(self.options.diffusivity[k])
        plain = not self.options.migration or phi is None
        if plain and D in self._plain:
            return self._plain[D]
        coeffs = []
        for G, w in zip(self.geometric, self._drift(k, T, phi)):
            lo, hi = np.empty(G.shape), np.empty(G.shape)
            ks.sg_coefficients(D * G, w, lo, hi)
            coeffs += [lo, hi]
        if plain:
            self._plain[D] = coeffs
        return coeffs

    def _system(self, k, dt, c_old, alloy, cathode, S_anode, S_cathode, T, phi):
        """The parts of one step's system for impurity k: face coefficients, the cells'
        diagonal (storage and interface conductances) and right-hand side, the interface
        conductances (g_anode, g_cathode) and, per pool of finite volume, its border
        (salt cells, g, S, pool diagonal, pool right-hand side)."""
        o = self.options
        D = float(o.diffusivity[k])
        if not math.isfinite(dt) and (math.isfinite(alloy.volume) or math.isfinite(cathode.volume)):
            raise ValueError("a steady state (dt = inf) needs both metal pools as reservoirs")
        coeffs = self._coefficients(k, T, phi)
        store = self.volumes / dt if math.isfinite(dt) else np.zeros(self.n)
        b = store * c_old
        film = 1.0 / o.k_salt if o.salt_film == "wall" else 0.0
        diag, gs, border = store, [], []
        for pool, itf, S, k_metal in ((alloy, self.anode, S_anode, o.k_metal_anode),
                                      (cathode, self.cathode, S_cathode, o.k_metal_cathode)):
            S = np.ascontiguousarray(S)
            g = np.empty(itf.cell.size)
            ks.interface_conductance(itf.area, itf.half, D, film, S, k_metal, g)
            gs.append(g)
            diag = diag + np.bincount(itf.cell, g, self.n)
            if math.isfinite(pool.volume):  # bordered unknown: the pool's concentration
                border.append((itf.cell, g, S, pool.volume / dt + float(np.sum(g * S)),
                               pool.volume / dt * pool.c[k]
                               + (0.0 if pool.source is None else float(pool.source[k]))))
            else:
                b = b + np.bincount(itf.cell, g * S * pool.c[k], self.n)
        return coeffs, diag, b, tuple(gs), border

    def linear_system(self, k: int, dt: float, c_old: np.ndarray, alloy: MetalPool,
                      cathode: MetalPool, S_anode: np.ndarray, S_cathode: np.ndarray, T, phi=None):
        """Matrix and right-hand side of one backward-Euler step of impurity k.

        Unknowns: the electrolyte cells (C order), then the alloy and cathode pool
        concentrations when their volume is finite. dt [s] (inf: steady state, reservoirs
        only); c_old (N,) [mol/m3]; S_* per face [-] (column k of ``exchange_ratios``).
        Returns (csr matrix [m3/s], rhs [mol/s], parts) with parts = (face coefficients
        (lo, hi per axis) [m3/s], interface conductances (g_anode, g_cathode) [m3/s]).
        Row i is the net outflow of cell i plus its storage V/dt.
        """
        coeffs, diag, b, gs, border = self._system(k, dt, c_old, alloy, cathode, S_anode, S_cathode, T, phi)
        shift = np.ones(self.grid.shape)
        shift[self.mask] = diag
        plain = not self.options.migration or phi is None
        op = StencilOperator(coeffs[0], coeffs[2], coeffs[4], shift,
                             g_hi=None if plain else (coeffs[1], coeffs[3], coeffs[5]))
        cells = [cell for cell, *_ in border]
        system = BorderedSystem(
            op, np.concatenate(cells).astype(np.int64) if cells else np.zeros(0, dtype=np.int64),
            np.concatenate([np.full(c.size, j, dtype=np.int64) for j, c in enumerate(cells)]) if cells
            else np.zeros(0, dtype=np.int64),
            np.concatenate([-g * S for _, g, S, _, _ in border]) if cells else np.zeros(0),
            np.concatenate([-g for _, g, _, _, _ in border]) if cells else np.zeros(0),
            np.array([d for _, _, _, d, _ in border], dtype=float),
            np.concatenate([b, [bp for *_, bp in border]]))
        return self.bordered_matrix(system), system.b, (coeffs, gs)

    def bordered_matrix(self, s: "BorderedSystem"):
        """The matrix of a ``BorderedSystem`` as scipy CSR [m3/s] (unknowns: the electrolyte
        cells in C order, then the pools)."""
        cf, diag = self._cell_block(s.op)
        band, bw = self._band, self._band_width  # band[p, bw + q - p] = A[p, q]
        ks.assemble_band(self.index, *cf, diag, bw, band)
        p, offset = np.nonzero(band)
        n, P = self.n, s.pool_diag.size
        pools = n + np.arange(P)
        rows = np.concatenate([p, s.cell, n + s.pool, pools])
        cols = np.concatenate([p + offset - bw, n + s.pool, s.cell, pools])
        vals = np.concatenate([band[p, offset], s.col, s.row, s.pool_diag])
        return sp.csr_matrix((vals, (rows, cols)), shape=(n + P, n + P))

    # ------------------------------------------------------------------ time step
    def step(self, dt: float, c: np.ndarray, alloy: MetalPool, cathode: MetalPool, T,
             current=None, phi=None, alf3_activity: float | None = None) -> SpeciesStep:
        """Advance every impurity by dt [s] (backward Euler).

        c : (N_SPECIES, *grid.shape) [mol/m3]; alloy, cathode : MetalPool at the start of
        the step; T : temperature [K], scalar or cell array; current : a CurrentSolution on
        this grid (``phi``, ``face_current``) or None; phi : cell potential [V] overriding
        ``current.phi`` for migration; alf3_activity : the electrolyte's AlX3 activity over the step
        (a time-varying input; None: ``options.alf3_activity``). The pools' new moles are exactly
        ``alloy.moles + dt * (alloy.source - flux_alloy_to_salt)`` and ``cathode.moles + dt *
        (cathode.source + flux_salt_to_cathode)`` (a source of None counting as zero).
        """
        c = np.asarray(c, dtype=float)
        if c.shape != (N_SPECIES,) + self.grid.shape:
            raise ValueError(f"c must have shape {(N_SPECIES,) + self.grid.shape}, got {c.shape}")
        if current is not None:
            if current.face_current[2].shape != self.geometric[2].shape:
                raise ValueError("the current solution lives on another grid than the species field")
            phi = current.phi if phi is None else phi
        if self.fused and isinstance(self.solver, BandSolver) and not self.solver._wide():
            return self._step_fused(dt, c, alloy, cathode, T, current, phi, alf3_activity)
        S_a = self.exchange_ratios("anode", alloy, T, current, alf3_activity)
        S_c = self.exchange_ratios("cathode", cathode, T, current, alf3_activity)
        return self._step_systems(dt, c, alloy, cathode, S_a, S_c, T, phi)

    def _coefficient_stack(self, T, phi) -> list[np.ndarray]:
        """``_coefficients`` of every impurity stacked, (N_SPECIES, face shape) per array;
        kept without drift (then lo and hi are one array: B(0) = 1, the same numbers as
        kernels/species.sg_coefficients)."""
        plain = not self.options.migration or phi is None
        if plain:  # without drift the coefficients are D_eff G on both sides (sg_coefficients at Pe = 0)
            if self._stack is None:
                stack = []
                for G in self.geometric:
                    s = self._D[:, None, None, None] * G
                    stack += [s, s]
                self._stack = stack
            return self._stack
        per = [self._coefficients(k, T, phi) for k in range(N_SPECIES)]
        return [np.ascontiguousarray(np.stack([p[i] for p in per])) for i in range(6)]

    def _step_systems(self, dt, c, alloy, cathode, S_a, S_c, T, phi) -> SpeciesStep:
        """All impurities: each one's ``BorderedSystem`` solved by the field's backend
        (``_solve_systems``), then kernels/species.conservative_update_all."""
        o = self.options
        finite = [math.isfinite(p.volume) for p in (alloy, cathode)]
        if any(p.source is not None and not fin for p, fin in zip((alloy, cathode), finite)):
            raise ValueError("a reservoir (a pool of infinite volume) takes no source")
        if not math.isfinite(dt) and any(finite):
            raise ValueError("a steady state (dt = inf) needs both metal pools as reservoirs")
        coeffs = self._coefficient_stack(T, phi)
        D = o.diffusivity[:, None]
        film = 1.0 / o.k_salt if o.salt_film == "wall" else 0.0
        store = self.volumes / dt if math.isfinite(dt) else np.zeros(self.n)
        c_old = c[:, self.mask]
        diag, b = np.broadcast_to(store, c_old.shape).copy(), store * c_old
        cells, pools, cols, rows, pool_diag, b_pool, gs, Ss = [], [], [], [], [], [], [], []
        for pool, itf, S, k_metal, fin in ((alloy, self.anode, S_a, o.k_metal_anode, finite[0]),
                                           (cathode, self.cathode, S_c, o.k_metal_cathode, finite[1])):
            S = np.ascontiguousarray(S.T)  # (species, faces)
            g = itf.area / (itf.half / D + film + S / k_metal)  # as ks.interface_conductance
            np.add.at(diag, (slice(None), itf.cell), g)
            gs.append(g), Ss.append(S)
            if fin:  # bordered unknown: the pool's concentration
                cells.append(itf.cell), pools.append(np.full(itf.cell.size, len(pool_diag), dtype=np.int64))
                cols.append(-g * S), rows.append(-g)
                pool_diag.append(pool.volume / dt + np.sum(g * S, axis=1))
                b_pool.append(pool.volume / dt * pool.c if pool.source is None
                              else pool.volume / dt * pool.c + pool.source)
            else:
                np.add.at(b, (slice(None), itf.cell), g * S * pool.c[:, None])
        P = len(pool_diag)
        if P:
            cell, pool_of = np.concatenate(cells), np.concatenate(pools)
            col, row = np.concatenate(cols, axis=1), np.concatenate(rows, axis=1)
            pool_diag, b = np.stack(pool_diag, axis=1), np.concatenate([b] + [v[:, None] for v in b_pool], axis=1)
        else:
            cell = pool_of = np.zeros(0, dtype=np.int64)
            col = row = np.zeros((N_SPECIES, 0))
            pool_diag = np.zeros((N_SPECIES, 0))
        x = np.empty((N_SPECIES, self.n + P))  # in: the initial guess of an iterative backend
        x[:, :self.n] = c_old  # the start-of-step state (``BandSolver``'s warm start)
        for t, pool in enumerate(p for p, fin in zip((alloy, cathode), finite) if fin):
            x[:, self.n + t] = pool.c
        self._solve_systems(coeffs, diag, cell, pool_of, col, row, pool_diag, b, x, dt,
                            not self.options.migration or phi is None)
        if not np.all(np.isfinite(x)):
            bad = [IMPURITIES[k] for k in range(N_SPECIES) if not np.all(np.isfinite(x[k]))]
            raise FloatingPointError(f"species solve for {', '.join(bad)} gave non-finite values")
        cm_a = x[:, self.n] if finite[0] else alloy.c.astype(float)
        cm_c = x[:, self.n + int(finite[0])] if finite[1] else cathode.c.astype(float)
        cells_new, flux_a, flux_c = np.empty_like(c_old), np.empty(N_SPECIES), np.empty(N_SPECIES)
        ks.conservative_update_all(self.index, *coeffs, x, c_old, self.volumes, float(dt), self.anode.cell,
                                   gs[0], Ss[0], np.ascontiguousarray(cm_a), self.cathode.cell, gs[1], Ss[1],
                                   np.ascontiguousarray(cm_c), cells_new, flux_a, flux_c)
        c_new = np.zeros_like(c)
        c_new[:, self.mask] = cells_new
        return SpeciesStep(c_new, flux_a, flux_c)

    def _step_fused(self, dt, c, alloy, cathode, T, current, phi, alf3_activity) -> SpeciesStep:
        """``step`` with the band backend on a narrow band (every r-z grid) in one kernel
        call, kernels/species.exchange_band_step: the exchange ratios at both electrodes
        (``_exchange_ratios``), the systems of every impurity (``_step_systems``), their
        solves with the kept factorisations (``BandSolver.solve``) and the conservative
        update, in the same floating-point operations (bit for bit; tests hold them equal)."""
        o, solver, n = self.options, self.solver, self.n
        fin_a, fin_c = math.isfinite(alloy.volume), math.isfinite(cathode.volume)
        if (alloy.source is not None and not fin_a) or (cathode.source is not None and not fin_c):
            raise ValueError("a reservoir (a pool of infinite volume) takes no source")
        if not math.isfinite(dt) and (fin_a or fin_c):
            raise ValueError("a steady state (dt = inf) needs both metal pools as reservoirs")
        coeffs = self._coefficient_stack(T, phi)
        T, uniform, depletion, fc = self._kernel_inputs(T, current)
        a, k = self.anode, self.cathode
        x_a, x_c = alloy.x_al, cathode.x_al
        solver.begin(dt, int(fin_a) + int(fin_c), (a.cell.size if fin_a else 0) + (k.cell.size if fin_c else 0))
        f = solver._factors
        diag, fresh, err = np.empty((N_SPECIES, n)), np.empty(N_SPECIES, dtype=bool), np.empty(2, dtype=np.int64)
        c_new, flux_a, flux_c = np.empty_like(c), np.empty(N_SPECIES), np.empty(N_SPECIES)
        ks.exchange_band_step(
            T.ravel(), uniform, fc[0].ravel(), fc[1].ravel(), fc[2].ravel(), depletion, *self._potential_table(),
            chemistry._NF, chemistry._N_3, GAS_CONSTANT, float(o.alf3_activity if alf3_activity is None else alf3_activity),
            float(o.salt_concentration),
            a.salt_flat, a.axis, a.face_flat, a.sign, 3.0 * FARADAY * o.k_metal_anode * alloy.c_total, float(x_a),
            float(x_a if alloy.a_al is None else alloy.a_al), self._gamma(alloy), float(alloy.c_total),
            k.salt_flat, k.axis, k.face_flat, k.sign, 3.0 * FARADAY * o.k_metal_cathode * cathode.c_total, float(x_c),
            float(x_c if cathode.a_al is None else cathode.a_al), self._gamma(cathode), float(cathode.c_total),
            self.index, *coeffs, self.volumes, float(dt), np.ascontiguousarray(c), self._D,
            1.0 / o.k_salt if o.salt_film == "wall" else 0.0,
            a.cell, a.area, a.half, float(o.k_metal_anode), float(alloy.volume), np.asarray(alloy.c, dtype=float),
            self._no_source if alloy.source is None else np.asarray(alloy.source, dtype=float), alloy.source is not None,
            k.cell, k.area, k.half, float(o.k_metal_cathode), float(cathode.volume), np.asarray(cathode.c, dtype=float),
            self._no_source if cathode.source is None else np.asarray(cathode.source, dtype=float),
            cathode.source is not None, self._band_width, self._band, f["lu"], f["z"], f["schur"], f["renew"],
            f["iterations"], f["V"], f["Zp"], f["H"], f["work"], 64 * EPS, 40, REFACTOR_AFTER,
            diag, fresh, c_new, flux_a, flux_c, err)
        if err[0] >= 4:
            raise ValueError(f"local current density at the {'anode' if err[0] == 4 else 'cathode'} exceeds the "
                             "Al mass-transfer limit of the metal film (surface Al mole fraction <= 0)")
        for i in np.flatnonzero(fresh):  # what ``BandSolver.state`` assembles again
            f["source"][i] = (self.index, tuple(arr[i] for arr in coeffs), diag[i])
            solver.n_factorisations += 1
        if err[0]:
            name = IMPURITIES[err[1]]
            if err[0] == 1:
                raise FloatingPointError(f"species solve for {name}: the step matrix has a non-positive pivot")
            if err[0] == 2:
                raise FloatingPointError(f"species solve for {name} did not converge "
                                         "(non-finite values or no contraction)")
            raise FloatingPointError(f"species solve for {name} gave non-finite values")
        return SpeciesStep(c_new, flux_a, flux_c)

    def _gamma(self, pool: MetalPool) -> np.ndarray:
        """The pool's activity coefficients as float64 (N_SPECIES,) (None: 1)."""
        return self._ones if pool.gamma is None else np.asarray(pool.gamma, dtype=float)

    def _solve_systems(self, coeffs, diag, cell, pool_of, col, row, pool_diag, b, x, dt, symmetric) -> None:
        """x[k] = M_k^-1 b[k] for every impurity, M_k its ``BorderedSystem`` (on the
        StencilOperator type: face coefficients, the diagonal as the shift), by the field's
        backend (``self.solver``)."""
        shift = np.ones((N_SPECIES,) + self.grid.shape)  # 1 on the cells that are not unknowns
        shift[:, self.mask] = diag
        self.solver.begin(dt, pool_diag.shape[1], cell.size)
        for k in range(N_SPECIES):
            lo, hi = (coeffs[0][k], coeffs[2][k], coeffs[4][k]), (coeffs[1][k], coeffs[3][k], coeffs[5][k])
            op = StencilOperator(*lo, shift[k], g_hi=None if symmetric else hi)
            self.solver.solve(k, BorderedSystem(op, cell, pool_of, col[k], row[k], pool_diag[k], b[k]), x[k])

    def _cell_block(self, op: StencilOperator):
        """(face coefficients lo, hi per axis interleaved, diagonal over the unknowns) of a
        cell block, as the kernels of kernels/species take them."""
        hi = op.g if op.g_hi is None else op.g_hi
        return (op.g[0], hi[0], op.g[1], hi[1], op.g[2], hi[2]), op.shift[self.mask]

    def __repr__(self) -> str:
        o = self.options
        return (f"SpeciesField({self.n} electrolyte cells, {self.anode.cell.size} anode and "
                f"{self.cathode.cell.size} cathode faces, D_eff={o.diffusivity.min():.3g} m2/s, "
                f"salt_film={o.salt_film!r}, migration={o.migration})")
