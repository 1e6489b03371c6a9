"""Salt care for the 3 kA reference cell (docs/electrolyte.md, "How often to renew the salt"):
for each feed, a 45-day campaign without salt care, with partial renewals whenever MgF2
passes a threshold, and with Mg removed from the scrap before feeding. Prints a Markdown
table; every number is computed by the model (lumped level unless --level is given).

    python benchmarks/salt_care.py [--level lumped|axisymmetric] [--days 45]
"""

from __future__ import annotations

import argparse
import logging



from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.units import kWh

FEEDS = ("ubc", "6063", "mixed-wrought-cast", "5xxx")
THRESHOLD = 5.0  # wt% MgF2: the range of the liquidus correlation ([Solheim1996])
SCENARIOS = {
    "none": [],
    f"renew 50 % at {THRESHOLD:g} wt% MgF2": [
        'schedule.salt_renewal_mode="threshold"', f"schedule.salt_renewal_threshold_mgx2_wt_pct={THRESHOLD}",
        "schedule.salt_renewal_fraction=0.5"],
    f"Mg removal 90 % + renew at {THRESHOLD:g} wt%": [
        "scrap.mg_removal_efficiency=0.9", 'scrap.mg_removal_energy="50 kWh/t"',
        'schedule.salt_renewal_mode="threshold"', f"schedule.salt_renewal_threshold_mgx2_wt_pct={THRESHOLD}",
        "schedule.salt_renewal_fraction=0.5"],
}


def row(feed: str, name: str, overrides: list[str], level: str, days: float) -> str:
    cfg = load_config("rusal-3kA", [f'numerics.model="{level}"', f'schedule.duration="{days} d"',
                                    f'scrap.use="{feed}"'] + overrides)
    r = run_campaign(cfg)
    s, se = r.summary, r.series
    U = se["cell_voltage"][1:]
    to_kwh_t = 1e3 / kWh
    from cellsim.electrolyte.provider import SaltProvider

    mg = se["electrolyte_composition"][:, SaltProvider(r.config).names.index("MgF2")] * 100
    days_run = s["campaign_length"] / 86400
    per = days_run / s["electrolyte_renewals"] if s["electrolyte_renewals"] else float("nan")
    stop = "" if r.stop_reason == "duration reached" else f" (stopped: {r.stop_reason[:60]}...)"
    return (f"| {feed} | {name} | {days_run:.1f}{stop} | {mg.max():.1f} | {s['electrolyte_renewals']} | "
            f"{per:.1f} | {s['electrolyte_consumption'] * 1e3:.0f} | {s['mg_removed_per_scrap'] * 1e3:.1f} | "
            f"{s['mg_removal_reagent'] / s['scrap_fed'] * 1e3:.1f} | "
            f"{s['specific_energy'] * to_kwh_t:.0f} | {s['energy_mg_removal'] * to_kwh_t:.0f} | "
            f"{U.min():.3f}-{U.max():.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--level", default="lumped")
    ap.add_argument("--days", type=float, default=45.0)
    ap.add_argument("--feeds", default=",".join(FEEDS))
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # range warnings are in each result; not needed here
    print("| feed | salt care | days run | max MgF2 wt% | renewals | days between | salt kg/t Al | "
          "Mg removed kg/t scrap | Cl2 kg/t scrap | kWh/t Al | of which Mg removal | U range V |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for feed in args.feeds.split(","):
        for name, overrides in SCENARIOS.items():
            print(row(feed, name, overrides, args.level, args.days), flush=True)


if __name__ == "__main__":
    main()
