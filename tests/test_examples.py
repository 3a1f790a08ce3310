"""The examples run as shipped, with tiny settings: the training script end to end (subprocess)
and the quickstart notebook (executed with nbclient on the python3 kernel)."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import write_photos
from PIL import Image

from super_resolution_gans import load_generator, read_generator_metadata

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_IMAGE = (
    Path(__file__).resolve().parents[1] / "super_resolution_gans" / "assets" / "example_lr.png"
)


def test_train_custom_dataset_runs_both_stages(tmp_path):
    data = write_photos(tmp_path / "photos")
    output = tmp_path / "run"
    command = [
        sys.executable, str(EXAMPLES / "train_custom_dataset.py"),
        "--data", str(data), "--val-data", str(data), "--output", str(output),
        "--steps", "2", "--num-blocks", "2", "--filters", "16", "--disc-filters", "8",
        "--crop-size", "32", "--batch-size", "2", "--vgg-weights", "none",
        "--vgg-layer", "block2_conv2", "--seed", "0",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=400,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "validation: PSNR" in result.stdout
    for stage in ("srresnet", "srgan"):
        path = output / f"{stage}.keras"
        assert read_generator_metadata(path)["stage"] == stage
        assert read_generator_metadata(path)["build_args"]["num_blocks"] == 2
    srresnet = load_generator(output / "srresnet.keras")
    srgan = load_generator(output / "srgan.keras")
    # The SRGAN stage continued training the SRResNet generator: same shapes, new weights.
    pairs = list(zip(srresnet.get_weights(), srgan.get_weights(), strict=True))
    assert all(a.shape == b.shape for a, b in pairs)
    assert any(not np.array_equal(a, b) for a, b in pairs)


def _execute_notebook(path: Path, parameters: str, workdir: Path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(path, as_version=4)
    tagged = [i for i, cell in enumerate(notebook.cells)
              if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "the notebook needs one cell tagged 'parameters'"
    # Injected after the parameters cell, as papermill does: the defaults still run first.
    notebook.cells.insert(tagged[0] + 1, nbformat.v4.new_code_cell(parameters))
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=300,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    return notebook


def test_quickstart_notebook_predicts_and_shows(tmp_path, tiny_generator_file):
    image = EXAMPLE_IMAGE
    if not image.is_file():  # the shipped image is not part of this checkout
        image = tmp_path / "lr.png"
        Image.fromarray(np.random.default_rng(1).integers(0, 256, (24, 32, 3), np.uint8)).save(
            image
        )
    parameters = f"IMAGE_PATH = {str(image)!r}\nMODEL_PATH = {str(tiny_generator_file)!r}"
    notebook = _execute_notebook(EXAMPLES / "quickstart.ipynb", parameters, tmp_path)

    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    with Image.open(image) as lr_image:
        width, height = lr_image.size
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert f"input ({height}, {width}, 3) uint8 -> output ({4 * height}, {4 * width}, 3) uint8" \
        in printed
    figures = [o.data["image/png"] for o in outputs
               if o.output_type == "display_data" and "image/png" in o.get("data", {})]
    assert len(figures) == 2  # the input and the 4x result
    for figure in figures:
        with Image.open(io.BytesIO(base64.b64decode(figure))) as png:
            assert png.width > 100


def test_quickstart_notebook_defaults_to_the_shipped_image():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert '"assets" / "example_lr.png"' in source
    assert "srgan_utils.SRGAN_predict(IMAGE_PATH, MODEL_PATH)" in source
    assert "srgan_utils.show_image(sr" in source
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_comparison_strip_puts_bicubic_each_model_and_the_original_side_by_side(
    tmp_path, tiny_generator_file
):
    rng = np.random.default_rng(3)
    photo = rng.integers(0, 256, (48, 56, 3), dtype=np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    output = tmp_path / "strip.png"
    command = [
        sys.executable, str(EXAMPLES / "comparison_strip.py"), "--hr", str(tmp_path / "photo.png"),
        "--models", str(tiny_generator_file), "--crop", "8", "4", "32", "--zoom", "2",
        "--degrade", "jpeg:60", "--output", str(output),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    strip = np.asarray(Image.open(output).convert("RGB"))
    # Three panels of 64 x 64 (32 zoomed twice) under an 18-pixel label, 4 pixels apart.
    assert strip.shape == (18 + 64, 3 * 64 + 2 * 4, 3)
    original = np.repeat(np.repeat(photo[8:40, 4:36], 2, axis=0), 2, axis=1)
    np.testing.assert_array_equal(strip[18:, -64:], original)
    assert not np.array_equal(strip[18:, :64], original)  # bicubic of the JPEG LR differs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png", "strip.png"]  # no temp
