"""OpenVINO models of the generators, converted once and kept on disk.

Keras's OpenVINO export traces a model with TensorFlow and converts the graph: for the shipped
generator about 3 s of every process's start on two cores (BENCHMARKS.md), paid again by each
command, each Ray worker and each demo start. The converted model depends on the network's
architecture (its Keras config, and the source code of every layer and model class that is not
Keras's own), its weights, and the versions of TensorFlow, Keras (and its backend), OpenVINO
and this package; their sha256 names a folder `<cache>/openvino/<key>/`
(`io.weights.default_cache_dir()`). A conversion is written to a temporary folder beside it,
flushed to disk and renamed into place, then read from there; the `MAX_ENTRIES` most recently
used are kept. A model that cannot describe itself (a subclass without `get_config`) or a cache
that cannot be written is converted in a temporary folder each time.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io.weights import default_cache_dir
from ..version import package_version

if TYPE_CHECKING:
    import keras

__all__ = ["MAX_ENTRIES", "architecture_of", "cache_folder", "content_key", "read_converted"]

logger = logging.getLogger(__name__)

MAX_ENTRIES = 8
"""Converted models kept (the shipped generator's takes 6 MB, an RRDBNet's 67 MB)."""

_MODEL_FILE = "model.xml"  # OpenVINO's weights are the `.bin` beside it
_STALE_SECONDS = 3600  # a temporary folder this old was left by a killed conversion


def cache_folder() -> Path:
    """Where converted models are kept: `openvino/` in the library's cache directory.

    Example:
    >>> cache_folder().name
    'openvino'
    """
    return default_cache_dir() / "openvino"


def architecture_of(generator: keras.Model) -> str | None:
    """`generator`'s architecture as JSON text (its Keras config), or None when it cannot
    describe itself (a subclass without `get_config`): then it is converted each time.

    Example:
    >>> from super_resolution_gans.models import SRResNet
    >>> '"class_name": "SRResNet"' in architecture_of(SRResNet(num_blocks=1, filters=8))
    True
    """
    import keras

    try:
        return json.dumps(keras.saving.serialize_keras_object(generator), sort_keys=True,
                          default=_in_full)
    except Exception as err:  # any model that cannot describe itself
        logger.debug("no OpenVINO cache for %s: %s", generator.name, err)
        return None


def content_key(architecture: str, part: str, model: keras.Model) -> str:
    """A sha256 naming what the conversion of `model` depends on: `part` ("whole", "trunk",
    "tail") of the inference copy whose `architecture_of` is `architecture`,
    the layers of `model` (their configs, and the source of classes that are not Keras's own)
    and their weights, and the versions of TensorFlow, Keras, OpenVINO and this package.

    Example:
    >>> from super_resolution_gans.models import SRResNet
    >>> network = SRResNet(num_blocks=1, filters=8)
    >>> len(content_key(architecture_of(network), "whole", network))
    64
    """
    import keras
    import openvino
    import tensorflow as tf

    layers = [(type(layer).__name__,
               {key: value for key, value in layer.get_config().items() if key != "name"})
              for layer in model.layers]
    # Every layer, nested ones too (Keras has no public walk of a layer's sub-layers).
    classes = {type(layer) for layer in model._flatten_layers(include_self=True)}
    code = sorted(_source_of(cls) for cls in classes
                  if not cls.__module__.startswith(("keras.", "tensorflow.")))
    digest = hashlib.sha256(json.dumps([architecture, layers, code, part], sort_keys=True,
                                       default=_in_full).encode())
    versions = (tf.__version__, keras.__version__, keras.backend.backend(),
                openvino.__version__, package_version())
    for version in versions:
        digest.update(version.encode() + b"\0")
    for weight in model.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(weight))
        digest.update(f"{value.dtype}{value.shape}".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _source_of(cls: type) -> str:
    """The source code of a class (its qualified name where the source cannot be found)."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    try:
        return f"{name}\n{inspect.getsource(cls)}"
    except (OSError, TypeError):
        return name


def _in_full(value: Any) -> Any:
    """JSON for what a config holds besides JSON types: arrays in full, never abbreviated."""
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": str(value.dtype)}
    return repr(value)


def read_converted(core: Any, model: keras.Model, key: str | None) -> Any:
    """`model` as an OpenVINO model (`openvino.Model`) read by `core`: from the cache when
    `key` (`content_key`) is there, else converted (and kept under `key` when given).

    Example:
    >>> import openvino
    >>> from super_resolution_gans.models import SRResNet
    >>> network = SRResNet(num_blocks=1, filters=8)
    >>> converted = read_converted(openvino.Core(), network, None)
    >>> len(converted.inputs)
    1
    """
    if key is not None:
        try:
            converted = _read_cached(core, model, cache_folder(), key)
        except OSError as err:  # a read-only or full disk: convert without the cache
            logger.debug("OpenVINO cache unusable (%s); converting in a temporary folder", err)
        else:
            if converted is not None:
                return converted
    with tempfile.TemporaryDirectory(prefix="srgan-openvino-",
                                     ignore_cleanup_errors=True) as folder:  # mapped on Windows
        return core.read_model(_convert(model, Path(folder)))


def _read_cached(core: Any, model: keras.Model, root: Path, key: str) -> Any:
    """The model read from its cache entry, converted and published there first if need be;
    None if the entry could not be read even after that (removed meanwhile by another
    process's eviction)."""
    entry = root / key
    converted = _read_entry(core, entry)
    if converted is not None:
        return converted
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
    try:
        _convert(model, staging)
        for path in staging.iterdir():
            _fsync(path)
        _publish(core, staging, entry)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone when renamed
    _evict(root, keep=entry)
    return _read_entry(core, entry)


def _read_entry(core: Any, entry: Path) -> Any:
    if not (entry / _MODEL_FILE).is_file():
        return None
    try:
        converted = core.read_model(str(entry / _MODEL_FILE))
    except (OSError, RuntimeError) as err:  # damaged, or evicted meanwhile by another process
        logger.debug("cached OpenVINO model %s unreadable (%s)", entry.name, err)
        return None
    with contextlib.suppress(OSError):  # a read-only cache still serves its entries
        os.utime(entry)  # most recently used
    return converted


def _publish(core: Any, staging: Path, entry: Path) -> None:
    """Renames `staging` to `entry`. An entry already there is another process's conversion
    of the same model and is kept, unless it cannot be read (damaged, half removed): then it
    is replaced."""
    try:
        staging.rename(entry)
        return
    except OSError:
        if _read_entry(core, entry) is not None:
            return
    shutil.rmtree(entry, ignore_errors=True)
    with contextlib.suppress(OSError):  # another process published meanwhile
        staging.rename(entry)


def _convert(model: keras.Model, folder: Path) -> str:
    path = folder / _MODEL_FILE
    model.export(str(path), format="openvino", verbose=False)
    return str(path)


def _fsync(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _evict(root: Path, keep: Path) -> None:
    """Removes all but the `MAX_ENTRIES` most recently used converted models."""

    def last_used(entry: Path) -> float:
        try:
            return entry.stat().st_mtime
        except OSError:  # removed meanwhile
            return 0.0

    entries = []
    for entry in root.iterdir():
        if not entry.name.startswith("."):
            entries.append(entry)
        elif time.time() - last_used(entry) > _STALE_SECONDS:  # a killed conversion's folder
            shutil.rmtree(entry, ignore_errors=True)
    entries.sort(key=last_used, reverse=True)
    for stale in entries[MAX_ENTRIES:]:
        if stale != keep:
            shutil.rmtree(stale, ignore_errors=True)
