"""Propagate the ranges of estimated inputs to the headline outputs (``cellsim uq``).

The uncertain inputs are the keys a configuration gives as ``{ value, range, dist, source }``
(:mod:`cellsim.config.uncertain`). A space-filling sample of the unit hypercube (Latin
hypercube or scrambled Sobol, ``scipy.stats.qmc``; or Saltelli's A/B/AB_i matrices) is mapped
through each input's inverse CDF, and the cases run on the sweep engine
(:mod:`cellsim.sweep`: local processes or Dask, resumable, one writer). Each headline output
is reported as its median and 5-95 % interval over the successful cases.

Ranking of the inputs by their share of the output variance:

* ``method = "saltelli"``: first-order and total Sobol indices (Saltelli 2010 / Jansen
  estimators, :func:`cellsim.sweep.sensitivity.saltelli`), N (d + 2) cases;
* ``oat`` (1 + 2d cases, no intervals): one-at-a-time screening, each input alone at its 5 %
  and 95 % quantiles; shares = squared swings normalised (:func:`oat_shares`);
* ``lhs`` / ``sobol`` (the default, N cases): first-order indices from the given data
  (:func:`cellsim.sweep.sensitivity.binned_first_order`: between-bin variance of the output
  over equiprobable bins of each input, bias-corrected), a cheaper ranking that misses
  interactions. The report says which one was used, with the estimator's noise floor (the
  95th percentile of the index of a no-effect input, by shuffling the output).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from .config.uncertain import Uncertain
from .elements import IMPURITIES
from .sweep.spec import Case, Parameter, SweepSpec
from .units import celsius, kWh

METHODS = ("lhs", "sobol", "saltelli", "oat")

# Headline outputs: summary key -> (label, reporting unit, factor from SI)
HEADLINE: dict[str, tuple[str, str, float]] = {
    "specific_energy": ("specific energy", "kWh/t Al", 1e3 / kWh),
    "specific_energy_scrap": ("specific energy per scrap", "kWh/t scrap", 1e3 / kWh),
    "current_efficiency": ("current efficiency", "%", 100.0),
    "mean_heater_power": ("mean heater power", "kW", 1e-3),
    "mean_temperature": ("mean melt temperature", "degC", 1.0),
    "campaign_length": ("campaign length", "d", 1 / 86400),
    "days_in_spec": ("days in spec", "d", 1 / 86400),
    "product_al": ("product Al", "wt%", 100.0),
    **{f"product_{e}": (f"product {e}", "ppm", 1e6) for e in IMPURITIES},
}


def derived_outputs(summary: dict) -> dict:
    """Outputs computed from a case summary: days in spec = campaign length times the
    fraction of taps in spec (taps are evenly spaced)."""
    out = dict(summary)
    taps = summary.get("taps", 0)
    if "campaign_length" in summary and taps:
        out["days_in_spec"] = summary["campaign_length"] * summary.get("taps_in_spec", 0) / taps
    return out


def display(name: str, si: np.ndarray | float):
    _, unit, factor = HEADLINE[name]
    if unit == "degC":
        return celsius(np.asarray(si))
    return np.asarray(si) * factor


def _raw(u: Uncertain, si):
    """SI (stored) value -> the number a sweep override writes (wt% keys: divided by scale)."""
    return si if u.kind == "quantity" else si / u.scale


def parameter_of(u: Uncertain) -> Parameter:
    """The sweep parameter that sets an uncertain input (overrides quote its display unit)."""
    unit = u.unit if u.kind == "quantity" else ("wt%" if u.scale == 0.01 else "")
    return Parameter(u.key, u.kind, u.dimension, unit, bounds=(_raw(u, u.low), _raw(u, u.high)))


def unit_sample(method: str, d: int, samples: int, seed: int) -> tuple[np.ndarray, list]:
    """Unit-hypercube points (n x d) and their (role, group) tags."""
    from scipy.stats import qmc

    if method == "lhs":
        pts = qmc.LatinHypercube(d, seed=seed).random(samples) if d else np.zeros((samples, 0))
        return pts, [("", -1)] * samples
    m = int(round(math.log2(samples))) if samples > 0 else -1
    if m < 0 or 2**m != samples:
        raise ValueError(f"--samples {samples}: a power of 2 for method '{method}'")
    if method == "sobol":
        pts = qmc.Sobol(d, scramble=True, seed=seed).random_base2(m) if d else np.zeros((samples, 0))
        return pts, [("", -1)] * samples
    base = qmc.Sobol(2 * d, scramble=True, seed=seed).random_base2(m)
    A, B = base[:, :d], base[:, d:]
    rows, tags = [A, B], [("A", j) for j in range(samples)] + [("B", j) for j in range(samples)]
    for i in range(d):
        AB = A.copy()
        AB[:, i] = B[:, i]
        rows.append(AB)
        tags += [(f"AB{i}", j) for j in range(samples)]
    return np.vstack(rows), tags


def build_spec(base: str, uncertain: tuple[Uncertain, ...], *, samples: int, method: str = "lhs",
               seed: int = 0, fixed: tuple[str, ...] = (), range_scale: float = 1.0,
               name: str = "uq") -> tuple[SweepSpec, tuple[Uncertain, ...]]:
    """The sweep of a UQ study: one case per sample point (inputs in SI).

    Inputs whose (scaled) range is a single point are pinned at their value and not sampled.
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r}: one of {list(METHODS)}")
    inputs = tuple(u.scaled(range_scale) for u in uncertain)
    free = tuple(u for u in inputs if not u.collapsed)
    pinned = tuple(f'{p.key}={_literal(p, _raw(u, u.value))}' for u in inputs if u.collapsed
                   for p in [parameter_of(u)])
    if method == "oat":  # the point, then each input alone at its 5 % and 95 % quantiles
        values = np.array([[u.value for u in free]] * (1 + 2 * len(free)))
        tags = [("point", -1)]
        for i, u in enumerate(free):
            values[1 + 2 * i, i], values[2 + 2 * i, i] = u.ppf(np.array([0.05, 0.95]))
            tags += [(f"OAT{i}lo", i), (f"OAT{i}hi", i)]
        columns = [_raw(u, values[:, i]) for i, u in enumerate(free)]
        unit = values
    else:
        unit, tags = unit_sample(method, len(free), samples, seed)
        columns = [_raw(u, u.ppf(unit[:, i])) for i, u in enumerate(free)]
    width = max(4, len(str(len(unit) - 1)))
    cases = tuple(Case(k, f"case-{k:0{width}d}", tuple(float(c[k]) for c in columns), role, group)
                  for k, (role, group) in enumerate(tags))
    spec = SweepSpec(name, base, base, method if method != "lhs" else "lhs",
                     tuple(parameter_of(u) for u in free), cases, tuple(fixed) + pinned,
                     samples, seed, "uncertainty propagation (cellsim uq)")
    return spec, free


