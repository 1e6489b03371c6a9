"""Benchmark of the current solver against FiPy and the machine's memory bandwidth.

All problems in one run (ratios, not absolute times, are the
result: the shared machine drifts by +-30 %):

* STREAM-type triad (a = b + s c, Numba, all threads) vs the 7-point matvec kernel at 128^3
  (bytes per cell: 3 conductance arrays + x + y = 40) and SciPy CSR;
* layered box 1 x 1 x 0.5 m, sigma 1e6 / 200 / 3e6 S/m (z < 0.2 / < 0.3 / above), phi = 0
  on top, 1e4 A/m2 through the bottom (or the same current through a centred 0.4 x 0.4 m
  patch), 64^3 and 128^3;
* layered cylinder in r-z, R = H = 0.5 m, 200 x 400 cells;
* FiPy on the same problems at the same true relative residual 1e-8 (CG + PyAMG
  preconditioner = its best configuration, CG as shipped, default solver in 2D);
* peak memory of a 128^3 solve and the time to the first solve of a fresh process with a
  warm Numba cache (both in subprocesses).

Usage: python benchmarks/bench_current.py [--skip-fipy-128] [--quick]
Writes benchmarks/results/current_<timestamp>.{json,md} and prints the ratio table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

RESULTS = Path(__file__).resolve().parent / "results"
RTOL = 1e-8


@njit(parallel=True, cache=True)
def _triad(a, b, c, s):
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times))


def bandwidth(n=128):
    from cellsim.kernels import fv
    m = 16 * 2**20
    a, b, c = np.zeros(m), np.random.rand(m), np.random.rand(m)
    _triad(a, b, c, 3.0)
    rng = np.random.default_rng(0)
    g = [rng.random((n + 1, n, n)), rng.random((n, n + 1, n)), rng.random((n, n, n + 1))]
    x, y = rng.random((n, n, n)), np.empty((n, n, n))
    fv.apply_operator(*g, x, y)
    # interleaved rounds, so that load changes on the shared machine hit both alike
    t_triad = t_mv = np.inf
    for _ in range(8):
        t_triad = min(t_triad, best_of(lambda: _triad(a, b, c, 3.0), 3)[0])
        t_mv = min(t_mv, best_of(lambda: fv.apply_operator(*g, x, y), 3)[0])
    import scipy.sparse
    ip, ix, d = fv.assemble_csr(*g)
    csr = scipy.sparse.csr_matrix((d, ix, ip), shape=(n**3, n**3))
    xf = x.reshape(-1)
    t_csr, _ = best_of(lambda: csr @ xf, 5)
    return {"triad_GBs": 24 * m / t_triad / 1e9, "matvec_GBs": 40 * n**3 / t_mv / 1e9,
            "matvec_Gcells": n**3 / t_mv / 1e9, "csr_Gcells": n**3 / t_csr / 1e9}


def box_problem(n, patch):
    """Grid, sigma and BCs of the layered box (cellsim)."""
    from cellsim.fields import fvm
    from cellsim.fields.grid import Grid, stretched_faces
    faces = (stretched_faces(1.0, n), stretched_faces(1.0, n), stretched_faces(0.5, n))
    zc = 0.5 * (faces[2][1:] + faces[2][:-1])
    sig = np.broadcast_to(np.where(zc < 0.2, 1e6, np.where(zc < 0.3, 200.0, 3e6)), (n, n, n)).copy()
    q = 1e4
    if patch:
        xc = 0.5 * (faces[0][1:] + faces[0][:-1])
        m = np.abs(xc - 0.5) < 0.2
        q = np.where(m[:, None] & m[None, :], 1e4 / (m.mean() ** 2), 0.0)
    grid = Grid("xyz", faces, np.zeros((n, n, n), np.int32))
    return grid, sig, {"z+": fvm.dirichlet(0.0), "z-": fvm.neumann(q)}


def cyl_problem(nr=200, nz=400):
    from cellsim.fields import fvm
    from cellsim.fields.grid import Grid, stretched_faces
    faces = (stretched_faces(0.5, nr), np.array([0.0, 2 * np.pi]), stretched_faces(0.5, nz))
    zc = 0.5 * (faces[2][1:] + faces[2][:-1])
    sig = np.broadcast_to(np.where(zc < 0.2, 1e6, np.where(zc < 0.3, 200.0, 3e6)), (nr, 1, nz)).copy()
    grid = Grid("rz", faces, np.zeros((nr, 1, nz), np.int32))
    return grid, sig, {"z+": fvm.dirichlet(0.0), "z-": fvm.neumann(1e4)}


def cellsim_solve(problem, kind):
    """Assemble + solver setup + solve to the true relative residual RTOL. Returns (t, phi, its)."""
    from cellsim.fields import fvm
    from cellsim.fields.solvers import make_solver
    grid, sig, bcs = problem
    t = time.perf_counter()
    op = fvm.assemble(grid, sig, bcs)
    solver = make_solver(*op.g, kind=kind)
    phi = solver.solve(op.b, rtol=RTOL)
    return time.perf_counter() - t, phi, solver.last_iterations, op


def true_residual(op, phi):
    from cellsim.kernels import fv
    r = np.empty_like(phi)
    return float(np.sqrt(fv.residual(*op.g, phi, op.b, r)) / np.linalg.norm(op.b))


def fipy_solve(problem, config):
    """The same problem in FiPy; returns (t, phi in cellsim ordering)."""
    import fipy
    from fipy.solvers.scipy.preconditioners.scipyPreconditioner import ScipyPreconditioner
    grid, sig, bcs = problem
    t = time.perf_counter()
    if grid.geometry == "rz":
        nr, _, nz = grid.shape
        mesh = fipy.CylindricalGrid2D(dr=grid.widths(0)[0], dz=grid.widths(2)[0], nr=nr, nz=nz)
        sig_f = np.asarray(sig[:, 0, :]).T.reshape(-1)  # FiPy: x (r) fastest
        up = mesh.facesTop
        bottom, normal = mesh.facesBottom, [[0.0], [1.0]]
    else:
        n0, n1, n2 = grid.shape
        mesh = fipy.Grid3D(dx=grid.widths(0)[0], dy=grid.widths(1)[0], dz=grid.widths(2)[0],
                           nx=n0, ny=n1, nz=n2)
        sig_f = np.transpose(sig, (2, 1, 0)).reshape(-1)
        # FiPy's 3D Top/Bottom are y faces; z faces are Back (max) / Front (min)
        up, bottom, normal = mesh.facesBack, mesh.facesFront, [[0.0], [0.0], [1.0]]
    phi = fipy.CellVariable(mesh=mesh, value=0.0)
    phi.constrain(0.0, up)
    sigma = fipy.CellVariable(mesh=mesh, value=sig_f)
    q = np.asarray(bcs["z-"].flux) * np.ones(grid.shape[0:2] if grid.geometry == "xyz" else grid.shape[0])
    qf = fipy.FaceVariable(mesh=mesh, value=0.0)
    qf.setValue(0.0)
    vals = np.zeros(mesh.numberOfFaces)
    vals[np.asarray(bottom)] = q.T.reshape(-1) if q.ndim == 2 else q
    qf.setValue(vals)
    eq = fipy.DiffusionTerm(coeff=sigma.harmonicFaceValue) - (qf * normal).divergence == 0
    if config == "pyamg":
        import pyamg

        class AMG(ScipyPreconditioner):
            def _applyToMatrix(self, matrix):
                return pyamg.smoothed_aggregation_solver(matrix.tocsr()).aspreconditioner(), matrix
        solver = fipy.LinearCGSolver(tolerance=RTOL, criterion="RHS", iterations=5000, precon=AMG())
    elif config == "cg":
        solver = fipy.LinearCGSolver(tolerance=RTOL, criterion="RHS", iterations=20000)
    else:
        solver = fipy.DefaultSolver(tolerance=RTOL, criterion="RHS")
    eq.solve(var=phi, solver=solver)
    elapsed = time.perf_counter() - t
    val = np.asarray(phi.value)
    if grid.geometry == "rz":
        out = val.reshape(grid.shape[2], grid.shape[0]).T[:, None, :]
    else:
        out = np.transpose(val.reshape(grid.shape[::-1]), (2, 1, 0))
    return elapsed, np.ascontiguousarray(out)


def in_subprocess(code):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# VmHWM (not ru_maxrss: Linux carries the parent's high-water mark across exec)
MEMORY_CODE = """
    import json, sys
    sys.path.insert(0, %r)
    import bench_current as b
    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    b.cellsim_solve(b.box_problem(8, False), "multigrid")
    base = hwm()
    t, phi, its, op = b.cellsim_solve(b.box_problem(128, False), "multigrid")
    print(json.dumps({"peak_MB": hwm(), "baseline_MB": base}))
