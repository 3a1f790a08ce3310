"""The evaluation report: per-image scores, their means, a text table, JSON and CSV."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write

__all__ = ["EvaluationReport", "ImageScore"]


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
        with atomic_write(Path(path), "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(asdict(self.images[0])))
            writer.writeheader()
            writer.writerows(asdict(score) for score in self.images)
