"""Plain data in HDF5: a checkpoint format that cannot run code, with a content checksum.

:func:`dump` writes a tree of ``dict`` (string keys), ``list``, ``tuple``, ``None``, ``bool``,
``int``, ``float``, ``str``, numeric NumPy arrays and scalars, dataclasses defined inside
cellsim and plain cellsim objects (their attributes) into an HDF5 group; :func:`load` reads it back, value for value (float64 bits are
kept, so a resumed campaign stays identical bit for bit). Anything else is refused on
writing.

Reading constructs only classes of ``cellsim`` modules, filling their fields or attributes
as stored (``object.__new__`` and the values set one by one, no ``__init__`` or ``__post_init__``),
and numbers, strings and arrays; nothing in the file names a function to call, unlike a
pickle. A SHA-256 over every stored value (with its path and type) is kept in the group's
``sha256`` attribute and checked on reading: a changed bit is an error naming the object.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib

import h5py
import numpy as np

TYPE = "plain_type"
_MODULE_PREFIX = "cellsim."


class PlainDataError(ValueError):
    """The stored data are damaged, tampered with, or not plain data."""


def _digest_update(h, path: str, kind: str, payload: bytes) -> None:
    for part in (path.encode(), kind.encode(), payload):
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)


def _array_bytes(a: np.ndarray) -> bytes:
    return f"{a.dtype.str}{a.shape}".encode() + np.ascontiguousarray(a).tobytes()


def _same_arrays(items) -> bool:
    return (len(items) > 0 and all(isinstance(x, np.ndarray) and x.dtype.kind in "biuf" for x in items)
            and len({(x.shape, x.dtype.str) for x in items}) == 1)


def _put(group: h5py.Group, name: str, obj, path: str, h) -> None:
    # NumPy scalars first: np.float64 is also a float, and must come back as np.float64
    if isinstance(obj, np.ndarray) or (isinstance(obj, np.generic) and not isinstance(obj, np.bool_)):
        a = np.asarray(obj)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{path}: arrays of {a.dtype} are not plain data")
        kind = "array" if isinstance(obj, np.ndarray) else "scalar"
        ds = group.create_dataset(name, data=a)
        ds.attrs[TYPE] = kind
        _digest_update(h, path, kind, _array_bytes(a))
        return
    if obj is None or isinstance(obj, (bool, int, float, str, np.bool_)):
        if isinstance(obj, (bool, np.bool_)):
            kind, value = "bool", int(bool(obj))
        elif obj is None:
            kind, value = "none", 0
        elif isinstance(obj, int):
            if not -2**63 <= obj < 2**63:
                raise TypeError(f"{path}: integer {obj} too large to store")
            kind, value = "int", np.int64(obj)
        elif isinstance(obj, float):
            kind, value = "float", np.float64(obj)
        else:
            kind, value = "str", obj
        ds = group.create_dataset(name, data=value if kind != "str" else np.bytes_(value.encode()))
        ds.attrs[TYPE] = kind
        _digest_update(h, path, kind, repr(obj).encode() if kind != "float" else value.tobytes())
        return
    if isinstance(obj, (list, tuple)) and _same_arrays(obj):
        kind = "arraylist" if isinstance(obj, list) else "arraytuple"
        a = np.stack(obj)
        ds = group.create_dataset(name, data=a)
        ds.attrs[TYPE] = kind
        _digest_update(h, path, kind, _array_bytes(a))
        return
    g = group.create_group(name)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        if not cls.__module__.startswith(_MODULE_PREFIX):
            raise TypeError(f"{path}: {cls.__module__}.{cls.__qualname__} is not a cellsim dataclass")
        kind = f"dataclass:{cls.__module__}:{cls.__qualname__}"
        items = [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    elif type(obj).__module__.startswith(_MODULE_PREFIX) and hasattr(obj, "__dict__") \
            and not hasattr(type(obj), "__slots__") and not isinstance(obj, (dict, list, tuple)):
        cls = type(obj)  # a plain cellsim object: its attributes, restored without __init__
        kind = f"object:{cls.__module__}:{cls.__qualname__}"
        items = list(vars(obj).items())
    elif isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError(f"{path}: dictionary keys must be strings")
        kind, items = "dict", list(obj.items())
    elif isinstance(obj, (list, tuple)):
        kind, items = type(obj).__name__, [(str(i), v) for i, v in enumerate(obj)]
    else:
        raise TypeError(f"{path}: {type(obj).__module__}.{type(obj).__qualname__} is not plain data")
    g.attrs[TYPE] = kind
    g.attrs["keys"] = [k.encode() for k, _ in items] if items else np.zeros(0, dtype="S1")
    _digest_update(h, path, kind, "\x00".join(k for k, _ in items).encode())
    for i, (key, value) in enumerate(items):
        _put(g, str(i), value, f"{path}/{key}", h)


def dump(group: h5py.Group, name: str, obj) -> str:
    """Store ``obj`` as ``group[name]``; return (and store as attribute ``sha256``) its checksum."""
    h = hashlib.sha256()
    _put(group, name, obj, name, h)
    group[name].attrs["sha256"] = h.hexdigest()
    return h.hexdigest()


def _dataclass(spec: str, path: str, dataclass_only: bool = True) -> type:
    _, module, qualname = spec.split(":", 2)
    if not module.startswith(_MODULE_PREFIX) or "." in qualname:
        raise PlainDataError(f"{path}: class {module}:{qualname} is not a cellsim dataclass")
    try:
        cls = getattr(importlib.import_module(module), qualname)
    except (ImportError, AttributeError):
        raise PlainDataError(f"{path}: unknown class {module}.{qualname}") from None
    if not isinstance(cls, type) or cls.__module__ != module:
        raise PlainDataError(f"{path}: {module}.{qualname} is not a class defined there")
    if dataclass_only and not dataclasses.is_dataclass(cls):
        raise PlainDataError(f"{path}: {module}.{qualname} is not a dataclass")
    return cls


def _get(node, path: str, h, upgrade=None):
    kind = node.attrs.get(TYPE)
    if isinstance(kind, bytes):
        kind = kind.decode()
    if not isinstance(kind, str):
        raise PlainDataError(f"{path}: no type tag")
    if isinstance(node, h5py.Dataset):
        raw = node[()]
        if kind == "none":
            value = None
            _digest_update(h, path, kind, b"None")
        elif kind == "bool":
            value = bool(raw)
            _digest_update(h, path, kind, repr(value).encode())
        elif kind == "int":
            value = int(raw)
            _digest_update(h, path, kind, repr(value).encode())
        elif kind == "float":
            value = float(raw)
            _digest_update(h, path, kind, np.float64(raw).tobytes())
        elif kind == "str":
            value = bytes(raw).decode("utf-8", errors="replace")
            _digest_update(h, path, kind, repr(value).encode())
        elif kind in ("array", "scalar", "arraylist", "arraytuple"):
            a = np.asarray(raw)
            if a.dtype.kind not in "biuf":
                raise PlainDataError(f"{path}: stored {a.dtype} is not plain data")
            _digest_update(h, path, kind, _array_bytes(a))
            if kind == "array":
                value = a
            elif kind == "scalar":
                value = a[()]
            else:
                rows = [a[i].copy() for i in range(a.shape[0])]
                value = rows if kind == "arraylist" else tuple(rows)
        else:
            raise PlainDataError(f"{path}: unknown type tag {kind!r}")
        return value
    keys = [k.decode() if isinstance(k, bytes) else str(k) for k in node.attrs.get("keys", [])]
    if len(keys) != len(node):
        raise PlainDataError(f"{path}: {len(node)} members for {len(keys)} keys")
    _digest_update(h, path, kind, "\x00".join(keys).encode())
    values = [_get(node[str(i)], f"{path}/{k}", h, upgrade) for i, k in enumerate(keys)]
    if kind == "dict":
        return dict(zip(keys, values))
    if kind == "list":
        return values
    if kind == "tuple":
        return tuple(values)
    if kind.startswith("dataclass:"):
        cls = _dataclass(kind, path)
        names = {f.name for f in dataclasses.fields(cls)}
        stored = dict(zip(keys, values))
        if set(keys) != names and upgrade is not None:  # written by an older cellsim
            stored = upgrade(cls, stored)
        if set(stored) != names:
            missing, extra = sorted(names - set(stored)), sorted(set(stored) - names)
            diff = "; ".join(p for p in (f"missing fields {missing}" if missing else "",
                                         f"unknown fields {extra}" if extra else "") if p)
            raise PlainDataError(f"{path}: the stored {cls.__qualname__} is not today's ({diff})")
        obj = object.__new__(cls)
        for k, v in stored.items():
            object.__setattr__(obj, k, v)
        return obj
    if kind.startswith("object:"):
        cls = _dataclass(kind, path, dataclass_only=False)
        if hasattr(cls, "__slots__") or issubclass(cls, (dict, list, tuple, type, BaseException)):
            raise PlainDataError(f"{path}: {cls.__qualname__} is not a plain cellsim object")
        obj = object.__new__(cls)
        obj.__dict__.update(zip(keys, values))
        return obj
    raise PlainDataError(f"{path}: unknown type tag {kind!r}")


def load(group: h5py.Group, name: str, upgrade=None):
    """Read ``group[name]`` written by :func:`dump`, checking its checksum (of the data as
    stored). ``upgrade(cls, fields) -> fields``: called for a dataclass whose stored fields
    are not the class's (an older cellsim wrote them) with the stored values by field name;
    it returns them in today's fields, or as they were (then the error names the difference)."""
    if name not in group:
        raise PlainDataError(f"{name}: not in the file")
    node = group[name]
    h = hashlib.sha256()
    try:
        value = _get(node, name, h, upgrade)
    except PlainDataError:
        raise
    except (KeyError, ValueError, TypeError, OSError, RuntimeError) as exc:
        raise PlainDataError(f"{name}: unreadable ({exc})") from None
    stored = node.attrs.get("sha256")
    if isinstance(stored, bytes):
        stored = stored.decode()
    if stored != h.hexdigest():
        raise PlainDataError(f"{name}: checksum mismatch (the stored data were changed after "
                             "they were written)")
    return value
