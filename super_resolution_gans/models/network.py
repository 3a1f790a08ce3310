"""What the fast inference path needs to know of a network, stated by the network itself.

Every generator class of the library (`SRResNet`, `RRDBNet`, `SRVGGNetCompact`) derives from
`SuperResolutionNetwork` and says, from its own config:

- `scale`: how much it upscales;
- `receptive_radius`: how many LR pixels of context an output pixel depends on, so that tiles
  with that much overlap give exactly the whole-image result;
- `tile_overlap`: the overlap tiling uses by default: the receptive radius where it is small,
  less where the measured effective receptive field is far smaller than the theoretical one
  (RRDBNet);
- `inference_copy()`: the same function, computed faster (SRResNet folds its BatchNorm);
- `trunk_split()`: the network cut into a trunk at LR resolution and an upsampling tail, for
  two-stage tiling, or None.

The module-level functions answer the same questions for any Keras model, foreign ones (the
predecessor's layout, models loaded from other `.keras` files) included, by walking its layers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import keras

from .layers import PixelShuffle, PixelUnshuffle, ResizeByFactor

__all__ = [
    "SuperResolutionNetwork",
    "TrunkSplit",
    "inference_copy",
    "output_scale",
    "receptive_radius",
    "tile_overlap",
    "trunk_split",
]


@dataclasses.dataclass(frozen=True)
class TrunkSplit:
    """A network cut in two where its features are still at LR resolution.

    Attributes:
        trunk: maps the LR image to its features (same height and width).
        tail: maps the features, and the LR image too when `tail.inputs` has two entries (a
            global skip), to the output image.
        trunk_overlap: LR pixels of context the trunk's features need.
        tail_overlap: LR pixels of context the tail needs around the features.
    """

    trunk: keras.Model
    tail: keras.Model
    trunk_overlap: int
    tail_overlap: int


class SuperResolutionNetwork(keras.Model):
    """Base of the library's generator classes: functional models whose config is their
    architecture, and which state what inference needs (see the module docstring).

    Subclasses build their graph in `__init__` under `dtype_policy(dtype)`, call
    `_keep_config(policy, **arguments)` to store their arguments, list the names in
    `CONFIG_KEYS`, and override `receptive_radius` where walking the layers would not do; the
    rest has defaults. `get_config()` returns exactly those arguments, so `from_config` rebuilds
    the same network.
    """

    scale: int
    CONFIG_KEYS: tuple[str, ...] = ()
    """The constructor arguments that make up the config (besides name, trainable, dtype)."""

    @staticmethod
    def dtype_policy_for(dtype: Any) -> keras.DTypePolicy:
        """The dtype policy the layers are built under: `dtype`'s, or the global one."""
        return keras.config.dtype_policy() if dtype is None else keras.dtype_policies.get(dtype)

    def _keep_config(self, policy: keras.DTypePolicy, **arguments: Any) -> None:
        """Stores the constructor arguments as attributes of the same names, and the policy
        (the model's own, as for a model built under it)."""
        self.dtype_policy = policy
        self.layer_dtype = policy.name
        for key, value in arguments.items():
            setattr(self, key, value)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable,
                **{key: getattr(self, key) for key in self.CONFIG_KEYS},
                "dtype": self.layer_dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SuperResolutionNetwork:
        return cls(**config)

    @property
    def architecture(self) -> dict[str, Any]:
        """The arguments that decide the weights' shapes and meaning: the config less the
        name, trainability and dtype policy."""
        return {key: value for key, value in self.get_config().items()
                if key not in ("name", "trainable", "dtype")}

    @property
    def receptive_radius(self) -> int:
        """LR pixels of context each output pixel depends on (exact tiling needs as many)."""
        return _walked_radius(self)

    @property
    def tile_overlap(self) -> int:
        """The default overlap of tiles, in LR pixels: the receptive radius."""
        return self.receptive_radius

    def inference_copy(self) -> keras.Model:
        """A model computing the same function, faster where the network allows: itself."""
        return self

    def trunk_split(self) -> TrunkSplit | None:
        """The trunk and tail for two-stage tiling, or None when the network has no such cut."""
        return None


