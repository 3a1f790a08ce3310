"""Saving and loading generators: our `.keras` / `.weights.h5` files and the predecessor's `.h5`.

Every generator returned by `load_generator` follows the library's contract (float RGB in
[0, 255] in and out, any image size). Files are read as data: `.keras` files load with
`safe_mode=True`, Keras 2 files are recognised from their JSON config and rebuilt, and nothing
stored in a file is executed. Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

import h5py
import keras

from ..models.keras2_format import is_keras2_h5, load_keras2_seed_generator
from ..models.presets import DEFAULT_MODEL, PretrainedWeights
from ..models.srresnet import ARCHITECTURE_KEYS, SRResNet, build_generator, output_scale
from ..validation import SourceError
from . import weights
from .atomic import atomic_path

logger = logging.getLogger(__name__)

METADATA_NAME = "super_resolution_gans.json"
PIXEL_RANGE = (0.0, 255.0)


def generator_architecture(generator: keras.Model) -> dict[str, Any]:
    """The `build_generator` arguments that decide a generator's weights, from its config.

    Example:
    >>> generator_architecture(build_generator(num_blocks=2, filters=16))
    {'scale': 4, 'num_blocks': 2, 'filters': 16, 'global_skip': False}
    """
    if not isinstance(generator, SRResNet):
        raise ValueError(f"model {generator.name!r} was not built by build_generator")
    if not generator.batchnorm or generator.subpixel_output:
        raise ValueError(
            f"model {generator.name!r} is an inference copy (see inference_generator); "
            "use the generator it was made from"
        )
    return generator.architecture


def save_generator(
    generator: keras.Model, path: str | os.PathLike, metadata: dict[str, Any] | None = None
) -> Path:
    """Saves a generator atomically as `.keras` (whole model) or `.weights.h5` (weights only).

    The architecture (`generator_architecture`) and `metadata` (stage, steps, data, ...) are
    stored in the file, so `load_generator` needs no other argument.

    Args:
        generator: a model from `build_generator`.
        path: destination ending in `.keras` or `.weights.h5`.
        metadata: JSON-serialisable facts to record with the weights.

    Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "tiny.keras"
    >>> save_generator(build_generator(num_blocks=1, filters=8), path, {"stage": "demo"}) == path
    True
    >>> read_generator_metadata(path)["build_args"]
    {'scale': 4, 'num_blocks': 1, 'filters': 8, 'global_skip': False}
    """
    path = Path(path)
    if not path.name.endswith((".keras", ".weights.h5")):
        raise ValueError(f"path must end in .keras or .weights.h5, got {str(path)!r}")
    record = {
        "format_version": 1,
        "architecture": "srresnet",
        "build_args": generator_architecture(generator),
        "pixel_range": list(PIXEL_RANGE),
        **(metadata or {}),
    }
    suffix = ".keras" if path.name.endswith(".keras") else ".weights.h5"
    with atomic_path(path, suffix=suffix) as temporary:
        if suffix == ".keras":
            generator.save(temporary)
            with zipfile.ZipFile(temporary, "a") as archive:
                archive.writestr(METADATA_NAME, json.dumps(record, indent=2))
        else:
            generator.save_weights(temporary)
            with h5py.File(temporary, "a") as h5:
                h5.attrs[METADATA_NAME] = json.dumps(record)
    return path


def read_generator_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Returns the metadata `save_generator` stored in a file ({} when there is none).

    Example:
    >>> read_generator_metadata("tiny.keras")["stage"]  # doctest: +SKIP
    'demo'
    """
    path = Path(path)
    if path.name.endswith(".keras"):
        with zipfile.ZipFile(path) as archive:
            if METADATA_NAME not in archive.namelist():
                return {}
            return json.loads(archive.read(METADATA_NAME))
    with h5py.File(path, "r") as h5:
        text = h5.attrs.get(METADATA_NAME)
    return json.loads(text) if text else {}


