"""Field-level (axisymmetric) answers to the researchers' questions of docs/species.md.

Run: python benchmarks/researcher_tables.py [label filter ...]
Prints one JSON line per campaign: days, stop reason, product Al [wt%] (mass-weighted over the
taps), the two largest impurities [ppm], specific energy [kWh/t Al], wall time [s].
"""
import json
import sys
import time

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.elements import ALL_ELEMENTS

def row(label, sets):
    t = time.perf_counter()
    r = run_campaign(load_config("rusal-3kA", sets))
    s = r.summary
    taps = r.taps
    w = sum(tp.mass * tp.composition for tp in taps) / sum(tp.mass for tp in taps)
    imp = {e: w[i] * 1e6 for i, e in enumerate(ALL_ELEMENTS) if e != "Al"}
    top = sorted(imp.items(), key=lambda kv: -kv[1])[:2]
    days = r.series["time"][-1] / 86400
    out = dict(label=label, days=round(days, 1), stop=r.stop_reason, al=w[0] * 100,
               top=", ".join(f"{e} {v:.0f} ppm" for e, v in top), kwh=s["specific_energy"] / 3.6e3,
               wall=time.perf_counter() - t)
    print(json.dumps(out), flush=True)

jobs = []
for scrap in ["ubc", "6063", "a380", "adc12", "twitch", "mixed-cast", "mixed-wrought-cast"]:
    jobs.append((f"F {scrap}", [f'scrap.use="{scrap}"', 'schedule.duration="120 d"']))
for scrap in ["ubc", "6063", "a380", "twitch"]:
    jobs.append((f"Cl {scrap}", [f'scrap.use="{scrap}"', 'schedule.duration="120 d"', 'electrolyte.family="chloride"']))
for depth in ["6 cm", "18 cm"]:
    for scrap in ["ubc", "a380"]:
        jobs.append((f"depth {depth} {scrap}", [f'scrap.use="{scrap}"', 'schedule.duration="150 d"', f'geometry.anode_alloy_depth="{depth}"']))
for scrap, iv in [("ubc", "30 d"), ("ubc", "10 d"), ("a380", "2 d")]:
    jobs.append((f"bleed {iv} {scrap}", [f'scrap.use="{scrap}"', 'schedule.duration="365 d"', 'schedule.bleed_mode="interval"', f'schedule.bleed_interval="{iv}"']))
sel = sys.argv[1:]
for label, sets in jobs:
    if not sel or any(x in label for x in sel):
        row(label, sets)
