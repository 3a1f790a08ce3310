"""The one list of image extensions and the one folder lister."""

from __future__ import annotations

from super_resolution_gans.io.files import (
    IMAGE_EXTENSIONS,
    is_image_file,
    is_listed_image,
    list_images,
)


def test_extensions_are_lowercase_with_a_dot_and_include_every_written_format():
    from super_resolution_gans.io.write import WRITE_FORMATS

    assert all(ext.startswith(".") and ext == ext.lower() for ext in IMAGE_EXTENSIONS)
    assert set(WRITE_FORMATS) <= set(IMAGE_EXTENSIONS)


def test_list_images_skips_hidden_files_folders_and_other_extensions(tmp_path):
    for name in ("b.JPG", "a.png", "c.gif", "notes.txt", ".hidden.png"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.tif").write_bytes(b"")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "e.png").write_bytes(b"")
    assert [p.name for p in list_images(tmp_path)] == ["a.png", "b.JPG", "c.gif"]
    assert [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path, recursive=True)] == [
        "a.png", "b.JPG", "c.gif", "sub/d.tif"]
    assert not is_image_file(tmp_path / "notes.txt")


def test_other_listers_keep_the_same_files_with_is_listed_image(tmp_path):
    names = ["a.png", "b.JPG", "notes.txt", ".hidden.png", "sub/d.tif", ".cache/e.png"]
    for name in names:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    listed = [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path, recursive=True)]
    assert listed == sorted(name for name in names if is_listed_image(name))
    assert listed == ["a.png", "b.JPG", "sub/d.tif"]
