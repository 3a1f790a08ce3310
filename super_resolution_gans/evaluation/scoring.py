"""Evaluation with the paper's protocol (the command line is `super_resolution_gans.evaluate`).

For every HR photo in a folder: crop it to a multiple of the scale, make the LR image by
antialiased bicubic downscaling (`bicubic_downscale`, as in training) or read it from a paired LR
folder, super-resolve it, and measure PSNR and SSIM on the Y channel (ITU-R BT.601) with `scale`
pixels removed at every border (Ledig et al.'s protocol), next to bicubic upscaling of the same
LR image. `degrade` makes the LR image harder the way photos from the web are (seeded colour
noise, JPEG at a given quality, in the given order: ``"jpeg:60"``, ``"noise:5,jpeg:75"``).
Next to PSNR/SSIM, `detail_ratio` reports how much fine detail (power above the LR Nyquist
frequency) the SR image has relative to the original, 1.0 being as much. Results go to a table
on stdout and optionally to JSON and CSV; comparison strips (bicubic | ours | original) can be
written for chosen images. A file that cannot be read (or whose LR pair is missing or of the
wrong size, or that is too small for the protocol) does not stop the others: it is listed in
the report's `failures` with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from ..data import bicubic_downscale, bicubic_upscale
from ..data.fixed_degradation import apply_fixed_degradation, parse_fixed_degradation
from ..inference import Upscaler
from ..io.decode import read_image
from ..io.files import IMAGE_EXTENSIONS, list_images
from ..io.pixels import to_model_input
from ..io.write import write_image
from .metrics import detail_ratio, psnr_y, ssim_y
from .report import EvaluationReport, ImageFailure, ImageScore

# What reading and checking one image pair raises for a bad file (unreadable, missing, wrong
# size); anything else is a bug or a broken model and stops the evaluation.
_FILE_ERRORS = (ValueError, OSError)
_SSIM_WINDOW = 11  # pixels left after the border crop, at least (see `ssim_y`)


def evaluate(
    model: keras.Model | str | os.PathLike | None,
    hr_dir: str | os.PathLike,
    *,
    lr_dir: str | os.PathLike | None = None,
    tile_size: int | None = None,
    comparison_dir: str | os.PathLike | None = None,
    compare: tuple[str, ...] = (),
    progress: bool = True,
    runtime: str = "auto",
    degrade: str | None = None,
) -> EvaluationReport:
    """Scores a generator against bicubic upscaling on a folder of HR photos.

    Args:
        model: a generator, a model path / URL / registered name, or None for the shipped one.
        hr_dir: folder of HR photos.
        lr_dir: optional folder of LR photos with the same file names (else bicubic x1/scale).
        tile_size: see `upscale_rgb` (the scores do not depend on it).
        comparison_dir: where to write comparison strips (bicubic | ours | original).
        compare: file names to write strips for; empty means all when `comparison_dir` is set.
        progress: show a progress bar.
        runtime: the inference runtime (see `inference.runtimes`).
        degrade: degradation of every LR image before it is super-resolved: ``"noise:SIGMA"``
            (colour Gaussian noise on the 0-255 scale, seeded per image),
            ``"jpeg:QUALITY"``, or several in order separated by commas (``"noise:5,jpeg:75"``).

    Returns:
        An `EvaluationReport` of the images that could be scored, and in `failures` the files
        that could not (name and reason); `report.summary()["psnr_gain"]` is the gain over
        bicubic in dB.

    Raises:
        FileNotFoundError: `hr_dir` or `lr_dir` is not a folder (checked before the model
            is loaded).
        ValueError: no image files in `hr_dir`, a bad `degrade` spec or option.

    Example:
    >>> report = evaluate("generator.keras", "val_photos/")  # doctest: +SKIP
    >>> print(report.table())  # doctest: +SKIP
    """
    for name, folder in (("hr_dir", hr_dir), ("lr_dir", lr_dir)):
        if folder is not None and not Path(folder).is_dir():
            raise FileNotFoundError(f"{name} {os.fspath(folder)!r}: no such folder")
    files = list_images(hr_dir)
    if not files:
        raise ValueError(f"{hr_dir}: no image files ({', '.join(IMAGE_EXTENSIONS)})")
    steps = parse_fixed_degradation(degrade) if degrade else ()
    upscaler = Upscaler(model, tile_size=tile_size, runtime=runtime)
    scale = upscaler.scale
    if comparison_dir is not None:
        Path(comparison_dir).mkdir(parents=True, exist_ok=True)
    scores, failures = [], []
    for index, path in enumerate(
        tqdm(files, desc="evaluating", unit="image", disable=not progress)
    ):
        try:
            hr, lr = _read_pair(path, lr_dir, scale)
        except _FILE_ERRORS as err:
            failures.append(ImageFailure(name=path.name, reason=" ".join(str(err).split())))
            continue
        if steps:
            lr = apply_fixed_degradation(lr, steps, seed=(0, index)).numpy()
        sr = upscaler.upscale_rgb(lr)
        sr = np.clip(np.round(sr), 0, 255)
        bicubic = bicubic_upscale(lr[None], hr.shape[:2]).numpy()[0]
        hr_batch = hr[None]
        scores.append(ImageScore(
            name=path.name,
            height=hr.shape[0],
            width=hr.shape[1],
            psnr=float(psnr_y(hr_batch, sr[None], border=scale)[0]),
            ssim=float(ssim_y(hr_batch, sr[None], border=scale)[0]),
            detail=float(detail_ratio(hr_batch, sr[None], scale=scale, border=scale)[0]),
            bicubic_psnr=float(psnr_y(hr_batch, bicubic[None], border=scale)[0]),
            bicubic_ssim=float(ssim_y(hr_batch, bicubic[None], border=scale)[0]),
            bicubic_detail=float(
                detail_ratio(hr_batch, bicubic[None], scale=scale, border=scale)[0]
            ),
        ))
        if comparison_dir is not None and (not compare or path.name in compare):
            strip = np.concatenate([bicubic, sr, hr], axis=1).astype(np.uint8)
            write_image(strip, Path(comparison_dir) / f"{path.stem}_bicubic_ours_hr.png")
    return EvaluationReport(scale=scale, border=scale, images=scores, degrade=degrade or None,
                            failures=failures)


def _read_pair(
    path: Path, lr_dir: str | os.PathLike | None, scale: int
) -> tuple[np.ndarray, np.ndarray]:
    """The HR image cropped to a multiple of `scale` and its LR image (read or made)."""
    hr = _read_rgb(path)
    hr = hr[: hr.shape[0] // scale * scale, : hr.shape[1] // scale * scale]
    smallest = 2 * scale + _SSIM_WINDOW
    if min(hr.shape[:2]) < smallest:
        raise ValueError(f"'{path}' is {hr.shape[1]}x{hr.shape[0]} once cropped to a multiple "
                         f"of {scale}; the protocol needs at least {smallest}x{smallest}")
    if lr_dir is None:
        return hr, bicubic_downscale(tf.constant(hr[None]), scale).numpy()[0]
    lr_path = Path(lr_dir) / path.name
    lr = _read_rgb(lr_path)
    if lr.shape[0] * scale != hr.shape[0] or lr.shape[1] * scale != hr.shape[1]:
        raise ValueError(
            f"{lr_path}: LR size {lr.shape[1]}x{lr.shape[0]} is not the HR size "
            f"{hr.shape[1]}x{hr.shape[0]} divided by {scale}"
        )
    return hr, lr


def _read_rgb(path: Path) -> np.ndarray:
    """An image as float32 RGB in [0, 255] (16-bit scaled, alpha dropped, gray replicated)."""
    rgb, _info = to_model_input(read_image(path))
    return rgb
