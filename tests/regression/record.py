"""Record the regression baseline (see regression_cases.py). Run from the repository root."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regression_cases import CASES, flatten, platform, run_case  # noqa: E402

DATA = Path(__file__).resolve().parent / "baseline"


def main(names: list[str]) -> None:
    DATA.mkdir(exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=DATA).stdout.strip()
    for name in names or list(CASES):
        result = run_case(name)
        arrays = flatten(result)
        arrays["meta/stop_reason"] = np.array(result.stop_reason)
        arrays["meta/commit"] = np.array(commit)
        arrays["meta/platform"] = np.array(json.dumps(platform(), sort_keys=True))
        path = DATA / (name.replace("/", "__") + ".npz")
        np.savez_compressed(path, **arrays)
        print(f"{name}: {len(arrays)} arrays, stop: {result.stop_reason} -> {path.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