def load_generator(
    model: str | os.PathLike | None = None, *, progress: bool = True, **build_args: Any
) -> keras.Model:
    """Loads a ready generator (RGB [0, 255] in and out, any size) from a file, URL or name.

    Accepted: our `.keras` files; our `.weights.h5` files (architecture from their metadata, or
    from `build_args` such as `num_blocks=16, filters=64, scale=4, global_skip=False`); the
    predecessor's Keras 2 full-model `.h5` and weights-only `.h5`; an http(s) URL to one of those;
    a registered name (`list_pretrained()`); `None` for the weights shipped with the package.
    Loaded models are cached per file, so repeated calls do not reload them. `progress` shows a
    progress bar while a model is downloaded.

    Raises:
        FileNotFoundError: no such file and no such registered name.
        ValueError: the file is unreadable, of an unknown layout, or holds stored code.

    Example:
    >>> generator = load_generator("generator.keras")  # doctest: +SKIP
    >>> generator(np.zeros((1, 32, 32, 3), "float32")).shape  # doctest: +SKIP
    TensorShape([1, 128, 128, 3])
    """
    unknown = set(build_args) - set(ARCHITECTURE_KEYS)
    if unknown:
        raise TypeError(f"unexpected arguments {sorted(unknown)}; known: {ARCHITECTURE_KEYS}")
    source = model if model is not None else DEFAULT_MODEL
    path, entry = weights.resolve_model_source(source, progress=progress)
    path = Path(path).resolve()
    stat = path.stat()
    generator = _load_cached(
        str(path), stat.st_mtime_ns, stat.st_size, tuple(sorted(build_args.items())),
        None if entry is None else entry.format,
    )
    if entry is not None:
        _check_entry_scale(generator, entry, path)
    return generator


@functools.lru_cache(maxsize=8)
def _load_cached(
    path: str, _mtime_ns: int, _size: int, build_args: tuple, file_format: str | None
) -> keras.Model:
    logger.info("loading generator from %s", path)
    return _load_file(Path(path), dict(build_args), file_format)


def _load_file(path: Path, build_args: dict[str, Any], file_format: str | None) -> keras.Model:
    """Loads `path` by the registry's `file_format` when known, else by its name."""
    if path.is_dir():
        raise _file_error(path, "is a directory, not a model file")
    if path.stat().st_size == 0:
        raise _file_error(path, "model file is empty")
    name = path.name.lower()
    if file_format == "keras" or (file_format is None and name.endswith(".keras")):
        return _load_keras_file(path)
    if file_format is None and name.endswith(".weights.h5"):
        return _load_weights_file(path, build_args)
    if file_format == "seed_keras2_h5" or name.endswith((".h5", ".hdf5")):
        if not is_keras2_h5(path):
            raise _file_error(path, "not a readable Keras .h5 model file")
        return load_keras2_seed_generator(path)
    raise _file_error(path, "unknown model file type (expected .keras, .weights.h5 or .h5)")


def _check_entry_scale(generator: keras.Model, entry: PretrainedWeights, path: Path) -> None:
    scale = output_scale(generator)
    if scale != entry.scale:
        raise _file_error(path, f"upscales {scale}x, but {entry.name!r} is registered as "
                                f"{entry.scale}x")


def _file_error(path: Path, reason: str) -> SourceError:
    return SourceError(str(path), reason, separator=": ")


def _load_keras_file(path: Path) -> keras.Model:
    if not zipfile.is_zipfile(path):
        raise _file_error(path, "not a .keras file (a .keras file is a zip archive)")
    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for corrupt or foreign archives.
        raise _file_error(path, f"cannot load this .keras file ({_first_line(err)})") from err
    shape = tuple(model.input_shape) if not isinstance(model.input_shape, list) else ()
    if len(shape) != 4 or shape[-1] != 3:
        raise _file_error(path, f"not an image generator (input shape {model.input_shape})")
    if isinstance(model, SRResNet):
        return model
    return _with_recorded_architecture(model, read_generator_metadata(path))


def _with_recorded_architecture(model: keras.Model, metadata: dict[str, Any]) -> keras.Model:
    """`model` as an `SRResNet` when its metadata records one (files saved before the
    architecture was the model's config: plain functional models with the same layers), else
    `model` itself (foreign models)."""
    build_args = metadata.get("build_args")
    if metadata.get("architecture") != "srresnet" or not isinstance(build_args, dict):
        return model
    try:
        generator = SRResNet(**build_args, name=model.name)
        for layer in generator.layers:
            if layer.weights:
                layer.set_weights(model.get_layer(layer.name).get_weights())
    except (ValueError, TypeError) as err:  # not the layout its metadata claims
        logger.debug("keeping %s as a functional model: %s", model.name, err)
        return model
    return generator


def _load_weights_file(path: Path, build_args: dict[str, Any]) -> keras.Model:
    try:
        stored = read_generator_metadata(path).get("build_args", {})
    except OSError as err:
        raise _file_error(path, f"not a readable weights file ({_first_line(err)})") from err
    arguments = {**stored, **build_args}
    generator = build_generator(**arguments)
    try:
        generator.load_weights(path)
    except Exception as err:  # shape mismatches surface as ValueError or KeyError.
        raise _file_error(
            path,
            f"weights do not fit build_generator({_format_args(arguments)}): "
            f"{_first_line(err)}; pass the architecture it was trained with",
        ) from err
    return generator


def _format_args(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in arguments.items())


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