def _literal(p: Parameter, value: float) -> str:
    return p.override(value).split("=", 1)[1]


@dataclasses.dataclass
class Interval:
    output: str
    median: float
    p5: float
    p95: float
    n: int  # successful cases used


def operable(table: dict) -> np.ndarray:
    """Cases that ran and tapped product: a sampled pot that stops before its first tap
    (its electrolyte freezes, say) is not a refining pot, and is counted apart, not averaged in."""
    ok = table["status"] == "ok"
    taps = table["outputs"].get("taps")
    return ok if taps is None else ok & (np.nan_to_num(taps) > 0)


def intervals(table: dict) -> list[Interval]:
    """Median and 5-95 % interval (SI) of each headline output over the operable cases."""
    ok = operable(table)
    outs = dict(table["outputs"])
    if "campaign_length" in outs and "taps" in outs:
        taps = np.where(outs["taps"] > 0, outs["taps"], np.nan)
        outs["days_in_spec"] = outs["campaign_length"] * outs.get("taps_in_spec", 0) / taps
    res = []
    for name in HEADLINE:
        if name not in outs:
            continue
        y = outs[name][ok]
        y = y[np.isfinite(y)]
        if not len(y):
            continue
        p5, med, p95 = np.percentile(y, [5, 50, 95])
        res.append(Interval(name, float(med), float(p5), float(p95), int(len(y))))
    return res


