"""Training: the SRGAN model and its losses, the run configuration, callbacks and `train`."""

from .._lazy import lazy_exports

# Public names, imported from their sub-module when first used (PEP 562): importing the
# package imports no TensorFlow, so the command lines answer --help at once.
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "config": ["TrainConfig", "VGG22", "VGG54"],
    "gan": ["SRGAN", "paper_adam"],
    "loop": ["train"],
    "losses": ["VGGPreprocess", "VGGWeightsError", "build_vgg_feature_extractor"],
})

