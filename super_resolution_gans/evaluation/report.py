"""The evaluation report: per-image scores, their means, the files that could not be scored, a
text table, JSON and CSV."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write

__all__ = ["EvaluationReport", "ImageFailure", "ImageScore"]


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
class ImageFailure:
    """A file that could not be scored: its name in the HR folder and why (one line that names
    the file at fault, e.g. its missing LR pair)."""

    name: str
    reason: str


@dataclass(frozen=True)
class EvaluationReport:
    """Per-image scores and their means, and the files that could not be scored.

    Example:
    >>> report = EvaluationReport(4, 4, [], failures=[ImageFailure("a.png", "not an image")])
    >>> print(report.table().splitlines()[-1])
    failed: a.png: not an image
    """

    scale: int
    border: int
    images: list[ImageScore]
    degrade: str | None = None
    failures: list[ImageFailure] = dataclasses.field(default_factory=list)

    def mean(self, field: str) -> float:
        """Mean of one score over the images, e.g. `report.mean("psnr")` (NaN for none)."""
        if not self.images:
            return float("nan")
        return float(np.mean([getattr(score, field) for score in self.images]))

    def summary(self) -> dict[str, float]:
        """Mean PSNR/SSIM/detail of ours and bicubic, and the PSNR gain over bicubic."""
        fields = ("psnr", "ssim", "detail", "bicubic_psnr", "bicubic_ssim", "bicubic_detail")
        means = {field: self.mean(field) for field in fields}
        means["psnr_gain"] = means["psnr"] - means["bicubic_psnr"]
        return means

    def table(self) -> str:
        """A fixed-width text table: one row per image, a mean row, then one line per file
        that could not be scored."""
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
        rows.append("-" * len(header))
        if not self.images:
            rows.append("no image could be scored")
            return "\n".join(rows + self._failure_lines())
        mean = self.summary()
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
        return "\n".join(rows + self._failure_lines())

    def _failure_lines(self) -> list[str]:
        return [f"failed: {failure.name}: {failure.reason}" for failure in self.failures]

    def to_json(self) -> str:
        """The report as JSON (per-image scores, means, or null when none could be scored,
        and the failures)."""
        payload = {
            "protocol": f"PSNR/SSIM on Y (ITU-R BT.601), border {self.border}, x{self.scale}",
            "degrade": self.degrade,
            "mean": self.summary() if self.images else None,
            "images": [asdict(score) for score in self.images],
            "failures": [asdict(failure) for failure in self.failures],
        }
        return json.dumps(payload, indent=2)

    def write_csv(self, path: str | os.PathLike) -> None:
        """Writes one row per scored image (atomically)."""
        with atomic_write(Path(path), "w", newline="") as handle:
            names = [item.name for item in dataclasses.fields(ImageScore)]
            writer = csv.DictWriter(handle, fieldnames=names)
            writer.writeheader()
            writer.writerows(asdict(score) for score in self.images)
