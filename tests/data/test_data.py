"""The tf.data pipeline: shapes, LR generation, alignment, augmentation, seeds, files, errors."""

import logging

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image, ImageOps

from super_resolution_gans.data import make_dataset
from super_resolution_gans.data.transforms import decode
from super_resolution_gans.io.decode import read_image
from super_resolution_gans.validation import ArgumentError

SCALE, CROP, LR_CROP = 4, 16, 4
SMALL = dict(scale=SCALE, crop_size=CROP, batch_size=2, patches_per_image=4, shuffle_buffer=8)


def _photo(seed, height=64, width=80):
    """A gradient plus noise: every 16x16 patch is unique, so it can be located exactly."""
    rng = np.random.default_rng(seed)
    ramp = np.add.outer(np.linspace(0, 120, height), np.linspace(0, 100, width))[..., None]
    return np.clip(ramp + rng.integers(0, 120, (height, width, 3)), 0, 255).astype(np.uint8)


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "hr"
    folder.mkdir()
    images = {f"img{i}.png": _photo(i) for i in range(3)}
    for name, array in images.items():
        Image.fromarray(array).save(folder / name)
    return folder, images


def _batches(ds, count):
    return [(lr.numpy(), hr.numpy()) for lr, hr in ds.take(count)]


def _transforms(patch):
    """The 8 flips / rotations of an HWC patch, as (index, transformed)."""
    out = []
    for flip in (False, True):
        base = patch[:, ::-1] if flip else patch
        for k in range(4):
            out.append((flip * 4 + k, np.rot90(base, k)))
    return out


def _locate(patch, images):
    """(image name, y, x, transform index) of every place ``patch`` was cropped from."""
    size = patch.shape[0]
    found = []
    for index, candidate in _transforms(patch):
        for name, image in images.items():
            starts = np.argwhere(np.all(image == candidate[0, 0], axis=-1))
            found += [
                (name, int(y), int(x), index)
                for y, x in starts
                if np.array_equal(image[y : y + size, x : x + size], candidate)
            ]
    return found


def test_batches_have_the_documented_shapes_dtypes_and_range(photos):
    ds = make_dataset(photos[0], seed=None, **SMALL)
    assert ds.element_spec[0].shape == (2, LR_CROP, LR_CROP, 3)
    assert ds.element_spec[1].shape == (2, CROP, CROP, 3)
    for lr, hr in _batches(ds, 3):
        assert lr.dtype == hr.dtype == np.float32
        for array in (lr, hr):
            assert 0.0 <= array.min() and array.max() <= 255.0
            np.testing.assert_array_equal(array, np.round(array))  # 8-bit values


def test_lr_is_the_antialiased_bicubic_downscale_of_the_hr_patch(photos):
    for lr, hr in _batches(make_dataset(photos[0], seed=1, **SMALL), 4):
        expected = tf.image.resize(hr, (LR_CROP, LR_CROP), method="bicubic", antialias=True)
        np.testing.assert_array_equal(lr, np.round(np.clip(expected.numpy(), 0, 255)))


def test_hr_patches_are_crops_and_augmentations_occur(photos):
    folder, images = photos
    transforms = set()
    for _, hr in _batches(make_dataset(folder, seed=2, **SMALL), 10):
        for patch in hr.astype(np.uint8):
            found = _locate(patch, images)
            assert found, "an HR patch is not a (flipped / rotated) crop of any source image"
            transforms |= {index for *_, index in found}
    # 20 patches drawn from 8 equally likely transforms: identity-only has probability 8^-20.
    assert len(transforms) >= 3


def test_same_seed_same_batches_different_seed_different(photos):
    first = _batches(make_dataset(photos[0], seed=7, **SMALL), 3)
    again = _batches(make_dataset(photos[0], seed=7, **SMALL), 3)
    other = _batches(make_dataset(photos[0], seed=8, **SMALL), 3)
    for (lr_a, hr_a), (lr_b, hr_b) in zip(first, again, strict=True):
        np.testing.assert_array_equal(hr_a, hr_b)
        np.testing.assert_array_equal(lr_a, lr_b)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(first, other, strict=True))


def _box_downscale(hr):
    """Mean of SCALE x SCALE blocks, rounded: an LR that reveals any misalignment."""
    h, w = hr.shape[-3] // SCALE, hr.shape[-2] // SCALE
    blocks = hr[..., : h * SCALE, : w * SCALE, :].astype(np.float64)
    blocks = blocks.reshape(*hr.shape[:-3], h, SCALE, w, SCALE, 3)
    return np.round(blocks.mean(axis=(-4, -2)))


