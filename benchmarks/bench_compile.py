"""Numba compile time of a first run (issue 17): run with an empty cache, e.g.

    NUMBA_CACHE_DIR=$(mktemp -d) python benchmarks/bench_compile.py axisymmetric

Runs 2 hours of rusal-3kA at the level and prints the process CPU time, the CPU time spent
compiling (Numba's compile events, each kernel's own time without the kernels it compiles
inside; the recorder `cellsim warmup --record` uses) and the kernels that took longest.
"""

from __future__ import annotations

import os
import sys
import time

from cellsim.warmup import _record_level


def main() -> None:
    level = sys.argv[1] if len(sys.argv) > 1 else "axisymmetric"
    c0 = time.process_time()
    own = _record_level(level)["seconds"]
    print(f"{level}: CPU {time.process_time() - c0:.1f} s, compiling {sum(own.values()):.1f} s, "
          f"load {os.getloadavg()[0]:.1f}")
    for name, spent in sorted(own.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {spent:6.2f} s  {name}")


if __name__ == "__main__":
    main()
