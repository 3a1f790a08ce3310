"""Batch super-resolution of folders and buckets on Ray Data (needs the `batch` extra).

Example:
>>> from super_resolution_gans.batch import upscale_dataset  # doctest: +SKIP
>>> upscale_dataset("photos/", "photos_x4/", num_workers=2).count("ok")  # doctest: +SKIP
200
"""

from .pipeline import STATUSES, BatchReport, upscale_dataset

__all__ = ["STATUSES", "BatchReport", "upscale_dataset"]