def test_paired_lr_dir_crops_are_aligned(photos, tmp_path):
    folder, images = photos
    lr_folder = tmp_path / "lr"
    lr_folder.mkdir()
    for name, image in images.items():
        Image.fromarray(_box_downscale(image).astype(np.uint8)).save(lr_folder / name)
    ds = make_dataset(folder, lr_dir=lr_folder, seed=3, **SMALL)
    for lr, hr in _batches(ds, 6):
        np.testing.assert_array_equal(lr, _box_downscale(hr))
    val = make_dataset(folder, lr_dir=lr_folder, training=False, crop_size=None, batch_size=1)
    for (lr, hr), image in zip(val.as_numpy_iterator(), images.values(), strict=True):
        np.testing.assert_array_equal(hr[0], image)
        np.testing.assert_array_equal(lr[0], _box_downscale(image))


def test_paired_lr_dir_with_wrong_names_or_sizes_is_rejected(photos, tmp_path):
    folder, images = photos
    lr_folder = tmp_path / "lr"
    lr_folder.mkdir()
    for name, image in images.items():
        Image.fromarray(image[::4, ::4]).save(lr_folder / name)
    (lr_folder / "img0.png").rename(lr_folder / "other.png")
    with pytest.raises(ValueError, match="img0.png.*other.png"):
        make_dataset(folder, lr_dir=lr_folder, **SMALL)
    (lr_folder / "other.png").rename(lr_folder / "img0.png")
    Image.fromarray(images["img1.png"][::2, ::2]).save(lr_folder / "img1.png")
    with pytest.raises(ValueError, match=r"img1.png \(HR 80x64, LR 40x32, expected LR 20x16\)"):
        make_dataset(folder, lr_dir=lr_folder, **SMALL)


def test_validation_is_deterministic_center_crops_in_file_order(photos):
    folder, images = photos
    ds = make_dataset(folder, training=False, scale=SCALE, crop_size=CROP, batch_size=2)
    first, second = list(ds.as_numpy_iterator()), list(ds.as_numpy_iterator())
    assert [hr.shape[0] for _, hr in first] == [2, 1]  # single pass, last batch kept
    hr = np.concatenate([hr for _, hr in first])
    np.testing.assert_array_equal(hr, np.concatenate([h for _, h in second]))
    # 64x80 image -> 16x20 LR grid; 4x4 LR center crop at (6, 8) -> HR (24, 32).
    expected = [image[24:40, 32:48] for image in images.values()]
    np.testing.assert_array_equal(hr, np.stack(expected))


def test_validation_whole_images_are_cropped_to_a_multiple_of_scale(tmp_path):
    image = _photo(5, height=66, width=83)
    Image.fromarray(image).save(tmp_path / "odd.png")
    [(lr, hr)] = make_dataset(tmp_path, training=False, crop_size=None, batch_size=1)
    np.testing.assert_array_equal(hr.numpy()[0], image[:64, :80])
    assert lr.shape == (1, 16, 20, 3)


def test_gray_rgba_and_other_formats_decode_like_pillow(tmp_path):
    rgb = _photo(6)
    gray = rgb[..., 1]
    rgba = np.concatenate([rgb, np.full_like(rgb[..., :1], 7)], axis=-1)
    files = {
        "a_gray.png": (Image.fromarray(gray), np.repeat(gray[..., None], 3, axis=-1)),
        "b_rgba.png": (Image.fromarray(rgba), rgb),
        "c.bmp": (Image.fromarray(rgb), rgb),
        "d.tiff": (Image.fromarray(rgba), rgb),
        "e.webp": (Image.fromarray(rgb), None),  # lossy: compare with Pillow's decoding
        "f.JPG": (Image.fromarray(rgb), None),
        "g_gray.jpg": (Image.fromarray(gray), None),
    }
    for name, (image, _) in files.items():
        image.save(tmp_path / name, **({"lossless": False} if name.endswith("webp") else {}))
    ds = make_dataset(tmp_path, training=False, crop_size=None, batch_size=1)
    decoded = [hr[0] for _, hr in ds.as_numpy_iterator()]
    assert len(decoded) == len(files)
    for (name, (_, expected)), hr in zip(sorted(files.items()), decoded, strict=True):
        if expected is None:
            expected = np.asarray(Image.open(tmp_path / name).convert("RGB"))
        np.testing.assert_array_equal(hr, expected, err_msg=name)


