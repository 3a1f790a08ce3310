"""Old location of the weights registry and cache: `super_resolution_gans.models.presets`
(the registry, as data) and `super_resolution_gans.io.weights` (downloads and the cache)."""

from .io.weights import default_cache_dir, download_weights, resolve_model_source  # noqa: F401
from .models.presets import (  # noqa: F401
    DEFAULT_MODEL,
    FORMATS,
    PRETRAINED,
    PretrainedWeights,
    get_pretrained,
    list_pretrained,
)
