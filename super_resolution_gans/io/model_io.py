"""Saving and loading generators: our `.keras` / `.weights.h5` files, the predecessor's `.h5`,
and PyTorch checkpoints of the ESRGAN family (`.pth`, `.safetensors`).

Every generator returned by `load_generator` follows the library's contract (float RGB in
[0, 255] in and out, any image size). Files are read as data: `.keras` files load with
`safe_mode=True`, Keras 2 files are recognised from their JSON config and rebuilt, PyTorch
checkpoints are unpickled with an allow-list (`torch_files`) and converted
(`models.pytorch`), and nothing stored in a file is executed. Registered PyTorch weights are
converted once and cached as a `.keras` file beside the download. Writes are atomic (temporary
file, then rename).
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
import numpy as np

from ..models.keras2_format import is_keras2_h5, load_keras2_seed_generator
from ..models.network import SuperResolutionNetwork, output_scale
from ..models.presets import DEFAULT_MODEL, PRETRAINED, PretrainedWeights, find_pretrained
from ..models.pytorch import ConversionError, network_from_state_dict
from ..models.srresnet import ARCHITECTURE_KEYS, SRResNet, build_generator
from ..validation import ArgumentError, SourceError
from . import weights
from .atomic import atomic_path
from .torch_files import read_checkpoint

logger = logging.getLogger(__name__)

METADATA_NAME = "super_resolution_gans.json"
PIXEL_RANGE = (0.0, 255.0)


def generator_architecture(generator: keras.Model) -> dict[str, Any]:
    """The arguments that decide a generator's weights, from its config (for an `SRResNet`,
    those of `build_generator`).

    Example:
    >>> generator_architecture(build_generator(num_blocks=2, filters=16))
    {'scale': 4, 'num_blocks': 2, 'filters': 16, 'global_skip': False}
    """
    if not isinstance(generator, SuperResolutionNetwork):
        raise ValueError(f"model {generator.name!r} is not one of the library's networks")
    if isinstance(generator, SRResNet) and (not generator.batchnorm or generator.subpixel_output):
        raise ValueError(
            f"model {generator.name!r} is an inference copy (see inference_copy); "
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
        "architecture": type(generator).__name__.lower(),
        "build_args": generator_architecture(generator),
        "pixel_range": list(PIXEL_RANGE),
        **(metadata or {}),
    }
    suffix = ".keras" if path.name.endswith(".keras") else ".weights.h5"
    if suffix == ".weights.h5" and not isinstance(generator, SRResNet):
        raise ValueError(f"{path}: save {type(generator).__name__} networks as .keras files")
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
    model: str | os.PathLike | None = None,
    *,
    progress: bool = True,
    denoise_strength: float | None = None,
    **build_args: Any,
) -> keras.Model:
    """Loads a ready generator (RGB [0, 255] in and out, any size) from a file, URL or name.

    Accepted: our `.keras` files; our `.weights.h5` files (architecture from their metadata, or
    from `build_args` such as `num_blocks=16, filters=64, scale=4, global_skip=False`); the
    predecessor's Keras 2 full-model `.h5` and weights-only `.h5`; PyTorch checkpoints of the
    ESRGAN family (`.pth`, `.pt`, `.safetensors`: RRDBNet in any of its three key layouts,
    SRVGGNetCompact; read without torch and without running anything from the file); an
    http(s) URL to one of those; a registered name (`list_pretrained()`: a registered PyTorch
    checkpoint is downloaded, verified and converted once, then loaded from the cache, offline);
    `None` for the weights shipped with the package. Loaded models are cached per file, so
    repeated calls do not reload them. `progress` shows a progress bar while a model is
    downloaded.

    Args:
        model: the file, URL or name.
        progress: show download progress.
        denoise_strength: for a registered network with a denoise partner
            (`realesr_general_x4v3`): 1 is the network itself (strong denoising), 0 its
            partner (weak denoising), values between blend their weights as Real-ESRGAN does.
        **build_args: the architecture of a `.weights.h5` file without metadata.

    Raises:
        FileNotFoundError: no such file and no such registered name.
        ValueError: the file is unreadable, of an unknown layout, or holds stored code.

    Example:
    >>> generator = load_generator("generator.keras")  # doctest: +SKIP
    >>> generator(np.zeros((1, 32, 32, 3), "float32")).shape  # doctest: +SKIP
    TensorShape([1, 128, 128, 3])
    >>> sharp = load_generator("realesrgan_x4plus")  # doctest: +SKIP
    """
    unknown = set(build_args) - set(ARCHITECTURE_KEYS)
    if unknown:
        raise TypeError(f"unexpected arguments {sorted(unknown)}; known: {ARCHITECTURE_KEYS}")
    source = model if model is not None else DEFAULT_MODEL
    entry = find_pretrained(source)
    if denoise_strength is not None:
        return _blended(_denoise_entry(entry, source, denoise_strength), float(denoise_strength),
                        progress)
    if entry is not None and entry.format in _CHECKPOINT_FORMATS:
        path, file_format = _converted_checkpoint(entry, progress), "keras"
    else:
        path, entry = weights.resolve_model_source(source, progress=progress)
        file_format = None if entry is None else entry.format
    path = Path(path).resolve()
    stat = path.stat()
    generator = _load_cached(
        str(path), stat.st_mtime_ns, stat.st_size, tuple(sorted(build_args.items())), file_format
    )
    if entry is not None:
        _check_entry_scale(generator, entry, path)
    return generator


_CHECKPOINT_FORMATS = ("pth", "safetensors")
_CHECKPOINT_SUFFIXES = (".pth", ".pt", ".safetensors")


def _converted_checkpoint(entry: PretrainedWeights, progress: bool) -> Path:
    """The cached Keras conversion of a registered PyTorch checkpoint: made once, from the
    verified download, and reused (offline) while its recorded source hash is the entry's."""
    target = weights.converted_path(entry)
    if target.is_file():
        try:
            recorded = read_generator_metadata(target).get("source_sha256")
        except (OSError, ValueError, zipfile.BadZipFile):
            recorded = None
        if entry.sha256 is None or recorded == entry.sha256:
            return target
    checkpoint, _ = weights.resolve_model_source(entry.name, progress=progress)
    logger.info("converting %s to a Keras file (once): %s", checkpoint.name, target)
    network = _load_checkpoint(Path(checkpoint))
    save_generator(network, target, {
        "stage": "converted from PyTorch",
        "source": entry.source,
        "source_sha256": entry.sha256 or weights.file_sha256(checkpoint),
        "licence": entry.licence,
    })
    return target


