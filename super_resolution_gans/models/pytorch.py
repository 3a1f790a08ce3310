"""PyTorch state dicts of the ESRGAN family into the library's Keras networks.

`network_from_state_dict(checkpoint)` recognises the architecture from the key names and its
sizes from the tensor shapes (as spandrel does), builds the Keras network and fills it:

- wrappers are unwrapped: BasicSR's ``params_ema`` (preferred, as Real-ESRGAN does) or
  ``params``, a ``state_dict`` entry, and the ``module.`` prefix of DataParallel;
- RRDBNet in its three published key layouts: BasicSR (``body.N.rdbK.convM``), the ESRGAN
  repository of 2019 (``RRDB_trunk.N.RDBK.convM``, ``trunk_conv``, ``upconv1``, ``HRconv``) and
  the original ESRGAN release (``model.0``, ``model.1.sub.N.RDBK.convM.0``, ``model.3``...);
  scale 4 and 8 (upsampling steps), 2 and 1 (pixel-unshuffle in front: 12 or 48 input
  channels);
- SRVGGNetCompact (``body.0`` ... ``body.2n+2``, PReLU slopes at the odd indices).

Conv kernels go from PyTorch's OIHW to Keras's HWIO; float16 tensors become float32; the
channels next to a pixel (un)shuffle are permuted from PyTorch's order (`c*s*s + i*s + j`) to
TensorFlow's (`(i*s + j)*C + c`). Loading is strict: every tensor must find its layer and every
layer its tensor, with the right shape. Reading the file safely is `io.torch_files`' job.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import keras
import numpy as np

from .network import SuperResolutionNetwork
from .rrdbnet import RRDBNet
from .srvgg import SRVGGNetCompact

__all__ = ["ConversionError", "canonical_state_dict", "network_from_state_dict"]

_WRAPPERS = ("params_ema", "params", "state_dict", "model_state_dict", "netG")


class ConversionError(ValueError):
    """The tensors match no known network, or not the network they claim to be."""


def canonical_state_dict(checkpoint: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The flat `{key: array}` state dict inside a checkpoint: wrappers unwrapped, the
    ``module.`` prefix stripped, non-tensor entries dropped.

    Example:
    >>> canonical_state_dict({"params_ema": {"module.conv.weight": np.zeros(2)}, "iter": 5})
    {'conv.weight': array([0., 0.])}
    """
    if not isinstance(checkpoint, Mapping):
        raise ConversionError(f"holds a {type(checkpoint).__name__}, not a state dict")
    for wrapper in _WRAPPERS:
        if isinstance(checkpoint.get(wrapper), Mapping):
            return canonical_state_dict(checkpoint[wrapper])
    tensors = {str(key): value for key, value in checkpoint.items()
               if isinstance(value, np.ndarray)}
    if tensors and all(key.startswith("module.") for key in tensors):
        tensors = {key[len("module."):]: value for key, value in tensors.items()}
    if not tensors:
        raise ConversionError("holds no tensors")
    return tensors


def network_from_state_dict(checkpoint: Mapping[str, Any]) -> SuperResolutionNetwork:
    """The Keras network a PyTorch state dict describes, with its weights.

    Args:
        checkpoint: the loaded checkpoint (see `io.torch_files.read_checkpoint`): a state dict
            of numpy arrays, possibly wrapped (see `canonical_state_dict`).

    Returns:
        An `RRDBNet` or `SRVGGNetCompact` following the library's pixel contract.

    Raises:
        ConversionError: the keys match no known network, or a tensor is missing, unused or
            of the wrong shape (the message names it).

    Example:
    >>> net = SRVGGNetCompact(num_feat=4, num_conv=1)
    >>> state = {f"body.{i}.weight": np.zeros(s, "float32") for i, s in
    ...          [(0, (4, 3, 3, 3)), (1, (4,)), (2, (4, 4, 3, 3)), (3, (4,)), (4, (48, 4, 3, 3))]}
    >>> state.update({f"body.{i}.bias": np.zeros(n, "float32")
    ...               for i, n in [(0, 4), (2, 4), (4, 48)]})
    >>> network_from_state_dict({"params": state}).get_config()["num_conv"]
    1
    """
    state = canonical_state_dict(checkpoint)
    for recognise in _ARCHITECTURES:
        built = recognise(state)
        if built is not None:
            return built
    sample = ", ".join(sorted(state)[:4])
    raise ConversionError(
        f"its tensors match no known network (RRDBNet of ESRGAN / Real-ESRGAN, "
        f"SRVGGNetCompact); first keys: {sample}"
    )


