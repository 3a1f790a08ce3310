"""Old location of the image functions; they live in `super_resolution_gans.io` now."""

from .io import (  # noqa: F401
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    IMAGE_EXTENSIONS,
    ImageInfo,
    from_model_output,
    list_images,
    new_file_mode,
    read_image,
    split_alpha,
    to_model_alpha,
    to_model_input,
    to_pil,
    write_image,
)
