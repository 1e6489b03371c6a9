"""Figures of the field snapshots of a result file (``cellsim plot FILE --time T``).

Drawn on the pot geometry (r-z half section, r to the right, z up, lengths in cm): the
potential, the current density magnitude with streamlines, and the temperature with the
ledge outline (liquid fraction 0.5 in the electrolyte) and the layer outlines.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.interpolate import RegularGridInterpolator  # noqa: E402

from .snapshots import read_snapshot  # noqa: E402

DAY = 86400.0


def _outlines(ax, snap, colour="w") -> None:
    """Region boundaries as thin lines."""
    r, z, m = snap["r_faces"] * 100, snap["z_faces"] * 100, snap["material"]
    for i in range(m.shape[0]):
        for k in np.nonzero(m[i, 1:] != m[i, :-1])[0]:
            ax.plot([r[i], r[i + 1]], [z[k + 1]] * 2, color=colour, lw=0.4)
    for k in range(m.shape[1]):
        for i in np.nonzero(m[1:, k] != m[:-1, k])[0]:
            ax.plot([r[i + 1]] * 2, [z[k], z[k + 1]], color=colour, lw=0.4)


def _frame(ax, snap, title: str) -> None:
    ax.set(xlabel="r [cm]", ylabel="z [cm]", title=title, aspect="equal")
    _outlines(ax, snap)


def potential(snap, ax) -> None:
    conductor = np.abs(snap["current_density"]).sum(axis=0) > 0
    phi = np.ma.masked_where(~conductor, snap["potential"])
    pc = ax.pcolormesh(snap["r_faces"] * 100, snap["z_faces"] * 100, phi.T, cmap="viridis")
    plt.colorbar(pc, ax=ax, label="potential [V]")
    _frame(ax, snap, "Electric potential")


def current_density(snap, ax) -> None:
    jr, jz = snap["current_density"]
    mag = np.hypot(jr, jz)
    conductor = mag > 0
    pc = ax.pcolormesh(snap["r_faces"] * 100, snap["z_faces"] * 100,
                       np.ma.masked_where(~conductor, mag / 1e4).T, cmap="magma")
    plt.colorbar(pc, ax=ax, label="|j| [A/cm2]")
    rc = 0.5 * (snap["r_faces"][1:] + snap["r_faces"][:-1])
    zc = 0.5 * (snap["z_faces"][1:] + snap["z_faces"][:-1])
    cols = np.nonzero(conductor.any(axis=1))[0]
    rows = np.nonzero(conductor.any(axis=0))[0]
    rr = np.linspace(rc[cols[0]], rc[cols[-1]], 60)
    zz = np.linspace(zc[rows[0]], zc[rows[-1]], 120)
    pts = np.stack(np.meshgrid(rr, zz, indexing="xy"), axis=-1)
    u = RegularGridInterpolator((rc, zc), jr)(pts)
    v = RegularGridInterpolator((rc, zc), jz)(pts)
    ax.streamplot(rr * 100, zz * 100, u, v, color="c", linewidth=0.6, density=1.2, arrowsize=0.6)
    _frame(ax, snap, "Current density and streamlines")


def temperature(snap, ax) -> None:
    T = snap["temperature"] - 273.15
    pc = ax.pcolormesh(snap["r_faces"] * 100, snap["z_faces"] * 100, T.T, cmap="inferno")
    plt.colorbar(pc, ax=ax, label="temperature [degC]")
    rc = 0.5 * (snap["r_faces"][1:] + snap["r_faces"][:-1]) * 100
    zc = 0.5 * (snap["z_faces"][1:] + snap["z_faces"][:-1]) * 100
    salt = snap["material"] == snap["regions"].get("electrolyte", -1)
    f = np.where(salt, snap["liquid_fraction"], 1.0)
    if f.min() < 0.5 < f.max():
        ax.contour(rc, zc, f.T, levels=[0.5], colors="c", linewidths=1.5)
    ax.contour(rc, zc, T.T, levels=8, colors="w", linewidths=0.3, alpha=0.6)
    _frame(ax, snap, "Temperature (cyan: ledge front)")


def field_figures(path: str | Path, time: float, outdir: str | Path) -> list[Path]:
    """Write potential, current and temperature PNGs of the snapshot nearest ``time`` [s]."""
    snap = read_snapshot(path, time)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    day = snap["time"] / DAY
    out = []
    for name, draw in (("potential", potential), ("current", current_density),
                       ("temperature", temperature)):
        fig, ax = plt.subplots(figsize=(6.5, 7.5))
        draw(snap, ax)
        fig.suptitle(f"{Path(path).stem}: day {day:.2f}")
        fig.tight_layout()
        p = outdir / f"field-{name}-day{day:06.2f}.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        out.append(p)
    return out