def _rrdbnet(state: dict[str, np.ndarray]) -> RRDBNet | None:
    state = _basicsr_rrdb_keys(state)
    if state is None:
        return None
    first = state["conv_first.weight"]
    num_feat, in_channels = first.shape[:2]
    unshuffle = {3: 1, 12: 2, 48: 4}.get(in_channels)
    if unshuffle is None:
        raise ConversionError(f"conv_first takes {in_channels} channels; RRDBNet takes 3, 12 "
                              "(x2) or 48 (x1)")
    steps = len({key for key in state if re.match(r"conv_up\d+\.weight$", key)})
    scale = 2**steps // unshuffle
    num_block = len({key.split(".")[1] for key in state if key.startswith("body.")})
    num_grow_ch = state["body.0.rdb1.conv1.weight"].shape[0]
    if scale not in (1, 2, 4, 8) or (unshuffle > 1 and steps != 2):
        raise ConversionError(f"{steps} upsampling convs with {in_channels} input channels is "
                              "no RRDBNet layout")
    network = RRDBNet(scale, int(num_feat), num_block, int(num_grow_ch), dtype="float32")
    permute = {"conv_first": _unshuffle_permutation(unshuffle)} if unshuffle > 1 else {}
    _fill(network, state, lambda key: key.rsplit(".", 1)[0].replace(".", "_"),
          input_permutations=permute)
    return network


