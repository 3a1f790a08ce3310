"""Images per second of batch super-resolution: Ray Data with 1 and 2 workers vs. the infer CLI,
next to the network's own time.

Generates a folder of photo-like LR images (smooth gradients, shapes and noise), then in the
same run super-resolves it with `python -m super_resolution_gans.infer --input-path folder` and
with `upscale_dataset` (local Ray, 1 and 2 workers), each into a fresh output folder. Times are
wall-clock, start-up (Python, TensorFlow, Ray, model loading) included, as a user sees them. The
"network" row is the generator alone on the same decoded images in this process, after a
warm-up (the shipped default, its fast path on the default runtime, no file I/O).

Each path also runs on a folder of the first fifth of the images, so the difference of the two
runs gives its time per image with the start-up cancelled out. Columns: "of the network" is the
network's time divided by the path's over the whole folder (start-up included); "per image" is
the same ratio per extra image (the steady state a long queue of images runs at); "start-up" is
what is left of the small run once its images are paid for.

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
    if args.images < 10:
        parser.error("--images must be at least 10 (a fifth of them is the small folder)")
    small = args.images // 5
    rng = np.random.default_rng(0)
    paths = {
        "cli": time_cli,
        "ray_1": lambda folder, output: time_ray(folder, output, 1, args.cpus),
        "ray_2": lambda folder, output: time_ray(folder, output, 2, args.cpus),
    }
    with tempfile.TemporaryDirectory() as scratch:
        folders = {count: Path(scratch) / f"photos_{count}" for count in (args.images, small)}
        for folder in folders.values():
            folder.mkdir()
        for index in range(args.images):
            image = photo_like(rng, args.size)
            image.save(folders[args.images] / f"photo_{index:04d}.png")
            if index < small:
                image.save(folders[small] / f"photo_{index:04d}.png")
        network = time_network(folders[args.images])
        seconds = {
            (name, count): run(folder, Path(scratch) / f"{name}_{count}")
            for name, run in paths.items() for count, folder in folders.items()
        }
    network_per_image = network / args.images
    print(f"network {network:7.1f} s  {args.images / network:6.2f} images/s")
    for name in paths:
        whole, part = seconds[name, args.images], seconds[name, small]
        per_image = (whole - part) / (args.images - small)
        print(f"{name:7s} {whole:7.1f} s  {args.images / whole:6.2f} images/s  "
              f"{network / whole:.2f} of the network  "
              f"{network_per_image / per_image:.2f} per image  "
              f"start-up {part - small * per_image:5.1f} s")
    print(json.dumps({"images": args.images, "small": small, "size": args.size,
                      "network": network,
                      "seconds": {f"{name}_{count}": value
                                  for (name, count), value in seconds.items()}}))


if __name__ == "__main__":
    main()
