"""Training: the SRGAN model and its losses, the run configuration, callbacks and `train`."""

from .config import TrainConfig
from .gan import SRGAN, paper_adam
from .loop import train
from .losses import VGG22, VGG54, VGGPreprocess, build_vgg_feature_extractor

__all__ = [
    "SRGAN",
    "VGG22",
    "VGG54",
    "TrainConfig",
    "VGGPreprocess",
    "build_vgg_feature_extractor",
    "paper_adam",
    "train",
]