def test_unreadable_files_are_skipped_with_one_warning(photos, caplog):
    folder, _ = photos
    (folder / "broken.png").write_bytes(b"not an image at all")
    (folder / "notes.txt").write_text("ignored: not an image extension")
    with caplog.at_level(logging.WARNING, logger="super_resolution_gans.data"):
        ds = make_dataset(folder, training=False, crop_size=None, batch_size=1)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "broken.png" in warnings[0].getMessage()
    assert len(list(ds)) == 3


def test_training_with_cache_and_finite_repeat(photos):
    ds = make_dataset(photos[0], seed=4, cache=True, repeat=1, **SMALL)
    assert len(list(ds)) == 3 * 4 // 2  # 3 images x 4 patches, batches of 2


def test_recursive_listing(photos):
    folder, images = photos
    sub = folder / "sub"
    sub.mkdir()
    Image.fromarray(_photo(9)).save(sub / "deep.png")
    flat = make_dataset(folder, training=False, crop_size=CROP, batch_size=1)
    deep = make_dataset(folder, training=False, crop_size=CROP, batch_size=1, recursive=True)
    assert len(list(flat)) == 3 and len(list(deep)) == 4


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        make_dataset(tmp_path / "missing")
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(ValueError, match=f"no images.*{tmp_path.name}"):
        make_dataset(tmp_path)
    (tmp_path / "bad.jpg").write_bytes(b"\x00" * 10)
    with pytest.raises(ValueError, match=f"no readable images.*{tmp_path.name}"):
        make_dataset(tmp_path)


def test_image_smaller_than_the_crop_is_rejected(tmp_path):
    Image.fromarray(_photo(0, height=30, width=40)).save(tmp_path / "tiny.png")
    with pytest.raises(ValueError, match=r"crop_size=32.*tiny.png \(40x30\)"):
        make_dataset(tmp_path, crop_size=32)
    with pytest.raises(ValueError, match="tiny.png"):
        make_dataset(tmp_path, crop_size=32, training=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(crop_size=18), "multiple of `scale`=4"),
        (dict(batch_size=0), "batch_size"),
        (dict(crop_size=None), "crop_size"),  # training needs a crop
        (dict(repeat=0), "repeat"),
        (dict(training=False, crop_size=None, batch_size=2), "batch_size=1"),
    ],
)
def test_invalid_arguments(tmp_path, kwargs, message):
    Image.fromarray(_photo(0)).save(tmp_path / "a.png")
    Image.fromarray(_photo(1, height=68)).save(tmp_path / "b.png")
    with pytest.raises(ValueError, match=message):
        make_dataset(tmp_path, **kwargs)


def test_degraded_pairs_are_8_bit_reproducible_and_differ_from_bicubic(photos):
    folder, _ = photos
    options = dict(scale=SCALE, crop_size=24, batch_size=2, patches_per_image=4,
                   shuffle_buffer=8)
    clean = _batches(make_dataset(folder, seed=5, **options), 3)
    degraded = _batches(make_dataset(folder, seed=5, degradation="realesrgan", **options), 3)
    again = _batches(make_dataset(folder, seed=5, degradation="realesrgan", **options), 3)
    for (lr, hr), (_clean_lr, clean_hr), (lr2, hr2) in zip(degraded, clean, again, strict=True):
        assert lr.shape == (2, 6, 6, 3) and lr.dtype == np.float32 and hr.shape == (2, 24, 24, 3)
        np.testing.assert_array_equal(hr, clean_hr)  # the HR side is unchanged
        np.testing.assert_array_equal(lr, np.round(np.clip(lr, 0, 255)))
        np.testing.assert_array_equal(lr, lr2)
        np.testing.assert_array_equal(hr, hr2)
    assert np.mean([np.abs(d[0] - c[0]).mean() for d, c in zip(degraded, clean, strict=True)]) > 1.0


def test_clean_pipeline_is_unchanged_bicubic(photos):
    folder, _ = photos
    for lr, hr in _batches(make_dataset(folder, seed=1, **SMALL), 2):
        expected = tf.round(tf.clip_by_value(
            tf.image.resize(hr, (LR_CROP, LR_CROP), "bicubic", antialias=True), 0, 255))
        np.testing.assert_array_equal(lr, expected.numpy())


