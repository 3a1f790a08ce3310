"""Shared helpers of the benchmark scripts: FLOP counting, the matmul ceiling, timing.

Every benchmark reports its speed next to the machine's fp32 matmul throughput measured in the
same run, so numbers from different machines can be compared as ratios.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping

import keras
import numpy as np
import tensorflow as tf

from super_resolution_gans.models.layers import PixelShuffle


def conv_flops(model: keras.Model, height: int, width: int) -> float:
    """FLOPs of one forward pass on an LR image of `height` x `width`: 2 x multiply-adds of
    every convolution (at the resolution it runs at) and dense layer; element-wise layers
    (PReLU, BatchNorm, additions) are left out, as usual."""
    total, _factor = _walk(model, height, width, 1.0, 0.0)
    return total


def _walk(model, height, width, factor, total):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total, factor = _walk(layer, height, width, factor, total)
        elif isinstance(layer, keras.layers.Conv2D):
            kernel_h, kernel_w = layer.kernel_size
            stride_h, stride_w = layer.strides
            in_channels = layer.kernel.shape[2]
            out_pixels = (height * factor / stride_h) * (width * factor / stride_w)
            total += 2.0 * kernel_h * kernel_w * in_channels * layer.filters * out_pixels
            factor /= stride_h
        elif isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            factor /= layer.pool_size[0]
        elif isinstance(layer, PixelShuffle):
            factor *= layer.factor
        elif isinstance(layer, keras.layers.UpSampling2D):
            factor *= layer.size[0]
        elif isinstance(layer, keras.layers.Dense):
            total += 2.0 * layer.kernel.shape[0] * layer.units
    return total, factor


def interleaved_median_seconds(
    functions: Mapping[str, Callable[[], object]],
    *,
    repeats: int = 5,
    warmup: int = 1,
    settle_seconds: float = 0.5,
) -> dict[str, float]:
    """Median wall time of each function, timed in turns (one run of each per round), so that
    the drifting speed of a shared machine affects every function alike. Each timed run starts
    `settle_seconds` after the previous one ends: thread pools (ONNX Runtime's, OpenVINO's) keep
    spinning for a while after a run and would slow down whatever runs next."""
    for function in functions.values():
        for _ in range(warmup):
            function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            time.sleep(settle_seconds)
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def matmul_step(size: int = 2048) -> tuple[Callable[[], object], float]:
    """A TensorFlow fp32 matmul of two `size` x `size` matrices, and the FLOPs it does."""
    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
    b = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
    matmul = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    return (lambda: matmul().numpy()), 2.0 * size**3


def matmul_gflops(size: int = 2048, repeats: int = 7) -> float:
    """The machine's fp32 matmul throughput through TensorFlow (GFLOP/s, median)."""
    step, flops = matmul_step(size)
    seconds = interleaved_median_seconds({"matmul": step}, repeats=repeats, warmup=2)["matmul"]
    return flops / seconds / 1e9


def trained_like_generator(**build_args) -> keras.Model:
    """A generator with random weights and non-trivial BatchNorm statistics (so that folding
    BatchNorm does real work), the shape of a trained one."""
    from super_resolution_gans import build_generator

    generator = build_generator(**build_args)
    rng = np.random.default_rng(0)
    for layer in generator.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                rng.normal(0, 0.1, beta.shape).astype(np.float32),
                rng.normal(0, 0.1, mean.shape).astype(np.float32),
                rng.uniform(0.5, 1.5, variance.shape).astype(np.float32),
            ])
    return generator
