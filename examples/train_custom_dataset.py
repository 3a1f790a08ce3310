"""Train a 4x SRGAN on your own folder of photos with `model.fit`, in the paper's two stages.

1. SRResNet stage: the generator alone, pixel MSE (Ledig et al.: 1e6 steps at lr 1e-4).
2. SRGAN stage: started from the SRResNet generator, VGG54 content loss + 1e-3 adversarial loss
   against the discriminator (1e5 steps at 1e-4, then 1e5 at 1e-5).

The defaults are the paper's settings (they take days on a GPU). A quick smoke test on a CPU:

    python examples/train_custom_dataset.py --data my_photos --output my_run \\
        --steps 20 --num-blocks 2 --filters 16 --disc-filters 8 --crop-size 32 \\
        --batch-size 4 --vgg-weights none

Both generators are written to OUTPUT (`srresnet.keras`, `srgan.keras`); use them with
`super_resolution_gans.srgan_utils.SRGAN_predict(image, "my_run/srgan.keras")` or
`python -m super_resolution_gans.infer --modelPath my_run/srgan.keras ...`. For long runs that
must survive interruptions, use the training CLI (`python -m super_resolution_gans.train`),
which checkpoints and resumes; this script shows the Python API.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import keras

from super_resolution_gans import (
    SRGAN,
    VGG54,
    build_discriminator,
    build_generator,
    build_vgg_feature_extractor,
    make_dataset,
    paper_adam,
    save_generator,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--data", required=True, type=Path, help="folder of high-resolution training photos")
    add("--val-data", type=Path, help="optional folder of HR photos to report PSNR/SSIM on")
    add("--output", type=Path, default=Path("srgan_run"), help="folder for the generators")
    add("--srresnet-steps", type=int, default=1_000_000, help="SRResNet stage steps (paper: 1e6)")
    add("--srgan-steps", type=int, default=200_000,
        help="SRGAN stage steps (paper: 2e5; the learning rate drops 10x halfway)")
    add("--steps", type=int, help="shortcut: run both stages for this many steps")
    add("--steps-per-epoch", type=int, default=1000, help="steps between progress reports")
    add("--batch-size", type=int, default=16, help="HR crops per batch (paper: 16)")
    add("--crop-size", type=int, default=96,
        help="HR crop size (paper: 96); a multiple of 16 (the discriminator's stride)")
    add("--num-blocks", type=int, default=16, help="generator residual blocks (paper: 16)")
    add("--filters", type=int, default=64, help="generator filters (paper: 64)")
    add("--disc-filters", type=int, default=64, help="discriminator's first filters (paper: 64)")
    add("--learning-rate", type=float, default=1e-4, help="Adam learning rate (paper: 1e-4)")
    add("--vgg-weights", default="imagenet", metavar="{imagenet,none,PATH}",
        help="VGG19 weights of the content loss: imagenet (downloaded once), none (random; "
             "smoke tests only) or a local copy of the no-top ImageNet weights file")
    add("--vgg-layer", default=VGG54, help="VGG19 layer of the content loss (paper: block5_conv4)")
    add("--seed", type=int, help="seed of the data pipeline")
    return parser


def fit_for(model: SRGAN, dataset, steps: int, steps_per_epoch: int, validation=None):
    """`model.fit` for `steps` steps, reported every `steps_per_epoch` steps (rounded up)."""
    per_epoch = min(steps_per_epoch, steps)
    return model.fit(dataset, steps_per_epoch=per_epoch, epochs=math.ceil(steps / per_epoch),
                     validation_data=validation, verbose=2, shuffle=False)


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.steps is not None:
        args.srresnet_steps = args.srgan_steps = args.steps
    if args.crop_size % 16:
        parser.error(f"--crop-size must be a multiple of 16, got {args.crop_size}")
    if min(args.srresnet_steps, args.srgan_steps, args.steps_per_epoch) < 1:
        parser.error("step counts must be positive")
    if not args.data.is_dir():
        parser.error(f"--data {args.data}: no such folder")
    args.output.mkdir(parents=True, exist_ok=True)
    vgg_weights = None if args.vgg_weights.lower() == "none" else args.vgg_weights

    # Random HR crops and their bicubic 4x reductions, as (lr, hr) in [0, 255].
    train = make_dataset(args.data, crop_size=args.crop_size, batch_size=args.batch_size,
                         seed=args.seed)
    validation = None
    if args.val_data is not None:  # whole images, one at a time
        validation = make_dataset(args.val_data, crop_size=None, batch_size=1, training=False)

    generator = build_generator(num_blocks=args.num_blocks, filters=args.filters)

    # Stage 1: SRResNet, the generator alone with pixel MSE.
    srresnet = SRGAN(generator)
    srresnet.compile(g_optimizer=paper_adam(args.learning_rate))
    fit_for(srresnet, train, args.srresnet_steps, args.steps_per_epoch, validation)
    path = save_generator(generator, args.output / "srresnet.keras",
                          {"stage": "srresnet", "steps": args.srresnet_steps})
    print(f"wrote {path}")

    # Stage 2: SRGAN, the same generator against a discriminator, with the VGG content loss.
    # Learning rate 1e-4 for the first half, 1e-5 for the second (the paper's schedule).
    def schedule():
        return keras.optimizers.schedules.PiecewiseConstantDecay(
            [args.srgan_steps // 2], [args.learning_rate, args.learning_rate / 10]
        )

    srgan = SRGAN(
        generator,
        build_discriminator(hr_size=args.crop_size, filters=args.disc_filters),
        build_vgg_feature_extractor(args.vgg_layer, weights=vgg_weights),
    )
    srgan.compile(g_optimizer=paper_adam(schedule()), d_optimizer=paper_adam(schedule()))
    fit_for(srgan, train, args.srgan_steps, args.steps_per_epoch, validation)
    path = save_generator(generator, args.output / "srgan.keras",
                          {"stage": "srgan", "steps": args.srgan_steps,
                           "vgg": f"{args.vgg_layer} ({args.vgg_weights})"})
    print(f"wrote {path}")

    if validation is not None:
        scores = srgan.evaluate(validation, verbose=0, return_dict=True)
        print(f"validation: PSNR {scores['psnr']:.2f} dB, SSIM {scores['ssim']:.4f} "
              "(Y channel, border 4)")


if __name__ == "__main__":
    main()
