"""HDF5 results: one documented layout (docs/hdf5-layout.md), written atomically.

Layout (format ``cellsim-result``, version 1)::

    /                      attrs: format, format_version, cellsim_version, git_revision, created,
                                  wall_time_s, stop_reason, config_name, python/numpy/... versions,
                                  threads (JSON: the heat-species overlap policy, cores usable,
                                  steps and steps overlapped; cellsim.physics.Physics.thread_report),
                                  operating_window ("inside" or "outside: <reason>"; outside,
                                  the summary's energy, efficiency and purity are NaN: not results)
    /config                attrs: json (resolved configuration, SI), source_file, sources (list)
    /series/<name>         1D (time) or 2D (time x element) arrays; attrs units, description,
                           columns (for compositions)
    /taps/{time,mass,composition,in_spec,violations}
    /taps/pathways         (tap, origin, impurity) kg per kg tapped; attrs tags, columns
    /taps/cations          (tap, cation) kg of co-deposited cation per kg tapped; attrs columns
    /bleeds/{time,mass,composition,fresh_mass,fresh_composition}   anode alloy bleeds
    /additions/{time,alf3,base_salt}                                electrolyte additions
    /renewals/{time,mass,mgx2,fresh}                                partial salt renewals
    /summary/<name>        scalars; attrs units
    /ledger/<term>         energy of each ledger term [J]; attrs units
    /mass_balance          conserved element totals, final minus initial [kg]; attrs columns
    /salt_balance          the salt's own elements (halogens, base cations), the same [kg]
    /fields/<name>         field snapshots of the field levels (cellsim.snapshots)

Every dataset carries a ``units`` attribute ("1" for dimensionless).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import subprocess
from pathlib import Path

import h5py
import numpy as np

from . import __version__
from .config.fields import spec_of
from .config.schema import Config
from .elements import ALL_ELEMENTS, IMPURITIES
from .cf import DERIVED, derived_series, label_file
from .electrolyte.provider import SaltProvider
from .purity.ledger import TAGS
from .results import Addition, Bleed, CampaignResult, Renewal, Tap
from .routes import write_routes

SERIES_COORDS = ("element", "impurity")
"""Coordinate (dimension-scale) datasets in /series, not time series."""

FORMAT = "cellsim-result"
FORMAT_VERSION = 1

SUMMARY_UNITS = {
    "campaign_length": "s", "al_produced": "kg", "charge": "C", "metal_tapped": "kg", "scrap_fed": "kg",
    "dross": "kg", "sludge": "kg", "alf3_consumption": "kg/kg", "co2e_per_al": "kg/kg",
    "specific_energy": "J/kg", "specific_energy_scrap": "J/kg", "mean_cell_voltage": "V",
    "mean_temperature": "K", "mean_ledge_thickness": "m", "alloy_bled": "kg", "fresh_alloy": "kg",
    "alf3_added": "kg", "base_salt_added": "kg",
    "final_electrolyte_mass": "kg", "final_electrolyte_conductivity": "S/m", "final_electrolyte_density": "kg/m3",
    "final_electrolyte_liquidus": "K", "electrolyte_removed": "kg", "electrolyte_mgx2_removed": "kg", "electrolyte_fresh": "kg",
    "electrolyte_consumption": "kg/kg", "salt_precipitate": "kg", "mg_removed": "kg",
    "mg_removal_reagent": "kg", "mg_removed_per_scrap": "kg/kg",
}


# Names of earlier versions -> today's (docs/hdf5-layout.md, "Renamed"): the electrolyte
# layer is called "electrolyte" in every output ("salt" and "bath" were synonyms). Readers
# (read_result, so show and plot; export) give older files today's names.
RENAMED = {
    "salt_impurities": "electrolyte_impurities", "bath_liquid_fraction": "electrolyte_liquid_fraction",
    "salt_composition": "electrolyte_composition", "salt_component": "electrolyte_component",
    "salt_mass": "electrolyte_mass", "salt_conductivity": "electrolyte_conductivity",
    "salt_density": "electrolyte_density", "salt_liquidus": "electrolyte_liquidus",
    "salt_specific_heat": "electrolyte_specific_heat", "final_salt_mass": "final_electrolyte_mass",
    "final_salt_conductivity": "final_electrolyte_conductivity",
    "final_salt_density": "final_electrolyte_density", "final_salt_liquidus": "final_electrolyte_liquidus",
    "salt_renewals": "electrolyte_renewals", "salt_removed": "electrolyte_removed",
    "salt_mgx2_removed": "electrolyte_mgx2_removed", "salt_fresh": "electrolyte_fresh",
    "salt_consumption": "electrolyte_consumption",
}
RENAMED_PREFIXES = {"salt_w_": "electrolyte_w_"}


def current_name(name: str) -> str:
    """Today's name of a series or summary entry of any version's result file."""
    if name in RENAMED:
        return RENAMED[name]
    for old, new in RENAMED_PREFIXES.items():
        if name.startswith(old):
            return new + name[len(old):]
    return name


class ResultFileError(ValueError):
    """The file is not a readable cellsim result."""


# Whole-file digest. A damaged HDF5 file can crash the HDF5 C library before the per-dataset
# checksums (``_seal``) are read, so a result file starts with a user block (bytes HDF5 skips)
# that holds the SHA-256 of everything after it, checked with plain file reads before HDF5
# opens the file. Files written before the digest start with the HDF5 signature and pass.
USERBLOCK = 512
_DIGEST_TAG = b"cellsim result, sha256 of the bytes after this 512-byte block: "
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _tail_digest(fh) -> str:
    import hashlib

    h = hashlib.sha256()
    fh.seek(USERBLOCK)
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def _digest_block(hexdigest: str) -> bytes:
    return (_DIGEST_TAG + hexdigest.encode()).ljust(USERBLOCK, b"\0")


def stamp_file_digest(path: str | Path) -> None:
    """Write the SHA-256 of the HDF5 part of ``path`` (created with ``userblock_size=USERBLOCK``)
    into its user block."""
    with open(path, "r+b") as fh:
        block = _digest_block(_tail_digest(fh))
        fh.seek(0)
        fh.write(block)


def check_file_digest(path: str | Path) -> None:
    """Raise ResultFileError when the bytes of result ``path`` differ from those written (the
    user block's digest), before any HDF5 read; a file without the block (older) passes."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(USERBLOCK)
            if head[:8] == _HDF5_SIGNATURE:
                return
            if len(head) < USERBLOCK or not head.startswith(_DIGEST_TAG):
                if fh.read(8) == _HDF5_SIGNATURE:  # our layout with a damaged first block
                    raise ResultFileError(f"{path}: the whole-file digest block at its start is "
                                          "damaged (the file's bytes changed after it was written)")
                return  # not a result file's layout: HDF5 says what it is
            if head != _digest_block(_tail_digest(fh)):
                raise ResultFileError(f"{path}: whole-file checksum mismatch: the file's bytes "
                                      "changed after it was written (damaged or edited)")
    except OSError as exc:
        raise ResultFileError(f"{path}: cannot read ({exc.strerror or exc})") from None


def dataset_digest(ds: h5py.Dataset) -> str:
    """SHA-256 of a dataset's dtype, shape and values (strings: UTF-8, NUL-separated)."""
    import hashlib

    value = ds[()]
    h = hashlib.sha256(f"{ds.dtype.str if ds.dtype.kind != 'O' else 'str'}{ds.shape}".encode())
    if ds.dtype.kind == "O" or isinstance(value, (bytes, str)):
        items = np.atleast_1d(np.asarray(value, dtype=object)).ravel()
        h.update(b"\x00".join(v if isinstance(v, bytes) else str(v).encode() for v in items))
    else:
        h.update(np.ascontiguousarray(value).tobytes())
    return h.hexdigest()


def _seal(h5: h5py.File) -> None:
    """Record the checksum of every dataset and of the configuration (docs/hdf5-layout.md)."""
    import hashlib

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            obj.attrs["sha256"] = dataset_digest(obj)

    h5.visititems(visit)
    h5["config"].attrs["sha256"] = hashlib.sha256(h5["config"].attrs["json"].encode()).hexdigest()
    h5.attrs["datasets_sha256"] = _names_digest(h5)
    h5.attrs["sha256"] = _attrs_digest(h5)


def _names_digest(h5: h5py.File) -> str:
    """SHA-256 of the paths of all datasets outside /fields (a missing or renamed one shows)."""
    import hashlib

    names = []
    h5.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset)
                  and not name.startswith("fields") else None)
    return hashlib.sha256("\x00".join(sorted(names)).encode()).hexdigest()


