"""Figures of a campaign result (matplotlib, Agg backend): what a researcher looks at first.

Each function draws one panel on a given Axes from a :class:`CampaignResult` (live or read
back from HDF5); :func:`campaign_figures` writes the standard set of PNG files. Units are on
every axis label.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .elements import ALL_ELEMENTS, IMPURITIES  # noqa: E402
from .lumped.electrical import VOLTAGE_TERMS  # noqa: E402
from .lumped.thermal import FACES  # noqa: E402
from .results import CampaignResult  # noqa: E402

DAY = 86400.0
COLOURS = dict(zip(IMPURITIES, plt.get_cmap("tab10").colors))


def _days(result: CampaignResult) -> np.ndarray:
    return result.series["time"] / DAY


def voltage_breakdown(result: CampaignResult, ax) -> None:
    """Stacked voltage terms against time [V]."""
    t = _days(result)
    terms = [result.series[f"voltage_{name}"] for name in VOLTAGE_TERMS]
    ax.stackplot(t, *terms, labels=[n.replace("_", " ") for n in VOLTAGE_TERMS], alpha=0.85)
    ax.plot(t, result.series["cell_voltage"], color="k", lw=1.2, label="cell voltage")
    ax.set(xlabel="time [d]", ylabel="voltage [V]", title="Cell voltage and its terms")
    ax.legend(fontsize=7, loc="lower right", ncol=2)


def heat_balance(result: CampaignResult, ax) -> None:
    """Heat sources and losses [kW] and the melt temperature [degC]."""
    t, s = _days(result), result.series
    for face in FACES:
        ax.plot(t, s[f"heat_loss_{face}"] / 1e3, label=f"loss: {face}")
    ax.plot(t, s["joule_heat"] / 1e3, "k-", lw=1.5, label="Joule heat")
    ax.plot(t, s["heater_power"] / 1e3, "r--", label="heater")
    ax.plot(t, s["feed_sink"] / 1e3, ":", color="grey", label="scrap heating")
    ax.set(xlabel="time [d]", ylabel="power [kW]", title="Heat balance")
    ax.legend(fontsize=7, loc="center right")
    twin = ax.twinx()
    T = s["temperature"] - 273.15
    twin.plot(t, T, color="tab:purple", lw=1, alpha=0.6)
    mid, half = 0.5 * (T.max() + T.min()), max(0.5 * (T.max() - T.min()), 10.0)
    twin.set_ylim(mid - 1.2 * half, mid + 1.2 * half)  # a 1 K ripple should look like one
    twin.set_ylabel("melt temperature [degC]", color="tab:purple")


def product_purity(result: CampaignResult, ax) -> None:
    """Impurities of every tapped batch [ppm, log] against the product specification limits."""
    spec = result.config.product
    if not result.taps:
        ax.text(0.5, 0.5, "no taps", ha="center", transform=ax.transAxes)
        return
    t = np.array([tap.time for tap in result.taps]) / DAY
    comp = np.array([tap.composition for tap in result.taps])
    floor = 1e-3
    for symbol in IMPURITIES:
        ppm = comp[:, ALL_ELEMENTS.index(symbol)] * 1e6
        ax.semilogy(t, np.maximum(ppm, floor), "o-", ms=3, color=COLOURS[symbol], label=symbol)
        if symbol in spec.max_fraction:
            ax.axhline(spec.max_fraction[symbol] * 1e6, color=COLOURS[symbol], ls="--", lw=0.8)
    total_limit = (1 - spec.min_al_fraction) * 1e6
    ax.axhline(total_limit, color="k", ls="--", lw=1, label=f"total ({spec.name} Al min)")
    bad = [i for i, tap in enumerate(result.taps) if tap.violations]
    if bad:
        ax.plot(t[bad], np.full(len(bad), total_limit), "rx", ms=9, label="tap out of spec")
    ax.set(xlabel="tap time [d]", ylabel="impurity in tapped metal [ppm by mass]",
           title=f"Tapped metal vs {spec.name} (dashed: limits; {floor:g} ppm floor)")
    ax.legend(fontsize=7, ncol=2, loc="lower right")


def alloy_composition(result: CampaignResult, ax) -> None:
    """Anode alloy composition [wt%] and the limit that ends the campaign."""
    t, w = _days(result), result.series["alloy_composition"] * 100
    aa = result.config.anode_alloy
    for symbol in IMPURITIES:
        col = w[:, ALL_ELEMENTS.index(symbol)]
        if col.max() > 1e-3:
            ax.plot(t, col, color=COLOURS[symbol], label=symbol)
    limited = sum(w[:, ALL_ELEMENTS.index(e)] for e in aa.limited_elements)
    ax.plot(t, limited, "k-", lw=1.5, label="+".join(aa.limited_elements))
    ax.axhline(aa.max_impurity_fraction * 100, color="k", ls="--", lw=0.8, label="limit")
    sched = result.config.schedule
    if sched.bleed_mode in ("threshold", "both") and sched.bleed_threshold is not None:
        ax.axhline(sched.bleed_threshold * 100, color="tab:brown", ls=":", lw=0.8,
                   label="bleed threshold")
    for i, bleed in enumerate(result.bleeds):
        ax.axvline(bleed.time / DAY, color="tab:brown", lw=0.6, alpha=0.6,
                   label=f"bleed ({len(result.bleeds)}: {result.summary.get('alloy_bled', 0):.0f} kg)"
                   if i == 0 else None)
    title = "Anode alloy composition" + (" (vertical lines: bleeds)" if result.bleeds else "")
    ax.set(xlabel="time [d]", ylabel="anode alloy [wt%]", title=title)
    ax.legend(fontsize=7, ncol=2)


def electrolyte(result: CampaignResult, ax) -> None:
    """The electrolyte's composition [wt%] and its conductivity [S/cm] and density [g/cm3]
    over time; vertical lines: partial salt renewals."""
    from .electrolyte.provider import SaltProvider

    t, s = _days(result), result.series
    names = SaltProvider(result.config).names
    w = s["salt_composition"] * 100
    for i, name in enumerate(names):
        if w[:, i].max() > 0.5:
            ax.plot(t, w[:, i], label=f"{name} [wt%]")
    for i, renewal in enumerate(result.renewals):
        ax.axvline(renewal.time / DAY, color="tab:brown", lw=0.6, alpha=0.6,
                   label=f"renewal ({len(result.renewals)})" if i == 0 else None)
    ax.set(xlabel="time [d]", ylabel="electrolyte [wt%]", title="Electrolyte composition and properties")
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    twin = ax.twinx()
    twin.plot(t, s["salt_conductivity"] / 100, "k--", lw=1, label="conductivity [S/cm]")
    twin.plot(t, s["salt_density"] / 1e3, "k:", lw=1, label="density [g/cm3]")
    twin.set_ylabel("conductivity [S/cm], density [g/cm3]")
    twin.legend(fontsize=7, loc="upper right")


PANELS = {
    "voltage": voltage_breakdown,
    "heat": heat_balance,
    "purity": product_purity,
    "alloy": alloy_composition,
    "electrolyte": electrolyte,
}


def campaign_figures(result: CampaignResult, outdir: str | Path, prefix: str = "") -> list[Path]:
    """Write one PNG per panel plus an overview; return the paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in PANELS.items():
        fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
        draw(result, ax)
        paths.append(outdir / f"{prefix}{name}.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    fig, axes = plt.subplots(2, 3, figsize=(19, 8.5), layout="constrained")
    axes.flat[-1].set_axis_off()
    for ax, draw in zip(axes.flat, PANELS.values()):
        draw(result, ax)
    fig.suptitle(f"{result.config.meta.name}: {result.config.scrap.name}, "
                 f"{result.config.operation.current / 1e3:g} kA; ended by {result.stop_reason}",
                 fontsize=10)
    paths.append(outdir / f"{prefix}overview.png")
    fig.savefig(paths[-1], dpi=100)
    plt.close(fig)
    return paths
