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