def _attrs_digest(h5: h5py.File) -> str:
    import hashlib

    text = "\x00".join(f"{k}={h5.attrs[k]!s}" for k in sorted(h5.attrs) if k != "sha256")
    return hashlib.sha256(text.encode()).hexdigest()


def verify(h5: h5py.File, path, skip: tuple[str, ...] = ("fields",)) -> None:
    """Raise ResultFileError naming the first object whose checksum does not match (files
    written before checksums existed carry none and pass)."""
    import hashlib

    bad = []

    def visit(name, obj):
        if bad or not isinstance(obj, h5py.Dataset) or name.split("/")[0] in skip:
            return
        stored = obj.attrs.get("sha256")
        if stored is not None and dataset_digest(obj) != stored:
            bad.append(name)

    h5.visititems(visit)
    cfg = h5["config"]
    stored = cfg.attrs.get("sha256")
    if not bad and stored is not None and \
            hashlib.sha256(str(cfg.attrs["json"]).encode()).hexdigest() != stored:
        bad.append("config")
    stored = h5.attrs.get("sha256")
    if not bad and stored is not None and _attrs_digest(h5) != stored:
        bad.append(" (the file's attributes)")
    stored = h5.attrs.get("datasets_sha256")
    if not bad and stored is not None and _names_digest(h5) != stored:
        bad.append(" (the list of datasets: one is missing or renamed)")
    if bad:
        raise ResultFileError(f"{path}: checksum mismatch in /{bad[0]} (the file changed after "
                              "it was written: damaged or edited)")


