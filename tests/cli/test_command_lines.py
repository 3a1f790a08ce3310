"""What every command line shares: kebab-case flags with help, one meaning per flag, `--help`,
`--version` and `--list-models` without TensorFlow, and quiet start-up unless `--verbose`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from super_resolution_gans.batch.__main__ import build_parser as batch_parser
from super_resolution_gans.cli.evaluate import build_parser as evaluate_parser
from super_resolution_gans.cli.infer import build_parser as infer_parser
from super_resolution_gans.cli.train import build_parser as train_parser
from super_resolution_gans.commands import MODEL_PATH_HELP, stderr_without
from super_resolution_gans.demo.__main__ import build_parser as demo_parser
from super_resolution_gans.version import package_version

COMMANDS = {  # the module `python -m` runs, and its parser
    "infer": ("super_resolution_gans.infer", infer_parser),
    "train": ("super_resolution_gans.train", train_parser),
    "evaluate": ("super_resolution_gans.evaluate", evaluate_parser),
    "demo": ("super_resolution_gans.demo", demo_parser),
    "batch": ("super_resolution_gans.batch", batch_parser),
}

# The predecessor's (SuperResolution-GANs 0.0.x) camelCase flags, kept as aliases on infer only.
INFER_CAMEL_CASE_ALIASES = {
    "--inputPath", "--outputPath", "--modelPath", "--tileSize", "--tileOverlap",
    "--tileBatchSize", "--maxPixels", "--maxBytes",
}
KEBAB_CASE = re.compile(r"^(-[a-z]|--[a-z0-9]+(-[a-z0-9]+)*)$")
HEAVY_MODULES = ("tensorflow", "keras", "ray", "gradio", "torch", "openvino")

# Lines TensorFlow's C++ start-up and absl write to stderr, Ray's INFO log lines (Python's) and
# its C++ core's log lines of any level (`[date time I|W|E pid tid]`).
CHATTER = re.compile(
    r"(?i:onednn|cuda|absl|cpu_feature_guard)|^[IWE]\d{4} |\bINFO\b|^\[[\d\- :,]+ [IWE] \d+ \d+\]"
)

# Runs a command's module as `python -m` does, then reports its exit code and heavy imports.
PROBE = """
import json, runpy, sys
watched, module, *args = sys.argv[1:]
sys.argv = [module, *args]
try:
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as exit:
    code = exit.code
heavy = [name for name in watched.split(",") if name in sys.modules]
print("PROBE " + json.dumps({"code": code, "heavy": heavy}))
"""


def _environment(**extra: str) -> dict[str, str]:
    """This environment without the settings that would hide TensorFlow's and Ray's output."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("TF_CPP_MIN_LOG_LEVEL", "RAY_LOGGER_LEVEL")}
    return {**env, "CUDA_VISIBLE_DEVICES": "", **extra}


def _probe(module: str, *args: str) -> tuple[dict, str]:
    command = [sys.executable, "-c", PROBE, ",".join(HEAVY_MODULES), module, *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env=_environment())
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("PROBE ")]
    return json.loads(line.removeprefix("PROBE ")), result.stdout


def _actions(parser):
    return [action for action in parser._actions if action.option_strings]


@pytest.mark.parametrize("flag", ["--help", "--version"])
@pytest.mark.parametrize("command", COMMANDS)
def test_help_and_version_answer_without_tensorflow(command, flag):
    report, stdout = _probe(COMMANDS[command][0], flag)
    assert report == {"code": 0, "heavy": []}, report
    if flag == "--version":
        assert f"super_resolution_gans {package_version()}" in stdout
    else:
        assert "--verbose" in stdout and "--quiet" in stdout


def test_list_models_answers_without_a_model_or_other_flags(capsys):
    with pytest.raises(SystemExit) as exit_info:
        batch_parser().parse_args(["--list-models"])
    assert exit_info.value.code == 0
    assert "srresnet_x4" in capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_flag_is_kebab_case_and_has_help(command):
    parser = COMMANDS[command][1]()
    for action in _actions(parser):
        assert action.help and action.help != "==SUPPRESS==", action.option_strings
        for option in action.option_strings:
            if command == "infer" and option in INFER_CAMEL_CASE_ALIASES:
                continue
            assert KEBAB_CASE.match(option), f"{command} {option}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_quiet_verbose_and_version(command):
    options = {option for action in _actions(COMMANDS[command][1]())
               for option in action.option_strings}
    assert {"--quiet", "-q", "--verbose", "-v", "--version", "--help"} <= options


