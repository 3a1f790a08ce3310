"""Reads PyTorch checkpoints into numpy arrays, without torch and without running the file.

`read_checkpoint` tells the formats apart by their first bytes, not by the file name:

- **safetensors**: an 8-byte little-endian header length, a JSON header naming each tensor's
  dtype, shape and byte range, then the raw little-endian data. The `safetensors` library parses
  and checks it; bfloat16 tensors (numpy has no bfloat16) become float32.
- **zip** (``torch.save`` since PyTorch 1.6): a zip archive with one top folder holding
  ``data.pkl`` (the object tree, pickled), ``data/<key>`` (one raw file per storage, in the byte
  order named by ``byteorder``, little-endian when absent) and ``version``.
- **legacy** (``torch.save`` before 1.6, or with ``_use_new_zipfile_serialization=False``, as
  the 2018 ESRGAN weights): five pickles back to back (the magic number
  ``0x1950a86a20f9469cfc6c``, the protocol version 1001, a dict of system facts, the object tree,
  the list of storage keys), then for each key in that order an int64 element count and the
  storage's raw little-endian bytes.

The tar format of the earliest PyTorch releases is refused with a message saying so.

A pickle may call any function it names, so the object trees are read as the Python docs'
"Restricting Globals" recipe does: `pickle.Unpickler.find_class` answers only the names in
``_ALLOWED`` (the tensor-rebuilding functions, implemented here in numpy, ``OrderedDict``,
``torch.Size`` as a tuple, and torch's dtype and storage names, which become plain strings) and
refuses every other name before anything is called. Storages arrive through
`pickle.Unpickler.persistent_load` as placeholders; once the whole file is read, each tensor is
cut from its storage's bytes with bounds-checked strides and copied to a C-contiguous array.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np
from safetensors import deserialize

from ..validation import SourceError

__all__ = ["read_checkpoint"]

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
_BFLOAT16 = "bf16"  # read as uint16, returned as float32

_STORAGE_CODES = {
    "Double": "f8", "Float": "f4", "Half": "f2", "BFloat16": _BFLOAT16, "Long": "i8", "Int": "i4",
    "Short": "i2", "Char": "i1", "Byte": "u1", "Bool": "?",
}
_DTYPE_CODES = {
    "float64": "f8", "float32": "f4", "float16": "f2", "bfloat16": _BFLOAT16, "int64": "i8",
    "int32": "i4", "int16": "i2", "int8": "i1", "uint8": "u1", "bool": "?", "uint16": "u2",
    "uint32": "u4", "uint64": "u8",
}
_STORAGE_TYPES = {
    **{f"torch.{name}Storage": code for name, code in _STORAGE_CODES.items()},
    "torch.storage.UntypedStorage": "u1",
}
"""The storage classes a checkpoint names, by the numpy type code of one element."""
_DTYPES = {f"torch.{name}": code for name, code in _DTYPE_CODES.items()}

_SAFETENSORS_CODES = {
    "F64": "f8", "F32": "f4", "F16": "f2", "BF16": _BFLOAT16, "I64": "i8", "I32": "i4",
    "I16": "i2", "I8": "i1", "U64": "u8", "U32": "u4", "U16": "u2", "U8": "u1", "BOOL": "?",
}

_REBUILDERS = ("_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
               "_rebuild_parameter_with_state")
_ALLOWED = frozenset({"collections.OrderedDict", "torch.Size", *_STORAGE_TYPES, *_DTYPES,
                      *(f"torch._utils.{name}" for name in _REBUILDERS)})
"""Every global a checkpoint's pickle may name; anything else is refused unread."""


