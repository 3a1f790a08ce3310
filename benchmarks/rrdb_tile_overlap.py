"""The tile overlap RRDBNet needs in practice: tiled against whole-image output on real photos.

    python benchmarks/rrdb_tile_overlap.py [--model realesrgan_x4plus] [--photos DIR]
        [--lr-size 160] [--overlaps 8 10 16 24 32 40 48 56 64 72] [--tile-size T]

RRDBNet's receptive radius (~349 LR pixels for 23 blocks) is far larger than the context its
trained weights actually use, so its default `tile_overlap` comes from this measurement: for
each photo, a centre crop is downscaled with PIL's bicubic filter to an --lr-size square LR
image (by 4 where the photo is large enough, by less where it is not: the factor is printed),
super-resolved once whole (`tile_size=0`) and then tiled with each overlap (`tile_overlap`, one
network pass per tile, TensorFlow runtime). By default each overlap gets the largest tile size
that still cuts the image in two each way: one seam across the middle in each direction, where
pixels see exactly `overlap` pixels of context across the seam (and across both seams at the
centre, like a tile's corner); it is the cheapest layout that measures an overlap, and the
only one that fits overlaps near half the image. Both outputs are rounded and clipped to 8 bits
as saved images are, and a markdown table gives, per overlap, the largest difference in grey
levels (with the share of pixels that differ) on each photo and over all of them, and the
largest difference of the float outputs before rounding. It then names the smallest overlap
(from which on all measured ones do) whose largest 8-bit difference is at most one grey level,
whose float outputs stay within half a level, and that reproduces every 8-bit pixel. Overlap 10 is
Real-ESRGAN's own default (hard-cut tiles with tile_pad=10 see the same context).

Needs the real trained weights, not random ones: `--model realesrgan_x4plus` downloads
RealESRGAN_x4plus.pth once (then cached), or give a local `.pth` / `.safetensors` in BasicSR's
key layout. The default photos are scikit-image's (`pip install scikit-image`). A whole pass
costs ~36 MFLOP per LR pixel and the tiled runs of the default overlaps ~22 whole passes, so
expect three to five minutes per photo on two CPU cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

from super_resolution_gans.inference import Upscaler
from super_resolution_gans.io.model_io import load_generator

SCALE = 4
REAL_ESRGAN_TILE_PAD = 10
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def skimage_photos() -> dict[str, np.ndarray]:
    """scikit-image's sample photos of everyday scenes, by name (RGB uint8)."""
    import skimage.data

    return {name: getattr(skimage.data, name)() for name in SKIMAGE_PHOTOS}


def folder_photos(folder: Path) -> dict[str, np.ndarray]:
    """Every image PIL opens in `folder`, by file name, as RGB uint8."""
    photos = {}
    for path in sorted(folder.iterdir()):
        try:
            with Image.open(path) as image:
                photos[path.name] = np.asarray(image.convert("RGB"))
        except OSError:
            continue
    if not photos:
        raise SystemExit(f"no images in {folder}")
    return photos


def lr_image(photo: np.ndarray, lr_size: int) -> tuple[np.ndarray, float]:
    """The centre crop of `photo` (of side SCALE * lr_size, or the photo's shorter side when
    that is smaller) downscaled with PIL's bicubic filter to lr_size x lr_size, as float32 RGB,
    and the downscaling factor."""
    height, width = photo.shape[:2]
    side = min(SCALE * lr_size, height, width)
    if side < lr_size:
        raise SystemExit(f"photo of {width}x{height} is smaller than --lr-size {lr_size}")
    top, left = (height - side) // 2, (width - side) // 2
    crop = Image.fromarray(photo[top:top + side, left:left + side])
    lr = crop.resize((lr_size, lr_size), Image.Resampling.BICUBIC)
    return np.asarray(lr, dtype=np.float32), side / lr_size


def to_8bit(rgb: np.ndarray) -> np.ndarray:
    """The output as a saved 8-bit image holds it (as float, for differences)."""
    return np.clip(np.round(rgb), 0, 255)


