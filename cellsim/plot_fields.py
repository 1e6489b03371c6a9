"""Figures of the field snapshots of a result file (``cellsim plot FILE --time T``).

Drawn on the pot geometry (r-z half section, r to the right, z up, lengths in cm): the
potential, the current density magnitude with streamlines, the temperature with the
ledge outline (liquid fraction 0.5 in the electrolyte) and the layer outlines, and the
dissolved impurity concentrations in the electrolyte band. A 3D run is drawn on its two
vertical centre planes (x-z through y = 0 and y-z through x = 0), mirrored from the
stored quarter to the whole section; |j| there includes the out-of-plane component and the
streamlines follow the in-plane components.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.interpolate import RegularGridInterpolator  # noqa: E402

from .elements import IMPURITIES  # noqa: E402
from .snapshots import read_snapshot  # noqa: E402
from .units import celsius, day  # noqa: E402

DAY = day  # s


def _outlines(ax, snap, colour="w") -> None:
    """Region boundaries as thin lines."""
    r, z, m = snap["r_faces"] * 100, snap["z_faces"] * 100, snap["material"]
    for i in range(m.shape[0]):
        for k in np.nonzero(m[i, 1:] != m[i, :-1])[0]:
            ax.plot([r[i], r[i + 1]], [z[k + 1]] * 2, color=colour, lw=0.4)
    for k in range(m.shape[1]):
        for i in np.nonzero(m[1:, k] != m[:-1, k])[0]:
            ax.plot([r[i + 1]] * 2, [z[k], z[k + 1]], color=colour, lw=0.4)


def _colorbar(mappable, ax, label: str, **kw):
    """A colour bar with plain tick labels (no '+1.1235e4' offset)."""
    cb = plt.colorbar(mappable, ax=ax, label=label, **kw)
    fmt = cb.ax.yaxis.get_major_formatter()
    if hasattr(fmt, "set_useOffset"):
        fmt.set_useOffset(False)
    return cb


def _frame(ax, snap, title: str) -> None:
    ax.set(xlabel=f"{snap.get('axis', 'r')} [cm]", ylabel="z [cm]", title=title, aspect="equal")
    _outlines(ax, snap)


def potential(snap, ax) -> None:
    conductor = np.abs(snap["current_density"]).sum(axis=0) > 0
    phi = np.ma.masked_where(~conductor, snap["potential"])
    pc = ax.pcolormesh(snap["r_faces"] * 100, snap["z_faces"] * 100, phi.T, cmap="viridis")
    _colorbar(pc, ax, "potential [V]")
    _frame(ax, snap, "Electric potential")


def current_density(snap, ax) -> None:
    jr, jz = snap["current_density"][0], snap["current_density"][-1]
    mag = np.sqrt(np.sum(snap["current_density"] ** 2, axis=0))
    conductor = mag > 0
    # log scale: the rods carry 10-100x the electrolyte's current density, so a linear scale
    # set by the rods paints the electrolyte black
    from matplotlib.colors import LogNorm

    shown = np.ma.masked_where(~conductor, mag / 1e4)
    lo = max(float(shown.min()), float(shown.max()) * 1e-4)
    pc = ax.pcolormesh(snap["r_faces"] * 100, snap["z_faces"] * 100, shown.T, cmap="magma",
                       norm=LogNorm(vmin=lo, vmax=float(shown.max())))
    _colorbar(pc, ax, "|j| [A/cm2] (log scale)")
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
    T = celsius(snap["temperature"])
    pc = ax.pcolormesh(snap["r_faces"] * 100, snap["z_faces"] * 100, T.T, cmap="inferno")
    _colorbar(pc, ax, "temperature [degC]")
    rc = 0.5 * (snap["r_faces"][1:] + snap["r_faces"][:-1]) * 100
    zc = 0.5 * (snap["z_faces"][1:] + snap["z_faces"][:-1]) * 100
    salt = snap["material"] == snap["regions"].get("electrolyte", -1)
    f = np.where(salt, snap["liquid_fraction"], 1.0)
    ledge = f.min() < 0.5 < f.max()
    if ledge:
        ax.contour(rc, zc, f.T, levels=[0.5], colors="c", linewidths=1.5)
    ax.contour(rc, zc, T.T, levels=8, colors="w", linewidths=0.3, alpha=0.6)
    _frame(ax, snap, "Temperature, white: isotherms; " + (
        "cyan: ledge front (liquid fraction 0.5)" if ledge else "no frozen ledge"))


def concentration(snap, fig) -> None:
    """One panel per impurity: the electrolyte band (and a little around it)."""
    salt = snap["material"] == snap["regions"].get("electrolyte", -1)
    rows = np.nonzero(salt.any(axis=0))[0]
    x, z = snap["r_faces"] * 100, snap["z_faces"] * 100
    k0, k1 = max(rows[0] - 2, 0), min(rows[-1] + 3, z.size - 1)
    cols = np.nonzero(salt.any(axis=1))[0]
    axes = fig.subplots(len(IMPURITIES), 1, sharex=True)
    for ax, name, c in zip(axes, IMPURITIES, snap["concentration"]):
        data = np.ma.masked_where(~salt, c)[cols[0]:cols[-1] + 1, k0:k1]
        pc = ax.pcolormesh(x[cols[0]:cols[-1] + 2], z[k0:k1 + 1], data.T, cmap="viridis")
        _colorbar(pc, ax, f"{name} [mol/m3]", fraction=0.05)
        ax.set(ylabel="z [cm]")
    axes[-1].set(xlabel=f"{snap.get('axis', 'r')} [cm]")
    axes[0].set_title("Dissolved impurities in the electrolyte")


def _mirror(a, axis, sign=1.0):
    """A quarter-pot plane array mirrored about its low edge along ``axis``."""
    return np.concatenate((sign * np.flip(a, axis=axis), a), axis=axis)


def _planes(snap) -> dict:
    """r-z-like dicts of the two centre planes of a 3D snapshot, mirrored to full sections."""
    out = {}
    for plane, a, take in (("xz", 0, (slice(None), 0)), ("yz", 1, (0, slice(None)))):
        f = snap["x_faces" if a == 0 else "y_faces"]
        j = snap[f"current_density_{plane}"]
        out[plane] = {
            "axis": plane[0], "regions": snap["regions"], "time": snap["time"],
            "r_faces": np.concatenate((-f[::-1], f[1:])), "z_faces": snap["z_faces"],
            "material": _mirror(snap["material"][take], 0),
            "temperature": _mirror(snap["temperature"][take], 0),
            "liquid_fraction": _mirror(snap["liquid_fraction"][take], 0),
            "potential": _mirror(snap[f"potential_{plane}"], 0),
            "current_density": np.stack([_mirror(j[a], 0, -1.0), _mirror(j[1 - a], 0),
                                         _mirror(j[2], 0)]),
            "concentration": _mirror(snap[f"concentration_{plane}"], 1),
        }
    return out


def field_figures(path: str | Path, time: float, outdir: str | Path) -> list[Path]:
    """Write potential, current, temperature and concentration PNGs of the snapshot nearest
    ``time`` [s] (3D runs: one set per centre plane)."""
    snap = read_snapshot(path, time)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    day = snap["time"] / DAY
    sections = _planes(snap) if snap.get("geometry") == "xyz" else {"": snap}
    out = []
    for plane, sec in sections.items():
        tag = f"-{plane}" if plane else ""
        where = f", plane {plane[0]}-z through {'y' if plane == 'xz' else 'x'} = 0" if plane else ""
        wide = plane != ""
        for name, draw in (("potential", potential), ("current", current_density),
                           ("temperature", temperature), ("concentration", None)):
            if draw is None:
                fig = plt.figure(figsize=(9 if wide else 6.5, 10), layout="constrained")
                concentration(sec, fig)
            else:
                fig, ax = plt.subplots(figsize=(11 if wide else 6.5, 7.5))
                draw(sec, ax)
            fig.suptitle(f"{Path(path).stem}: day {day:.2f}{where}")
            if draw is not None:
                fig.tight_layout()
            p = outdir / f"field-{name}{tag}-day{day:06.2f}.png"
            fig.savefig(p, dpi=110)
            plt.close(fig)
            out.append(p)
    return out
