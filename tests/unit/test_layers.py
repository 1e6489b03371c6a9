"""The layer picture of docs/architecture.md, checked on the source: no module imports from a
higher layer, the module graph has no cycle, the cell and the coupling import no provider,
and the runner and the outputs hold no getattr/hasattr back-references to the cell."""

from __future__ import annotations

import ast
from pathlib import Path

import cellsim

ROOT = Path(cellsim.__file__).resolve().parent

# lowest first; a module belongs to the first layer with a prefix it matches
LAYERS = (
    ("base", ("cellsim.__init__", "cellsim.units", "cellsim.elements", "cellsim.electrolyte.components",
              "cellsim.thermo", "cellsim.config",
              "cellsim.kernels", "cellsim.configs", "cellsim.window", "cellsim.guards",
              "cellsim.locking", "cellsim.naming", "cellsim.plaindata", "cellsim.kernel_signatures")),
    ("physics", ("cellsim.lumped.electrical", "cellsim.lumped.thermal", "cellsim.lumped.chemistry",
                 "cellsim.lumped", "cellsim.fields.grid", "cellsim.fields.fvm", "cellsim.fields.solvers",
                 "cellsim.fields.heat_linear", "cellsim.fields.heat", "cellsim.fields.current",
                 "cellsim.fields.species", "cellsim.fields.pot", "cellsim.fields.remap",
                 "cellsim.fields.stack", "cellsim.fields", "cellsim.routes", "cellsim.electrolyte",
                 "cellsim.purity")),
    ("contracts", ("cellsim.contracts",)),
    ("providers and cell", ("cellsim.physics", "cellsim.cell", "cellsim.lumped.providers",
                            "cellsim.lumped.calibration", "cellsim.electrolyte.provider",
                            "cellsim.fields.axisymmetric", "cellsim.fields.threed")),
    ("registry", ("cellsim.models",)),
    ("runner", ("cellsim.program", "cellsim.schedule", "cellsim.results", "cellsim.campaign")),
    ("outputs and application", ("cellsim.snapshots", "cellsim.checkpoint", "cellsim.io",
                                 "cellsim.cf", "cellsim.export",
                                 "cellsim.plot", "cellsim.plot_fields", "cellsim.validate", "cellsim.validation",
                                 "cellsim.sweep", "cellsim.design", "cellsim.uq", "cellsim.uq_cli",
                                 "cellsim.export", "cellsim.cf", "cellsim.references",
                                 "cellsim.cli", "cellsim.__main__", "cellsim.warmup",
                                 "cellsim.convergence")),
)
RUNNER_AND_OUTPUTS = ("program", "campaign", "schedule", "results", "io", "checkpoint", "snapshots", "cli",
                      "plot", "plot_fields", "export", "cf")


def _modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = list(p.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    deps = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            deps.add(mod)
            deps.update(f"{mod}.{a.name}" for a in node.names)  # from package import module
        elif isinstance(node, ast.Import):
            deps.update(a.name for a in node.names)
    return {d for d in deps if d == "cellsim" or d.startswith("cellsim.")}


def _layer(name: str) -> int:
    name = "cellsim.__init__" if name == "cellsim" else name  # the package root: the version
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (name == p or name.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    assert rank is not None, f"{name} is in no layer of the picture"
    return rank


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: {d for d in _imports(m, p) if d in mods and d != m} for m, p in mods.items()}


# Development-only imports, made inside a function that regenerates a table kept in the source
# (``python -m cellsim.purity.equilibria`` rebuilds the delta_E(T) table from the JANAF data of
# the validation package); nothing at run time takes this path.
DEV_ONLY = {("cellsim.purity.equilibria", "cellsim.validation"),
            ("cellsim.purity.equilibria", "cellsim.validation.thermodynamics")}


def test_no_import_from_a_higher_layer():
    bad = [f"{m} ({LAYERS[_layer(m)][0]}) imports {d} ({LAYERS[_layer(d)][0]})"
           for m, deps in _graph().items() for d in deps
           if _layer(d) > _layer(m) and (m, d) not in DEV_ONLY]
    assert not bad, "\n".join(bad)


def test_no_import_cycle():
    graph, state, cycles = _graph(), {}, []

    def visit(m, path):
        state[m] = "open"
        for d in sorted(graph[m]):
            if state.get(d) == "open" and not m.startswith(d + "."):  # a package's own __init__
                cycles.append(" -> ".join(path[path.index(d):] + [d]))
            elif d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, "\n".join(cycles)


def test_the_cell_and_the_coupling_import_no_provider():
    graph = _graph()
    for m in ("cellsim.cell", "cellsim.physics", "cellsim.contracts"):
        providers = {d for d in graph[m] if d.startswith(("cellsim.fields", "cellsim.lumped.providers",
                                                          "cellsim.models"))}
        assert not providers, (m, providers)


def test_runner_and_outputs_use_no_getattr_or_hasattr_on_the_cell():
    mods = _modules()
    bad = []
    for short in RUNNER_AND_OUTPUTS:
        name = f"cellsim.{short}"
        if name not in mods:
            continue
        for node in ast.walk(ast.parse(mods[name].read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr") and node.args
                    and isinstance(node.args[0], ast.Name) and node.args[0].id in ("model", "cell")):
                bad.append(f"{name}:{node.lineno} {node.func.id}({node.args[0].id}, ...)")
    assert not bad, "\n".join(bad)


def test_the_cell_coupling_and_runner_use_no_getattr_or_hasattr_at_all():
    """The contract is written (cellsim.contracts): the cell, the coupling and the runner call
    the roles' members directly, never by probing for them."""
    mods = _modules()
    bad = [f"{name}:{node.lineno} {node.func.id}"
           for name in ("cellsim.cell", "cellsim.physics", "cellsim.campaign", "cellsim.schedule")
           for node in ast.walk(ast.parse(mods[name].read_text()))
           if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
           and node.func.id in ("getattr", "hasattr")]
    assert not bad, "\n".join(bad)


def test_kernels_import_only_numba_numpy_and_each_other():
    """kernels/ (installed as cellsim.kernels, outside the cellsim source folder) is the base
    layer: pure Numba kernels that never import cellsim (kernels/__init__.py), only numpy,
    numba, the standard library and their own modules (e.g. species takes GMRES and the band LU
    from linalg)."""
    import cellsim.kernels as kernels

    folder = Path(kernels.__file__).resolve().parent
    files = sorted(folder.glob("*.py"))
    assert {"linalg.py", "species.py", "fv.py"} <= {p.name for p in files}
    bad = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            bad += [f"{path.name}:{node.lineno} {n}" for n in names
                    if n.split(".")[0] not in ("numpy", "numba", "math", "os", "types", "hashlib", "pathlib",
                                               "sys", "ctypes", "__future__")]
    assert not bad, "\n".join(bad)