def smallest(overlaps: list[int], passes: dict[int, bool]) -> str:
    """The smallest overlap from which on every measured overlap passes, or a note that the
    largest fails."""
    good = None
    for overlap in sorted(overlaps, reverse=True):
        if not passes[overlap]:
            break
        good = overlap
    return str(good) if good is not None else f"none up to {max(overlaps)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="realesrgan_x4plus",
                        help="registered name or .pth / .safetensors file of trained RRDBNet "
                             "weights (default realesrgan_x4plus)")
    parser.add_argument("--photos", type=Path,
                        help="folder of photos (default: scikit-image's sample photos)")
    parser.add_argument("--lr-size", type=int, default=160,
                        help="side of the square LR image in pixels (default 160)")
    parser.add_argument("--overlaps", type=int, nargs="+",
                        default=[8, 10, 16, 24, 32, 40, 48, 56, 64, 72],
                        help="tile overlaps to measure, in LR pixels (default 8 10 16 24 32 40 "
                             "48 56 64 72; 10 is Real-ESRGAN's tile_pad)")
    parser.add_argument("--tile-size", type=int,
                        help="LR tile side in pixels for every overlap (default: per overlap, "
                             "--lr-size - 2 x overlap - 1, two tiles each way)")
    args = parser.parse_args()
    overlaps = sorted(set(args.overlaps))
    widest = (args.tile_size or 1) + 2 * max(overlaps)
    if args.lr_size <= widest or min(overlaps) < 0:
        parser.error(f"overlaps must be >= 0 and --lr-size must exceed {widest} (the tile size "
                     "plus twice the largest overlap), or a tile's window covers the whole "
                     "image and measures nothing")

    start = time.perf_counter()
    generator = load_generator(args.model)
    photos = folder_photos(args.photos) if args.photos else skimage_photos()
    print(f"model {args.model}: {type(generator).__name__}, default tile_overlap "
          f"{getattr(generator, 'tile_overlap', 'n/a')}; LR {args.lr_size}x{args.lr_size}, "
          f"tiles of {args.tile_size or 'lr-size - 2 x overlap - 1'}")

    # per overlap, per photo: (largest 8-bit difference, share of pixels that differ, largest
    # float difference)
    results: dict[int, dict[str, tuple[float, float, float]]] = {n: {} for n in overlaps}
    whole = Upscaler(generator, tile_size=0, runtime="tensorflow")
    for name, photo in photos.items():
        lr, factor = lr_image(photo, args.lr_size)
        photo_start = time.perf_counter()
        reference = whole.upscale_rgb(lr)
        for overlap in overlaps:
            tile_size = args.tile_size or args.lr_size - 2 * overlap - 1
            tiled = Upscaler(generator, tile_size=tile_size, tile_overlap=overlap,
                             runtime="tensorflow").upscale_rgb(lr)
            difference = np.abs(to_8bit(tiled) - to_8bit(reference))
            differing = float((difference.max(axis=-1) > 0).mean())
            results[overlap][name] = (float(difference.max()), differing,
                                      float(np.abs(tiled - reference).max()))
        print(f"{name}: downscaled by {factor:.2f}, {time.perf_counter() - photo_start:.0f} s")

    names = list(photos)
    print()
    print("| overlap | " + " | ".join(f"{name} max (differing)" for name in names)
          + " | all: max | all: differing | float max |")
    print("|---:|" + "---:|" * (len(names) + 3))
    for overlap in overlaps:
        rows = results[overlap]
        cells = [f"{rows[n][0]:.0f} ({100 * rows[n][1]:.3f}%)" for n in names]
        differing = np.mean([rows[n][1] for n in names])
        label = f"{overlap} (Real-ESRGAN)" if overlap == REAL_ESRGAN_TILE_PAD else str(overlap)
        print(f"| {label} | " + " | ".join(cells)
              + f" | {max(r[0] for r in rows.values()):.0f} | {100 * differing:.3f}%"
              f" | {max(r[2] for r in rows.values()):.3f} |")
    print()
    within = {n: max(r[0] for r in results[n].values()) <= 1 for n in overlaps}
    float_half = {n: max(r[2] for r in results[n].values()) <= 0.5 for n in overlaps}
    exact = {n: max(r[0] for r in results[n].values()) == 0 for n in overlaps}
    print(f"smallest overlap within 1 grey level (8-bit): {smallest(overlaps, within)}")
    print(f"smallest overlap within 0.5 (float outputs): {smallest(overlaps, float_half)}")
    print(f"smallest overlap with every 8-bit pixel equal: {smallest(overlaps, exact)}")
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
