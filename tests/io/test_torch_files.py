"""read_checkpoint: PyTorch checkpoints (zip, legacy, safetensors) read without torch.

The files in tests/fixtures/torch_files/ were written by real torch (make_fixtures.py, run by
hand); the hostile and broken checkpoints are written here, without torch: a pure-Python pickler
that emits torch's global names stands in for it.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import super_resolution_gans
from super_resolution_gans.io.torch_files import read_checkpoint
from super_resolution_gans.validation import SourceError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "torch_files"
CHECKPOINTS = ["zip_state_dict.pth", "zip_nested.pth", "zip_views.pth", "legacy.pth",
               "weights.safetensors"]
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _flatten(tree: object, prefix: str, out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Arrays by ``<prefix>/<key path>``, as make_fixtures.py names them in expected.npz."""
    if isinstance(tree, np.ndarray):
        out[prefix] = tree
    elif isinstance(tree, dict):
        for key, value in tree.items():
            _flatten(value, f"{prefix}/{key}", out)
    elif isinstance(tree, (list, tuple)):
        for index, value in enumerate(tree):
            _flatten(value, f"{prefix}/{index}", out)
    return out


# --- writing torch-like pickles without torch ------------------------------------------------

class _Torch:
    """A torch global (``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``...)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, *args):  # pickle reduces only to callables
        raise NotImplementedError


class _Call:
    """Pickles as a call of `function` with `args`, as torch's ``__reduce__`` methods do."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


class _Storage:
    """Pickles as torch's persistent id of a storage."""

    def __init__(self, *pid):
        self.pid = ("storage", *pid)


class _TorchPickler(pickle._Pickler):
    dispatch = pickle._Pickler.dispatch.copy()

    def _save_torch(self, obj: _Torch) -> None:
        module, name = obj.name.rsplit(".", 1)
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode())

    dispatch[_Torch] = _save_torch

    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, _Storage) else None


def _torch_pickle(tree: object) -> bytes:
    buffer = io.BytesIO()
    _TorchPickler(buffer, protocol=2).dump(tree)
    return buffer.getvalue()


def _tensor(storage: _Storage, offset: int, size: tuple, stride: tuple) -> _Call:
    return _Call(_Torch("torch._utils._rebuild_tensor_v2"), storage, offset, size, stride, False,
                 OrderedDict())


def _float_storage(key: str, numel: int, *view) -> _Storage:
    return _Storage(_Torch("torch.FloatStorage"), key, "cpu", numel, *view)


def _write_zip(path: Path, data_pkl: bytes, storages: dict[str, bytes] | None = None,
               byteorder: bytes = b"little") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/byteorder", byteorder)
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)
        archive.writestr("archive/version", b"3\n")
    return path


def _write_legacy(path: Path, object_pickle: bytes,
                  storages: dict[str, tuple[int, bytes]] | None = None) -> Path:
    storages = storages or {}
    sys_info = {"protocol_version": 1001, "little_endian": True,
                "type_sizes": {"short": 2, "int": 4, "long": 8}}
    parts = [pickle.dumps(LEGACY_MAGIC, 2), pickle.dumps(1001, 2), pickle.dumps(sys_info, 2),
             object_pickle, pickle.dumps(list(storages), 2)]
    parts += [struct.pack("<q", count) + data for count, data in storages.values()]
    path.write_bytes(b"".join(parts))
    return path


def _floats(*values: float, dtype: str = "<f4") -> bytes:
    return np.array(values, dtype=dtype).tobytes()


class _Exec:
    """What a hostile checkpoint holds: unpickling it runs code that creates `marker`."""

    def __init__(self, marker: Path, function=exec):
        self.marker, self.function = marker, function

    def __reduce__(self):
        if self.function is os.system:
            return os.system, (f"touch {self.marker}",)
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


def _refused(path: Path, name: str) -> str:
    return (f"^{re.escape(str(path))}: refuses to load the global '{re.escape(name)}': .*may run "
            "code; it was not loaded$")


# --- checkpoints written by torch -------------------------------------------------------------

