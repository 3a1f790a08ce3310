"""Old location of `super_resolution_gans.models.layers`."""

from .models.layers import (  # noqa: F401
    PACKAGE,
    PixelShuffle,
    ResizeByFactor,
)
