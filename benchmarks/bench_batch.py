"""Images per second of batch super-resolution: Ray Data with 1 and 2 workers vs. the infer CLI,
next to the network's own time.

Generates a folder of photo-like LR images (smooth gradients, shapes and noise), then in the
same run super-resolves it with `python -m super_resolution_gans.infer --input-path folder` and
with `upscale_dataset` (local Ray, 1 and 2 workers), each into a fresh output folder, and prints
images per second and the ratios to the CLI. Times are wall-clock, start-up (Python, TensorFlow,
Ray, model loading) included, as a user sees them. The "network" row is the generator alone on
the same decoded images in this process, after a warm-up (the shipped default, its fast path on
the default runtime, no file I/O): each row's "of the network" column is the network's time
divided by the row's, the share of the time spent super-resolving.

    python benchmarks/bench_batch.py --images 200 --size 96
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def photo_like(rng: np.random.Generator, size: int) -> Image.Image:
    """A smooth gradient with a few blurred shapes and sensor-like noise."""
    y, x = np.mgrid[0:size, 0:size] / size
    base = np.stack([c0 + c1 * x + c2 * y for c0, c1, c2 in rng.uniform(0, 120, (3, 3))], -1)
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x0, y0 = rng.integers(0, size, 2)
        radius = int(rng.integers(size // 10, size // 3))
        draw.ellipse((x0 - radius, y0 - radius, x0 + radius, y0 + radius),
                     fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    noisy = np.asarray(image, np.float32) + rng.normal(0, 4, (size, size, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def time_cli(folder: Path, output: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "super_resolution_gans.infer", "--input-path", str(folder),
         "--output-path", str(output), "--quiet"],
        check=True,
    )
    return time.perf_counter() - start


def time_network(folder: Path) -> float:
    """Seconds the default generator's fast path takes over every image of `folder`, decoded
    beforehand, after one warm-up call."""
    from super_resolution_gans.inference import Upscaler
    from super_resolution_gans.io import read_image

    upscaler = Upscaler()
    images = [read_image(path) for path in sorted(folder.iterdir())]
    upscaler.upscale(images[0])
    start = time.perf_counter()
    for image in images:
        upscaler.upscale(image)
    return time.perf_counter() - start


def time_ray(folder: Path, output: Path, workers: int, cpus: int) -> float:
    from super_resolution_gans.batch import upscale_dataset

    start = time.perf_counter()
    report = upscale_dataset(folder, output, num_workers=workers, num_cpus=cpus)
    seconds = time.perf_counter() - start
    if report.count("ok") != len(report.rows):
        raise RuntimeError(f"{len(report.failed)} images failed: {report.failed[:3]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200, help="images in the folder")
    parser.add_argument("--size", type=int, default=64, help="LR side in pixels")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs given to the local Ray")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "photos"
        folder.mkdir()
        for index in range(args.images):
            photo_like(rng, args.size).save(folder / f"photo_{index:04d}.png")
        results = {"network": time_network(folder),
                   "cli": time_cli(folder, Path(scratch) / "cli")}
        for workers in (1, 2):
            results[f"ray_{workers}"] = time_ray(
                folder, Path(scratch) / f"ray_{workers}", workers, args.cpus
            )
    rates = {name: args.images / seconds for name, seconds in results.items()}
    for name, seconds in results.items():
        print(f"{name:7s} {seconds:7.1f} s  {rates[name]:6.2f} images/s  "
              f"{rates[name] / rates['cli']:.2f}x the CLI  "
              f"{results['network'] / seconds:.2f} of the network")
    print(json.dumps({"images": args.images, "size": args.size, "seconds": results}))


if __name__ == "__main__":
    main()