@pytest.mark.parametrize("name", CHECKPOINTS)
def test_reads_the_arrays_torch_saved(name):
    expected = np.load(FIXTURES / "expected.npz")
    arrays = _flatten(read_checkpoint(FIXTURES / name), name, {})
    keys = sorted(key for key in expected.files if key.startswith(f"{name}/"))
    assert sorted(arrays) == keys
    for key in keys:
        assert arrays[key].dtype == expected[key].dtype, key
        assert arrays[key].flags.c_contiguous and arrays[key].flags.writeable, key
        np.testing.assert_array_equal(arrays[key], expected[key], err_msg=key)


def test_keeps_the_python_structure_around_the_tensors():
    tree = read_checkpoint(str(FIXTURES / "zip_nested.pth"))
    assert type(tree) is dict and type(tree["params_ema"]) is OrderedDict
    assert list(tree["params_ema"]) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert tree["params_ema"]["1.weight"].dtype == np.float16
    assert (tree["iter"], tree["lr"], tree["name"], tree["none"]) == (5, 1e-4, "RRDBNet", None)
    assert type(tree["list"]) is list and tree["list"][1] == 7
    assert type(tree["tuple"]) is tuple and tree["tuple"][1] == "x"


@pytest.mark.parametrize("name", ["zip_views.pth", "legacy.pth"])
def test_views_become_independent_copies(name):
    tree = read_checkpoint(FIXTURES / name)
    base = tree["base"].copy()
    np.testing.assert_array_equal(tree["transposed"], base.T)
    np.testing.assert_array_equal(tree["slice"], base[1:, ::2])
    tree["transposed"][0, 0] = 99
    np.testing.assert_array_equal(tree["base"], base)
    assert tree["bfloat16"].dtype == np.float32 and tree["uint16"].dtype == np.uint16


# --- checkpoints written here -----------------------------------------------------------------

def test_reads_big_endian_zip_storages(tmp_path):
    tree = {"w": _tensor(_float_storage("0", 4), 1, (3,), (1,))}
    path = _write_zip(tmp_path / "big.pth", _torch_pickle(tree),
                      {"0": _floats(1, 2, 3, 4, dtype=">f4")}, byteorder=b"big")
    weight = read_checkpoint(path)["w"]
    assert weight.dtype == np.dtype("=f4")
    np.testing.assert_array_equal(weight, [2, 3, 4])


