"""`Upscaler`: the one inference object every entry point uses.

`Upscaler(model, options)` holds a loaded generator and an `UpscaleOptions` (a frozen
dataclass: tiling, runtime, precision, input limits). `upscale(image)` reads any image source,
super-resolves it and returns `(lr, sr)` of the input's kind; `upscale_rgb(rgb)` works on float
RGB arrays. `SRGAN_predict`, `super_resolve`, the infer command, the web demo, the Ray batch
worker and `evaluate` all go through it, so a new option is one field here and one flag there.
An `Upscaler` keeps no per-call state: one instance serves many threads.

With no model named, the input decides: a JPEG-compressed input (a JPEG file, bytes, PIL image
or .jpg URL, or any input when `jpeg_input=True`) runs the shipped real-photo weights
(`DEFAULT_JPEG_MODEL`, which remove compression blocks instead of sharpening them), anything
else the default clean model (`DEFAULT_MODEL`).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import keras
import numpy as np

from ..io import net
from ..io.decode import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, read_image
from ..io.model_io import load_generator
from ..io.pixels import from_model_output, to_model_alpha, to_model_input
from ..io.sniff import is_jpeg_source
from ..models.network import output_scale
from ..models.presets import DEFAULT_JPEG_MODEL, DEFAULT_MODEL
from ..validation import ArgumentError, check_int
from .runtimes import checked_runtimes
from .upscale import check_tiling, tiled_upscale, upscale_alpha

__all__ = ["UpscaleOptions", "Upscaler", "super_resolve", "upscale_rgb"]


@dataclasses.dataclass(frozen=True)
class UpscaleOptions:
    """How an `Upscaler` runs; checked when made (`ArgumentError` names the field).

    Attributes:
        tile_size: LR tile side in pixels at most; 0 for one pass over the whole image, None to
            choose from the image size and the memory budget (see `inference.tiling`).
        tile_overlap: LR pixels of context around each tile; None for the network's own
            `tile_overlap` (exact for SRResNet and SRVGGNetCompact, the measured effective
            receptive field for RRDBNet).
        tile_batch_size: tiles run together in one batch.
        runtime: "auto", "tensorflow" or "openvino" (see `inference.runtimes`).
        precision: "float32", "float16" (TensorFlow on a GPU) or "bfloat16" (OpenVINO).
        max_pixels: largest input accepted, in pixels (decompression bombs); None: no limit.
        max_bytes: largest image download accepted from a URL.
        timeout: seconds to wait for a URL: one number, or (connect, read).
        progress: show a progress bar over the tiles.
        threads: CPU threads the OpenVINO runtime may use (None: all; a batch worker gives its
            share); TensorFlow's are set per process with `tf.config.threading`.
        jpeg_input: with no model named, whether inputs are JPEG-compressed (True: the
            real-photo weights run; False: the clean model); None detects it from each input
            (arrays count as not compressed).

    Example:
    >>> UpscaleOptions(tile_size=128).tile_size
    128
    >>> UpscaleOptions(tile_size=-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    super_resolution_gans.validation.ArgumentError: tile_size must be None, 0 or a positive ...
    """

    tile_size: int | None = None
    tile_overlap: int | None = None
    tile_batch_size: int = 1
    runtime: str = "auto"
    precision: str = "float32"
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: net.Timeout = net.DEFAULT_TIMEOUT
    progress: bool = False
    threads: int | None = None
    jpeg_input: bool | None = None

    def __post_init__(self) -> None:
        check_tiling(self.tile_size, self.tile_overlap, self.tile_batch_size)
        try:
            checked_runtimes(self.runtime, self.precision)
        except ValueError as err:
            argument = "precision" if "precision" in str(err) else "runtime"
            raise ArgumentError(argument, str(err)) from None
        check_int("max_pixels", self.max_pixels, minimum=1, allow_none=True)
        check_int("max_bytes", self.max_bytes, minimum=1)
        net.check_timeout(self.timeout)
        check_int("threads", self.threads, minimum=1, allow_none=True)
        if self.jpeg_input not in (None, True, False):
            raise ArgumentError("jpeg_input", f"jpeg_input must be None, True or False, got "
                                              f"{self.jpeg_input!r}")

    @property
    def read_options(self) -> dict[str, Any]:
        """The `read_image` arguments among these options."""
        return {"max_pixels": self.max_pixels, "max_bytes": self.max_bytes,
                "timeout": self.timeout}

    @property
    def tiling_options(self) -> dict[str, Any]:
        """The tiling engine's arguments among these options."""
        return {"tile_size": self.tile_size, "tile_overlap": self.tile_overlap,
                "tile_batch_size": self.tile_batch_size, "progress": self.progress,
                "runtime": self.runtime, "precision": self.precision, "threads": self.threads}


class Upscaler:
    """A generator and its options: the one way the library super-resolves images.

    Args:
        model: a loaded generator, a model file / URL / registered name
            (`list_pretrained()`), or None: the shipped weights chosen by the input
            (`DEFAULT_JPEG_MODEL` for JPEG-compressed inputs, `DEFAULT_MODEL` otherwise).
        options: an `UpscaleOptions`; or give its fields as keywords.
        **fields: `UpscaleOptions` fields overriding those of `options`.

    Attributes:
        model: the generator (float RGB in [0, 255] in and out); with no model named, the one
            for inputs that are not JPEG-compressed.
        options: the `UpscaleOptions`.
        scale: the generator's upscaling factor.

    Example:
    >>> from super_resolution_gans.models import SRVGGNetCompact
    >>> upscaler = Upscaler(SRVGGNetCompact(num_feat=8, num_conv=2), tile_size=16)
    >>> lr, sr = upscaler.upscale(np.zeros((30, 50, 3), "uint8"))
    >>> sr.shape, sr.dtype
    ((120, 200, 3), dtype('uint8'))
    """

    def __init__(
        self,
        model: keras.Model | str | os.PathLike | None = None,
        options: UpscaleOptions | None = None,
        **fields: Any,
    ):
        options = options if options is not None else UpscaleOptions()
        self.options = dataclasses.replace(options, **fields) if fields else options
        self.automatic = model is None
        self.model = model if isinstance(model, keras.Model) else load_generator(
            DEFAULT_MODEL if model is None else model, progress=self.options.progress)
        self.scale = output_scale(self.model)

    def __repr__(self) -> str:
        return f"Upscaler({self.model.name!r}, x{self.scale}, {self.options})"

    def model_for(self, image: Any = None) -> tuple[str, keras.Model]:
        """`(name, generator)` that runs on `image`: the model given, or with none given, the
        shipped weights for its kind (see the class docstring). `image=None` asks for the
        model `upscale_rgb` runs (JPEG only when `jpeg_input=True`).

        Example:
        >>> Upscaler().model_for("photo.jpg")[0]  # doctest: +SKIP
        'realsr_x4'
        """
        if not self.automatic:
            return self.model.name, self.model
        jpeg = self.options.jpeg_input
        if jpeg is None:
            jpeg = image is not None and is_jpeg_source(image)
        if jpeg:
            return DEFAULT_JPEG_MODEL, load_generator(DEFAULT_JPEG_MODEL,
                                                      progress=self.options.progress)
        return DEFAULT_MODEL, self.model

    def read(self, image: Any) -> np.ndarray:
        """The image as read (`read_image` with this upscaler's limits)."""
        return read_image(image, **self.options.read_options)

    def upscale(self, image: Any) -> tuple[np.ndarray, np.ndarray]:
        """Reads an image, super-resolves it and returns `(lr, sr)`.

        Args:
            image: a path, http(s) URL, bytes, PIL image or numpy array (see `read_image`).

        Returns:
            `(lr, sr)`: the input as read (no resizing, no flipping; EXIF orientation applied)
            and the super-resolved image, `scale` times larger, grayscale / RGB / RGBA and
            uint8 / uint16 like the input; alpha is upscaled by bicubic interpolation.
        """
        _name, model = self.model_for(image)
        lr = self.read(image)
        rgb, info = to_model_input(lr)
        sr_rgb = tiled_upscale(model, rgb, **self.options.tiling_options)
        alpha = to_model_alpha(lr)
        alpha_sr = None if alpha is None else upscale_alpha(alpha, output_scale(model))
        return lr, from_model_output(sr_rgb, info, alpha_sr)

    def upscale_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """The generator over an `HxWx3` float RGB array in [0, 255], tiled as the options say;
        returns the `(H*scale)x(W*scale)x3` float32 output, not clipped."""
        return tiled_upscale(self.model_for()[1], rgb, **self.options.tiling_options)


def super_resolve(
    image: Any, model: keras.Model | str | os.PathLike | None = None, **options: Any
) -> tuple[np.ndarray, np.ndarray]:
    """`Upscaler(model, **options).upscale(image)`: one image, `(lr, sr)`.

    Example:
    >>> lr, sr = super_resolve("photo.png")  # doctest: +SKIP
    >>> sr.shape[0] == 4 * lr.shape[0]  # doctest: +SKIP
    True
    """
    return Upscaler(model, **options).upscale(image)


def upscale_rgb(model: keras.Model, rgb: np.ndarray, **options: Any) -> np.ndarray:
    """`Upscaler(model, **options).upscale_rgb(rgb)`: a float RGB array in [0, 255].

    Example:
    >>> from super_resolution_gans.models import SRResNet
    >>> upscale_rgb(SRResNet(num_blocks=1, filters=8), np.zeros((6, 5, 3)), tile_size=4).shape
    (24, 20, 3)
    """
    return Upscaler(model, **options).upscale_rgb(rgb)