def ranking(table: dict, output: str):
    """Variance shares of the inputs for ``output`` (:mod:`cellsim.sweep.sensitivity`)."""
    from .sweep.sensitivity import from_table

    if not table["inputs"]:
        return None
    if table["attrs"]["design"] == "oat":
        return oat_shares(table, output)
    return from_table(_operable_only(table), output)


def oat_shares(table: dict, output: str):
    """One-at-a-time screening: each input's swing (output at its 95 % quantile minus at its
    5 %, the others at their values), squared and normalised to sum 1. A linear, additive
    model's first-order indices are proportional to these squares; interactions are missed."""
    from .sweep.sensitivity import Indices

    keys = tuple(table["inputs"])
    y = np.where(operable(table), table["outputs"][output], np.nan)
    lo, hi = np.full(len(keys), np.nan), np.full(len(keys), np.nan)
    for role, group, v in zip(table["role"], table["group"], y):
        if role.startswith("OAT"):
            (lo if role.endswith("lo") else hi)[int(group)] = v
    swing2 = (hi - lo) ** 2
    total = np.nansum(swing2)
    share = swing2 / total if total > 0 else np.full(len(keys), np.nan)
    return Indices(output, keys, share, None, None, None, np.isfinite(swing2).astype(int),
                   len(keys), "one-at-a-time swing^2 (5-95 %)")


def _operable_only(table: dict) -> dict:
    out = dict(table)
    out["status"] = np.where(operable(table), "ok", "stopped")
    return out


def noise_floor(table: dict, output: str, repeats: int = 100, seed: int = 0) -> float:
    """95th percentile of the given-data index of an input that has no effect: the estimator
    applied to the output shuffled against the inputs (the same N, bins and inputs). Indices
    below it are not distinguishable from zero at this sample size."""
    from .sweep.sensitivity import binned_first_order

    keys = tuple(table["inputs"])
    y = np.where(operable(table), table["outputs"][output], np.nan)
    x = np.column_stack([table["inputs"][k] for k in keys])
    ok = np.isfinite(y)
    rng = np.random.default_rng(seed)
    draws = [binned_first_order(x[ok][:, :1], rng.permutation(y[ok])).first[0]
             for _ in range(repeats)]
    draws = np.asarray(draws)[np.isfinite(draws)]
    return float(np.percentile(draws, 95)) if len(draws) else float("nan")