def test_reads_legacy_storage_views(tmp_path):
    # torch 0.4 pickled a view of a storage as (view key, offset, size) in its root's elements
    tree = {"whole": _tensor(_float_storage("7", 5), 0, (5,), (1,)),
            "view": _tensor(_float_storage("7", 5, ("8", 2, 3)), 1, (2,), (1,))}
    path = _write_legacy(tmp_path / "views.pth", _torch_pickle(tree),
                         {"7": (5, _floats(0, 1, 2, 3, 4))})
    tree = read_checkpoint(path)
    np.testing.assert_array_equal(tree["whole"], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(tree["view"], [3, 4])


@pytest.mark.parametrize("function", [exec, os.system], ids=["builtins.exec", "posix.system"])
def test_refuses_a_zip_checkpoint_that_runs_code(tmp_path, function):
    marker = tmp_path / "marker"
    data_pkl = pickle.dumps(_Exec(marker, function), protocol=4)  # names globals as 3.x does
    if function is exec:  # the file is hostile indeed: plain pickle runs it
        pickle.loads(data_pkl)
        assert marker.exists()
        marker.unlink()
    path = _write_zip(tmp_path / "evil.pth", data_pkl)
    name = "builtins.exec" if function is exec else f"{os.system.__module__}.system"
    with pytest.raises(SourceError, match=_refused(path, name)):
        read_checkpoint(path)
    assert not marker.exists()


def test_refuses_a_legacy_checkpoint_that_runs_code(tmp_path):
    marker = tmp_path / "marker"
    path = _write_legacy(tmp_path / "evil.pth", pickle.dumps({"w": _Exec(marker)}, protocol=2))
    with pytest.raises(SourceError, match=_refused(path, "__builtin__.exec")):  # protocol 2
        read_checkpoint(path)
    assert not marker.exists()


def test_refuses_code_hidden_deep_among_tensors(tmp_path):
    marker = tmp_path / "marker"
    tree = {"params_ema": OrderedDict(
        w=_tensor(_float_storage("0", 1), 0, (1,), (1,)),
        meta=[1, {"x": (2, _Exec(marker))}])}
    path = _write_zip(tmp_path / "nested.pth", _torch_pickle(tree), {"0": _floats(1)})
    with pytest.raises(SourceError, match=_refused(path, "__builtin__.exec")):
        read_checkpoint(path)
    assert not marker.exists()


def test_refuses_globals_outside_the_allow_list(tmp_path):
    # numpy arrays pickled by numpy, and torch names that are not tensors, are refused too
    tree = {"a": np.zeros(2), "b": _Call(_Torch("torch.nn.modules.conv.Conv2d"))}
    path = _write_zip(tmp_path / "numpy.pth", _torch_pickle(tree))
    with pytest.raises(SourceError, match=r"refuses to load the global 'numpy\..*reconstruct'"):
        read_checkpoint(path)
    path = _write_zip(tmp_path / "module.pth", _torch_pickle({"b": tree["b"]}))
    with pytest.raises(SourceError, match=_refused(path, "torch.nn.modules.conv.Conv2d")):
        read_checkpoint(path)


def test_refuses_a_truncated_zip_storage(tmp_path):
    tree = {"w": _tensor(_float_storage("0", 4), 0, (2, 2), (2, 1))}
    path = _write_zip(tmp_path / "short.pth", _torch_pickle(tree), {"0": _floats(1, 2)})
    with pytest.raises(SourceError, match=re.escape(
            f"{path}: truncated (storage 'data/0' has 8 bytes, needs 16)")):
        read_checkpoint(path)


def test_refuses_a_truncated_legacy_file(tmp_path):
    tree = {"w": _tensor(_float_storage("0", 4), 0, (4,), (1,))}
    path = _write_legacy(tmp_path / "short.pth", _torch_pickle(tree),
                         {"0": (4, _floats(1, 2, 3, 4))})
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(SourceError, match=re.escape(
            f"{path}: truncated (storage '0' has 12 bytes, needs 16)")):
        read_checkpoint(path)


@pytest.mark.parametrize("size, stride, offset, message", [
    ((3, 3), (3, 1), 0, "needs 9 elements, its storage has 4"),
    ((2,), (1,), 3, "needs 5 elements, its storage has 4"),
    ((2,), (-1,), 1, "malformed shape"),
    ((2, 2), (1,), 0, "malformed shape"),
])
def test_refuses_tensors_beyond_their_storage(tmp_path, size, stride, offset, message):
    tree = {"w": _tensor(_float_storage("0", 4), offset, size, stride)}
    path = _write_zip(tmp_path / "bad.pth", _torch_pickle(tree), {"0": _floats(1, 2, 3, 4)})
    with pytest.raises(SourceError, match=f"^{re.escape(str(path))}: has tensor '/w' .*{message}"):
        read_checkpoint(path)


def test_refuses_a_torchscript_archive(tmp_path):
    path = _write_zip(tmp_path / "scripted.pt", pickle.dumps({}, 2))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("archive/constants.pkl", pickle.dumps((), 2))
    with pytest.raises(SourceError, match="is a TorchScript archive"):
        read_checkpoint(path)


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (bytes(range(256)) * 4, "not a PyTorch checkpoint"),
    (super_resolution_gans.EXAMPLE_IMAGE.read_bytes(), "not a PyTorch checkpoint"),
    (b"\x00" * 257 + b"ustar\x0000" + b"\x00" * 300, "is a tar-format torch.save file"),
    (pickle.dumps({"no": "magic"}, 2), r"not a PyTorch checkpoint \(a pickle without"),
], ids=["empty", "random", "png", "tar", "pickle"])
def test_refuses_files_that_are_not_checkpoints(tmp_path, content, message):
    path = tmp_path / "model.pth"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=f"^{re.escape(str(path))}: {message}"):
        read_checkpoint(path)


def test_refuses_a_zip_without_data_pkl(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(SourceError, match="is a zip archive but not a PyTorch checkpoint"):
        read_checkpoint(path)


def test_missing_files_and_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nope.pth"))):
        read_checkpoint(tmp_path / "nope.pth")
    with pytest.raises(SourceError, match="is a directory"):
        read_checkpoint(tmp_path)
