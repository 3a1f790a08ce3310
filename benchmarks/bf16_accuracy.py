"""How far OpenVINO's bfloat16 inference is from float32 with the shipped weights.

    python benchmarks/bf16_accuracy.py

Needs OpenVINO and scikit-image (both in the `test` extra). For each scikit-image photo used to
evaluate the shipped weights (MODEL_CARD.md), makes the LR image by bicubic downscaling,
super-resolves it with the shipped SRResNet x4 in float32 and in bfloat16, and prints the
largest and mean difference of the 8-bit outputs in grey levels, the share of pixels more than
one level apart, and PSNR-Y against the original photo for both precisions.
"""

from __future__ import annotations

import numpy as np
import skimage.data

from super_resolution_gans import bicubic_downscale, load_generator, psnr_y
from super_resolution_gans.inference import upscale_rgb

PHOTOS = ("astronaut", "chelsea", "coffee", "hubble_deep_field", "immunohistochemistry",
          "retina", "rocket")
SCALE = 4


def main() -> None:
    generator = load_generator()
    print(f"{'photo':<22} {'LR size':>9} {'max':>4} {'mean':>6} {'>1 level':>9} "
          f"{'PSNR-Y f32':>11} {'PSNR-Y bf16':>12}")
    for name in PHOTOS:
        hr = getattr(skimage.data, name)().astype(np.float32)
        hr = hr[: hr.shape[0] // SCALE * SCALE, : hr.shape[1] // SCALE * SCALE]
        lr = bicubic_downscale(hr[None], SCALE)[0].numpy()
        outputs = {
            precision: np.clip(np.round(upscale_rgb(
                generator, lr, runtime="openvino", precision=precision)), 0, 255)
            for precision in ("float32", "bfloat16")
        }
        difference = np.abs(outputs["float32"] - outputs["bfloat16"])
        psnr = {p: float(psnr_y(hr, output, border=SCALE)) for p, output in outputs.items()}
        print(f"{name:<22} {lr.shape[1]:>4}x{lr.shape[0]:<4} {difference.max():>4.0f} "
              f"{difference.mean():>6.3f} {100 * (difference > 1).mean():>8.3f}% "
              f"{psnr['float32']:>11.3f} {psnr['bfloat16']:>12.3f}")


if __name__ == "__main__":
    main()