def read_checkpoint(path: str | os.PathLike) -> Any:
    """The object tree of a PyTorch checkpoint, every tensor a C-contiguous numpy array.

    Reads ``torch.save`` files (zip and legacy formats) and ``.safetensors`` files without
    torch; nothing in the file is run (see the module docstring). Dicts, OrderedDicts, lists,
    tuples, ints, floats, strings and None come back as they were saved (a state dict keeps its
    ``_metadata`` attribute); ``nn.Parameter`` objects become arrays; torch dtypes become
    strings such as ``'torch.float32'``; bfloat16 tensors become float32 (numpy has none).

    Args:
        path: the checkpoint file (``.pth``, ``.pt``, ``.ckpt``, ``.safetensors``...).

    Returns:
        For safetensors, a dict of arrays; for ``torch.save`` files, whatever was saved,
        typically a state dict (``OrderedDict`` of arrays) or a dict of them.

    Raises:
        FileNotFoundError: `path` does not exist.
        SourceError: `path` is not a checkpoint in a format above, is truncated or malformed,
            or names a global outside the allow-list (a file that may run code).

    Example:
    >>> import tempfile
    >>> from safetensors.numpy import save_file
    >>> path = Path(tempfile.mkdtemp()) / "tiny.safetensors"
    >>> save_file({"conv.bias": np.arange(3, dtype=np.float32)}, str(path))
    >>> read_checkpoint(path)
    {'conv.bias': array([0., 1., 2.], dtype=float32)}
    """
    source = str(path)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{source}: no such checkpoint file")
    if path.is_dir():
        raise _error(source, "is a directory, not a checkpoint file")
    with open(path, "rb") as file:
        head = file.read(512)
        size = os.fstat(file.fileno()).st_size
        file.seek(0)
        if not head:
            raise _error(source, "is empty (0 bytes), not a PyTorch checkpoint")
        if head[257:262] == b"ustar":
            raise _error(source, "is a tar-format torch.save file (the earliest PyTorch), which "
                                 "is not supported; load it with torch and save it again")
        try:
            if head.startswith(b"PK\x03\x04"):
                return _read_zip(file, source)
            if head.startswith(b"\x80"):
                return _read_legacy(file, source, size)
            header_size = int.from_bytes(head[:8], "little")
            if head[8:9] == b"{" and 8 + header_size <= size:
                return _read_safetensors(file, source)
        except SourceError:
            raise
        except Exception as err:  # pickle, zipfile and safetensors raise many kinds
            message = " ".join(str(err).split())
            raise _error(source, f"is not a readable PyTorch checkpoint ({type(err).__name__}: "
                                 f"{message})") from err
    raise _error(source, "not a PyTorch checkpoint (neither a zip archive, a legacy torch.save "
                         "file nor safetensors)")


def _error(source: str, reason: str) -> SourceError:
    return SourceError(source, reason, separator=": ")


class _Storage(NamedTuple):
    """A storage a pickle referred to: `nbytes` bytes at `offset` in the data stored as `key`."""

    key: str
    code: str
    offset: int
    nbytes: int
    __hash__ = None  # so that it cannot hide in a set or a dict key, where it stays unconverted


class _Tensor(NamedTuple):
    """A tensor to cut from `storage` once the storages' bytes are read."""

    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]
    code: str
    __hash__ = None