def test_a_flag_means_the_same_in_every_command():
    meaning: dict[str, tuple[str, str]] = {}
    for command, (_, build_parser) in COMMANDS.items():
        for action in _actions(build_parser()):
            for option in action.option_strings:
                first = meaning.setdefault(option, (command, action.dest))
                assert first[1] == action.dest, f"{option}: {first} vs {command} {action.dest}"
    assert meaning["--lr"] == ("train", "lr")  # the learning rate; evaluate's LR folder is --lr-dir
    assert meaning["--lr-dir"] == ("evaluate", "lr_dir")


def test_model_path_is_documented_once_for_every_command_that_takes_a_model():
    for command in ("infer", "evaluate", "batch"):
        actions = {action.option_strings[0]: action for action in _actions(
            COMMANDS[command][1]())}
        assert actions["--model-path"].help == MODEL_PATH_HELP, command
        assert actions["--model-path"].dest == "model_path"
        assert "--list-models" in actions, command


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("infer", []),
        ("train", ["--data", "photos"]),
        ("evaluate", []),
        ("demo", ["--port", "0"]),
        ("batch", ["--input-path", "in", "--output-path", "out", "--workers", "0"]),
        ("batch", ["--input-path", "in", "--output-path", "out", "--quiet", "--verbose"]),
    ],
)
def test_invalid_arguments_exit_2(command, argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        COMMANDS[command][1]().parse_args(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("usage: ")


@pytest.fixture
def tiny_photo(tmp_path) -> Path:
    (tmp_path / "photos").mkdir()
    path = tmp_path / "photos" / "photo.png"
    rng = np.random.default_rng(5)
    Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).save(path)
    return path


def _infer(tiny_photo: Path, model: Path, *flags: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "super_resolution_gans.infer", "--input-path",
               str(tiny_photo), "--output-path", str(tiny_photo.with_name("x4.png")),
               "--model-path", str(model), *flags]
    return subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env=_environment())


def test_tensorflow_start_up_lines_stay_off_the_terminal(tiny_photo, tiny_generator_file):
    result = _infer(tiny_photo, tiny_generator_file)
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if CHATTER.search(line)] == []
    assert "wrote" in result.stderr  # the command's own log line is still shown
    assert Image.open(tiny_photo.with_name("x4.png")).size == (64, 48)


def test_verbose_shows_tensorflow_start_up_lines(tiny_photo, tiny_generator_file):
    result = _infer(tiny_photo, tiny_generator_file, "--verbose")
    assert result.returncode == 0, result.stderr
    if not any(CHATTER.search(line) for line in result.stderr.splitlines()):
        pytest.skip("this TensorFlow build writes no start-up lines")


def test_ray_info_lines_stay_off_the_terminal(tiny_photo, tiny_generator_file, tmp_path):
    pytest.importorskip("ray", reason="Ray Data is not installed (the batch extra)")
    output = tmp_path / "out"
    command = [sys.executable, "-m", "super_resolution_gans.batch", "--input-path",
               str(tiny_photo.parent), "--output-path", str(output), "--model-path",
               str(tiny_generator_file), "--cpus", "1"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env=_environment())
    assert result.returncode == 0, result.stderr
    assert (output / "photo.png").exists()
    assert [line for line in (result.stdout + result.stderr).splitlines()
            if CHATTER.search(line)] == []


def test_stderr_without_drops_only_the_marked_lines_of_this_process_and_its_children(capfd):
    child = ("import os; os.write(2, b'[2026 E 1 2] core.cc: the notice here\\n'); "
             "os.write(2, b'child kept\\n')")
    with stderr_without("the notice"):
        os.write(2, b"progress 1/2\r")  # no newline: passes at once
        os.write(2, b"[2026-12-05 E 3 4] core.cc: ")
        os.write(2, b"the notice, split over two writes\n")
        subprocess.run([sys.executable, "-c", child], check=True)
        print("python's stderr kept", file=sys.stderr)
    print("after the block", file=sys.stderr)
    assert capfd.readouterr().err == (
        "progress 1/2\rchild kept\npython's stderr kept\nafter the block\n")


# The forwarding thread must not die of the failed writes (an exception in it is an error here).
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_stderr_without_survives_a_closed_stderr_and_restores_it(capfd):
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    os.close(read_end)  # stderr is a pipe nobody reads: every write fails (EPIPE)
    os.dup2(write_end, 2)
    os.close(write_end)
    broken = os.fstat(2).st_ino
    try:
        with stderr_without("notice"):  # the forwarder's writes fail; the block must not
            for _ in range(3):
                os.write(2, b"a line nobody can read\n")
        restored = os.fstat(2).st_ino
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    assert restored == broken
    print("stderr works after the block", file=sys.stderr)
    assert "stderr works after the block" in capfd.readouterr().err
