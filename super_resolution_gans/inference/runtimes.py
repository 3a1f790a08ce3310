"""The runtimes a generator's inference copy runs on: TensorFlow and OpenVINO.

- "openvino": OpenVINO's CPU runtime, when the package is installed
  (`pip install super_resolution_gans[openvino]`) and TensorFlow sees no GPU; float32, or bf16
  on CPUs with bf16 units;
- "tensorflow": a `tf.function` with a dynamic input signature (no retracing per image size),
  optionally in float16 on a GPU, falling back to float32 with a warning when float16 gives
  non-finite or all-black output where float32 does not.
"auto" picks OpenVINO on CPU-only machines when it is installed, TensorFlow otherwise. Set the
environment variable `SUPER_RESOLUTION_GANS_RUNTIME=tensorflow` to opt out of OpenVINO.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

__all__ = [
    "PRECISIONS",
    "RUNTIMES",
    "RUNTIME_ENV_VAR",
    "OpenVINOPredictor",
    "Predictor",
    "TensorFlowPredictor",
    "checked_runtimes",
    "resolve_runtime",
]

RUNTIMES = ("auto", "tensorflow", "openvino")
PRECISIONS = ("float32", "float16", "bfloat16")
RUNTIME_ENV_VAR = "SUPER_RESOLUTION_GANS_RUNTIME"
# One float32 NHWC batch per model input -> the output batch, float32.
Predictor = Callable[..., np.ndarray]


def resolve_runtime(runtime: str = "auto") -> str:
    """The runtime "auto" stands for here (see this module's docstring).

    Example:
    >>> resolve_runtime("tensorflow")
    'tensorflow'
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    if runtime != "auto":
        return runtime
    requested = os.environ.get(RUNTIME_ENV_VAR, "auto").strip().lower()
    if requested in ("tensorflow", "openvino"):
        return requested
    import tensorflow as tf  # here, not at import: the command lines read RUNTIMES without it

    if tf.config.list_logical_devices("GPU") or not _openvino_available():
        return "tensorflow"
    return "openvino"


def _openvino_available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def checked_runtimes(runtime: str, precision: str) -> tuple[str, str]:
    """`(runtime as requested, runtime resolved)`, once both arguments are checked."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    resolved = resolve_runtime(runtime)
    if resolved == "openvino" and precision == "float16":
        raise ValueError("precision='float16' is for the TensorFlow runtime on a GPU")
    if resolved == "tensorflow" and precision == "bfloat16":
        raise ValueError("precision='bfloat16' is for the OpenVINO runtime")
    return runtime, resolved


class TensorFlowPredictor:
    """A `tf.function` with a dynamic NHWC signature per model input; float16 with a float32
    fallback when the float16 output is non-finite, or, for an `image_output`, all black
    before any output was not, and the float32 output is not so too."""

    runtime = "tensorflow"

    def __init__(self, model: keras.Model, precision: str, image_output: bool = True):
        self._image_output = image_output
        self._seen_light = False  # an output that was not all black: float16 works
        self._float32 = self._compile(model)
        self._float16 = None
        if precision == "float16":
            try:
                self._float16 = self._compile(_as_float16(model))
            except ValueError as err:  # clone_model takes functional and sequential models only
                warnings.warn(f"no float16 copy of {model.name} ({err}); using float32",
                              RuntimeWarning, stacklevel=5)

    @staticmethod
    def _compile(model: keras.Model):
        import tensorflow as tf

        # A subclassed model has no `inputs`: the generator contract's RGB batch then.
        channels = [x.shape[-1] for x in getattr(model, "inputs", None) or ()] or [3]
        signature = [tf.TensorSpec([None, None, None, c], tf.float32) for c in channels]

        def predict(*inputs):
            inputs = list(inputs) if len(inputs) > 1 else inputs[0]
            return tf.cast(model(inputs, training=False), tf.float32)

        return tf.function(predict, input_signature=signature)

    def __call__(self, *inputs: np.ndarray) -> np.ndarray:
        if self._float16 is None:
            return self._float32(*inputs).numpy()
        output = self._float16(*inputs).numpy()
        if not self._looks_wrong(output):
            return output
        reference = self._float32(*inputs).numpy()
        if self._looks_wrong(reference):  # float32 gives the same: the input, not float16
            return reference
        warnings.warn(
            "float16 inference gave non-finite or all-black output; using float32",
            RuntimeWarning,
            stacklevel=2,
        )
        self._float16 = None
        return reference

    def _looks_wrong(self, output: np.ndarray) -> bool:
        if not np.isfinite(output).all():
            return True
        if not self._image_output or self._seen_light:
            return False
        self._seen_light = bool(output.max() > 0.5)
        return not self._seen_light


def _as_float16(model: keras.Model) -> keras.Model:
    """A copy of `model` with every layer under the mixed_float16 policy: float16 compute, and
    a float16 output (steps of 0.125 near 255, well under a grey level)."""
    import keras


    def to_float16(layer: keras.layers.Layer) -> keras.layers.Layer:
        return layer.__class__.from_config({**layer.get_config(), "dtype": "mixed_float16"})

    copy = keras.models.clone_model(model, clone_function=to_float16, recursive=True)
    copy.set_weights(model.get_weights())
    return copy


class OpenVINOPredictor:
    """OpenVINO CPU inference, compiled for each set of input shapes it meets: static shapes
    run faster than one dynamic-shape compilation (BENCHMARKS.md). The tiles of one stage of an
    image all have one shape (`upscale_rgb`), so keeping the two most recent compilations avoids
    recompiling while bounding the memory their activation buffers take. `threads` bounds the
    CPU threads it uses (None: all); they are not pinned to cores. With `cache_key`
    (`openvino_cache.content_key`) the conversion is done once and kept on disk."""

    runtime = "openvino"
    _MAX_SHAPES = 2  # each compiled shape holds its own activation buffers

    def __init__(
        self,
        model: keras.Model,
        precision: str,
        threads: int | None = None,
        cache_key: str | None = None,
    ):
        import openvino as ov

        from .openvino_cache import read_converted

        self._core = ov.Core()
        self._model = read_converted(self._core, model, cache_key)
        self._config = {
            "INFERENCE_PRECISION_HINT": "bf16" if precision == "bfloat16" else "f32",
            "PERFORMANCE_HINT": "LATENCY",
            # OpenVINO pins its threads to the first cores; processes that share a machine (Ray
            # workers, a demo beside a batch) then share those cores: two one-thread workers on
            # two cores ran at half speed each. Unpinned, the OS spreads them (BENCHMARKS.md).
            "ENABLE_CPU_PINNING": False,
            **({"INFERENCE_NUM_THREADS": threads} if threads else {}),
        }
        self._compiled: dict[tuple[tuple[int, ...], ...], Any] = {}
        self._lock = threading.Lock()

    def _compiled_for(self, shapes: tuple[tuple[int, ...], ...]):
        with self._lock:
            compiled = self._compiled.pop(shapes, None)
            if compiled is None:
                model = self._model.clone()
                model.reshape({index: list(shape) for index, shape in enumerate(shapes)})
                compiled = self._core.compile_model(model, "CPU", self._config)
                if len(self._compiled) >= self._MAX_SHAPES:
                    self._compiled.pop(next(iter(self._compiled)))  # least recently used
            self._compiled[shapes] = compiled
            return compiled

    def __call__(self, *inputs: np.ndarray) -> np.ndarray:
        inputs = [np.ascontiguousarray(x, dtype=np.float32) for x in inputs]
        compiled = self._compiled_for(tuple(x.shape for x in inputs))
        request = compiled.create_infer_request()  # thread-safe
        request.infer(dict(enumerate(inputs)))
        return request.get_output_tensor(0).data.copy()
