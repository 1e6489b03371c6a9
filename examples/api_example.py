"""cellsim from Python: load, override, run, read the arrays, plot, sweep.

Run it from any folder:  python examples/api_example.py  (about half a minute; it writes
example.h5, example-plots/, example.csv tables and sweeps/example/ into the current folder).
docs/api.md explains each step; tests/integration/test_api_example.py runs this file.
"""

from pathlib import Path

import numpy as np
import xarray as xr  # optional: pip install xarray h5netcdf

from cellsim.campaign import run_campaign
from cellsim.config import load_config
from cellsim.export import export
from cellsim.io import read_result, write_result
from cellsim.plot import campaign_figures
from cellsim.sweep.runner import run_sweep
from cellsim.sweep.spec import load_spec

SWEEP = '''
[sweep]
name = "example"
base = "rusal-3kA"
design = "grid"
set = ['schedule.duration="10 d"', 'numerics.model="lumped"']
[parameters]
"geometry.acd" = ["4 cm", "5 cm"]
'''


def main() -> None:
    # 1. load a packaged cell (or a TOML file) with overrides, exactly as --set on the CLI
    config = load_config("rusal-3kA", ['schedule.duration="10 d"', 'numerics.model="lumped"',
                                       'scrap.use="a380"'])
    print(f"{config.meta.name}: {config.operation.current:g} A, ACD {config.geometry.acd:g} m")

    # 2. run; the result holds every series (SI), the taps, the ledger and the summary
    result = run_campaign(config)
    s = result.summary
    print(f"{s['specific_energy'] / 3600:.0f} kWh/t, CE {s['current_efficiency']:.4f}, "
          f"ended by: {result.stop_reason}")

    # 3. the arrays: time [s], voltage terms [V], compositions (time x element)
    t_days = result.series["time"] / 86400
    voltage = result.series["cell_voltage"]
    print(f"{len(t_days)} records, U from {voltage.min():.3f} to {voltage.max():.3f} V")

    # 4. write the HDF5 result and read it back (or open a group with xarray)
    path = write_result(result, Path("example.h5"))
    again = read_result(path)
    assert np.array_equal(again.series["cell_voltage"], voltage)
    with xr.open_dataset(path, engine="h5netcdf", group="series") as series:
        fe = series.alloy_composition.sel(element="Fe")
        print(f"alloy Fe from {fe.values[0] * 100:.3f} to {fe.values[-1] * 100:.3f} wt%")
        print(f"running kWh/t at the end: {series.specific_energy.values[-1] / 3600:.0f}")

    # 5. figures and tidy tables
    for png in campaign_figures(again, "example-plots"):
        print(f"figure {png}")
    for table in export(path, "csv"):
        print(f"table {table}")

    # 6. a sweep; run_sweep starts worker processes, so the script needs its main guard
    Path("example-sweep.toml").write_text(SWEEP)
    run = run_sweep(load_spec("example-sweep.toml"), "sweeps/example", workers=1)
    print(f"sweep: {run.ok} ok, {run.failed} failed; table sweeps/example/summary.csv")


if __name__ == "__main__":
    main()
