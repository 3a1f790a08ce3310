"""Old location of `super_resolution_gans.io.model_io`."""

from .io.model_io import (  # noqa: F401
    METADATA_NAME,
    PIXEL_RANGE,
    generator_architecture,
    load_generator,
    read_generator_metadata,
    save_generator,
)
