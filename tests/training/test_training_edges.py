"""Training edges: the progress bar counts the run's steps, a missing VGG19 download is one line
that names the fix and leaves nothing behind, and run files of other settings are refused.

Tiny settings: 1 residual block, 8 filters, 32-pixel crops, batch 2, four random PNGs.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from super_resolution_gans.cli.train import main
from super_resolution_gans.training import TrainConfig, VGGWeightsError, train

TINY = {"num_blocks": 1, "filters": 8, "crop_size": 32, "batch_size": 2}
TINY_FLAGS = ["--num-blocks", "1", "--filters", "8", "--crop-size", "32", "--batch-size", "2"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for index in range(4):
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(
            folder / f"photo{index}.png")
    return folder


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """keras.applications cannot download (what get_file raises when the host is unknown)."""
    from keras.src.utils import file_utils  # what keras.applications.vgg19 calls

    def fail(fname, origin=None, **kwargs):
        raise Exception(f"URL fetch failure on {origin}: None -- [Errno -3] Temporary failure "
                        "in name resolution")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(file_utils, "get_file", fail)


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "log file"])
def test_progress_bar_counts_the_steps_of_the_run_not_of_a_checkpoint(
    data, tmp_path, capsys, monkeypatch, terminal
):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal)  # a bar updated in place, or not
    config = TrainConfig(data=data, output=tmp_path / "run", steps=4, checkpoint_every=500,
                         seed=0, **TINY)
    train(config)
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)  # no colours
    counts = set(re.findall(r"(\d+)/(\d+) ", out))
    assert ("4", "4") in counts and all(total == "4" for _, total in counts), out[-500:]
    assert "500" not in out


def test_srgan_without_vgg_weights_is_one_line_naming_the_fix_and_writes_nothing(
    data, tmp_path, offline, capsys
):
    output = tmp_path / "gan"
    argv = ["--data", str(data), "--output", str(output), *TINY_FLAGS, "--stage", "srgan",
            "--steps", "1", "--checkpoint-every", "1", "--quiet"]
    assert main(argv) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --stage srgan"), lines
    assert "--content-loss mse" in lines[0] and "--vgg-weights PATH" in lines[0]
    assert "Temporary failure in name resolution" in lines[0]
    assert not output.exists()  # no run.json to refuse the corrected command

    assert main([*argv, "--content-loss", "mse"]) == 0
    assert json.loads((output / "run.json").read_text())["architecture"]["content_loss"] == "mse"


def test_the_library_error_is_typed_and_an_os_error(data, tmp_path, offline):
    config = TrainConfig(data=data, output=tmp_path / "gan", stage="srgan", steps=1, **TINY)
    with pytest.raises(VGGWeightsError, match=r"--content-loss mse") as info:
        train(config)
    assert isinstance(info.value, OSError)
    assert info.value.cache == tmp_path / "keras_home" / "models"


def test_a_run_file_without_a_setting_is_another_run(data, tmp_path):
    output = tmp_path / "old"
    output.mkdir()
    settings = TrainConfig(data=data, output=output, **TINY).run_defining()
    del settings["degradation"]  # a run.json of another version, without this setting
    (output / "run.json").write_text(json.dumps({"architecture": settings}))
    with pytest.raises(ValueError, match=r"other settings \(degradation: None -> 'none'\)"):
        train(TrainConfig(data=data, output=output, steps=1, **TINY))
