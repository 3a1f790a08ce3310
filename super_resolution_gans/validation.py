"""Typed errors that name what was wrong, and the one integer validator.

Library functions raise these (both are `ValueError`s, so callers that catch `ValueError` keep
working); the command lines read their attributes instead of matching message text.
"""

from __future__ import annotations

__all__ = ["ArgumentError", "SourceError", "check_int"]


class ArgumentError(ValueError):
    """An argument with an unusable value.

    Attributes:
        argument: the Python argument's name, e.g. ``"tile_size"``.

    Example:
    >>> err = ArgumentError("tile_size", "tile_size must be >= 0, got -1")
    >>> err.argument, str(err)
    ('tile_size', 'tile_size must be >= 0, got -1')
    """

    def __init__(self, argument: str, message: str):
        super().__init__(message)
        self.argument = argument


class SourceError(ValueError):
    """An input (a file, a URL, bytes, an array) that cannot be used.

    Attributes:
        source: how the input is named in the message, e.g. ``"'photo.png'"``.
        reason: the rest of the message, without the name.
        argument: the argument whose limit refused the input (``"max_pixels"``), or None.

    Example:
    >>> err = SourceError("'a.png'", "is empty (0 bytes), not an image.")
    >>> str(err), err.reason
    ("'a.png' is empty (0 bytes), not an image.", 'is empty (0 bytes), not an image.')
    """

    def __init__(
        self, source: str, reason: str, *, separator: str = " ", argument: str | None = None
    ):
        super().__init__(f"{source}{separator}{reason}")
        self.source = source
        self.reason = reason
        self.argument = argument


def check_int(
    name: str,
    value: object,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """`value` if it is an int (not a bool) within the bounds, else `ArgumentError`.

    Example:
    >>> check_int("filters", 64, minimum=1)
    64
    >>> check_int("filters", 0, minimum=1)
    Traceback (most recent call last):
    ...
    super_resolution_gans.validation.ArgumentError: filters must be a positive integer, got 0
    """
    if value is None and allow_none:
        return None
    in_range = isinstance(value, int) and not isinstance(value, bool) and (
        (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    )
    if not in_range:
        raise ArgumentError(name, f"{name} must be {_describe(minimum, maximum, allow_none)}, "
                                  f"got {value!r}")
    return value


def _describe(minimum: int | None, maximum: int | None, allow_none: bool) -> str:
    if maximum is not None:
        kind = f"an integer from {minimum} to {maximum}" if minimum is not None else (
            f"an integer <= {maximum}")
    else:
        kind = {None: "an integer", 0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}")
    return f"{kind} or None" if allow_none else kind
