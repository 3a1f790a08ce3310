"""export_generator: every format keeps dynamic sizes and the Keras model's output."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from helpers import randomize_weights

from super_resolution_gans import RRDBNet, SRVGGNetCompact, build_generator, export_generator


@pytest.fixture(scope="module")
def generator():
    return randomize_weights(build_generator(num_blocks=2, filters=16), seed=7)


NETWORKS = {
    "srresnet": lambda: randomize_weights(build_generator(num_blocks=2, filters=16), seed=7),
    "rrdbnet": lambda: randomize_weights(RRDBNet(num_feat=8, num_block=1, num_grow_ch=4), seed=8),
    "rrdbnet_x2": lambda: randomize_weights(
        RRDBNet(scale=2, num_feat=8, num_block=1, num_grow_ch=4), seed=9),
    "compact": lambda: randomize_weights(SRVGGNetCompact(num_feat=8, num_conv=2), seed=10),
}


@pytest.fixture(scope="module")
def odd_image():
    return np.random.default_rng(1).uniform(0, 255, (1, 13, 21, 3)).astype("float32")


def _run_saved_model(path, batch):
    loaded = tf.saved_model.load(str(path))  # keep a reference: it owns the variables
    return loaded.serve(batch).numpy()


def _run_tflite(path, batch):
    interpreter = tf.lite.Interpreter(str(path))
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, batch.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, batch)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def _run_onnx(path, batch):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path))
    return session.run(None, {session.get_inputs()[0].name: batch})[0]


def _run_openvino(path, batch):
    import openvino

    core = openvino.Core()
    compiled = core.compile_model(core.read_model(str(path)), "CPU",
                                  {"INFERENCE_PRECISION_HINT": "f32"})
    return compiled(batch)[0]


@pytest.mark.parametrize("network", sorted(NETWORKS))
@pytest.mark.parametrize(
    "fmt, name, run",
    [
        ("saved_model", "generator_savedmodel", _run_saved_model),
        ("tflite", "generator.tflite", _run_tflite),
        ("onnx", "generator.onnx", _run_onnx),
        ("openvino", "generator.xml", _run_openvino),
    ],
)
def test_export_matches_keras_on_an_odd_sized_image(network, odd_image, tmp_path, fmt, name, run):
    if (fmt, network) == ("tflite", "rrdbnet_x2"):
        pytest.skip("TFLite runs the x2 network's dynamic reflect pad only with the Flex "
                    "delegate (select TensorFlow ops); README, 'Speed and export'")
    generator = NETWORKS[network]()
    path = export_generator(generator, tmp_path / name, format=fmt)
    assert path.exists()
    for batch in (odd_image, np.concatenate([odd_image[:, :9, :11]] * 2)):  # two sizes
        expected = generator(batch, training=False).numpy()
        output = run(path, batch)
        assert output.shape == expected.shape
        assert np.abs(output - expected).max() < 1.0
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # the staging folder is gone


def test_openvino_export_writes_its_weights_file_beside_the_xml(generator, tmp_path):
    export_generator(generator, tmp_path / "g.xml", format="openvino")
    assert (tmp_path / "g.bin").stat().st_size > 0


def test_export_refuses_unknown_formats_and_wrong_suffixes(generator, tmp_path):
    with pytest.raises(ValueError, match="format must be one of"):
        export_generator(generator, tmp_path / "g.pt", format="torchscript")
    with pytest.raises(ValueError, match="must end in .onnx"):
        export_generator(generator, tmp_path / "g.tflite", format="onnx")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        export_generator(generator, tmp_path / "missing" / "g.onnx", format="onnx")
