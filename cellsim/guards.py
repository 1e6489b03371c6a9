"""Resource guards: what a configuration would cost, refused before anything is built.

* Field grid: :func:`estimate_cells` counts the cells the field levels would build (the same
  layer and column counts as cellsim.fields.pot, without importing it) and refuses more than
  ``numerics.max_cells``, saying the memory (``BYTES_PER_CELL`` [E]: fields, conductances and
  solver work arrays of a cell, measured order 1-3 kB).
* Steps: at most ``MAX_STEPS`` campaign steps (``schedule.duration / schedule.time_step``).
* Output: at most ``MAX_RECORDS`` recorded rows (held in memory until the end), ``MAX_CHECKPOINTS``
  checkpoints and ``MAX_SNAPSHOTS`` field snapshots per campaign.

Each limit raises a ConfigError naming the key to change and the value that would be needed.
"""

from __future__ import annotations

import math

# Mirrors of cellsim.fields.pot (tests/unit/test_trust.py checks they agree)
RESOLUTION_SCALE = {"coarse": 0.5, "default": 1.0, "fine": 2.0}
CELL_3D = 0.03  # m
LINING_CELLS_3D = 3  # cellsim.fields.pot.LINING_CELLS["xyz"]
LINING_CELL_RZ, LINING_CELLS_MAX_RZ = 0.016, 12  # m, -; cellsim.fields.pot
CELLS_RZ = {"rods": 8, "cavity": 16, "bottom_collector": 10, "anode_alloy": 4, "electrolyte": 8,
            "cathode_metal": 4, "gas_space": 10}  # cellsim.fields.pot.CELLS_RZ

BYTES_PER_CELL = 2000  # [E] 1-3 kB
MAX_STEPS = 10_000_000
MAX_RECORDS = 200_000
MAX_CHECKPOINTS = 10_000
MAX_SNAPSHOTS = 10_000


def _n(cells: float, scale: float) -> int:
    return max(2, int(round(cells * scale)))


def _n_rz(cells: int, scale: float) -> int:
    """r-z cells of a part of ``cells`` at scale 1 (every cell split or pairs merged)."""
    return max(1, int(round(cells * scale)))


def _lining_rz(thickness: float) -> int:
    return min(LINING_CELLS_MAX_RZ, max(2, 2 * math.ceil(thickness / (2 * LINING_CELL_RZ) - 1e-9)))


def estimate_cells(config) -> int:
    """Cells of the field grid of ``config`` (0 at the lumped level): exact for r-z, an upper
    bound for 3D (1.8-3.3 times the built grid of the reference cells)."""
    num, geo, lin = config.numerics, config.geometry, config.lining
    if num.model == "lumped":
        return 0
    s = RESOLUTION_SCALE[num.resolution]
    if num.model == "axisymmetric":
        c = CELLS_RZ
        nz = (sum(_n_rz(_lining_rz(L.thickness), s) for L in (*lin.bottom, *lin.lid))
              + sum(_n_rz(c[k], s) for k in ("bottom_collector", "anode_alloy", "electrolyte", "cathode_metal"))
              + (_n_rz(c["gas_space"], s) if geo.freeboard > 0 else 0))
        nr = _n_rz(c["rods"], s) + _n_rz(c["cavity"], s) + sum(_n_rz(_lining_rz(L.thickness), s) for L in lin.side)
        return nr * nz
    n = LINING_CELLS_3D
    nz = (sum(_n(n, s) for _ in lin.bottom) + _n(6, s) + _n(8, s) + _n(8, s) + _n(6, s)
          + (_n(6, s) if geo.freeboard > 0 else 0) + sum(_n(n, s) for _ in lin.lid))
    h = CELL_3D / s
    side = sum(layer.thickness for layer in lin.side)
    if geo.shape == "cylindrical":
        ext_x = ext_y = geo.inner_radius + side
    else:
        ext_x, ext_y = geo.inner_length / 2 + side, geo.inner_width / 2 + side
    rods = math.sqrt(config.collectors.rod_count)  # rods per axis of a square-ish pattern
    plan_x = math.ceil(ext_x / h) + 2 * math.ceil(rods / 2 + 1) + len(lin.side) + 2
    plan_y = math.ceil(ext_y / h) + 2 * math.ceil(rods / 2 + 1) + len(lin.side) + 2
    return int(min(plan_x * plan_y * nz, 2**62))


def resource_problems(config) -> list[tuple[str, str, str]]:
    """(key, value, what was expected) for each limit the configuration passes."""
    num, sched = config.numerics, config.schedule
    out = []
    cells = estimate_cells(config)
    if cells > num.max_cells:
        out.append(("numerics.max_cells", f"{num.max_cells} (this grid: about {cells:.3g} cells, "
                    f"{cells * BYTES_PER_CELL / 1e9:.3g} GB)",
                    "a grid within numerics.max_cells: coarsen numerics.resolution, or raise "
                    f"numerics.max_cells to at least {cells} if the machine has the memory"))
    steps = sched.duration / sched.time_step
    if steps > MAX_STEPS:
        out.append(("schedule.time_step", f"{sched.time_step:g} s for {sched.duration:g} s",
                    f"at most {MAX_STEPS:.0e} steps per campaign (this is {steps:.3g}): a longer "
                    "time step or a shorter schedule.duration"))
    rows = sched.duration / max(num.record_interval, sched.time_step)
    if rows > MAX_RECORDS:
        out.append(("numerics.record_interval", f"{num.record_interval:g} s",
                    f"at most {MAX_RECORDS} recorded rows per campaign (this is {rows:.3g}): "
                    f"at least {sched.duration / MAX_RECORDS:.4g} s"))
    checkpoints = sched.duration / max(num.checkpoint_interval, sched.time_step)
    if checkpoints > MAX_CHECKPOINTS:
        out.append(("numerics.checkpoint_interval", f"{num.checkpoint_interval:g} s",
                    f"at most {MAX_CHECKPOINTS} checkpoints per campaign (this is "
                    f"{checkpoints:.3g}): at least {sched.duration / MAX_CHECKPOINTS:.4g} s"))
    if num.model != "lumped":
        snaps = sched.duration / max(num.snapshot_interval, sched.time_step)
        if snaps > MAX_SNAPSHOTS:
            out.append(("numerics.snapshot_interval", f"{num.snapshot_interval:g} s",
                        f"at most {MAX_SNAPSHOTS} field snapshots per campaign (this is "
                        f"{snaps:.3g}): at least {sched.duration / MAX_SNAPSHOTS:.4g} s"))
    return out
