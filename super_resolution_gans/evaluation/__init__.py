"""Evaluation: PSNR / SSIM / detail ratio on the Y channel, the report, and `evaluate`."""

from .metrics import detail_ratio, psnr_y, rgb_to_y, ssim_y
from .report import EvaluationReport, ImageFailure, ImageScore
from .scoring import evaluate

__all__ = [
    "EvaluationReport",
    "ImageFailure",
    "ImageScore",
    "detail_ratio",
    "evaluate",
    "psnr_y",
    "rgb_to_y",
    "ssim_y",
]
