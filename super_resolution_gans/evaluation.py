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
written for chosen images.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from .data import bicubic_downscale
from .image_io import IMAGE_EXTENSIONS, list_images, read_image, to_model_input, write_image
from .inference import upscale_rgb
from .metrics import detail_ratio, psnr_y, ssim_y
from .model_io import load_generator
from .models import output_scale
from .training.degradation import apply_fixed_degradation, parse_fixed_degradation


@dataclass(frozen=True)
class ImageScore:
    """PSNR (dB), SSIM and detail ratio on the Y channel for one image, ours and bicubic."""

    name: str
    height: int
    width: int
    psnr: float
    ssim: float
    detail: float
    bicubic_psnr: float
    bicubic_ssim: float
    bicubic_detail: float


@dataclass(frozen=True)
class EvaluationReport:
    """Per-image scores and their means."""

    scale: int
    border: int
    images: list[ImageScore]
    degrade: str | None = None

    def mean(self, field: str) -> float:
        """Mean of one score over the images, e.g. `report.mean("psnr")`."""
        return float(np.mean([getattr(score, field) for score in self.images]))

    def summary(self) -> dict[str, float]:
        """Mean PSNR/SSIM/detail of ours and bicubic, and the PSNR gain over bicubic."""
        fields = ("psnr", "ssim", "detail", "bicubic_psnr", "bicubic_ssim", "bicubic_detail")
        means = {field: self.mean(field) for field in fields}
        means["psnr_gain"] = means["psnr"] - means["bicubic_psnr"]
        return means

    def table(self) -> str:
        """A fixed-width text table: one row per image and a mean row."""
        header = (f"{'image':<28} {'size':>11} {'bicubic PSNR/SSIM/detail':>25} "
                  f"{'ours PSNR/SSIM/detail':>23}")
        rows = [header, "-" * len(header)]
        for score in self.images:
            rows.append(
                f"{score.name[:28]:<28} {score.width:>5}x{score.height:<5} "
                f"{score.bicubic_psnr:>9.2f} / {score.bicubic_ssim:.4f} / "
                f"{score.bicubic_detail:.3f} "
                f"{score.psnr:>7.2f} / {score.ssim:.4f} / {score.detail:.3f}"
            )
        mean = self.summary()
        rows.append("-" * len(header))
        rows.append(
            f"{'mean (' + str(len(self.images)) + ' images)':<40} "
            f"{mean['bicubic_psnr']:>9.2f} / {mean['bicubic_ssim']:.4f} / "
            f"{mean['bicubic_detail']:.3f} "
            f"{mean['psnr']:>7.2f} / {mean['ssim']:.4f} / {mean['detail']:.3f}"
        )
        inputs = f", LR degraded by {self.degrade}" if self.degrade else ""
        rows.append(f"PSNR gain over bicubic: {mean['psnr_gain']:+.2f} dB "
                    f"(Y channel, BT.601, border {self.border} px{inputs}); "
                    "detail: high-frequency energy relative to the original (1 = as much)")
        return "\n".join(rows)

    def to_json(self) -> str:
        """The report as JSON (per-image scores and means)."""
        payload = {
            "protocol": f"PSNR/SSIM on Y (ITU-R BT.601), border {self.border}, x{self.scale}",
            "degrade": self.degrade,
            "mean": self.summary(),
            "images": [asdict(score) for score in self.images],
        }
        return json.dumps(payload, indent=2)

    def write_csv(self, path: str | os.PathLike) -> None:
        """Writes one row per image (atomically)."""
        path = Path(path)
        temporary = path.with_name(f".{path.name}.tmp")
        with temporary.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(asdict(self.images[0])))
            writer.writeheader()
            writer.writerows(asdict(score) for score in self.images)
        os.replace(temporary, path)


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
        runtime: the inference runtime (see `fast_inference`).
        degrade: degradation of every LR image before it is super-resolved: ``"noise:SIGMA"``
            (colour Gaussian noise on the 0-255 scale, seeded per image),
            ``"jpeg:QUALITY"``, or several in order separated by commas (``"noise:5,jpeg:75"``).

    Returns:
        An `EvaluationReport`; `report.summary()["psnr_gain"]` is the gain over bicubic in dB.

    Example:
    >>> report = evaluate("generator.keras", "val_photos/")  # doctest: +SKIP
    >>> print(report.table())  # doctest: +SKIP
    """
    steps = parse_fixed_degradation(degrade) if degrade else ()
    generator = model if isinstance(model, keras.Model) else load_generator(model)
    scale = output_scale(generator)
    if not Path(hr_dir).is_dir():
        raise FileNotFoundError(f"{hr_dir}: no such folder")
    files = list_images(hr_dir)
    if not files:
        raise ValueError(f"{hr_dir}: no image files ({', '.join(IMAGE_EXTENSIONS)})")
    if comparison_dir is not None:
        Path(comparison_dir).mkdir(parents=True, exist_ok=True)
    scores = []
    for index, path in enumerate(
        tqdm(files, desc="evaluating", unit="image", disable=not progress)
    ):
        hr = _read_rgb(path)
        hr = hr[: hr.shape[0] // scale * scale, : hr.shape[1] // scale * scale]
        if lr_dir is None:
            lr = bicubic_downscale(tf.constant(hr[None]), scale).numpy()[0]
        else:
            lr = _read_rgb(Path(lr_dir) / path.name)
            if lr.shape[0] * scale != hr.shape[0] or lr.shape[1] * scale != hr.shape[1]:
                raise ValueError(
                    f"{Path(lr_dir) / path.name}: LR size {lr.shape[1]}x{lr.shape[0]} is not "
                    f"the HR size {hr.shape[1]}x{hr.shape[0]} divided by {scale}"
                )
        if steps:
            lr = apply_fixed_degradation(lr, steps, seed=(0, index)).numpy()
        sr = upscale_rgb(generator, lr, tile_size=tile_size, runtime=runtime)
        sr = np.clip(np.round(sr), 0, 255)
        bicubic = np.clip(np.round(tf.image.resize(lr[None], hr.shape[:2], "bicubic")[0]), 0, 255)
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
    return EvaluationReport(scale=scale, border=scale, images=scores, degrade=degrade or None)


def _read_rgb(path: Path) -> np.ndarray:
    """An image as float32 RGB in [0, 255] (16-bit scaled, alpha dropped, gray replicated)."""
    rgb, _info = to_model_input(read_image(path))
    return rgb
