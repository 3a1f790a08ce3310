"""Everything that touches files and the network: the one image decoder, pixel conversion,
image writing, the one atomic-write helper, model files, the weights cache and http."""

from .atomic import atomic_path, atomic_write, new_file_mode
from .decode import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, read_image
from .files import IMAGE_EXTENSIONS, is_image_file, list_images
from .model_io import (
    METADATA_NAME,
    generator_architecture,
    load_generator,
    read_generator_metadata,
    save_generator,
)
from .net import DownloadError
from .pixels import (
    ImageInfo,
    from_model_output,
    split_alpha,
    to_model_alpha,
    to_model_input,
    validated_array,
)
from .weights import default_cache_dir, download_weights, resolve_model_source
from .write import WRITE_FORMATS, to_pil, write_image

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "METADATA_NAME",
    "WRITE_FORMATS",
    "DownloadError",
    "ImageInfo",
    "atomic_path",
    "atomic_write",
    "default_cache_dir",
    "download_weights",
    "from_model_output",
    "generator_architecture",
    "is_image_file",
    "list_images",
    "load_generator",
    "new_file_mode",
    "read_generator_metadata",
    "read_image",
    "resolve_model_source",
    "save_generator",
    "split_alpha",
    "to_model_alpha",
    "to_model_input",
    "to_pil",
    "validated_array",
    "write_image",
]
