"""The fast prediction path: a generator's inference copy, whole and cut in two, on a runtime.

`predictor_for(generator)` returns a callable mapping a float32 NHWC batch in [0, 255] to the
generator's output, cached per model. It runs the generator's inference copy
(`models.network.inference_copy`) on a runtime (see `runtimes`).

`fast_path(generator)` gives that inference copy whole and cut in two (`Stage`s) where the
network states such a cut (`models.network`): the trunk, which maps the LR image to its
features at LR resolution, and the upsampling tail; the tiler runs them on tiles of different
sizes (see `upscale`). Every cached copy remembers the weights
it was made from and is made again once the generator's weights change (training,
`set_weights`): one comparison of every weight in one graph.
"""

from __future__ import annotations

import functools
import logging
import threading
import weakref
from collections.abc import Callable
from typing import NamedTuple

import keras
import numpy as np  # noqa: F401 (the examples use it)
import tensorflow as tf

from ..models.network import inference_copy, tile_overlap, trunk_split
from ..models.srresnet import SRResNet  # noqa: F401 (the examples use it)
from .openvino_cache import architecture_of, content_key
from .runtimes import (
    OpenVINOPredictor,
    Predictor,
    TensorFlowPredictor,
    checked_runtimes,
)

logger = logging.getLogger(__name__)

__all__ = ["FastPath", "Stage", "fast_path", "predictor_for", "stages_for"]

_fast_copies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_fast_copies_lock = threading.Lock()


class Stage:
    """One part of a generator's inference copy and a fast callable running it.

    The trunk stage takes the LR image and returns its features at LR resolution; the tail
    stage takes those features (and the LR image too, for generators with a global skip: one
    batch per entry of `model.inputs`, in that order) and returns the output image. The
    callable, `predict`, is made on first use (for OpenVINO, that converts the model).
    `overlap` is the context its tiles need, as the network states it (`models.network`).
    """

    def __init__(self, model: keras.Model, overlap: int, make_predict: Callable[[], Predictor]):
        self.model = model
        self.overlap = overlap  # LR pixels of context its tiles need by default
        self._make_predict = make_predict

    @property
    def predict(self) -> Predictor:
        return self._make_predict()  # cached per part, runtime and precision


class _FastCopy:
    """The inference copy of one generator, its stages and their predictors, made for the
    weights the generator had then (`current` tells whether it still has them)."""

    def __init__(self, generator: keras.Model):
        variables = [weight.value for weight in generator.weights]

        def flat_weights() -> tf.Tensor:  # bit patterns: NaN equals NaN, float16 fits too
            bits = [tf.bitcast(tf.cast(tf.reshape(v, [-1]), tf.float32), tf.int32)
                    for v in variables]
            return tf.concat([tf.zeros([0], tf.int32)] + bits, 0)

        snapshot = flat_weights()
        # One graph comparing every weight with its snapshot: far cheaper than reading them
        # into numpy and comparing there.
        self.current = tf.function(
            lambda: tf.reduce_all(tf.equal(flat_weights(), snapshot)), autograph=False
        )
        self.model = inference_copy(generator)
        self.split = trunk_split(self.model)
        self.predictors: dict[tuple, Predictor] = {}

    @functools.cached_property
    def architecture(self) -> str | None:
        """The inference copy's config, which names its OpenVINO conversions (made on the
        first conversion only)."""
        return architecture_of(self.model)


def _fast_copy(generator: keras.Model) -> _FastCopy:
    with _fast_copies_lock:
        copy = _fast_copies.get(generator)
        if copy is None or not bool(copy.current()):
            copy = _fast_copies[generator] = _FastCopy(generator)
        return copy


class FastPath(NamedTuple):
    """A generator's inference copy, whole and (for an `SRResNet`) cut in two,
    each with a fast callable for the weights the generator has now (see `fast_path`)."""

    whole: Stage
    stages: tuple[Stage, Stage] | None  # the trunk and the tail


