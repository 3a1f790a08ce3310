"""One GPU check, five minutes at most: run it once on any GPU machine and paste its tables.

    python benchmarks/gpu_check.py            # on a GPU machine
    python benchmarks/gpu_check.py --smoke    # anywhere: tiny networks and sizes (in the suite)

It prints, on whatever device TensorFlow picks (the device is printed first):
1. the fast path (`Upscaler`) in float32 and float16 for each network the library has, with
   their parity (max and mean absolute difference on the 0-255 scale, after rounding);
2. a few mixed-precision SRGAN training steps (generator + discriminator, pixel content loss:
   no VGG download) with XLA on and off, seconds per step;
3. seconds per LR megapixel of each network (SRResNet x4, RRDBNet x4 at RealESRGAN_x4plus's
   size, SRVGGNetCompact x4 at realesr-general-x4v3's), random weights, default runtime;
4. the largest square LR image that super-resolves with automatic tiling, doubling the side
   until it fails or the time budget is spent.
Times are medians of a few runs after a warm-up; on a CPU they are not GPU figures.
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

from super_resolution_gans.inference import Upscaler
from super_resolution_gans.models import RRDBNet, SRResNet, SRVGGNetCompact, build_discriminator
from super_resolution_gans.training import SRGAN


def networks(smoke: bool) -> dict[str, keras.Model]:
    """Each network of the library with random weights: published sizes, or tiny ones."""
    if smoke:
        return {"SRResNet": SRResNet(num_blocks=1, filters=8),
                "RRDBNet": RRDBNet(num_feat=8, num_block=1, num_grow_ch=4),
                "SRVGGNetCompact": SRVGGNetCompact(num_feat=8, num_conv=2)}
    return {"SRResNet": SRResNet(), "RRDBNet": RRDBNet(),
            "SRVGGNetCompact": SRVGGNetCompact(num_conv=32)}


def median_seconds(function, repeats: int) -> float:
    function()  # warm-up: tracing, compilation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def precision_parity(models: dict[str, keras.Model], size: int) -> None:
    print("\n| network | float32 s | float16 s | max diff | mean diff |")
    print("|---|---|---|---|---|")
    rgb = np.random.default_rng(0).uniform(0, 255, (size, size, 3)).astype(np.float32)
    for name, model in models.items():
        outputs, seconds = {}, {}
        for precision in ("float32", "float16"):
            upscaler = Upscaler(model, runtime="tensorflow", precision=precision, tile_size=0)
            seconds[precision] = median_seconds(lambda u=upscaler: u.upscale_rgb(rgb), 2)
            outputs[precision] = np.clip(np.round(upscaler.upscale_rgb(rgb)), 0, 255)
        difference = np.abs(outputs["float32"] - outputs["float16"])
        print(f"| {name} | {seconds['float32']:.3f} | {seconds['float16']:.3f} | "
              f"{difference.max():.0f} | {difference.mean():.3f} |")


def training_steps(smoke: bool, steps: int) -> None:
    print("\n| mixed-precision SRGAN step | s per step |")
    print("|---|---|")
    batch, crop = (2, 32) if smoke else (16, 96)
    rng = np.random.default_rng(1)
    hr = rng.uniform(0, 255, (batch * steps, crop, crop, 3)).astype(np.float32)
    lr = hr[:, ::4, ::4]
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        for jit in (False, True):
            generator = (SRResNet(num_blocks=1, filters=8) if smoke
                         else SRResNet(global_skip=True))
            discriminator = build_discriminator(hr_size=crop, filters=8 if smoke else 64)
            gan = SRGAN(generator, discriminator)
            gan.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4),
                        jit_compile=jit)
            gan.fit(lr[:batch], hr[:batch], batch_size=batch, epochs=1, verbose=0)  # compile
            start = time.perf_counter()
            gan.fit(lr, hr, batch_size=batch, epochs=1, verbose=0)
            seconds = (time.perf_counter() - start) / steps
            print(f"| XLA {'on' if jit else 'off'}, batch {batch}, {crop}x{crop} HR | "
                  f"{seconds:.3f} |")
    finally:
        keras.config.set_dtype_policy(previous)


def speed(models: dict[str, keras.Model], size: int) -> None:
    print(f"\n| network | parameters | s per LR megapixel ({size}x{size}, default runtime) |")
    print("|---|---|---|")
    rgb = np.random.default_rng(2).uniform(0, 255, (size, size, 3)).astype(np.float32)
    for name, model in models.items():
        upscaler = Upscaler(model, tile_size=0)
        seconds = median_seconds(lambda u=upscaler: u.upscale_rgb(rgb), 3)
        print(f"| {name} | {model.count_params():,} | {seconds / (size * size / 1e6):.3f} |")


def largest_image(models: dict[str, keras.Model], start: int, budget: float) -> None:
    print("\n| network | largest LR side done (automatic tiling) | seconds | stopped by |")
    print("|---|---|---|---|")
    for name, model in models.items():
        side, done, seconds, reason = start, 0, 0.0, "time budget"
        deadline = time.perf_counter() + budget
        while time.perf_counter() < deadline:
            rgb = np.zeros((side, side, 3), np.float32)
            begin = time.perf_counter()
            try:
                Upscaler(model).upscale_rgb(rgb)
            except (tf.errors.ResourceExhaustedError, MemoryError) as err:
                reason = type(err).__name__
                break
            done, seconds = side, time.perf_counter() - begin
            if seconds * 4 > deadline - time.perf_counter():
                break  # the next size takes about four times as long
            side *= 2
        print(f"| {name} | {done} | {seconds:.1f} | {reason} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny networks and sizes: checks the script, measures nothing")
    args = parser.parse_args()
    gpus = tf.config.list_logical_devices("GPU")
    print(f"device: {gpus[0].name if gpus else 'CPU only (figures are not GPU figures)'}; "
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}")
    models = networks(args.smoke)
    precision_parity(models, 24 if args.smoke else 256)
    training_steps(args.smoke, steps=2 if args.smoke else 10)
    speed(models, 24 if args.smoke else 512)
    largest_image(models, 32 if args.smoke else 1024, 1.0 if args.smoke else 60.0)


if __name__ == "__main__":
    main()
