"""RRDBNet and SRVGGNetCompact: architecture, PyTorch checkpoints in every published key layout
(parity with spandrel's outputs, committed as fixtures), tiling, training and export."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from super_resolution_gans.inference import Upscaler
from super_resolution_gans.io.model_io import load_generator, save_generator
from super_resolution_gans.models import RRDBNet, SRVGGNetCompact, tile_overlap, trunk_split
from super_resolution_gans.models.pytorch import ConversionError, network_from_state_dict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "esrgan"
# spandrel's float32 outputs on the [0, 1] scale against ours: float rounding only.
PARITY = 1e-4

CHECKPOINTS = {
    "rrdb_x4_basicsr.pth": (RRDBNet, 4),  # {'params_ema': ...}, BasicSR keys
    "rrdb_x4_esrgan2019.pth": (RRDBNet, 4),  # RRDB_trunk keys, module. prefix
    "rrdb_x4_esrgan_original_legacy_fp16.pth": (RRDBNet, 4),  # model.N keys, legacy, float16
    "rrdb_x2_basicsr.pth": (RRDBNet, 2),  # pixel-unshuffle 2 in front, {'params': ...}
    "rrdb_x1_basicsr.pth": (RRDBNet, 1),  # pixel-unshuffle 4 in front
    "rrdb_x8_esrgan_original.pth": (RRDBNet, 8),  # three upsampling steps
    "srvgg_x4_prelu.pth": (SRVGGNetCompact, 4),  # pixel shuffle 4, per-channel PReLU
    "srvgg_x2_prelu.safetensors": (SRVGGNetCompact, 2),
}


def reference(name: str) -> dict[str, np.ndarray]:
    """The fixture's input `lr` and spandrel's output `sr` (HWC, [0, 1]) and its sizes."""
    return dict(np.load(FIXTURES / f"{name.rsplit('.', 1)[0]}.npz"))


@pytest.mark.parametrize("name", sorted(CHECKPOINTS))
def test_checkpoint_matches_spandrel_in_every_published_layout(name):
    network = load_generator(FIXTURES / name)
    expected_class, scale = CHECKPOINTS[name]
    assert type(network) is expected_class and network.scale == scale
    fixture = reference(name)
    output = np.asarray(network(fixture["lr"][None] * 255.0))[0] / 255.0
    assert output.shape == fixture["sr"].shape
    assert np.abs(output - fixture["sr"]).max() < PARITY


def test_sizes_are_read_from_the_tensor_shapes():
    network = load_generator(FIXTURES / "rrdb_x4_basicsr.pth")
    fixture = reference("rrdb_x4_basicsr.pth")
    assert network.architecture == {"scale": 4, "num_feat": int(fixture["num_feat"]),
                                    "num_block": int(fixture["num_block"]),
                                    "num_grow_ch": int(fixture["num_grow_ch"])}


def test_published_sizes_have_the_published_parameter_counts():
    # Real-ESRGAN's RRDBNet x4: 16,697,987 parameters; realesr-general-x4v3: 1,213,296.
    assert RRDBNet().count_params() == 16_697_987
    assert SRVGGNetCompact(num_conv=32).count_params() == 1_213_296


def test_unknown_tensors_are_refused_with_their_names():
    with pytest.raises(ConversionError, match="match no known network.*encoder.weight"):
        network_from_state_dict({"encoder.weight": np.zeros((4, 3, 3, 3), "float32")})
    with pytest.raises(ConversionError, match="no tensors"):
        network_from_state_dict({"params": {"lr": "not a tensor"}})


def test_a_missing_or_extra_tensor_is_refused(tmp_path):
    from safetensors.numpy import save_file

    from super_resolution_gans.io.torch_files import read_checkpoint
    from super_resolution_gans.models.pytorch import canonical_state_dict

    state = canonical_state_dict(read_checkpoint(FIXTURES / "rrdb_x4_basicsr.pth"))
    incomplete = {k: v for k, v in state.items() if not k.startswith("conv_hr.")}
    with pytest.raises(ConversionError, match="no tensors for conv.hr"):
        network_from_state_dict(incomplete)
    extra = {**state, "conv_extra.weight": np.zeros((3, 3, 3, 3), "float32")}
    with pytest.raises(ConversionError, match="conv_extra.weight"):
        network_from_state_dict(extra)
    path = tmp_path / "incomplete.safetensors"
    save_file(incomplete, str(path))
    with pytest.raises(ValueError, match=r"incomplete\.safetensors: not a network this library"):
        load_generator(path)


def test_a_checkpoint_that_would_run_code_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"

    class Exploit:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').close()",))

    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", pickle.dumps({"params": Exploit()}, protocol=2))
        archive.writestr("evil/version", "3\n")
    with pytest.raises(ValueError, match=r"evil\.pth.*exec"):
        load_generator(path)
    assert not marker.exists()


def test_networks_round_trip_through_keras_files_in_safe_mode(tmp_path):
    for network in (RRDBNet(scale=2, num_feat=8, num_block=1, num_grow_ch=4),
                    SRVGGNetCompact(num_feat=8, num_conv=2, act_type="leakyrelu")):
        path = save_generator(network, tmp_path / f"{network.name}.keras")
        loaded = keras.models.load_model(path, safe_mode=True)
        image = np.random.default_rng(0).uniform(0, 255, (1, 7, 9, 3)).astype("float32")
        assert type(loaded) is type(network)
        np.testing.assert_allclose(loaded(image), network(image), atol=1e-4)


def test_compact_network_tiles_exactly_with_its_receptive_radius():
    network = load_generator(FIXTURES / "srvgg_x4_prelu.pth")
    assert tile_overlap(network) == network.receptive_radius == 5  # num_conv 3 + 2
    rgb = np.random.default_rng(1).uniform(0, 255, (37, 29, 3)).astype("float32")
    whole = Upscaler(network, tile_size=0, runtime="tensorflow").upscale_rgb(rgb)
    tiled = Upscaler(network, tile_size=8, runtime="tensorflow").upscale_rgb(rgb)
    assert np.abs(whole - tiled).max() < 1e-2


@pytest.mark.parametrize("scale", [4, 2])
def test_rrdbnet_tiles_exactly_with_its_full_receptive_radius(scale):
    network = load_generator(FIXTURES / f"rrdb_x{scale}_basicsr.pth")
    radius = network.receptive_radius
    rgb = np.random.default_rng(2).uniform(0, 255, (30, 26, 3)).astype("float32")
    whole = Upscaler(network, tile_size=0, runtime="tensorflow").upscale_rgb(rgb)
    tiled = Upscaler(network, tile_size=10, tile_overlap=radius,
                     runtime="tensorflow").upscale_rgb(rgb)
    assert tiled.shape == whole.shape == (30 * scale, 26 * scale, 3)
    assert np.abs(whole - tiled).max() < 1e-2


def test_rrdbnet_default_overlap_is_the_effective_field_and_splits_in_two_stages():
    full = RRDBNet()
    assert full.receptive_radius == 349  # 2 + 15 * 23 trunk convs, about 1.25 in the tail
    assert full.tile_overlap == 80 < full.receptive_radius  # measured: README, "Tiling"
    split = trunk_split(RRDBNet(num_feat=8, num_block=1, num_grow_ch=4))
    assert split is not None and split.tail_overlap == 2
    assert trunk_split(RRDBNet(scale=2, num_feat=8, num_block=1, num_grow_ch=4)) is None
    tiny = RRDBNet(num_feat=8, num_block=1, num_grow_ch=4)
    assert tiny.tile_overlap == tiny.receptive_radius  # few blocks: exact


def test_two_stage_tiling_of_rrdbnet_equals_one_pass_with_a_full_overlap():
    network = load_generator(FIXTURES / "rrdb_x4_basicsr.pth")
    rgb = np.random.default_rng(3).uniform(0, 255, (40, 34, 3)).astype("float32")
    whole = Upscaler(network, tile_size=0, runtime="tensorflow").upscale_rgb(rgb)
    staged = Upscaler(network, tile_size=8, runtime="tensorflow").upscale_rgb(rgb)
    assert np.abs(whole - staged).max() < 1e-2


def test_gray_alpha_and_16_bit_images_keep_their_kind():
    upscaler = Upscaler(load_generator(FIXTURES / "srvgg_x2_prelu.safetensors"),
                        runtime="tensorflow")
    rng = np.random.default_rng(4)
    for image in (rng.integers(0, 256, (9, 7), dtype=np.uint8),
                  rng.integers(0, 256, (9, 7, 4), dtype=np.uint8),
                  rng.integers(0, 65536, (9, 7, 3), dtype=np.uint16)):
        _lr, sr = upscaler.upscale(image)
        assert sr.shape == (18, 14, *image.shape[2:]) and sr.dtype == image.dtype


@pytest.mark.parametrize("network", [
    RRDBNet(num_feat=8, num_block=1, num_grow_ch=4, name="rrdb"),
    SRVGGNetCompact(num_feat=8, num_conv=2, name="compact"),
], ids=["rrdbnet", "compact"])
def test_networks_train_with_the_srgan_model(network):
    from super_resolution_gans import SRGAN, build_discriminator

    gan = SRGAN(network, build_discriminator(hr_size=32, filters=8), feature_extractor=None)
    gan.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))
    rng = np.random.default_rng(5)
    lr = rng.uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    hr = rng.uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    before = [w.copy() for w in network.get_weights()]
    history = gan.fit(lr, hr, batch_size=2, epochs=2, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    assert any(np.abs(a - b).max() > 0 for a, b in zip(before, network.get_weights(), strict=True))


@pytest.mark.parametrize("layer, shape", [
    ("PixelUnshuffle", (1, 4, 6, 3)),
    ("PadToMultiple", (1, 5, 7, 3)),
    ("ScaledResidual", None),
], ids=["unshuffle", "pad", "scaled_residual"])
def test_new_layers_round_trip_their_config_and_keras_files(layer, shape, tmp_path):
    from helpers import run_serialization_test

    from super_resolution_gans.models import layers

    instance = {"PixelUnshuffle": lambda: layers.PixelUnshuffle(2),
                "PadToMultiple": lambda: layers.PadToMultiple(4),
                "ScaledResidual": lambda: layers.ScaledResidual(0.3)}[layer]()
    data = None if shape is None else np.random.default_rng(6).normal(size=shape).astype(
        "float32")
    run_serialization_test(instance, input_data=data, tmp_path=tmp_path)