def fast_path(
    generator: keras.Model,
    *,
    runtime: str = "auto",
    precision: str = "float32",
    threads: int | None = None,
) -> FastPath:
    """The fast ways to run `generator`: its whole inference copy, and its trunk and tail
    `Stage`s, or None for networks without such a cut (`models.network.trunk_split`). Their
    callables compute with the weights the generator has now, and are made on first use, then
    cached per model until its weights change (ask again for ones that follow them). Runtimes,
    precisions and threads as in `predictor_for`.

    Example:
    >>> path = fast_path(SRResNet(num_blocks=1, filters=8), runtime="tensorflow")
    >>> trunk, tail = path.stages
    >>> features = trunk.predict(np.zeros((1, 5, 7, 3), "float32"))
    >>> features.shape, tail.predict(features).shape
    ((1, 5, 7, 8), (1, 20, 28, 3))
    """
    runtimes = checked_runtimes(runtime, precision)
    copy = _fast_copy(generator)

    def stage(part: str, model: keras.Model, overlap: int) -> Stage:
        return Stage(model, overlap, functools.partial(
            _predictor, copy, part, model, runtimes, precision, threads, generator.name))

    split = copy.split
    stages = None if split is None else (
        stage("trunk", split.trunk, split.trunk_overlap),
        stage("tail", split.tail, split.tail_overlap))
    return FastPath(stage("whole", copy.model, tile_overlap(copy.model)), stages)


def predictor_for(
    generator: keras.Model,
    *,
    runtime: str = "auto",
    precision: str = "float32",
    threads: int | None = None,
) -> Predictor:
    """A fast callable `batch -> output` for `generator` (float32 NHWC in [0, 255]): the
    whole network of `fast_path`.

    The callable computes with the weights the generator has now; after they change, call
    `predictor_for` again for one that follows them (it is cached per model until then).

    Args:
        generator: a generator following the library's contract.
        runtime: "auto", "tensorflow" or "openvino" (see `runtimes`).
        precision: "float32"; "float16" for GPU inference with TensorFlow (falls back to
            float32 with a warning when the float16 output is non-finite or all black);
            "bfloat16" for OpenVINO on CPUs with bf16 units (AMX, AVX-512 BF16): faster there,
            but the output may differ from float32 by a few grey levels.
        threads: CPU threads OpenVINO may use (None: all); TensorFlow's are set per process
            (`tf.config.threading`).

    Example:
    >>> import numpy as np
    >>> predict = predictor_for(SRResNet(num_blocks=1, filters=8), runtime="tensorflow")
    >>> predict(np.zeros((1, 5, 7, 3), "float32")).shape
    (1, 20, 28, 3)
    """
    return fast_path(generator, runtime=runtime, precision=precision,
                     threads=threads).whole.predict


def stages_for(
    generator: keras.Model, *, runtime: str = "auto", precision: str = "float32"
) -> tuple[Stage, Stage] | None:
    """The trunk and tail `Stage`s of `fast_path`, or None for networks without such a cut.

    Example:
    >>> trunk, tail = stages_for(SRResNet(num_blocks=1, filters=8), runtime="tensorflow")
    >>> trunk.model.output.shape
    (None, None, None, 8)
    """
    return fast_path(generator, runtime=runtime, precision=precision).stages


def _predictor(
    copy: _FastCopy,
    part: str,
    model: keras.Model,
    runtimes: tuple[str, str],
    precision: str,
    threads: int | None,
    name: str,
) -> Predictor:
    """The cached predictor of one part ("whole", "trunk" or "tail") of a fast copy."""
    requested, runtime = runtimes
    key = (part, runtime, precision, threads, requested == "auto")  # an "auto" fallback differs
    image_output = part != "trunk"
    with _fast_copies_lock:
        if key not in copy.predictors:
            if runtime == "openvino":
                try:
                    copy.predictors[key] = OpenVINOPredictor(
                        model, precision, threads, _cache_key(copy, part, model))
                except Exception as err:  # e.g. a foreign model with an op OpenVINO cannot convert
                    if requested != "auto":
                        raise
                    logger.warning("OpenVINO cannot run %s (%s); using TensorFlow",
                                   name, type(err).__name__)
                    logger.debug("OpenVINO conversion error: %s", err)
                    copy.predictors[key] = TensorFlowPredictor(model, precision, image_output)
            else:
                copy.predictors[key] = TensorFlowPredictor(model, precision, image_output)
        return copy.predictors[key]


def _cache_key(copy: _FastCopy, part: str, model: keras.Model) -> str | None:
    """The name of `part`'s OpenVINO conversion on disk; None (converted each time) when the
    inference copy or a layer of `part` cannot describe itself."""
    if copy.architecture is None:
        return None
    try:
        return content_key(copy.architecture, part, model)
    except Exception as err:  # e.g. a custom layer whose get_config raises
        logger.debug("no OpenVINO cache for %s: %s", model.name, err)
        return None
