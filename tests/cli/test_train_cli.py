"""The training CLI (`python -m super_resolution_gans.train`): outputs, resume after SIGKILL,
guarded run folders, one-line errors, --init, --mixed-precision and multi-worker training.

Tiny settings throughout: 2 residual blocks, 16 filters, 32-pixel crops, batch 2, VGG22 with
random weights, a few steps on six random PNGs.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from helpers import write_photos
from PIL import Image

from super_resolution_gans import load_generator, read_generator_metadata
from super_resolution_gans.cli.train import main

TINY = ["--num-blocks", "2", "--filters", "16", "--crop-size", "32", "--batch-size", "2",
        "--quiet"]
SUBPROCESS_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def read_history(run: Path) -> list[dict[str, float]]:
    with (run / "history.csv").open() as handle:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def checkpointed_step(run: Path) -> int:
    reader = tf.train.load_checkpoint(str(run / "checkpoints"))
    return int(reader.get_tensor("g_optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"))


def train_command(data: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "super_resolution_gans.train", "--data", str(data),
            "--output", str(output), *TINY, *extra]


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_photos(tmp_path_factory.mktemp("photos") / "train")


@pytest.fixture(scope="module")
def srresnet_run(tmp_path_factory, data) -> tuple[Path, list[str]]:
    """A finished 4-step SRResNet-stage run with validation; returns (folder, argv)."""
    output = tmp_path_factory.mktemp("runs") / "srresnet"
    argv = ["--data", str(data), "--output", str(output), *TINY, "--steps", "4",
            "--checkpoint-every", "2", "--val-data", str(data), "--val-crop-size", "48",
            "--seed", "0"]
    assert main(argv) == 0
    return output, argv


def test_run_writes_checkpoints_history_and_logs(srresnet_run):
    run, _ = srresnet_run
    assert (run / "checkpoints" / "checkpoint").is_file()
    assert checkpointed_step(run) == 4
    history = read_history(run)
    assert [row["step"] for row in history] == [2, 4]
    for name in ("g_loss", "content_loss", "val_psnr", "val_ssim", "val_bicubic_psnr"):
        assert all(math.isfinite(row[name]) for row in history), name
    assert list((run / "logs").glob("events.out.tfevents.*"))
    record = json.loads((run / "run.json").read_text())
    assert record["architecture"]["num_blocks"] == 2


def test_generator_file_loads_with_metadata(srresnet_run, tmp_path):
    run, _ = srresnet_run
    path = run / "generator.keras"
    metadata = read_generator_metadata(path)
    assert metadata["stage"] == "srresnet" and metadata["steps"] == 4
    assert metadata["build_args"] == {"scale": 4, "num_blocks": 2, "filters": 16,
                                      "global_skip": False}
    generator = load_generator(path)
    assert tuple(generator(np.zeros((1, 10, 14, 3), "float32")).shape) == (1, 40, 56, 3)


def test_generator_file_works_with_infer_cli(srresnet_run, data, tmp_path):
    from super_resolution_gans import infer

    run, _ = srresnet_run
    output = tmp_path / "photo0_x4.png"
    code = infer.main(["--input-path", str(data / "photo0.png"), "--output-path", str(output),
                       "--model-path", str(run / "generator.keras"), "--quiet"])
    assert code == 0
    with Image.open(data / "photo0.png") as lr, Image.open(output) as sr:
        assert sr.size == (lr.width * 4, lr.height * 4)


def test_rerunning_a_finished_run_does_no_training(srresnet_run, caplog):
    run, argv = srresnet_run
    caplog.set_level(logging.INFO, logger="super_resolution_gans.training")
    rows = read_history(run)
    assert main(argv) == 0
    assert "resumed from step 4" in caplog.text
    assert read_history(run) == rows  # no new epoch was logged
    assert checkpointed_step(run) == 4


def test_changed_architecture_on_existing_run_is_refused(srresnet_run, capsys):
    run, argv = srresnet_run
    changed = [*argv, "--num-blocks", "3"]  # the last occurrence wins in argparse
    assert main(changed) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "num_blocks" in line and str(run) in line


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--crop-size", "30"], "multiple of --scale"),
        (["--steps", "0"], "--steps must be positive"),
        (["--stage", "srgan", "--crop-size", "40"], "multiple of 16"),
        (["--content-loss", "mse"], "--content-loss is for --stage srgan"),
        (["--degradation", "photo", "--crop-size", "16"], "must be at least 21"),
    ],
)
def test_bad_flags_exit_with_one_line(flags, expected, data, tmp_path, capsys):
    argv = ["--data", str(data), "--output", str(tmp_path / "run"), *TINY, *flags]
    assert main(argv) == 1
    assert expected in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "run").exists()


def test_missing_data_folder_exits_with_one_line(tmp_path, capsys):
    missing = tmp_path / "no_photos"
    assert main(["--data", str(missing), "--output", str(tmp_path / "run"), *TINY]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "--data" in line and "no_photos" in line


def test_resume_after_sigkill_stops_at_exactly_steps(data, tmp_path, caplog):
    run = tmp_path / "killed"
    steps = 25  # odd on purpose: the last epoch is cut short at exactly --steps
    extra = ["--steps", str(steps), "--checkpoint-every", "2", "--seed", "1"]
    process = subprocess.Popen(
        train_command(data, run, *extra), env=SUBPROCESS_ENV,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    marker = run / "checkpoints" / "checkpoint"
    deadline = time.monotonic() + 240
    try:
        while not marker.exists():
            if process.poll() is not None:
                pytest.fail(f"training exited early ({process.returncode}): "
                            f"{process.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("no checkpoint within 240 s")
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    killed_at = checkpointed_step(run)
    assert 0 < killed_at < steps

    # The same command again (in-process, to save a TensorFlow start-up).
    caplog.set_level(logging.INFO, logger="super_resolution_gans.training")
    assert main(["--data", str(data), "--output", str(run), *TINY, *extra]) == 0
    resumed = [r.getMessage() for r in caplog.records if "resumed from step" in r.getMessage()]
    assert resumed and resumed[0].startswith("resumed from step ")
    assert int(resumed[0].split()[3]) >= killed_at > 0
    assert checkpointed_step(run) == steps
    history_steps = [int(row["step"]) for row in read_history(run)]
    assert history_steps[-1] == steps
    assert history_steps == sorted(set(history_steps))  # no epoch logged twice
    assert read_generator_metadata(run / "generator.keras")["steps"] == steps


def test_resumed_run_uses_the_new_constant_learning_rate_and_validates_quietly(data, tmp_path):
    run = tmp_path / "relearn"
    common = ["--data", str(data), "--output", str(run), *TINY, "--checkpoint-every", "2",
              "--val-data", str(data), "--val-crop-size", "48", "--seed", "0"]
    assert main([*common, "--steps", "2", "--lr", "1e-3"]) == 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main([*common, "--steps", "4", "--lr", "2.5e-4"]) == 0
    reader = tf.train.load_checkpoint(str(run / "checkpoints"))
    rate = reader.get_tensor("g_optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE")
    assert checkpointed_step(run) == 4
    assert rate == pytest.approx(2.5e-4)
    # The validation set has a known length: Keras does not warn that its input ran out.
    assert not [w for w in caught if "ran out of data" in str(w.message)]


@pytest.fixture(scope="module")
def srgan_mixed_run(srresnet_run, data, tmp_path_factory):
    """An SRGAN-stage run under --mixed-precision, initialised from the SRResNet run (in a
    subprocess, so the global dtype policy of this process is untouched)."""
    run = tmp_path_factory.mktemp("runs") / "srgan"
    init = srresnet_run[0] / "generator.keras"
    result = subprocess.run(
        # 16-pixel crops and VGG12: float16 convolutions are slow on a CPU.
        train_command(data, run, "--stage", "srgan", "--crop-size", "16", "--vgg-weights",
                      "none", "--vgg-layer", "block1_conv2", "--init", str(init),
                      "--mixed-precision", "--steps", "2", "--checkpoint-every", "2"),
        env=SUBPROCESS_ENV, capture_output=True, text=True, timeout=400,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return run, result.stdout + result.stderr, init


def test_srgan_stage_starts_from_init_generator(srgan_mixed_run):
    run, output, init = srgan_mixed_run
    assert f"generator initialised from {init}" in output
    metadata = read_generator_metadata(run / "generator.keras")
    assert metadata["stage"] == "srgan" and metadata["vgg"] == "block1_conv2 (none)"


def test_mixed_precision_run_gives_finite_losses(srgan_mixed_run):
    run, _, _ = srgan_mixed_run
    (row,) = read_history(run)
    assert row["step"] == 2
    for name in ("d_loss", "g_loss", "content_loss", "adv_loss"):
        assert math.isfinite(row[name]), name
    generator = load_generator(run / "generator.keras")  # saved as float32
    assert all(weight.dtype == "float32" for weight in generator.weights)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow  # two TensorFlow processes at once: ~35-50 s on a loaded 2-core machine
def test_two_worker_training_on_localhost(data, tmp_path):
    run = tmp_path / "multiworker"
    cluster = {"worker": [f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"]}
    command = train_command(data, run, "--strategy", "multiworker", "--steps", "4",
                            "--checkpoint-every", "2", "--batch-size", "4")
    workers = []
    for index in range(2):
        config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        workers.append(subprocess.Popen(
            command, env={**SUBPROCESS_ENV, "TF_CONFIG": json.dumps(config)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=400)[0])
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output[-3000:]
    assert checkpointed_step(run) == 4  # the chief's checkpoints
    history = read_history(run)
    assert [row["step"] for row in history] == [2, 4]
    assert all(math.isfinite(row["g_loss"]) for row in history)
    assert (run / "generator.keras").is_file()


def test_degraded_srgan_mse_run_records_its_data_and_loss(data, tmp_path):
    """The paper's SRGAN-MSE (pixel MSE + 1e-3 adversarial, no VGG) on degraded LR patches."""
    output = tmp_path / "srgan_mse"
    argv = ["--data", str(data), "--output", str(output), *TINY, "--stage", "srgan",
            "--content-loss", "mse", "--degradation", "photo", "--steps", "2",
            "--checkpoint-every", "2", "--seed", "3"]
    assert main(argv) == 0
    history = read_history(output)
    assert all(math.isfinite(history[-1][name]) for name in ("d_loss", "adv_loss", "g_loss"))
    record = json.loads((output / "run.json").read_text())["architecture"]
    assert record["degradation"] == "photo" and record["content_loss"] == "mse"
    metadata = read_generator_metadata(output / "generator.keras")
    assert metadata["content_loss"] == "mse" and metadata["vgg"] is None
    assert metadata["degradation"]["preset"] == "photo"
    assert metadata["degradation"]["clean_probability"] == 0.2
    # Resuming with another degradation would mix two training distributions: refused.
    assert main([*argv, "--degradation", "realesrgan"]) == 1
