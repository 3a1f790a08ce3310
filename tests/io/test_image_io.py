"""super_resolution_gans.io (decode, pixels, write): reading, model conversion, atomic writing."""

from __future__ import annotations

import io
import os
import stat
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps

from super_resolution_gans.io import (
    ImageInfo,
    from_model_output,
    net,
    read_image,
    split_alpha,
    to_model_alpha,
    to_model_input,
    to_pil,
    write_image,
)
from super_resolution_gans.io import write as image_write
from super_resolution_gans.validation import ArgumentError, SourceError

RNG = np.random.default_rng(1234)


def random_image(shape, dtype=np.uint8):
    return RNG.integers(0, np.iinfo(dtype).max + 1, size=shape, dtype=dtype)


def png_bytes(pil_image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    pil_image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def png16_bytes(array: np.ndarray) -> bytes:
    """A 16-bit PNG of any channel count, encoded by TensorFlow (Pillow cannot write colour)."""
    import tensorflow as tf

    if array.ndim == 2:
        array = array[..., None]
    return tf.io.encode_png(array).numpy()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG claiming width x height gray pixels but holding almost no pixel data (a bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def with_exif_orientation_chunk(png: bytes, orientation: int) -> bytes:
    """Insert an eXIf chunk with an Orientation tag right after IHDR."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    tiff = exif.tobytes().removeprefix(b"Exif\x00\x00")
    ihdr_end = 8 + 25
    return png[:ihdr_end] + png_chunk(b"eXIf", tiff) + png[ihdr_end:]


def save(tmp_path, name: str, pil_image: Image.Image, **options):
    path = tmp_path / name
    pil_image.save(path, **options)
    return path


# --------------------------------------------------------------------------------------------
# read_image: modes and bit depths


def test_read_rgb_png_gives_the_same_uint8_rgb(tmp_path):
    pixels = random_image((7, 11, 3))
    image = read_image(save(tmp_path, "rgb.png", Image.fromarray(pixels)))
    assert image.dtype == np.uint8
    np.testing.assert_array_equal(image, pixels)


def test_read_rgba_png_keeps_alpha(tmp_path):
    pixels = random_image((7, 11, 4))
    image = read_image(save(tmp_path, "rgba.png", Image.fromarray(pixels)))
    np.testing.assert_array_equal(image, pixels)


def test_read_grayscale_png_gives_hxw(tmp_path):
    pixels = random_image((7, 11))
    image = read_image(save(tmp_path, "gray.png", Image.fromarray(pixels)))
    assert image.shape == (7, 11)
    np.testing.assert_array_equal(image, pixels)


def test_read_palette_png_gives_rgb(tmp_path):
    pil = Image.fromarray(random_image((6, 9, 3))).quantize(colors=8)
    image = read_image(save(tmp_path, "palette.png", pil))
    np.testing.assert_array_equal(image, np.array(pil.convert("RGB")))


def test_read_palette_png_with_transparency_gives_rgba(tmp_path):
    pil = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4) % 4, mode="L").convert("P")
    pil.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])
    image = read_image(save(tmp_path, "palette_t.png", pil, transparency=2))
    assert image.shape == (3, 4, 4)
    index = np.arange(12).reshape(3, 4) % 4
    np.testing.assert_array_equal(image[..., 3], np.where(index == 2, 0, 255))
    np.testing.assert_array_equal(image[index == 1][:, :3], [[0, 255, 0]] * 3)


def test_read_grayscale_with_alpha_gives_rgba_with_gray_replicated(tmp_path):
    gray, alpha = random_image((5, 6)), random_image((5, 6))
    pil = Image.merge("LA", [Image.fromarray(gray), Image.fromarray(alpha)])
    image = read_image(save(tmp_path, "la.png", pil))
    np.testing.assert_array_equal(image, np.stack([gray, gray, gray, alpha], axis=2))


def test_read_cmyk_gives_rgb(tmp_path):
    cmyk = Image.fromarray(random_image((5, 6, 4)), mode="CMYK")
    image = read_image(save(tmp_path, "cmyk.tif", cmyk))
    assert image.shape == (5, 6, 3)
    np.testing.assert_array_equal(image, np.array(cmyk.convert("RGB")))


def test_read_one_bit_gives_grayscale_0_or_255(tmp_path):
    bits = random_image((5, 6)) > 127
    image = read_image(save(tmp_path, "bits.png", Image.fromarray(bits)))
    assert image.dtype == np.uint8
    np.testing.assert_array_equal(image, np.where(bits, 255, 0))


def test_read_16bit_grayscale_png_gives_uint16(tmp_path):
    pixels = random_image((7, 11), np.uint16)
    image = read_image(save(tmp_path, "gray16.png", Image.fromarray(pixels)))
    assert image.dtype == np.uint16
    np.testing.assert_array_equal(image, pixels)


@pytest.mark.parametrize("suffix", [".tif", ".pgm"])
def test_read_16bit_grayscale_tiff_and_pgm_give_uint16(tmp_path, suffix):
    pixels = random_image((7, 11), np.uint16)
    image = read_image(save(tmp_path, "gray16" + suffix, Image.fromarray(pixels)))
    assert image.dtype == np.uint16
    np.testing.assert_array_equal(image, pixels)


@pytest.mark.parametrize("channels", [3, 4])
def test_read_16bit_colour_png_keeps_16_bits(tmp_path, channels):
    pixels = random_image((7, 11, channels), np.uint16)
    path = tmp_path / "colour16.png"
    path.write_bytes(png16_bytes(pixels))
    image = read_image(path)
    assert image.dtype == np.uint16
    np.testing.assert_array_equal(image, pixels)


def test_read_16bit_gray_alpha_png_gives_uint16_rgba(tmp_path):
    pixels = random_image((5, 6, 2), np.uint16)
    gray, alpha = pixels[..., 0], pixels[..., 1]
    image = read_image(png16_bytes(pixels))
    np.testing.assert_array_equal(image, np.stack([gray, gray, gray, alpha], axis=2))


def test_16bit_is_decided_by_the_file_not_by_pixel_values(tmp_path):
    small_values = random_image((4, 5, 3), np.uint8).astype(np.uint16)  # all < 256
    assert read_image(png16_bytes(small_values)).dtype == np.uint16


# --------------------------------------------------------------------------------------------
# read_image: EXIF orientation


def test_jpeg_exif_orientation_6_is_applied(tmp_path):
    pixels = np.zeros((16, 32, 3), np.uint8)
    pixels[:, :16] = (255, 0, 0)  # left half red
    pixels[:, 16:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed rotated 90 degrees clockwise
    path = save(tmp_path, "rotated.jpg", Image.fromarray(pixels), exif=exif, quality=95)
    image = read_image(path)
    assert image.shape == (32, 16, 3)
    np.testing.assert_array_equal(image, np.array(ImageOps.exif_transpose(Image.open(path))))
    assert image[4, 8, 0] > 200 > image[4, 8, 2]  # left (red) is now at the top
    assert image[28, 8, 2] > 200 > image[28, 8, 0]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillow(tmp_path, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    pil = Image.fromarray(random_image((4, 7, 3)))
    path = save(tmp_path, "oriented.png", pil, exif=exif)
    expected = np.array(ImageOps.exif_transpose(Image.open(path)))
    np.testing.assert_array_equal(read_image(path), expected)


def test_exif_orientation_is_applied_to_16bit_colour_png():
    pixels = random_image((4, 7, 3), np.uint16)
    image = read_image(with_exif_orientation_chunk(png16_bytes(pixels), 6))
    np.testing.assert_array_equal(image, np.rot90(pixels, k=-1))


# --------------------------------------------------------------------------------------------
# read_image: decompression bombs


@pytest.mark.parametrize("side", [10_000, 20_000])  # over Pillow's warning / error threshold
def test_decompression_bomb_is_refused_from_its_header(tmp_path, side, recwarn):
    limit_before = Image.MAX_IMAGE_PIXELS
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(side, side))
    with pytest.raises(ValueError, match=rf"bomb\.png.*{side}x{side}.*max_pixels=89,478,485"):
        read_image(path)
    assert Image.MAX_IMAGE_PIXELS == limit_before
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_max_pixels_decides_even_beyond_pillows_own_limit():
    # 400 MP is over twice Pillow's global limit, where Pillow refuses to open the header at all;
    # the error must still come from max_pixels, quoting the value given.
    limit_before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ValueError, match=r"20000x20000.*max_pixels=300,000,000"):
        read_image(png_header_only(20_000, 20_000), max_pixels=300_000_000)
    assert Image.MAX_IMAGE_PIXELS == limit_before


def test_max_pixels_refuses_one_pixel_over_and_allows_when_raised(tmp_path):
    path = save(tmp_path, "small.png", Image.fromarray(random_image((8, 8, 3))))
    with pytest.raises(ValueError, match=r"8x8 = 64 pixels.*max_pixels=63"):
        read_image(path, max_pixels=63)
    assert read_image(path, max_pixels=64).shape == (8, 8, 3)
    assert read_image(path, max_pixels=None).shape == (8, 8, 3)


def test_max_pixels_applies_to_pil_images():
    with pytest.raises(ValueError, match="max_pixels=10"):
        read_image(Image.new("RGB", (4, 4)), max_pixels=10)


def test_invalid_max_pixels_is_refused():
    with pytest.raises(ValueError, match="max_pixels"):
        read_image(b"\x89PNG", max_pixels=0)


# --------------------------------------------------------------------------------------------
# read_image: errors name the source


def test_missing_file_raises_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        read_image(tmp_path / "nope.png")


def test_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"is a directory"):
        read_image(tmp_path)


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.png"
    path.touch()
    with pytest.raises(ValueError, match=r"empty\.png' is empty"):
        read_image(path)


def test_not_an_image_is_refused(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are not pixels")
    with pytest.raises(ValueError, match=r"notes\.png' is not a readable image") as caught:
        read_image(path)
    assert "object at 0x" not in str(caught.value)  # no repr of Pillow's in-memory file


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_file_is_refused(tmp_path, suffix):
    full = save(tmp_path, "full" + suffix, Image.fromarray(random_image((64, 64, 3))))
    path = tmp_path / ("cut" + suffix)
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(ValueError, match=rf"cut\{suffix}' is truncated or corrupt"):
        read_image(path)


def test_truncated_16bit_colour_png_is_refused(tmp_path):
    data = png16_bytes(random_image((32, 32, 3), np.uint16))
    path = tmp_path / "cut16.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut16\.png' is truncated or corrupt"):
        read_image(path)


def test_unsupported_source_type_is_refused():
    with pytest.raises(TypeError, match="int"):
        read_image(42)


# --------------------------------------------------------------------------------------------
# read_image: URLs


def test_read_image_from_http_url(http_server):
    pixels = random_image((5, 6, 3))
    url = http_server.add("/a.png", png_bytes(Image.fromarray(pixels)))
    np.testing.assert_array_equal(read_image(url), pixels)


def test_http_404_raises_download_error_naming_the_url(http_server):
    url = http_server.add("/missing.png", b"gone", status=404)
    with pytest.raises(net.DownloadError, match="missing.png"):
        read_image(url)


def test_url_body_that_is_not_an_image_is_refused(http_server):
    url = http_server.add("/page.png", b"<html>nope</html>")
    with pytest.raises(ValueError, match=rf"{url} is not a readable image"):
        read_image(url)


def test_url_body_over_max_bytes_is_refused(http_server):
    url = http_server.add("/big.png", png_bytes(Image.fromarray(random_image((32, 32, 3)))))
    with pytest.raises(net.DownloadError, match="big.png"):
        read_image(url, max_bytes=100)


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "file:///etc/passwd"])
def test_non_http_urls_are_refused(url):
    with pytest.raises(ValueError, match="only http and https"):
        read_image(url)


# --------------------------------------------------------------------------------------------
# read_image: bytes, numpy and PIL inputs


def test_read_encoded_bytes():
    pixels = random_image((5, 6, 3))
    np.testing.assert_array_equal(read_image(png_bytes(Image.fromarray(pixels))), pixels)


def test_empty_bytes_are_refused():
    with pytest.raises(ValueError, match=r"image bytes \(0 bytes\) is empty"):
        read_image(b"")


@pytest.mark.parametrize("shape", [(4, 5), (4, 5, 3), (4, 5, 4)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_valid_integer_arrays_are_returned_as_they_are(shape, dtype):
    array = random_image(shape, dtype)
    assert read_image(array) is array


def test_hxwx1_array_becomes_hxw():
    array = random_image((4, 5, 1))
    np.testing.assert_array_equal(read_image(array), array[..., 0])


def test_big_endian_uint16_array_becomes_native():
    array = random_image((4, 5), np.uint16)
    image = read_image(array.astype(">u2"))
    assert image.dtype == np.dtype(np.uint16) and image.dtype.isnative
    np.testing.assert_array_equal(image, array)


def test_float_array_in_0_255_is_rounded_to_uint8():
    image = read_image(np.array([[0.0, 0.4, 0.6], [127.5, 254.6, 255.0]], np.float32))
    assert image.dtype == np.uint8
    np.testing.assert_array_equal(image, [[0, 0, 1], [128, 255, 255]])


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.full((2, 2), 256.0), r"values in \[256, 256\]"),
        (np.full((2, 2), np.nan), "NaN"),
        (np.zeros((2, 2), np.int32), "dtype int32"),
        (np.zeros((2, 2, 2), np.uint8), r"shape \(2, 2, 2\)"),
        (np.zeros((0, 2), np.uint8), "empty"),
    ],
)
def test_invalid_arrays_are_refused(array, message):
    with pytest.raises(ValueError, match=message):
        read_image(array)


def test_pil_image_input():
    pixels = random_image((5, 6, 3))
    np.testing.assert_array_equal(read_image(Image.fromarray(pixels)), pixels)


def test_pil_16bit_grayscale_input_gives_uint16():
    pixels = random_image((5, 6), np.uint16)
    image = read_image(Image.fromarray(pixels))
    assert image.dtype == np.uint16
    np.testing.assert_array_equal(image, pixels)


# --------------------------------------------------------------------------------------------
# to_model_input / from_model_output


KINDS = [
    ((6, 5), np.uint8),
    ((6, 5, 3), np.uint8),
    ((6, 5, 4), np.uint8),
    ((6, 5), np.uint16),
    ((6, 5, 3), np.uint16),
    ((6, 5, 4), np.uint16),
]


@pytest.mark.parametrize(("shape", "dtype"), KINDS)
def test_identity_network_round_trip_gives_back_the_input(shape, dtype):
    image = random_image(shape, dtype)
    image[0, 0], image[0, 1] = 0, np.iinfo(dtype).max
    rgb, info = to_model_input(image)
    restored = from_model_output(rgb, info, alpha_sr=to_model_alpha(image))
    assert restored.dtype == image.dtype
    np.testing.assert_array_equal(restored, image)


@pytest.mark.parametrize(("shape", "dtype"), KINDS)
def test_model_input_is_float32_rgb_in_0_255(shape, dtype):
    image = random_image(shape, dtype)
    image[0, 0] = np.iinfo(dtype).max
    rgb, info = to_model_input(image)
    assert rgb.dtype == np.float32 and rgb.shape == (6, 5, 3)
    assert rgb.min() >= 0.0 and rgb.max() == 255.0
    assert info == ImageInfo.of(image)


def test_image_info_describes_the_kind():
    info = ImageInfo.of(np.zeros((2, 2, 4), np.uint16))
    assert (info.mode, info.bit_depth, info.has_alpha, info.dtype) == ("RGBA", 16, True, np.uint16)
    with pytest.raises(ValueError, match="bit_depth"):
        ImageInfo(mode="RGB", bit_depth=12)


def test_output_is_clipped_and_rounded():
    info = ImageInfo(mode="RGB", bit_depth=8)
    output = np.array([[[-20.0, 254.6, 400.0]]], np.float32)
    np.testing.assert_array_equal(from_model_output(output, info), [[[0, 255, 255]]])


def test_16bit_output_keeps_precision_beyond_8_bits():
    info = ImageInfo(mode="RGB", bit_depth=16)
    output = np.full((1, 1, 3), 100.25, np.float32)
    np.testing.assert_array_equal(from_model_output(output, info), [[[25764] * 3]])  # not 25700


def test_grayscale_output_is_the_luma_of_the_rgb_output():
    info = ImageInfo(mode="L", bit_depth=8)
    output = np.array([[[255.0, 0.0, 0.0], [0.0, 0.0, 255.0]]], np.float32)
    np.testing.assert_array_equal(from_model_output(output, info), [[76, 29]])


def test_rgba_output_needs_alpha_sr():
    with pytest.raises(ValueError, match="alpha_sr"):
        from_model_output(np.zeros((2, 2, 3), np.float32), ImageInfo(mode="RGBA", bit_depth=8))


def test_alpha_sr_is_refused_without_alpha():
    with pytest.raises(ValueError, match="has no alpha"):
        from_model_output(
            np.zeros((2, 2, 3)), ImageInfo(mode="RGB", bit_depth=8), np.zeros((2, 2))
        )


def test_alpha_sr_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match=r"alpha_sr must have shape \(2, 2\)"):
        from_model_output(
            np.zeros((2, 2, 3)), ImageInfo(mode="RGBA", bit_depth=8), np.zeros((1, 2))
        )


def test_non_finite_output_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        from_model_output(np.full((2, 2, 3), np.nan), ImageInfo(mode="RGB", bit_depth=8))


def test_split_alpha():
    image = random_image((3, 4, 4))
    color, alpha = split_alpha(image)
    np.testing.assert_array_equal(color, image[..., :3])
    np.testing.assert_array_equal(alpha, image[..., 3])
    assert split_alpha(image[..., :3])[1] is None


# --------------------------------------------------------------------------------------------
# to_pil


def test_to_pil_reduces_16bit_to_8bit_with_rounding():
    pil = to_pil(np.array([[0, 128, 129, 65535]], np.uint16))
    assert pil.mode == "L"
    np.testing.assert_array_equal(np.array(pil), [[0, 0, 1, 255]])


@pytest.mark.parametrize(("channels", "mode"), [(3, "RGB"), (4, "RGBA")])
def test_to_pil_modes(channels, mode):
    pixels = random_image((3, 4, channels))
    pil = to_pil(pixels)
    assert pil.mode == mode
    np.testing.assert_array_equal(np.array(pil), pixels)


# --------------------------------------------------------------------------------------------
# write_image


@pytest.mark.parametrize("suffix", [".png", ".tif", ".bmp"])
@pytest.mark.parametrize("shape", [(6, 5), (6, 5, 3)])
def test_lossless_write_read_round_trip(tmp_path, suffix, shape):
    pixels = random_image(shape)
    path = write_image(pixels, tmp_path / ("out" + suffix))
    np.testing.assert_array_equal(read_image(path), pixels)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".webp"])
def test_rgba_write_read_round_trip(tmp_path, suffix):
    pixels = random_image((6, 5, 4))
    image = read_image(write_image(pixels, tmp_path / ("out" + suffix), quality=100))
    assert image.shape == (6, 5, 4)
    np.testing.assert_array_equal(image[..., 3], pixels[..., 3])  # WebP colour is lossy


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".webp"])
def test_lossy_write_is_close(tmp_path, suffix):
    pixels = np.full((16, 16, 3), (200, 100, 50), np.uint8)
    image = read_image(write_image(pixels, tmp_path / ("out" + suffix)))
    assert np.abs(image.astype(int) - pixels).max() <= 3


@pytest.mark.parametrize(
    ("shape", "suffix"),
    [((6, 5), ".png"), ((6, 5), ".tif"), ((6, 5, 3), ".png"), ((6, 5, 4), ".png")],
)
def test_16bit_write_read_round_trip(tmp_path, shape, suffix):
    pixels = random_image(shape, np.uint16)
    image = read_image(write_image(pixels, tmp_path / ("out16" + suffix)))
    assert image.dtype == np.uint16
    np.testing.assert_array_equal(image, pixels)


@pytest.mark.parametrize(("shape", "suffix"), [((6, 5, 3), ".tif"), ((6, 5), ".jpg")])
def test_16bit_to_a_format_without_16bit_is_refused(tmp_path, shape, suffix):
    path = tmp_path / ("out" + suffix)
    with pytest.raises(ValueError, match=r"16-bit.*\.png"):
        write_image(random_image(shape, np.uint16), path)
    assert not path.exists()


@pytest.mark.parametrize("suffix", [".jpg", ".bmp"])
def test_rgba_to_a_format_without_alpha_is_refused(tmp_path, suffix):
    path = tmp_path / ("out" + suffix)
    with pytest.raises(ValueError, match=rf"out\{suffix}.*no alpha"):
        write_image(random_image((4, 4, 4)), path)
    assert not path.exists()


def test_unsupported_extension_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"out\.gif.*unsupported extension"):
        write_image(random_image((4, 4, 3)), tmp_path / "out.gif")


def test_missing_parent_directory_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_image(random_image((4, 4, 3)), tmp_path / "missing" / "out.png")


def test_failure_while_encoding_leaves_no_file(tmp_path, monkeypatch):
    def fail_halfway(self, fp, *args, **kwargs):
        fp.write(b"\x89PNG partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", fail_halfway)
    path = tmp_path / "out.png"
    with pytest.raises(OSError, match="disk full"):
        write_image(random_image((4, 4, 3)), path)
    assert os.listdir(tmp_path) == []


def test_failure_in_the_16bit_encoder_leaves_no_file(tmp_path, monkeypatch):
    def fail(image):
        raise RuntimeError("encoder crashed")

    monkeypatch.setattr(image_write, "_encode_png16", fail)
    with pytest.raises(RuntimeError, match="encoder crashed"):
        write_image(random_image((4, 4, 3), np.uint16), tmp_path / "out.png")
    assert os.listdir(tmp_path) == []


def test_failed_replace_keeps_the_previous_file_and_removes_the_temporary(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    path.write_bytes(b"previous")

    def fail_replace(src, dst):
        raise PermissionError("cannot replace")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(PermissionError):
        write_image(random_image((4, 4, 3)), path)
    assert os.listdir(tmp_path) == ["out.png"]
    assert path.read_bytes() == b"previous"


def test_written_file_has_normal_permissions_not_mkstemps_0600(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    path = write_image(random_image((4, 4, 3)), tmp_path / "out.png")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_write_image_returns_the_path_and_leaves_nothing_else(tmp_path):
    path = write_image(random_image((4, 4, 3)), str(tmp_path / "out.png"))
    assert path == tmp_path / "out.png"
    assert os.listdir(tmp_path) == ["out.png"]


def test_no_warnings_when_reading_and_writing(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_image(random_image((4, 4, 3)), tmp_path / "out.png")
        read_image(tmp_path / "out.png")


# --------------------------------------------------------------------------------------------
# read_size: the size read_image will return, from the header


@pytest.mark.parametrize("orientation", range(1, 9))
def test_read_size_is_the_upright_size_read_image_returns(tmp_path, orientation):
    from super_resolution_gans.io.decode import read_size

    exif = Image.Exif()
    exif[0x0112] = orientation
    path = save(tmp_path, "oriented.jpg", Image.fromarray(random_image((4, 7, 3))), exif=exif)
    height, width = read_image(path).shape[:2]
    assert read_size(path) == (width, height)


def test_read_size_refuses_what_read_image_refuses_from_the_header(tmp_path):
    from super_resolution_gans.io.decode import read_size

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(20000, 20000))
    with pytest.raises(SourceError, match=r"20000x20000.*max_pixels") as caught:
        read_size(bomb)
    assert caught.value.argument == "max_pixels"
    assert read_size(bomb, max_pixels=None) == (20000, 20000)
    floats = save(tmp_path, "float.tif", Image.fromarray(np.zeros((2, 3), np.float32)))
    with pytest.raises(SourceError, match="floating-point"):
        read_size(floats)
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(SourceError, match="is not a readable image"):
        read_size(tmp_path / "notes.png")
    with pytest.raises(FileNotFoundError, match="nope.png"):
        read_size(tmp_path / "nope.png")


# --------------------------------------------------------------------------------------------
# 8-bit views and the bicubic baseline


def test_to_8bit_rounds_16bit_samples_and_to_rgb8_makes_rgb():
    from super_resolution_gans.io.pixels import to_8bit, to_rgb8

    samples = np.arange(0, 65536, dtype=np.uint16).reshape(256, 256)
    np.testing.assert_array_equal(to_8bit(samples), np.round(samples / 257).astype(np.uint8))
    np.testing.assert_array_equal(np.asarray(to_pil(samples)), to_8bit(samples))  # one rule
    gray_alpha = random_image((3, 4, 4))
    gray_alpha[..., 1] = gray_alpha[..., 2] = gray_alpha[..., 0]
    np.testing.assert_array_equal(to_rgb8(gray_alpha), gray_alpha[..., :3])
    gray = random_image((3, 4))
    np.testing.assert_array_equal(to_rgb8(gray), np.repeat(gray[..., None], 3, axis=-1))


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_bicubic_upscale_is_one_function_for_every_caller(channels):
    import tensorflow as tf

    from super_resolution_gans.data import bicubic_upscale as data_bicubic
    from super_resolution_gans.io.pixels import bicubic_upscale

    assert data_bicubic is bicubic_upscale  # evaluation and training logs use this one too
    lr = random_image((5, 6, channels))
    result = bicubic_upscale(lr, (20, 24)).numpy()
    resized = tf.image.resize(lr.astype(np.float32), (20, 24), "bicubic").numpy()
    expected = np.round(np.clip(resized, 0, 255))
    np.testing.assert_array_equal(result, expected)
    assert result.shape == (20, 24, channels)


# --------------------------------------------------------------------------------------------
# typed errors: ArgumentError names the argument, SourceError the input


def test_argument_and_source_errors_are_typed(tmp_path):
    from super_resolution_gans.io.atomic import atomic_write

    cases = [
        (lambda: write_image(random_image((2, 2, 3)), tmp_path / "a.png", quality=0), "quality"),
        (lambda: write_image(random_image((2, 2, 3)), tmp_path / "a.gif"), "path"),
        (lambda: write_image(random_image((2, 2, 4)), tmp_path / "a.jpg"), "path"),
        (lambda: ImageInfo(mode="RGB", bit_depth=12), "bit_depth"),
        (lambda: from_model_output(np.zeros((2, 2, 3)), ImageInfo("RGBA", 8)), "alpha_sr"),
        (lambda: atomic_write(tmp_path / "a", "r").__enter__(), "mode"),
    ]
    for call, argument in cases:
        with pytest.raises(ArgumentError) as caught:
            call()
        assert caught.value.argument == argument
    with pytest.raises(SourceError, match=r"image array has dtype int32") as caught:
        read_image(np.zeros((2, 2), np.int32))
    assert caught.value.source == "image array"