class _Unpickler(pickle.Unpickler):
    """Unpickles a torch object tree, answering only the globals in `_ALLOWED`."""

    def __init__(self, file: BinaryIO, source: str):
        super().__init__(file, encoding="utf-8")
        self.source = source
        self.roots: dict[str, _Storage] = {}  # each key's storage as first named

    def find_class(self, module: str, name: str) -> Any:
        qualified = f"{module}.{name}"
        if qualified not in _ALLOWED:
            raise _error(self.source, f"refuses to load the global '{qualified}': a checkpoint "
                                      "holds only tensors, so this file may run code; it was "
                                      "not loaded")
        if qualified == "collections.OrderedDict":
            return OrderedDict
        if qualified == "torch.Size":
            return tuple
        if module == "torch._utils":
            return getattr(self, name)  # a bound method: a pickle cannot reach or alter it
        return qualified  # a dtype or storage class, known by its name

    def persistent_load(self, pid: Any) -> _Storage:
        # zip: ('storage', type, key, location, numel); legacy adds view metadata (or None)
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise _error(self.source, f"holds an object that is not a tensor ({pid!r:.60})")
        _, storage_type, key, _, numel, *view = pid
        code = _STORAGE_TYPES.get(storage_type)
        if code is None or not isinstance(key, str) or not _is_count(numel):
            raise _error(self.source, f"has a malformed storage reference ({pid!r:.60})")
        size = _itemsize(code)
        storage = _Storage(key, code, 0, numel * size)
        self.roots.setdefault(key, storage)
        if view and view[0] is not None:  # legacy: part of the storage, in its elements
            _, offset, count = view[0]
            if not (_is_count(offset) and _is_count(count)):
                raise _error(self.source, f"has a malformed storage view ({pid!r:.60})")
            return _Storage(key, code, offset * size, count * size)
        return storage

    def _rebuild_tensor_v2(self, storage: _Storage, storage_offset: int, size: tuple[int, ...],
                           stride: tuple[int, ...], requires_grad: bool, backward_hooks: Any,
                           metadata: Any = None) -> _Tensor:
        return self._rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad,
                                       backward_hooks, None)

    def _rebuild_tensor_v3(self, storage: _Storage, storage_offset: int, size: tuple[int, ...],
                           stride: tuple[int, ...], requires_grad: bool, backward_hooks: Any,
                           dtype: str | None, metadata: Any = None) -> _Tensor:
        if not isinstance(storage, _Storage):
            raise _error(self.source, "rebuilds a tensor from something that is not a storage")
        code = storage.code if dtype is None else _DTYPES.get(dtype)
        if code is None:
            raise _error(self.source, f"has a tensor of unsupported dtype {dtype!r}")
        return _Tensor(storage, storage_offset, size, stride, code)

    def _rebuild_parameter(self, data: _Tensor, requires_grad: bool,
                           backward_hooks: Any) -> _Tensor:
        return data

    def _rebuild_parameter_with_state(self, data: _Tensor, requires_grad: bool,
                                      backward_hooks: Any, state: Any) -> _Tensor:
        return data


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _itemsize(code: str) -> int:
    return 2 if code == _BFLOAT16 else np.dtype(code).itemsize


def _read_zip(file: BinaryIO, source: str) -> Any:
    with zipfile.ZipFile(file) as archive:
        names = set(archive.namelist())
        pickles = [name for name in names if name.endswith("/data.pkl") and name.count("/") == 1]
        if len(pickles) != 1:
            raise _error(source, "is a zip archive but not a PyTorch checkpoint (it has no "
                                 "<folder>/data.pkl)")
        prefix = pickles[0][: -len("data.pkl")]
        if f"{prefix}constants.pkl" in names:
            raise _error(source, "is a TorchScript archive (torch.jit.save), not a checkpoint; "
                                 "load it with torch and save its state_dict() instead")
        byteorder = b"little"
        if f"{prefix}byteorder" in names:
            byteorder = archive.read(f"{prefix}byteorder").strip()
        if byteorder not in (b"little", b"big"):
            raise _error(source, f"has an unknown byte order {byteorder[:20]!r}")
        unpickler = _Unpickler(io.BytesIO(archive.read(pickles[0])), source)
        tree = unpickler.load()
        blobs = {}
        for key in unpickler.roots:
            name = f"{prefix}data/{key}"
            if name not in names:
                raise _error(source, f"is missing storage 'data/{key}'")
            blobs[key] = (f"data/{key}", archive.read(name))
    return _materialize(tree, blobs, "<" if byteorder == b"little" else ">", source)


def _read_legacy(file: BinaryIO, source: str, size: int) -> Any:
    def load() -> Any:
        return _Unpickler(file, source).load()

    if load() != _LEGACY_MAGIC:
        raise _error(source, "not a PyTorch checkpoint (a pickle without torch.save's magic "
                             "number)")
    if (version := load()) != _LEGACY_PROTOCOL:
        raise _error(source, f"has legacy protocol version {version!r:.20}, not 1001")
    load()  # the saving system's facts; storages are little-endian whatever they say
    unpickler = _Unpickler(file, source)
    tree = unpickler.load()
    keys = load()
    if not (isinstance(keys, list) and len(keys) == len(unpickler.roots)
            and set(keys) == set(unpickler.roots)):
        raise _error(source, "has a storage key list that does not match its tensors")
    blobs = {}
    for key in keys:
        root = unpickler.roots[key]
        count_bytes = file.read(8)
        if len(count_bytes) < 8:
            raise _error(source, f"truncated (storage '{key}' has no data)")
        (count,) = struct.unpack("<q", count_bytes)
        nbytes = count * _itemsize(root.code)
        if nbytes != root.nbytes:
            raise _error(source, f"has storage '{key}' of {nbytes} bytes where its tensors say "
                                 f"{root.nbytes}")
        if nbytes > size - file.tell():
            raise _error(source, f"truncated (storage '{key}' has {size - file.tell()} bytes, "
                                 f"needs {nbytes})")
        blobs[key] = (key, file.read(nbytes))
    return _materialize(tree, blobs, "<", source)


