"""The one atomic-write helper: complete files or none, permissions kept, no temporary left."""

from __future__ import annotations

import os
import stat

import pytest

from super_resolution_gans.io.atomic import atomic_path, atomic_write, current_umask
from super_resolution_gans.validation import ArgumentError


def test_write_replaces_the_file_in_one_step(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with atomic_write(target, "w") as file:
        file.write("new")
        assert target.read_text() == "old"  # not replaced before the block ends
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_an_error_leaves_the_old_file_and_no_partial_file(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="halfway"), atomic_write(target) as file:
        file.write(b"partial")
        raise RuntimeError("halfway")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_an_error_before_the_first_write_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "new.keras"):
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_the_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_path(target) as temporary:
        temporary.write_text("new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_the_temporary_path_ends_like_the_target_for_writers_that_need_it(tmp_path):
    with atomic_path(tmp_path / "g.weights.h5", suffix=".weights.h5") as temporary:
        assert temporary.parent == tmp_path and temporary.name.endswith(".weights.h5")
        temporary.write_bytes(b"x")


def test_a_folder_replaces_a_folder(tmp_path):
    target = tmp_path / "saved_model"
    target.mkdir()
    (target / "old.pb").write_bytes(b"old")
    with atomic_path(target, directory=True) as temporary:
        (temporary / "new.pb").write_bytes(b"new")
    assert os.listdir(target) == ["new.pb"]
    assert os.listdir(tmp_path) == ["saved_model"]


def test_a_new_folder_gets_the_usual_permissions(tmp_path):
    with atomic_path(tmp_path / "saved_model", directory=True) as temporary:
        assert stat.S_IMODE(temporary.stat().st_mode) == 0o700  # private while written
    mode = stat.S_IMODE((tmp_path / "saved_model").stat().st_mode)
    assert mode == 0o777 & ~current_umask()


def test_companion_files_replace_theirs_first_and_go_on_errors(tmp_path):
    """OpenVINO writes `model.bin` beside `model.xml`: both land, or neither."""
    target = tmp_path / "model.xml"
    with atomic_path(target, companions=(".bin",)) as temporary:
        temporary.write_text("<xml/>")
        temporary.with_suffix(".bin").write_bytes(b"weights")
    assert target.read_text() == "<xml/>" and (tmp_path / "model.bin").read_bytes() == b"weights"
    with pytest.raises(RuntimeError, match="halfway"), atomic_path(
        target, companions=(".bin",)
    ) as temporary:
        temporary.with_suffix(".bin").write_bytes(b"partial")
        raise RuntimeError("halfway")
    assert sorted(os.listdir(tmp_path)) == ["model.bin", "model.xml"]
    assert (tmp_path / "model.bin").read_bytes() == b"weights"


def test_reading_modes_are_refused(tmp_path):
    with pytest.raises(ArgumentError, match="writing mode") as caught, atomic_write(
        tmp_path / "a", "r"
    ):
        pass
    assert caught.value.argument == "mode"
