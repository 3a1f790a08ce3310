"""A side-by-side strip: bicubic | each model | original, on a crop of a held-out photo.

    python examples/comparison_strip.py --hr photo.png --models srresnet_x4 srgan_mse_x4 \
        --crop 96 64 128 --output strip.png [--degrade jpeg:60]

The HR crop (``--crop TOP LEFT SIZE``, in HR pixels, a multiple of 4) is downscaled with the
library's bicubic (then optionally degraded as in ``evaluate --degrade``), super-resolved by each
model (a file, URL or registered name), and the panels are written next to each other, each
labelled with its PSNR-Y and detail ratio.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw

from super_resolution_gans import bicubic_downscale, load_generator, upscale_rgb
from super_resolution_gans.data.fixed_degradation import (
    apply_fixed_degradation,
    parse_fixed_degradation,
)
from super_resolution_gans.evaluation.metrics import detail_ratio, psnr_y
from super_resolution_gans.io.atomic import atomic_path


def panels(hr: np.ndarray, models: list[str], degrade: str | None) -> list[tuple[str, np.ndarray]]:
    """(label, image) for bicubic, each model and the original."""
    lr = bicubic_downscale(tf.constant(hr[None]), 4)[0]
    if degrade:
        lr = apply_fixed_degradation(lr, parse_fixed_degradation(degrade))
    lr = lr.numpy()
    results = [("bicubic", tf.image.resize(lr[None], hr.shape[:2], "bicubic")[0].numpy())]
    # A file is labelled with its name without folder and suffix, e.g. srgan_mse_x4.
    results += [(Path(name).stem, upscale_rgb(load_generator(name), lr)) for name in models]
    labelled = []
    for name, image in results:
        image = np.clip(np.round(image), 0, 255)
        psnr = float(psnr_y(hr[None], image[None], border=4)[0])
        detail = float(detail_ratio(hr[None], image[None], scale=4, border=4)[0])
        labelled.append((f"{name}  {psnr:.2f} dB  detail {detail:.2f}", image))
    return [*labelled, ("original", hr)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hr", required=True, help="the original photo")
    parser.add_argument("--models", nargs="+", required=True, help="files or registered names")
    parser.add_argument("--crop", nargs=3, type=int, metavar=("TOP", "LEFT", "SIZE"),
                        required=True, help="HR crop; SIZE a multiple of 4")
    parser.add_argument("--degrade", help="as evaluate --degrade, e.g. jpeg:60")
    parser.add_argument("--zoom", type=int, default=2, help="nearest-neighbour zoom of panels")
    parser.add_argument("--output", required=True, help="PNG to write")
    args = parser.parse_args()
    top, left, size = args.crop
    with Image.open(args.hr) as photo:
        hr = np.asarray(photo.convert("RGB"), np.float32)[top : top + size, left : left + size]
    tiles = []
    for label, image in panels(hr, args.models, args.degrade):
        tile = Image.fromarray(image.astype(np.uint8)).resize(
            (size * args.zoom, size * args.zoom), Image.NEAREST
        )
        canvas = Image.new("RGB", (tile.width, tile.height + 18), "white")
        canvas.paste(tile, (0, 18))
        ImageDraw.Draw(canvas).text((4, 3), label, fill="black")
        tiles.append(canvas)
    strip = Image.new("RGB", (sum(t.width for t in tiles) + 4 * (len(tiles) - 1), tiles[0].height),
                      "white")
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + 4
    with atomic_path(args.output) as temporary:
        strip.save(temporary, format="PNG")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
