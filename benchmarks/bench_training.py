"""Training speed of the SRResNet step and the SRGAN step at the paper's setting.

    python benchmarks/bench_training.py [--batch-size 16] [--crop-size 96] [--steps 3]

For each stage, with and without XLA (`jit_compile`), prints seconds per step, steps per second
and achieved GFLOP/s next to the fp32 matmul GFLOP/s measured in the same run. Training FLOPs
are estimated as 3x the forward FLOPs of every network pass in the step (forward + backward);
the frozen VGG pass on the HR batch counts once (no backward). The VGG19 has random weights
(the speed does not depend on them).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import conv_flops, matmul_gflops  # noqa: E402

from super_resolution_gans import (  # noqa: E402
    SRGAN,
    build_discriminator,
    build_generator,
    build_vgg_feature_extractor,
)


def step_flops(model: SRGAN, batch: int, crop: int, scale: int) -> float:
    lr_side = crop // scale
    flops = 3 * batch * conv_flops(model.generator, lr_side, lr_side)
    if model.discriminator is not None:
        per_image = conv_flops(model.discriminator, crop, crop)
        flops += 3 * 2 * batch * per_image  # discriminator update on real + fake
        flops += 3 * batch * per_image  # generator update through the discriminator
    if model.feature_extractor is not None:
        per_image = conv_flops(model.feature_extractor, crop, crop)
        flops += batch * per_image + 3 * batch * per_image  # HR features; SR with backward
    return flops


def seconds_per_step(model: SRGAN, batch: int, crop: int, scale: int, steps: int) -> float:
    rng = np.random.default_rng(0)
    hr = rng.uniform(0, 255, (batch, crop, crop, 3)).astype(np.float32)
    lr = rng.uniform(0, 255, (batch, crop // scale, crop // scale, 3)).astype(np.float32)
    data = tf.data.Dataset.from_tensors((lr, hr)).repeat()
    model.fit(data, steps_per_epoch=1, epochs=1, verbose=0)  # trace and warm up
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--crop-size", type=int, default=96)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--stages", nargs="+", default=["srresnet", "srgan"])
    args = parser.parse_args()

    ceiling = matmul_gflops()
    print(f"fp32 matmul ceiling: {ceiling:.1f} GFLOP/s; batch {args.batch_size}, "
          f"HR crops {args.crop_size}x{args.crop_size}, x4")
    print(f"{'stage':<9} {'jit':>5} {'s/step':>8} {'steps/s':>8} {'GFLOP/s':>8} {'/matmul':>8}")
    for stage in args.stages:
        for jit in (False, True):
            generator = build_generator()
            if stage == "srresnet":
                model = SRGAN(generator)
            else:
                model = SRGAN(generator, build_discriminator(args.crop_size),
                              build_vgg_feature_extractor(weights=None))
            model.compile(jit_compile=jit)
            seconds = seconds_per_step(model, args.batch_size, args.crop_size, 4, args.steps)
            gflops = step_flops(model, args.batch_size, args.crop_size, 4) / seconds / 1e9
            print(f"{stage:<9} {str(jit):>5} {seconds:>8.2f} {1 / seconds:>8.3f} "
                  f"{gflops:>8.1f} {gflops / ceiling:>8.2f}")


if __name__ == "__main__":
    main()
