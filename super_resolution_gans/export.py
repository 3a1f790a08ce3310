"""Old location of `super_resolution_gans.inference.export`."""

from .inference.export import EXPORT_FORMATS, export_generator  # noqa: F401