def _read_safetensors(file: BinaryIO, source: str) -> dict[str, np.ndarray]:
    tensors = {}
    for name, info in deserialize(file.read()):
        code = _SAFETENSORS_CODES.get(info["dtype"])
        if code is None:
            raise _error(source, f"holds tensor '{name}' of dtype {info['dtype']}, which is not "
                                 "supported")
        elements = np.frombuffer(info["data"], dtype=_wire_dtype(code, "<"))
        tensors[name] = _to_native(elements, code).reshape(info["shape"])
    return tensors


def _wire_dtype(code: str, order: str) -> np.dtype:
    return np.dtype(order + ("u2" if code == _BFLOAT16 else code))


def _to_native(array: np.ndarray, code: str) -> np.ndarray:
    """A C-contiguous native-order copy of `array`; bfloat16 bits become float32."""
    if code == _BFLOAT16:
        return (np.array(array, dtype=np.uint32, order="C") << 16).view(np.float32)
    return np.array(array, dtype=np.dtype(code), order="C")


def _materialize(tree: Any, blobs: dict[str, tuple[str, bytes]], order: str,
                 source: str) -> Any:
    """`tree` with every `_Tensor` and `_Storage` replaced by an array (containers in place)."""
    seen: set[int] = set()

    def convert(node: Any, where: str) -> Any:
        if isinstance(node, _Tensor):
            return tensor_array(node, elements_of(node.storage, node.code), where)
        if isinstance(node, _Storage):
            return _to_native(elements_of(node, node.code), node.code)
        if isinstance(node, tuple):
            return tuple(convert(item, f"{where}/{index}") for index, item in enumerate(node))
        if isinstance(node, (dict, list)) and id(node) not in seen:
            seen.add(id(node))
            items = list(node.items() if isinstance(node, dict) else enumerate(node))
            for key, value in items:
                node[key] = convert(value, f"{where}/{key}")
        return node

    def elements_of(storage: _Storage, code: str) -> np.ndarray:
        label, data = blobs[storage.key]
        end = storage.offset + storage.nbytes
        if end > len(data):
            raise _error(source, f"truncated (storage '{label}' has {len(data)} bytes, needs "
                                 f"{end})")
        count = storage.nbytes // _itemsize(code)
        return np.frombuffer(data, _wire_dtype(code, order), count, storage.offset)

    def tensor_array(tensor: _Tensor, elements: np.ndarray, where: str) -> np.ndarray:
        size, stride, offset = tensor.size, tensor.stride, tensor.offset
        valid = (isinstance(size, tuple) and isinstance(stride, tuple)
                 and len(size) == len(stride) and _is_count(offset)
                 and all(map(_is_count, size + stride)))
        if not valid:
            raise _error(source, f"has tensor '{where}' with a malformed shape {size!r:.40}, "
                                 f"stride {stride!r:.40} or offset {offset!r:.20}")
        if 0 in size:
            return _to_native(np.empty(size, elements.dtype), tensor.code)
        last = sum((length - 1) * step for length, step in zip(size, stride, strict=True))
        needs = offset + last + 1
        if needs > elements.size:
            raise _error(source, f"has tensor '{where}' of shape {size} that needs {needs} "
                                 f"elements, its storage has {elements.size}")
        view = np.lib.stride_tricks.as_strided(
            elements[offset:], shape=size,
            strides=tuple(step * elements.itemsize for step in stride), writeable=False)
        return _to_native(view, tensor.code)

    return convert(tree, "")