def write_outputs(folder: Path, table: dict, spec: SweepSpec, free: tuple[Uncertain, ...],
                  rank_outputs: tuple[str, ...] = ("specific_energy", "product_al")) -> dict:
    """uq.h5, uq.csv, uq.png in ``folder``; returns the intervals and indices."""
    import h5py

    ivs = intervals(table)
    ranks = {o: ranking(table, o) for o in rank_outputs if o in table["outputs"]}
    floors = {o: (noise_floor(table, o) if r is not None and r.total is None
                  and spec.design != "oat" else float("nan")) for o, r in ranks.items()}
    if spec.design == "oat":  # a screening design has no distribution to take intervals of
        ivs = []
    csv_path, h5_path = folder / "uq.csv", folder / "uq.h5"
    with open(csv_path, "w") as fh:
        fh.write("output,unit,median,p5,p95,cases\n")
        for iv in ivs:
            _, unit, _ = HEADLINE[iv.output]
            m, a, b = (float(display(iv.output, v)) for v in (iv.median, iv.p5, iv.p95))
            fh.write(f"{iv.output},{unit},{m:.8g},{a:.8g},{b:.8g},{iv.n}\n")
        for out, idx in ranks.items():
            if idx is None:
                continue
            fh.write(f"\n# variance shares of {out} ({idx.method}; noise floor "
                     f"{floors[out]:.3g})\ninput,first_order,total\n")
            for i, key in enumerate(idx.parameters):
                tot = "" if idx.total is None else f"{idx.total[i]:.4g}"
                fh.write(f"{key},{idx.first[i]:.4g},{tot}\n")
    tmp = h5_path.with_name(".uq.h5.tmp")
    with h5py.File(tmp, "w") as h5:
        h5.attrs.update({"format": "cellsim-uq", "format_version": 1, "method": spec.design,
                         "samples": spec.samples, "seed": spec.seed, "base": spec.base,
                         "cases": len(spec.cases), "fixed": list(spec.fixed)})
        g = h5.create_group("intervals")
        for iv in ivs:
            ds = g.create_dataset(iv.output, data=np.array([iv.p5, iv.median, iv.p95]))
            ds.attrs.update({"columns": ["p5", "median", "p95"], "cases": iv.n,
                             "units": _si_unit(iv.output)})
        gi = h5.create_group("inputs")
        for u in free:
            ds = gi.create_dataset(u.key, data=np.array([u.low, u.value, u.high]))
            ds.attrs.update({"columns": ["low", "value", "high"], "dist": u.dist,
                             "source": u.source, "display_unit": u.unit})
        gr = h5.create_group("ranking")
        for out, idx in ranks.items():
            if idx is None:
                continue
            r = gr.create_group(out)
            r.attrs["method"] = idx.method
            r.attrs["noise_floor"] = floors[out]
            r["input"] = np.array(idx.parameters, dtype=object).astype(h5py.string_dtype())
            r["first_order"] = idx.first
            if idx.total is not None:
                r["total"] = idx.total
    tmp.replace(h5_path)
    fig = folder / "uq.png"
    _figure(fig, ivs, ranks, floors)
    return {"intervals": ivs, "ranking": ranks, "noise_floor": floors,
            "files": [h5_path, csv_path, fig]}


def _si_unit(name: str) -> str:
    from .io import summary_unit

    return summary_unit(name) if name != "days_in_spec" else "s"


def _figure(path: Path, ivs: list[Interval], ranks: dict, floors: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [iv for iv in ivs if iv.output in ("specific_energy", "specific_energy_scrap",
                                                "current_efficiency", "mean_heater_power",
                                                "campaign_length", "product_al")]
    nr = len([r for r in ranks.values() if r is not None])
    fig, axes = plt.subplots(1 + nr, 1, figsize=(7, 2.2 + 2.6 * (len(shown) // 3 + nr)),
                             squeeze=False)
    ax = axes[0, 0]
    for k, iv in enumerate(shown):
        med, a, b = (float(display(iv.output, v)) for v in (iv.median, iv.p5, iv.p95))
        scale = abs(med) or 1.0
        ax.errorbar([med / scale], [k], xerr=[[(med - a) / scale], [(b - med) / scale]],
                    fmt="o", capsize=4)
        _, unit, _ = HEADLINE[iv.output]
        ax.annotate(f"{med:.5g} [{a:.5g}, {b:.5g}] {unit}", (1.0, k), xytext=(5, 6),
                    textcoords="offset points", fontsize=8)
    ax.set_yticks(range(len(shown)), [HEADLINE[iv.output][0] for iv in shown])
    ax.set_xlabel("value / median [1] (median and 5-95 % interval)")
    for j, (out, idx) in enumerate((o, r) for o, r in ranks.items() if r is not None):
        ax = axes[1 + j, 0]
        order = np.argsort(-np.nan_to_num(idx.first, nan=-1))[:10]
        ax.barh(range(len(order)), np.nan_to_num(idx.first[order]), label="first order")
        if idx.total is not None:
            ax.barh(range(len(order)), np.nan_to_num(idx.total[order]), fill=False, label="total")
            ax.legend(fontsize=8)
        if np.isfinite(floors.get(out, np.nan)):
            ax.axvline(floors[out], color="k", ls=":", lw=1, label="noise floor (95 %)")
            ax.legend(fontsize=8)
        ax.set_yticks(range(len(order)), [idx.parameters[i] for i in order], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(f"share of the variance of {HEADLINE[out][0]} [1] ({idx.method})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
