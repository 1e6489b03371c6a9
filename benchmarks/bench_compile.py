"""Numba compile time of a first run (issue 17): run with an empty cache, e.g.

    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/bench_compile.py axisymmetric

Runs 2 hours of rusal-3kA at the level and prints the process CPU time, the CPU time spent
compiling (Numba's compile events, each kernel's own time without the kernels it compiles
inside) and the kernels that took longest.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict

from numba.core import event

from cellsim.campaign import run_campaign
from cellsim.config import load_config


def main() -> None:
    level = sys.argv[1] if len(sys.argv) > 1 else "axisymmetric"
    own, stack = defaultdict(float), []

    class Listener(event.Listener):
        def on_start(self, ev):
            f = ev.data["dispatcher"].py_func
            stack.append((f"{f.__module__}.{f.__qualname__}", time.process_time()))

        def on_end(self, ev):
            name, c = stack.pop()
            spent = time.process_time() - c
            own[name] += spent
            if stack:
                own[stack[-1][0]] -= spent

    event.register("numba:compile", Listener())
    c0 = time.process_time()
    run_campaign(load_config("rusal-3kA", [f'numerics.model="{level}"', 'schedule.duration="2 h"']))
    print(f"{level}: CPU {time.process_time() - c0:.1f} s, compiling {sum(own.values()):.1f} s, "
          f"load {os.getloadavg()[0]:.1f}")
    for name, spent in sorted(own.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {spent:6.2f} s  {name}")


if __name__ == "__main__":
    main()