def inference_copy(model: keras.Model) -> keras.Model:
    """The fast copy of `model`: the network's own `inference_copy()`, else `model` itself.

    Example:
    >>> from super_resolution_gans.models import SRResNet
    >>> fast = inference_copy(SRResNet(num_blocks=1, filters=8))
    >>> any(isinstance(layer, keras.layers.BatchNormalization) for layer in fast.layers)
    False
    """
    if isinstance(model, SuperResolutionNetwork):
        return model.inference_copy()
    return model


def trunk_split(model: keras.Model) -> TrunkSplit | None:
    """`model.trunk_split()` for the library's networks, None for any other model.

    Example:
    >>> from super_resolution_gans.models import SRResNet
    >>> split = trunk_split(SRResNet(num_blocks=1, filters=8))
    >>> split.trunk.output.shape, split.tail_overlap
    ((None, None, None, 8), 3)
    """
    if isinstance(model, SuperResolutionNetwork):
        return model.trunk_split()
    return None


def tile_overlap(model: keras.Model) -> int:
    """The default tile overlap of `model` in LR pixels (its receptive radius for foreign models).

    Example:
    >>> from super_resolution_gans.models import SRResNet
    >>> tile_overlap(SRResNet(num_blocks=2, filters=16))
    12
    """
    if isinstance(model, SuperResolutionNetwork):
        return model.tile_overlap
    return receptive_radius(model)


def receptive_radius(model: keras.Model) -> int:
    """How many LR pixels of context on each side an output pixel of `model` depends on.

    The network's own figure for the library's classes; for other models, a walk over the layers
    in order: a KxK convolution running at `f` times the input resolution adds (K - 1) / 2 / f LR
    pixels, a bicubic resize 2 / f. For branching models the branches' radii are added, an upper
    bound, which is what tiling needs.

    Example:
    >>> from super_resolution_gans.models import SRResNet
    >>> receptive_radius(SRResNet(num_blocks=2, filters=16))
    12
    """
    if isinstance(model, SuperResolutionNetwork):
        return model.receptive_radius
    return _walked_radius(model)


def output_scale(model: keras.Model) -> int:
    """The model's upscaling factor, from its output shape on an 8x8 input.

    Example:
    >>> from super_resolution_gans.models import SRResNet
    >>> output_scale(SRResNet(scale=2, num_blocks=1, filters=8))
    2
    """
    if isinstance(model, SuperResolutionNetwork):
        return model.scale
    return int(model.compute_output_shape((1, 8, 8, 3))[1]) // 8


def _walked_radius(model: keras.Model) -> int:
    radius = 0.0
    for layer, factor in layers_with_factor(model):
        if isinstance(layer, keras.layers.Conv2D):
            radius += (layer.kernel_size[0] - 1) / 2 * layer.dilation_rate[0] / factor
        elif isinstance(layer, ResizeByFactor) and layer.interpolation == "bicubic":
            radius += 2 / factor  # the bicubic kernel's support
    return math.ceil(radius - 1e-9)


def layers_with_factor(model: keras.Model) -> Iterator[tuple[keras.layers.Layer, float]]:
    """Every layer (nested models flattened) in order, with the resolution factor, relative to
    the model's input, that the layer's input runs at.

    Example:
    >>> from super_resolution_gans.models import SRResNet
    >>> max(f for _, f in layers_with_factor(SRResNet(scale=2, num_blocks=1, filters=8)))
    2
    """
    factor = 1
    for layer in _flat_layers(model):
        yield layer, factor
        if isinstance(layer, PixelShuffle):
            factor *= layer.factor
        elif isinstance(layer, PixelUnshuffle):
            factor /= layer.factor
        elif isinstance(layer, keras.layers.UpSampling2D):
            factor *= layer.size[0]
        elif isinstance(layer, ResizeByFactor):
            factor *= layer.factor


def _flat_layers(model: keras.Model) -> Iterator[keras.layers.Layer]:
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _flat_layers(layer)
        else:
            yield layer