def summary_unit(name: str) -> str:
    if name in SUMMARY_UNITS:
        return SUMMARY_UNITS[name]
    if name.startswith("energy_"):
        return "J/kg"
    if name.startswith("fresh_"):
        return "kg"
    if name.startswith("mean_"):
        return "W"
    return "1"


def provenance() -> dict[str, str]:
    import numba
    import scipy

    info = {
        "cellsim_version": __version__, "python": platform.python_version(),
        "numpy": np.__version__, "scipy": scipy.__version__, "h5py": h5py.__version__,
        "numba": numba.__version__, "platform": platform.platform(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        here = Path(__file__).resolve().parent
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=5)
        info["git_revision"] = rev.stdout.strip() if rev.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        info["git_revision"] = "unknown"
    return info


def config_to_dict(config: Config) -> dict:
    return dataclasses.asdict(config)


def legacy_material(layer_name: str) -> str:
    """The solid of a lining layer in a configuration written before layers named theirs:
    the rule the pot builder used then (steel; vermiculite or insulating; otherwise brick,
    whose heat capacity the packaged 'fireclay' entry has)."""
    name = layer_name.lower()
    if "steel" in name:
        return "steel"
    if "vermiculite" in name or "insulat" in name:
        return "vermiculite"
    return "fireclay"


def upgrade_config_fields(cls: type, fields: dict) -> dict:
    """The stored fields of a configuration dataclass (a checkpoint's Config, plaindata) of an
    older cellsim in today's schema, as ``upgrade_config_dict`` does for a result file: the
    packaged materials where the configuration had none (their values are those the code
    held before they moved to configs/materials/pot.toml), each lining layer's solid by the
    old rule, the schedule's renamed keys. Other classes are returned as they are."""
    from .config.loader import default_section
    from .config.schema import Config, LiningLayer, Numerics, Schedule

    fields = dict(fields)
    if cls is Config and "materials" not in fields:
        fields["materials"] = default_section("materials")
    elif cls is LiningLayer and "material" not in fields and "name" in fields:
        fields["material"] = legacy_material(fields["name"])
    elif cls is Schedule:
        for old, new in (("stop_on_frozen_bath", "stop_on_frozen_electrolyte"),
                         ("min_bath_liquid_fraction", "min_electrolyte_liquid_fraction")):
            if old in fields:
                fields.setdefault(new, fields.pop(old))
    elif cls is Numerics:  # keys added since (current_reuse): their defaults, the old behaviour
        for f in dataclasses.fields(Numerics):
            if f.name not in fields and f.default is not dataclasses.MISSING:
                fields[f.name] = f.default
    return fields


def upgrade_config_dict(data: dict) -> dict:
    """A stored configuration (``config_to_dict``) of an older cellsim in today's schema:
    the packaged materials where it had none, each lining layer's solid by the old rule, the
    schedule's renamed keys (cellsim.config.loader.RENAMED_KEYS)."""
    from .config.loader import default_section

    data = dict(data)
    if "materials" not in data:
        data["materials"] = dataclasses.asdict(default_section("materials"))
    lining = dict(data.get("lining", {}))
    for part in ("side", "bottom", "lid"):
        lining[part] = [layer if "material" in layer else {**layer, "material": legacy_material(layer["name"])}
                        for layer in lining.get(part, [])]
    data["lining"] = lining
    schedule = dict(data.get("schedule", {}))
    for old, new in (("stop_on_frozen_bath", "stop_on_frozen_electrolyte"),
                     ("min_bath_liquid_fraction", "min_electrolyte_liquid_fraction")):
        if old in schedule:
            schedule.setdefault(new, schedule.pop(old))
    data["schedule"] = schedule
    return data


def config_from_dict(cls: type, data: dict):
    """Rebuild the frozen dataclasses from :func:`config_to_dict` output (values are SI)."""
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        spec, value = spec_of(f), data[f.name]
        if spec.kind == "section":
            value = config_from_dict(spec.cls, value)
        elif spec.kind == "sections":
            value = tuple(config_from_dict(spec.cls, v) for v in value)
        elif spec.kind == "list":
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def write_result(result: CampaignResult, path: str | Path, config_file: str = "",
                 fields: str | Path | None = None) -> Path:
    """Write ``result`` to ``path`` atomically (temporary file in the same folder, then rename).

    fields : optional HDF5 file whose ``/fields`` group (field snapshots, cellsim.snapshots)
        is copied into the result.
    """
    from .schedule import SERIES

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with h5py.File(tmp, "w", userblock_size=USERBLOCK) as h5:
            h5.attrs.update({"format": FORMAT, "format_version": FORMAT_VERSION,
                             "wall_time_s": result.wall_time, "stop_reason": result.stop_reason,
                             "operating_window": (f"outside: {result.window}" if result.window
                                                  else "inside"),
                             "config_name": result.config.meta.name, **provenance()})
            if result.threads:
                h5.attrs["threads"] = json.dumps(result.threads)
            cfg = h5.create_group("config")
            cfg.attrs["json"] = json.dumps(config_to_dict(result.config))
            cfg.attrs["units"] = "SI"
            cfg.attrs["source_file"] = str(config_file)
            series = h5.create_group("series")
            recorded = {k: v for k, v in result.series.items() if k in SERIES}
            for name, values in {**recorded, **derived_series(recorded)}.items():
                units, description = SERIES.get(name) or DERIVED[name]
                ds = series.create_dataset(name, data=values, compression="gzip")
                ds.attrs.update({"units": units, "description": description})
                if values.ndim == 2:
                    cols = {"electrolyte_impurities": IMPURITIES,
                            "electrolyte_composition": SaltProvider(result.config).names}.get(name, ALL_ELEMENTS)
                    ds.attrs["columns"] = list(cols)
            p = result.config.purity
            _write_taps(h5.create_group("taps"), result.taps,
                        tuple(p.cation_salt_mole_fraction) if p.codeposition else ())
            _write_bleeds(h5.create_group("bleeds"), result.bleeds)
            _write_additions(h5.create_group("additions"), result.additions)
            _write_renewals(h5.create_group("renewals"), result.renewals)
            h5.attrs["electrolyte_warnings"] = list(result.warnings) or ["none"]
            summary = h5.create_group("summary")
            for name, value in result.summary.items():
                summary.create_dataset(name, data=value).attrs["units"] = summary_unit(name)
            ledger = h5.create_group("ledger")
            for term, value in result.ledger.items():
                ledger.create_dataset(term, data=value).attrs["units"] = "J"
            mb = h5.create_dataset("mass_balance", data=result.mass_balance)
            mb.attrs.update({"units": "kg", "columns": list(ALL_ELEMENTS)})
            if result.salt_balance:
                sb = h5.create_dataset("salt_balance", data=np.array(list(result.salt_balance.values())))
                sb.attrs.update({"units": "kg", "columns": list(result.salt_balance)})
            if fields is not None:
                with h5py.File(fields, "r") as src:
                    if "fields" in src:
                        src.copy(src["fields"], h5, "fields")
            write_routes(h5, result.config)
            _label(h5, result, config_file)
            _seal(h5)  # last: the checksums cover everything above
        stamp_file_digest(tmp)  # and the whole file's, in the user block
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _label(h5: h5py.File, result: CampaignResult, config_file: str) -> None:
    """Dimension scales, long names, CF/ACDD attributes (cellsim.cf)."""
    from .references import resolve

    meta = result.config.meta
    cited = resolve(meta.sources)
    refs = "; ".join(f"[{k}] {c}" for k, c in cited if c) or "docs/references.md"
    label_file(h5, title=f"cellsim campaign: {meta.name}",
               summary=(meta.description or meta.name) + f"; {result.stop_reason}",
               references=refs,
               history=f"{h5.attrs.get('created', '')} cellsim run {config_file or meta.name}")


def _write_taps(group: h5py.Group, taps: list[Tap], cations: tuple = ()) -> None:
    n = len(taps)
    group.create_dataset("time", data=np.array([t.time for t in taps], dtype=float)).attrs["units"] = "s"
    group.create_dataset("mass", data=np.array([t.mass for t in taps], dtype=float)).attrs["units"] = "kg"
    comp = np.array([t.composition for t in taps]).reshape(n, len(ALL_ELEMENTS))
    ds = group.create_dataset("composition", data=comp)
    ds.attrs.update({"units": "1", "columns": list(ALL_ELEMENTS)})
    group.create_dataset("in_spec", data=np.array([not t.violations for t in taps], dtype=bool)
                         ).attrs["units"] = "1"
    group.create_dataset("violations", data=["; ".join(t.violations) for t in taps],
                         dtype=h5py.string_dtype()).attrs["units"] = "1"
    if taps and all(t.pathways is not None for t in taps):
        ds = group.create_dataset("pathways", data=np.array([t.pathways for t in taps]))
        ds.attrs.update({"units": "1", "tags": list(TAGS), "columns": list(IMPURITIES)})
    if taps and all(t.cations is not None for t in taps):
        ds = group.create_dataset("cations", data=np.array([t.cations for t in taps]).reshape(n, -1))
        ds.attrs.update({"units": "1", "columns": list(cations)})


def _write_bleeds(group: h5py.Group, bleeds: list[Bleed]) -> None:
    n = len(bleeds)
    for name in ("time", "mass", "fresh_mass"):
        group.create_dataset(name, data=np.array([getattr(b, name) for b in bleeds], dtype=float)
                             ).attrs["units"] = "s" if name == "time" else "kg"
    for name in ("composition", "fresh_composition"):
        data = np.array([getattr(b, name) for b in bleeds]).reshape(n, len(ALL_ELEMENTS))
        group.create_dataset(name, data=data).attrs.update({"units": "1", "columns": list(ALL_ELEMENTS)})


def _write_additions(group: h5py.Group, additions: list[Addition]) -> None:
    for name in ("time", "alf3", "base_salt"):
        group.create_dataset(name, data=np.array([getattr(a, name) for a in additions], dtype=float)
                             ).attrs["units"] = "s" if name == "time" else "kg"


def _write_renewals(group: h5py.Group, renewals: list[Renewal]) -> None:
    for name in ("time", "mass", "mgx2", "fresh"):
        group.create_dataset(name, data=np.array([getattr(r, name) for r in renewals], dtype=float)
                             ).attrs["units"] = "s" if name == "time" else "kg"


def read_result(path: str | Path) -> CampaignResult:
    """Read a result file written by :func:`write_result`."""
    path = Path(path)
    check_file_digest(path)
    try:
        h5 = h5py.File(path, "r")
    except (OSError, FileNotFoundError) as exc:
        raise ResultFileError(f"{path}: cannot open as HDF5 ({exc})") from None
    with h5:
        try:
            return _read(h5, path)
        except ResultFileError:
            raise
        except Exception as exc:  # any damage h5py, json or the dataclasses trip over
            raise ResultFileError(f"{path}: damaged or incomplete result file "
                                  f"({type(exc).__name__}: {str(exc)[:200]})") from None


def _read(h5: h5py.File, path: Path) -> CampaignResult:
    if h5.attrs.get("format") != FORMAT:
        raise ResultFileError(f"{path}: not a cellsim result file (no format='{FORMAT}' attribute)")
    verify(h5, path)
    version = int(h5.attrs["format_version"])
    if version > FORMAT_VERSION:
        raise ResultFileError(f"{path}: format version {version} is newer than this cellsim "
                              f"understands ({FORMAT_VERSION})")
    config = config_from_dict(Config, upgrade_config_dict(json.loads(h5["config"].attrs["json"])))
    series = {current_name(name): ds[()] for name, ds in h5["series"].items()
              if current_name(name) not in SERIES_COORDS}
    g = h5["taps"]
    taps = [Tap(float(t), float(m), c, [v for v in viol.decode().split("; ") if v]
                if isinstance(viol, bytes) else [v for v in viol.split("; ") if v])
            for t, m, c, viol in zip(g["time"][()], g["mass"][()], g["composition"][()],
                                     g["violations"][()])]
    if "pathways" in g:
        taps = [dataclasses.replace(t, pathways=p) for t, p in zip(taps, g["pathways"][()])]
    if "cations" in g:
        taps = [dataclasses.replace(t, cations=c) for t, c in zip(taps, g["cations"][()])]
    bleeds, additions = [], []
    if "bleeds" in h5:
        b = h5["bleeds"]
        bleeds = [Bleed(float(t), float(m), c, float(fm), fc) for t, m, c, fm, fc in zip(
            b["time"][()], b["mass"][()], b["composition"][()], b["fresh_mass"][()],
            b["fresh_composition"][()])]
    if "additions" in h5:
        a = h5["additions"]
        additions = [Addition(float(t), float(x), float(y)) for t, x, y in zip(
            a["time"][()], a["alf3"][()], a["base_salt"][()])]
    renewals = []
    if "renewals" in h5:
        g = h5["renewals"]
        renewals = [Renewal(float(t), float(m), float(x), float(y)) for t, m, x, y in zip(
            g["time"][()], g["mass"][()], g["mgx2"][()], g["fresh"][()])]
    warnings = [str(w) for w in h5.attrs.get("electrolyte_warnings", []) if str(w) != "none"]
    summary = {current_name(name): ds[()].item() for name, ds in h5["summary"].items()}
    ledger = {name: float(ds[()]) for name, ds in h5["ledger"].items()}
    window = str(h5.attrs.get("operating_window", "inside"))
    window = window.split(": ", 1)[1] if window.startswith("outside") else ""
    salt_balance = {}
    if "salt_balance" in h5:
        sb = h5["salt_balance"]
        salt_balance = {str(k): float(v) for k, v in zip(sb.attrs["columns"], sb[()])}
    return CampaignResult(config, series, taps, str(h5.attrs["stop_reason"]), summary, ledger,
                          float(h5.attrs["wall_time_s"]), h5["mass_balance"][()], bleeds, additions,
                          renewals, warnings, window, salt_balance,
                          json.loads(h5.attrs.get("threads", "{}")))