def _basicsr_rrdb_keys(state: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
    """`state` in BasicSR's RRDBNet key names, from any of the three layouts; None if it is
    none of them."""
    if "conv_first.weight" in state and "body.0.rdb1.conv1.weight" in state:
        return state
    if "conv_first.weight" in state and "RRDB_trunk.0.RDB1.conv1.weight" in state:
        renames = [(r"^RRDB_trunk\.", "body."), (r"\.RDB(\d)\.", r".rdb\1."),
                   (r"^trunk_conv\.", "conv_body."), (r"^upconv(\d)\.", r"conv_up\1."),
                   (r"^HRconv\.", "conv_hr.")]
        renamed = {}
        for key, value in state.items():
            for pattern, replacement in renames:
                key = re.sub(pattern, replacement, key)
            renamed[key] = value
        return renamed
    if "model.0.weight" in state and "model.1.sub.0.RDB1.conv1.0.weight" in state:
        blocks = {int(k.split(".")[3]) for k in state if re.match(r"model\.1\.sub\.\d+\.", k)}
        trunk_conv = max(blocks)  # model.1.sub.N is the conv after the last block
        tail = sorted({int(k.split(".")[1]) for k in state
                       if re.match(r"model\.\d+\.weight$", k)} - {0})
        names = {index: f"conv_up{step}" for step, index in enumerate(tail[:-2], start=1)}
        names.update({tail[-2]: "conv_hr", tail[-1]: "conv_last", 0: "conv_first"})
        renamed = {}
        for key, value in state.items():
            parts = key.split(".")
            if parts[:3] == ["model", "1", "sub"] and int(parts[3]) == trunk_conv:
                renamed[f"conv_body.{parts[-1]}"] = value
            elif parts[:3] == ["model", "1", "sub"]:  # model.1.sub.N.RDBk.convM.0.weight
                renamed[f"body.{parts[3]}.{parts[4].lower()}.{parts[5]}.{parts[-1]}"] = value
            elif len(parts) == 3 and int(parts[1]) in names:
                renamed[f"{names[int(parts[1])]}.{parts[2]}"] = value
            else:
                renamed[key] = value  # unknown: reported by _fill as unused
        return renamed
    return None


def _srvgg(state: dict[str, np.ndarray]) -> SRVGGNetCompact | None:
    if "body.0.weight" not in state or state["body.0.weight"].ndim != 4:
        return None
    indices = sorted({int(k.split(".")[1]) for k in state if re.match(r"body\.\d+\.", k)})
    last = indices[-1]
    if last < 2 or last % 2 or state.get(f"body.{last}.weight", np.zeros(0)).ndim != 4:
        return None
    if "body.1.weight" not in state:
        raise ConversionError("SRVGGNetCompact without PReLU slopes: its activation (ReLU or "
                              "LeakyReLU) cannot be read from the weights; build "
                              "SRVGGNetCompact(act_type=...) and set the weights yourself")
    num_feat = int(state["body.0.weight"].shape[0])
    scale = math.isqrt(state[f"body.{last}.weight"].shape[0] // 3)
    network = SRVGGNetCompact(scale, num_feat, (last - 2) // 2, "prelu", dtype="float32")
    _fill(network, state, lambda key: key.rsplit(".", 1)[0].replace(".", "_"),
          output_permutations={f"body_{last}": _unshuffle_permutation(scale, channels=3)})
    return network


_ARCHITECTURES: tuple[Callable[[dict[str, np.ndarray]], SuperResolutionNetwork | None], ...] = (
    _rrdbnet,
    _srvgg,
)


def _unshuffle_permutation(factor: int, channels: int | None = None) -> Callable[[int], np.ndarray]:
    """For a channel count, the PyTorch channel that each TensorFlow channel next to a pixel
    (un)shuffle holds: TF `(i*s + j)*C + c` is PyTorch `c*s*s + i*s + j`."""

    def permutation(count: int) -> np.ndarray:
        depth = channels or count // factor**2
        order = [c * factor**2 + i * factor + j
                 for i in range(factor) for j in range(factor) for c in range(depth)]
        return np.asarray(order)

    return permutation


def _fill(
    network: keras.Model,
    state: dict[str, np.ndarray],
    layer_name: Callable[[str], str],
    *,
    input_permutations: Mapping[str, Callable[[int], np.ndarray]] | None = None,
    output_permutations: Mapping[str, Callable[[int], np.ndarray]] | None = None,
) -> None:
    """Sets every weighted layer of `network` from the tensors whose key `layer_name` maps to
    it (`weight` and `bias`), strictly."""
    by_layer: dict[str, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        by_layer.setdefault(layer_name(key), {})[key.rsplit(".", 1)[1]] = value
    for layer in network.layers:
        if not layer.weights:
            continue
        tensors = by_layer.pop(layer.name, None)
        if tensors is None:
            raise ConversionError(f"has no tensors for {layer.name.replace('_', '.')}")
        weights = _keras_weights(layer, tensors)
        if input_permutations and layer.name in input_permutations:
            weights[0] = weights[0][:, :, input_permutations[layer.name](weights[0].shape[2])]
        if output_permutations and layer.name in output_permutations:
            order = output_permutations[layer.name](weights[0].shape[-1])
            weights = [w[..., order] for w in weights]
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [w.shape for w in weights] != expected:
            raise ConversionError(f"{layer.name.replace('_', '.')} has shapes "
                                  f"{[w.shape for w in weights]}, the network needs {expected}")
        layer.set_weights(weights)
    if by_layer:
        unused = sorted(f"{name}.{kind}" for name, tensors in by_layer.items() for kind in tensors)
        raise ConversionError(f"has tensors no layer of {type(network).__name__} takes: "
                              f"{', '.join(unused[:5])}")


def _keras_weights(layer: keras.layers.Layer, tensors: dict[str, np.ndarray]) -> list[np.ndarray]:
    """One layer's Keras weights from its PyTorch `weight` (and `bias`), as float32."""
    weight = np.asarray(tensors.get("weight"), np.float32)
    if isinstance(layer, keras.layers.Conv2D):
        if weight.ndim != 4 or "bias" not in tensors or len(tensors) != 2:
            raise ConversionError(f"{layer.name.replace('_', '.')} needs a 4-D weight and a "
                                  f"bias, found {sorted(tensors)}")
        return [weight.transpose(2, 3, 1, 0), np.asarray(tensors["bias"], np.float32)]
    if isinstance(layer, keras.layers.PReLU) and set(tensors) == {"weight"}:
        return [weight.reshape(1, 1, -1)]
    raise ConversionError(f"{layer.name.replace('_', '.')}: unexpected tensors {sorted(tensors)}")
