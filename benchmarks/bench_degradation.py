"""Speed of the training pipeline with and without the real-world degradation.

    python benchmarks/bench_degradation.py [--images 12] [--batches 40] [--batch-size 16]

Writes photo-like JPEGs (1024x768, smooth gradients plus texture) into a temporary folder,
then times `make_dataset` batches (96x96 HR crops, x4) for the clean bicubic pipeline and each
degradation preset, in turns, after a warm-up. Prints crops per second and each preset's speed
as a ratio of the clean pipeline's measured in the same run. The SRResNet training step on 2
CPU cores takes about 1.4 s for 16 crops (BENCHMARKS.md), about 11 crops/s: a pipeline above
that does not slow training down, as tf.data prepares batches while the step runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from super_resolution_gans import make_dataset
from super_resolution_gans.data import DEGRADATION_PRESETS


def write_photos(folder: Path, count: int) -> None:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:768, 0:1024]
    for index in range(count):
        base = 128 + 90 * np.sin(x / (30 + index) + index)[..., None] * np.cos(y / 40.0)[..., None]
        texture = rng.normal(0, 18, (768, 1024, 3))
        image = np.clip(base + texture, 0, 255).astype(np.uint8)
        Image.fromarray(image).save(folder / f"photo{index}.jpg", quality=92)


def crops_per_second(folder: Path, degradation: str | None, batches: int, batch_size: int) -> float:
    dataset = make_dataset(folder, batch_size=batch_size, seed=0, degradation=degradation)
    iterator = iter(dataset)
    for _ in range(5):  # warm-up: tracing, the first decodes, the shuffle buffer
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="turns over the pipelines")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_photos(folder, args.images)
        names = [None, *sorted(DEGRADATION_PRESETS)]
        speeds: dict[str | None, list[float]] = {name: [] for name in names}
        for _ in range(args.rounds):
            for name in names:
                speeds[name].append(
                    crops_per_second(folder, name, args.batches, args.batch_size)
                )
    clean = max(speeds[None])
    print(f"{'pipeline':<12} {'crops/s (best of ' + str(args.rounds) + ')':>22} {'vs clean':>9}")
    for name in names:
        best = max(speeds[name])
        print(f"{name or 'clean':<12} {best:>22.1f} {best / clean:>9.2f}")


if __name__ == "__main__":
    main()
