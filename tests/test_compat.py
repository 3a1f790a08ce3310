"""The private Keras / TensorFlow hooks still exist: fails loudly, naming the hook, when an
upgrade removes or changes one (see super_resolution_gans.compat)."""

from __future__ import annotations

import inspect

import keras
import tensorflow as tf

from super_resolution_gans import compat


def test_every_hook_is_present():
    compat.check_hooks()  # RuntimeError naming the missing hook otherwise


def test_symbolic_build_hook_is_a_keras_model_method_taking_iterator_and_data_batch():
    method = getattr(keras.Model, compat.SYMBOLIC_BUILD_HOOK)
    assert tuple(inspect.signature(method).parameters) == ("self", "iterator", "data_batch")


def test_multi_worker_mode_is_false_without_a_multi_worker_strategy():
    assert compat.in_multi_worker_mode() is False
    assert compat.in_multi_worker_mode(tf.distribute.MirroredStrategy(["/cpu:0"])) is False
