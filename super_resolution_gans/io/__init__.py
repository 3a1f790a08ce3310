"""Everything that touches files and the network: the one image decoder, pixel conversion,
image writing, the one atomic-write helper, model files, the weights cache and http."""

from .._lazy import lazy_exports

# Public names, imported from their sub-module when first used (PEP 562): importing the
# package imports no TensorFlow, so the command lines answer --help at once.
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "atomic": ["atomic_path", "atomic_write", "new_file_mode"],
    "decode": ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_PIXELS", "read_image"],
    "files": ["IMAGE_EXTENSIONS", "is_image_file", "list_images"],
    "model_io": [
        "METADATA_NAME",
        "generator_architecture",
        "load_generator",
        "read_generator_metadata",
        "save_generator",
    ],
    "net": ["DownloadError"],
    "pixels": [
        "ImageInfo",
        "from_model_output",
        "split_alpha",
        "to_model_alpha",
        "to_model_input",
        "validated_array",
    ],
    "weights": ["default_cache_dir", "download_weights", "resolve_model_source"],
    "write": ["WRITE_FORMATS", "to_pil", "write_image"],
})

