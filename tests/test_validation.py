"""The integer validator and the typed errors the command lines read."""

from __future__ import annotations

import pytest

from super_resolution_gans.validation import ArgumentError, SourceError, check_int


@pytest.mark.parametrize(
    "value, options, message",
    [
        (0, {"minimum": 1}, "n must be a positive integer, got 0"),
        (-1, {"minimum": 0}, "n must be a non-negative integer, got -1"),
        (True, {"minimum": 0}, "n must be a non-negative integer, got True"),
        (2.0, {}, "n must be an integer, got 2.0"),
        (101, {"minimum": 1, "maximum": 100}, "n must be an integer from 1 to 100, got 101"),
        ("3", {"minimum": 1, "allow_none": True}, "n must be a positive integer or None"),
    ],
)
def test_check_int_refuses_with_the_argument_name(value, options, message):
    with pytest.raises(ArgumentError, match=message) as caught:
        check_int("n", value, **options)
    assert caught.value.argument == "n"


def test_check_int_returns_valid_values_and_none_when_allowed():
    assert check_int("n", 5, minimum=1) == 5
    assert check_int("n", None, allow_none=True) is None


def test_source_error_keeps_the_name_apart_from_the_reason():
    err = SourceError("'a.png'", "is too large", argument="max_pixels")
    assert isinstance(err, ValueError)
    assert (str(err), err.source, err.reason, err.argument) == (
        "'a.png' is too large", "'a.png'", "is too large", "max_pixels")


def _export(path, format):
    from super_resolution_gans.inference.export import export_generator

    return export_generator(None, path, format=format)  # arguments are checked first


def _degradation(**ranges):
    from super_resolution_gans.data.degradation import Degradation

    return Degradation(**ranges)


def _order(**ranges):
    from super_resolution_gans.data.degradation import DegradationOrder

    return DegradationOrder(**ranges)


def _preset(name):
    from super_resolution_gans.data.degradation import get_degradation

    return get_degradation(name)


def _fixed(spec):
    from super_resolution_gans.data.fixed_degradation import parse_fixed_degradation

    return parse_fixed_degradation(spec)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: _export("g.onnx", "keras2"), "format"),
        (lambda: _export("g.tflite", "onnx"), "path"),
        (lambda: _degradation(clean_probability=2), "clean_probability"),
        (lambda: _degradation(blur_kernel_size=4), "blur_kernel_size"),
        (lambda: _order(jpeg_quality=(0, 90)), "jpeg_quality"),
        (lambda: _order(noise_sigma=(5, 1)), "noise_sigma"),
        (lambda: _preset("jpeg"), "degradation"),
        (lambda: _fixed("blur:1"), "spec"),
    ],
)
def test_argument_checks_of_the_library_are_one_family(call, argument):
    """Beyond `check_int`: every argument check raises `ArgumentError` naming its argument
    (make_dataset, the io functions and atomic writes are checked in their own tests)."""
    with pytest.raises(ArgumentError) as caught:
        call()
    assert caught.value.argument == argument