def _denoise_entry(
    entry: PretrainedWeights | None, source: Any, strength: Any
) -> PretrainedWeights:
    if entry is None or entry.denoise_partner is None:
        with_partner = [e.name for e in PRETRAINED.values() if e.denoise_partner]
        raise ArgumentError("denoise_strength", f"denoise_strength is for the registered "
                            f"networks {', '.join(with_partner)}, not {source!r}")
    if isinstance(strength, bool) or not isinstance(strength, int | float) or not (
            0 <= strength <= 1):
        raise ArgumentError("denoise_strength",
                            f"denoise_strength must be a number from 0 to 1, got {strength!r}")
    return entry


@functools.lru_cache(maxsize=4)
def _blended(entry: PretrainedWeights, strength: float, progress: bool) -> keras.Model:
    """`strength` times the entry's weights plus `1 - strength` times its partner's
    (Real-ESRGAN's `dni`)."""
    strong = load_generator(entry.name, progress=progress)
    weak = load_generator(entry.denoise_partner, progress=progress)
    if strength == 1:
        return strong
    blended = type(strong).from_config({**strong.get_config(),
                                        "name": f"{strong.name}_denoise_{strength:g}"})
    blended.set_weights([strength * np.asarray(a) + (1 - strength) * np.asarray(b)
                         for a, b in zip(strong.get_weights(), weak.get_weights(), strict=True)])
    return blended


def _load_checkpoint(path: Path) -> SuperResolutionNetwork:
    try:
        return network_from_state_dict(read_checkpoint(path))
    except ConversionError as err:
        raise _file_error(path, f"not a network this library can run: {err}") from err


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
    if file_format in _CHECKPOINT_FORMATS or (
            file_format is None and name.endswith(_CHECKPOINT_SUFFIXES)):
        return _load_checkpoint(path)
    if file_format == "seed_keras2_h5" or name.endswith((".h5", ".hdf5")):
        if not is_keras2_h5(path):
            raise _file_error(path, "not a readable Keras .h5 model file")
        return load_keras2_seed_generator(path)
    raise _file_error(path, "unknown model file type (expected .keras, .weights.h5, .h5, .pth "
                            "or .safetensors)")


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
    return model


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
