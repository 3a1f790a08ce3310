"""Every hook into Keras or TensorFlow internals, in one place.

The library overrides or calls a few private members that Keras and TensorFlow do not promise
to keep. They are named here, and `tests/test_compat.py` fails loudly, naming the member, when
an upgrade removes or changes one of them (`check_hooks()` does the same at run time).

- `SYMBOLIC_BUILD_HOOK`: `keras.Model._maybe_symbolic_build(iterator=None, data_batch=None)`,
  which `SRGAN` overrides to skip Keras's symbolic build under a multi-worker strategy (Keras
  3.15 reduces a sample batch across replicas there, which fails).
- `in_multi_worker_mode()`: `tf.distribute` strategy extended's `_in_multi_worker_mode()`,
  Keras's own test for reducing logs across workers.
"""

from __future__ import annotations

import inspect

import keras
import tensorflow as tf

__all__ = ["SYMBOLIC_BUILD_HOOK", "check_hooks", "in_multi_worker_mode"]

SYMBOLIC_BUILD_HOOK = "_maybe_symbolic_build"
"""The `keras.Model` method `SRGAN` overrides; it takes `iterator=` and `data_batch=`."""

_SYMBOLIC_BUILD_ARGUMENTS = ("self", "iterator", "data_batch")
_MULTI_WORKER_HOOK = "_in_multi_worker_mode"


def in_multi_worker_mode(strategy: tf.distribute.Strategy | None = None) -> bool:
    """Whether `strategy` (default: the current one) spans several workers, as Keras tests it.

    Example:
    >>> in_multi_worker_mode()
    False
    """
    extended = (strategy or tf.distribute.get_strategy()).extended
    hook = getattr(extended, _MULTI_WORKER_HOOK, None)
    return bool(hook()) if callable(hook) else False


def check_hooks() -> None:
    """Raises `RuntimeError` naming the first private hook this Keras / TensorFlow lacks.

    Example:
    >>> check_hooks()
    """
    method = getattr(keras.Model, SYMBOLIC_BUILD_HOOK, None)
    if not callable(method):
        raise RuntimeError(f"keras {keras.__version__} has no keras.Model.{SYMBOLIC_BUILD_HOOK}")
    parameters = tuple(inspect.signature(method).parameters)
    if parameters != _SYMBOLIC_BUILD_ARGUMENTS:
        raise RuntimeError(
            f"keras {keras.__version__}: keras.Model.{SYMBOLIC_BUILD_HOOK} takes {parameters}, "
            f"not {_SYMBOLIC_BUILD_ARGUMENTS}"
        )
    extended = tf.distribute.MirroredStrategy(["/cpu:0"]).extended
    if not callable(getattr(extended, _MULTI_WORKER_HOOK, None)):
        raise RuntimeError(
            f"tensorflow {tf.__version__}: strategy.extended has no {_MULTI_WORKER_HOOK}()"
        )