def test_degraded_validation_is_the_same_on_every_pass(photos):
    folder, _ = photos
    ds = make_dataset(folder, scale=SCALE, crop_size=32, batch_size=1, training=False,
                      degradation="photo", repeat=2, seed=4)
    lrs = [lr.numpy() for lr, _ in ds]
    assert len(lrs) == 6
    for first, second in zip(lrs[:3], lrs[3:], strict=True):
        np.testing.assert_array_equal(first, second)


def test_degradation_arguments_are_checked(photos, tmp_path):
    folder, _ = photos
    with pytest.raises(ValueError, match="cannot be used with `lr_dir`"):
        make_dataset(folder, lr_dir=folder, degradation="photo")
    with pytest.raises(ValueError, match="blur_kernel_size=21"):
        make_dataset(folder, crop_size=16, degradation="photo")
    with pytest.raises(ValueError, match="one of"):
        make_dataset(folder, degradation="jpeg")


def _rotated_jpeg(path, pixels, orientation=6):
    """A JPEG storing ``pixels`` with an EXIF orientation tag (6: shown turned clockwise)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(path, exif=exif, quality=95)


def test_training_decodes_with_the_inference_decoder(tmp_path):
    """EXIF orientation and 16 bits are handled in training exactly as `read_image` does."""
    rng = np.random.default_rng(0)
    stored = _photo(10, height=48, width=64)
    _rotated_jpeg(tmp_path / "a_rotated.jpg", stored)
    color16 = rng.integers(0, 65536, (48, 64, 3), dtype=np.uint16)
    (tmp_path / "b_color16.png").write_bytes(tf.io.encode_png(color16).numpy())
    gray16 = rng.integers(0, 65536, (48, 64), dtype=np.uint16)
    Image.fromarray(gray16).save(tmp_path / "c_gray16.png")
    names = ["a_rotated.jpg", "b_color16.png", "c_gray16.png"]
    upright = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / names[0])))
    eight = np.round(color16 / 257).astype(np.uint8)
    expected = {
        "a_rotated.jpg": upright,  # 64x48, turned as displayed
        "b_color16.png": eight,  # 16 bits rounded to 8, as inference's 8-bit view
        "c_gray16.png": np.repeat(np.round(gray16 / 257).astype(np.uint8)[..., None], 3, -1),
    }
    assert upright.shape == (64, 48, 3)

    ds = make_dataset(tmp_path, training=False, crop_size=None, batch_size=1)
    whole = [hr[0].astype(np.uint8) for _, hr in ds.as_numpy_iterator()]
    paths = tf.data.Dataset.from_tensor_slices([str(tmp_path / name) for name in names])
    mapped = list(paths.map(decode, num_parallel_calls=3).as_numpy_iterator())
    for name, from_pipeline, from_decode in zip(names, whole, mapped, strict=True):
        inference = read_image(tmp_path / name)  # what prediction reads: uint8 or uint16
        if inference.dtype == np.uint16:
            inference = np.round(inference / 257).astype(np.uint8)
        if inference.ndim == 2:
            inference = np.repeat(inference[..., None], 3, -1)
        np.testing.assert_array_equal(inference, expected[name], err_msg=name)
        np.testing.assert_array_equal(from_pipeline, expected[name], err_msg=name)
        np.testing.assert_array_equal(from_decode, expected[name], err_msg=name)

def test_sizes_are_checked_upright(tmp_path):
    """A portrait photo stored sideways (EXIF 6) is checked and cropped at its upright size."""
    _rotated_jpeg(tmp_path / "portrait.jpg", _photo(11, height=24, width=64))  # upright 64x24
    with pytest.raises(ValueError, match=r"portrait.jpg \(24x64\)"):
        make_dataset(tmp_path, crop_size=32)
    [(lr, hr)] = make_dataset(tmp_path, training=False, crop_size=None, batch_size=1)
    assert hr.shape == (1, 64, 24, 3) and lr.shape == (1, 16, 6, 3)


def test_argument_errors_name_the_argument(photos):
    folder, _ = photos
    for kwargs, argument in [
        (dict(batch_size=0), "batch_size"),
        (dict(crop_size=18), "crop_size"),
        (dict(repeat=0), "repeat"),
        (dict(seed=-1), "seed"),
        (dict(lr_dir=folder, degradation="photo"), "degradation"),
        (dict(degradation="jpeg"), "degradation"),
        (dict(crop_size=128), "crop_size"),  # larger than the images
    ]:
        with pytest.raises(ArgumentError) as caught:
            make_dataset(folder, **kwargs)
        assert caught.value.argument == argument, kwargs
