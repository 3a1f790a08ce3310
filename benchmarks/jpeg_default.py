"""The default model on JPEG and PNG inputs: what `SRGAN_predict(path)` with no model gives.

    python benchmarks/jpeg_default.py [--quality 60 85] [--size 256]

On the held-out scikit-image photos of MODEL_CARD.md (centre crops of --size HR pixels, LR by
antialiased bicubic downscaling x4), each LR image is saved as a JPEG at each --quality and as a
PNG, then super-resolved from the file with no model named (the library picks `realsr_x4` for
JPEG files, `srresnet_x4` otherwise) and with `srresnet_x4` named (the default before JPEG
inputs were told apart). Prints PSNR-Y (4-pixel border, the paper's protocol) against the HR
crop, and checks that PNG inputs give the same image as before.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from super_resolution_gans.data import bicubic_downscale
from super_resolution_gans.evaluation import psnr_y
from super_resolution_gans.models.presets import DEFAULT_MODEL
from super_resolution_gans.srgan_utils import SRGAN_predict

PHOTOS = ("astronaut", "chelsea", "coffee", "hubble_deep_field", "immunohistochemistry",
          "retina", "rocket")


def held_out_crops(size: int) -> dict[str, np.ndarray]:
    """Centre crops of the 7 held-out scikit-image photos (uint8 RGB, `size` x `size`)."""
    import skimage.data

    crops = {}
    for name in PHOTOS:
        image = getattr(skimage.data, name)()
        top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
        crops[name] = image[top : top + size, left : left + size, :3]
    return crops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quality", type=int, nargs="+", default=[60, 85],
                        help="JPEG qualities of the LR files (default: 60 85)")
    parser.add_argument("--size", type=int, default=256, help="HR crop side (default: 256)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, hr in held_out_crops(args.size).items():
            lr = bicubic_downscale(tf.constant(hr[None], tf.float32), 4).numpy()[0]
            lr = np.clip(np.round(lr), 0, 255).astype(np.uint8)
            png = Path(folder) / f"{name}.png"
            Image.fromarray(lr).save(png)
            _, before = SRGAN_predict(png, DEFAULT_MODEL)
            _, now = SRGAN_predict(png)
            assert np.array_equal(before, now), f"{name}: PNG output changed"
            for quality in args.quality:
                jpeg = Path(folder) / f"{name}_q{quality}.jpg"
                Image.fromarray(lr).save(jpeg, quality=quality)
                _, before = SRGAN_predict(jpeg, DEFAULT_MODEL)
                _, now = SRGAN_predict(jpeg)
                scores = [float(psnr_y(hr[None].astype(np.float32),
                                       sr[None].astype(np.float32), border=4)[0])
                          for sr in (before, now)]
                rows.append((name, quality, *scores))
    print("PNG inputs: the default gives the same image as before on every photo.")
    print("| photo | JPEG quality | srresnet_x4 (before) | default now (realsr_x4) | gain |")
    print("|---|---|---|---|---|")
    for name, quality, before, now in rows:
        print(f"| {name} | {quality} | {before:.2f} | {now:.2f} | {now - before:+.2f} |")
    for quality in args.quality:
        gains = [now - before for _, q, before, now in rows if q == quality]
        print(f"| **mean** | {quality} | | | **{np.mean(gains):+.2f}** |")


if __name__ == "__main__":
    main()