"""

FIRST_SOLVE_CODE = """
    import time
    t0 = time.perf_counter()
    import json
    from cellsim.fields.current import CurrentSolver, Electrode, Kinetics, Terminal
    from cellsim.fields.grid import Layer, layered_cylinder
    import numpy as np
    t1 = time.perf_counter()
    g = layered_cylinder(0.4, 40, [Layer("anode_collector", 0.1, 4), Layer("anode_alloy", 0.12, 6),
                                   Layer("electrolyte", 0.05, 8), Layer("cathode_metal", 0.1, 6),
                                   Layer("cathode_collector", 0.1, 4)])
    sig = np.choose(g.material, [1e5, 3e6, 150.0, 4e6, 8e4]).astype(float)
    k = Kinetics(i0=2e4, temperature=1023.0)
    el = [Electrode("anode", "anode_alloy", "electrolyte", k), Electrode("cathode", "cathode_metal", "electrolyte", k)]
    s = CurrentSolver(g, el, Terminal("z-"), Terminal("z+"))
    s.solve(sig, 3000.0)
    t2 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "first_solve_s": t2 - t0}))
"""


def run(args):
    res = {"rtol": RTOL, "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    res["bandwidth"] = bandwidth()
    cellsim_solve(box_problem(16, False), "multigrid")  # compile outside the timings
    cellsim_solve(cyl_problem(20, 40), "direct")
    cases = [("box64", box_problem(64, False)), ("box64_patch", box_problem(64, True))]
    if not args.quick:
        cases += [("box128", box_problem(128, False)), ("box128_patch", box_problem(128, True))]
    cases += [("cyl200x400", cyl_problem())]
    from cellsim.fields.solvers import set_max_threads
    res["load_average"] = list(os.getloadavg())
    for name, prob in cases:
        kinds = ("direct", "multigrid") if name.startswith("cyl") else ("multigrid",)
        for kind in kinds:
            best = None
            for threads in (1, None):  # one thread wins on a loaded machine (see solvers.py)
                set_max_threads(threads)
                for _ in range(2):
                    t, phi, its, op = cellsim_solve(prob, kind)
                    if best is None or t < best["s"]:
                        best = {"s": t, "iterations": its, "residual": true_residual(op, phi),
                                "threads": threads or numba.config.NUMBA_NUM_THREADS}
            set_max_threads(None)
            res[f"cellsim/{name}/{kind}"] = best
            print(name, kind, best, flush=True)
        fipy_cfgs = ("default",) if name.startswith("cyl") else ("pyamg", "cg")
        if name.startswith("box128"):
            fipy_cfgs = () if (args.skip_fipy_128 or name.endswith("patch")) else ("pyamg",)
        for cfg in fipy_cfgs:
            t, fphi = fipy_solve(prob, cfg)
            res[f"fipy/{name}/{cfg}"] = {"s": t, "residual": true_residual(op, fphi),
                                         "max_rel_diff_phi": float(np.abs(fphi - phi).max() / np.abs(phi).max())}
            print(name, cfg, res[f"fipy/{name}/{cfg}"], flush=True)
    if args.skip_fipy_128 and not args.quick:
        reuse_fipy_128(res)
    res["memory_128"] = in_subprocess(MEMORY_CODE % str(Path(__file__).resolve().parent))
    res["fresh_process"] = in_subprocess(FIRST_SOLVE_CODE)
    return res


def reuse_fipy_128(res):
    """Take FiPy's 128^3 time from the newest earlier result file (it costs minutes; the
    ratio is then across runs, which the table marks)."""
    for f in sorted(RESULTS.glob("current_*.json"), reverse=True):
        old = json.loads(f.read_text())
        if "fipy/box128/pyamg" in old:
            res["fipy/box128/pyamg"] = dict(old["fipy/box128/pyamg"], from_file=f.name)
            return


def ratios(res):
    rows = []
    bw = res["bandwidth"]
    rows.append(("matvec / triad bandwidth", bw["matvec_GBs"] / bw["triad_GBs"], ">= 0.70"))
    rows.append(("matvec / SciPy CSR", bw["matvec_Gcells"] / bw["csr_Gcells"], ">= 3"))
    for name, goal in (("box64", ">= 10"), ("box64_patch", ">= 10"), ("box128", ">= 30")):
        ours = res.get(f"cellsim/{name}/multigrid")
        for cfg in ("pyamg", "cg"):
            theirs = res.get(f"fipy/{name}/{cfg}")
            if ours and theirs:
                note = f" (FiPy from {theirs['from_file']})" if "from_file" in theirs else ""
                rows.append((f"{name}: FiPy CG+{'PyAMG' if cfg == 'pyamg' else 'none'} / cellsim{note}",
                             theirs["s"] / ours["s"], goal if cfg == "pyamg" else ""))
    theirs = res.get("fipy/cyl200x400/default")
    for kind in ("direct", "multigrid"):
        ours = res.get(f"cellsim/cyl200x400/{kind}")
        if ours and theirs:
            rows.append((f"cyl r-z: FiPy default / cellsim {kind}", theirs["s"] / ours["s"], ">= 5"))
    if "memory_128" in res:
        rows.append(("128^3 peak memory [GB]", res["memory_128"]["peak_MB"] / 1024, "<= 0.5"))
    rows.append(("fresh process to first solve [s]", res["fresh_process"]["first_solve_s"], "~ 1"))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-fipy-128", action="store_true",
                   help="do not run FiPy at 128^3 (minutes); reuse the newest stored result")
    p.add_argument("--quick", action="store_true", help="64^3 and 2D only")
    args = p.parse_args()
    res = run(args)
    rows = ratios(res)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"current_{stamp}.json").write_text(json.dumps(res, indent=1))
    lines = [f"load average at start: {res['load_average']}", "",
             "| measure | value | goal |", "|---|---|---|"]
    lines += [f"| {a} | {b:.3g} | {c} |" for a, b, c in rows]
    lines += ["", "| run | time [s] | iterations | threads | true residual |", "|---|---|---|---|---|"]
    lines += [f"| {k} | {v['s']:.3f} | {v.get('iterations', '')} | {v.get('threads', '')} | {v['residual']:.1e} |"
              for k, v in res.items() if isinstance(v, dict) and "s" in v]
    (RESULTS / f"current_{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
