"""The SRGAN training model: both stages, metrics, evaluation, serialization, mixed precision
and tf.distribute. Tiny networks (2 residual blocks, 16 filters; discriminator 8 filters; VGG22
with random weights) on random 32x32 HR crops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from super_resolution_gans import (
    SRGAN,
    VGG22,
    build_discriminator,
    build_generator,
    build_vgg_feature_extractor,
    psnr_y,
    ssim_y,
)
from super_resolution_gans.training.losses import pixel_mse

HR = 32
SCALE = 4


def tiny_generator():
    return build_generator(num_blocks=2, filters=16)


def tiny_srgan(**kwargs):
    return SRGAN(
        tiny_generator(),
        build_discriminator(hr_size=HR, filters=8),
        build_vgg_feature_extractor(VGG22, weights=None),
        **kwargs,
    )


def random_pairs(count=4, seed=0):
    rng = np.random.default_rng(seed)
    hr = rng.uniform(0, 255, (count, HR, HR, 3)).astype("float32")
    lr = tf.image.resize(hr, (HR // SCALE, HR // SCALE), method="area").numpy()
    return lr, hr


def dataset(lr, hr, batch_size=2):
    return tf.data.Dataset.from_tensor_slices((lr, hr)).batch(batch_size)


def values(variables):
    return [v.numpy().copy() for v in variables]


def changed(before, after):
    return [not np.array_equal(b, a) for b, a in zip(before, after, strict=True)]


@pytest.fixture(scope="module")
def trained():
    """One SRGAN-stage fit step, with every variable recorded before and after."""
    model = tiny_srgan()
    model.compile()
    lr, hr = random_pairs(2)
    g_bn = [
        v for v in model.generator.non_trainable_variables
        if "moving_mean" in v.path or "moving_variance" in v.path
    ]
    before = {
        "g": values(model.generator.trainable_variables),
        "d": values(model.discriminator.trainable_variables),
        "vgg": values(model.feature_extractor.weights),
        "g_bn": values(g_bn),
    }
    history = model.fit(dataset(lr, hr), epochs=1, verbose=0)
    after = {
        "g": values(model.generator.trainable_variables),
        "d": values(model.discriminator.trainable_variables),
        "vgg": values(model.feature_extractor.weights),
        "g_bn": values(g_bn),
    }
    return model, before, after, history.history


def test_fit_step_updates_generator_and_discriminator(trained):
    model, before, after, _ = trained
    assert len(before["g"]) > 0 and all(changed(before["g"], after["g"]))
    assert len(before["d"]) > 0 and all(changed(before["d"], after["d"]))
    assert int(model.g_optimizer.iterations) == 1
    assert int(model.d_optimizer.iterations) == 1


def test_fit_step_leaves_feature_extractor_unchanged(trained):
    _, before, after, _ = trained
    assert len(before["vgg"]) > 0
    assert not any(changed(before["vgg"], after["vgg"]))


def test_generator_batchnorm_statistics_move_during_training(trained):
    # training=True reaches the generator: its BatchNorm layers update their moving averages.
    _, before, after, _ = trained
    assert len(before["g_bn"]) == 2 * 5  # 2 per BN layer: 2 blocks x 2 + trunk
    assert all(changed(before["g_bn"], after["g_bn"]))


def test_srgan_stage_reports_the_four_losses(trained):
    model, _, _, history = trained
    assert set(history) == {"d_loss", "g_loss", "content_loss", "adv_loss"}
    assert all(np.isfinite(v[0]) for v in history.values())
    # g_loss = content + 1e-3 x adversarial
    expected = history["content_loss"][0] + 1e-3 * history["adv_loss"][0]
    np.testing.assert_allclose(history["g_loss"][0], expected, rtol=1e-5)
    names = [m.name for m in model.metrics]
    assert {"d_loss", "g_loss", "content_loss", "adv_loss"} <= set(names)


def test_srresnet_stage_trains_generator_alone_on_pixel_mse():
    generator = tiny_generator()
    model = SRGAN(generator)
    model.compile()
    assert model.d_optimizer is None and not model.is_adversarial
    lr, hr = random_pairs(2, seed=1)
    # BatchNorm in training mode uses batch statistics: this is the loss of the first step.
    expected = float(pixel_mse(hr, generator(lr, training=True)))
    weights_before = values(generator.trainable_variables)
    history = model.fit(dataset(lr, hr), epochs=1, verbose=0).history
    assert set(history) == {"g_loss", "content_loss"}
    np.testing.assert_allclose(history["content_loss"][0], expected, rtol=1e-4)
    np.testing.assert_allclose(history["g_loss"][0], expected, rtol=1e-4)
    assert all(changed(weights_before, values(generator.trainable_variables)))


def test_metrics_are_per_epoch_means_not_cumulative():
    generator = tiny_generator()
    model = SRGAN(generator)
    model.compile(g_optimizer=keras.optimizers.SGD(learning_rate=0.0))  # weights stay fixed
    lr_a, hr_a = random_pairs(2, seed=2)
    # Batch B: same input, its target is the generator's own output, so its loss is ~0.
    lr_b, hr_b = lr_a, generator(lr_a, training=True).numpy()
    loss_a = float(pixel_mse(hr_a, generator(lr_a, training=True)))
    loss_b = float(pixel_mse(hr_b, generator(lr_b, training=True)))
    assert loss_a > 0.01 and loss_b < 1e-6
    # Epoch 1 sees batch A, epoch 2 sees batch B.
    data = dataset(np.concatenate([lr_a, lr_b]), np.concatenate([hr_a, hr_b])).repeat()
    history = model.fit(data, epochs=2, steps_per_epoch=1, verbose=0).history
    # Cumulative trackers would report (loss_a + loss_b) / 2 for the second epoch.
    np.testing.assert_allclose(history["g_loss"], [loss_a, loss_b], rtol=1e-4, atol=1e-6)
    model.reset_metrics()
    assert all(float(m.result()) == 0.0 for m in model.metrics)


def test_evaluate_reports_psnr_and_ssim_with_paper_border():
    generator = tiny_generator()
    model = SRGAN(generator)
    model.compile()
    assert model.eval_border == SCALE
    lr, hr = random_pairs(4, seed=3)
    results = model.evaluate(dataset(lr, hr), verbose=0, return_dict=True)
    assert set(results) == {"content_loss", "psnr", "ssim"}
    sr = generator(lr, training=False)
    np.testing.assert_allclose(results["psnr"], float(tf.reduce_mean(psnr_y(hr, sr, border=4))),
                               rtol=1e-4)
    np.testing.assert_allclose(results["ssim"], float(tf.reduce_mean(ssim_y(hr, sr, border=4))),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(results["content_loss"], float(pixel_mse(hr, sr)), rtol=1e-4)


def test_config_round_trip():
    model = tiny_srgan(adversarial_weight=5e-3, content_weight=2.0, eval_border=2)
    config = model.get_config()
    json.dumps(config)  # JSON-serialisable
    restored = SRGAN.from_config(config)
    assert restored.get_config() == config
    # from_config leaves its argument intact: a second model comes from the same config.
    assert SRGAN.from_config(config).get_config() == config
    assert restored.adversarial_weight == 5e-3 and restored.content_weight == 2.0
    assert restored.eval_border == 2 and restored.is_adversarial
    assert restored.feature_extractor.trainable is False
    assert restored.generator.count_params() == model.generator.count_params()
    # Through the Keras registry as well (package-qualified class name).
    generic = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert isinstance(generic, SRGAN)

    stage1 = SRGAN(tiny_generator(), pixel_loss="l1")
    restored1 = SRGAN.from_config(stage1.get_config())
    assert restored1.discriminator is None and restored1.feature_extractor is None
    assert restored1.pixel_loss == "l1"


def test_call_and_predict_run_the_generator():
    generator = tiny_generator()
    model = SRGAN(generator)
    lr, _ = random_pairs(2, seed=4)
    expected = generator.predict(lr, verbose=0)
    np.testing.assert_allclose(model.predict(lr, verbose=0), expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(model(lr).numpy(), expected, rtol=1e-5, atol=1e-3)
    assert model.predict(lr, verbose=0).shape == (2, HR, HR, 3)


def test_discriminator_learns_real_is_one_fake_is_zero():
    model = tiny_srgan()
    model.compile(
        g_optimizer=keras.optimizers.SGD(learning_rate=0.0),  # only D learns
        d_optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        run_eagerly=True,  # a few steps: cheaper than tracing the train step
    )
    rng = np.random.default_rng(5)
    hr = rng.uniform(235, 255, (4, HR, HR, 3)).astype("float32")  # bright real images
    lr = rng.uniform(0, 20, (4, HR // SCALE, HR // SCALE, 3)).astype("float32")  # dark inputs
    fake = model.generator(lr, training=False)
    history = model.fit(dataset(lr, hr).repeat(), epochs=1, steps_per_epoch=4, verbose=0)
    # Judged as in training: one batch of real and fake images (BatchNorm on batch statistics).
    logits = model.discriminator(tf.concat([hr, fake], axis=0), training=True).numpy()
    real_logits, fake_logits = logits[: len(hr)], logits[len(hr) :]
    assert real_logits.mean() > fake_logits.mean()
    # adv_loss = -log D(G(lr)) rises as D learns to reject the fakes.
    assert history.history["adv_loss"][0] > np.log(2.0)


@pytest.fixture
def mixed_precision():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def test_mixed_precision_uses_loss_scaling_and_stays_finite(mixed_precision):
    # No VGG here: float16 convolutions are slow on CPU (VGG under mixed precision is covered
    # by the training CLI's --mixed-precision test).
    model = SRGAN(tiny_generator(), build_discriminator(hr_size=HR, filters=8))
    model.compile(run_eagerly=True)  # one step: cheaper than tracing
    assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.generator.get_layer("stem_conv").compute_dtype == "float16"
    lr, hr = random_pairs(2, seed=6)
    history = model.fit(dataset(lr, hr), epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "content_loss", "adv_loss"}
    assert all(np.isfinite(v[0]) for v in history.values())
    assert model.generator.trainable_variables[0].dtype == "float32"


_MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    # Deterministic kernels: multi-threaded reductions may otherwise sum in another order on
    # each run, which after three training steps can move a loss by more than the tolerance.
    tf.config.experimental.enable_op_determinism()
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    from super_resolution_gans import SRGAN, build_discriminator, build_generator

    def build():
        # Pixel MSE as content loss (no VGG) keeps the script fast; D and G both train.
        return SRGAN(build_generator(num_blocks=2, filters=16),
                     build_discriminator(hr_size=32, filters=8))

    rng = np.random.default_rng(0)
    hr = rng.uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    lr = tf.image.resize(hr, (8, 8), method="area").numpy()

    def run(model, batch, eager):
        # SGD, not Adam: Adam would hide gradients summed instead of averaged over replicas.
        model.compile(g_optimizer=keras.optimizers.SGD(0.05),
                      d_optimizer=keras.optimizers.SGD(0.05), run_eagerly=eager)
        data = tf.data.Dataset.from_tensors((lr[0], hr[0])).repeat().batch(batch)
        return model.fit(data, epochs=3, steps_per_epoch=1, verbose=0).history

    single = build()
    initial = single.get_weights()
    single_history = run(single, 1, eager=True)

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        mirrored = build()
        mirrored.set_weights(initial)
    # Global batch 2 = the same image on each replica: per-replica batch statistics equal the
    # single-device run's, so the losses must match step for step.
    mirrored_history = run(mirrored, 2, eager=False)
    json.dump({"replicas": strategy.num_replicas_in_sync, "single": single_history,
               "mirrored": mirrored_history}, sys.stdout)
    """
)


def test_mirrored_strategy_averages_over_the_global_batch():
    result = subprocess.run(
        [sys.executable, "-c", _MIRRORED_SCRIPT],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    single, mirrored = report["single"], report["mirrored"]
    assert set(mirrored) == {"d_loss", "g_loss", "content_loss", "adv_loss"}
    for name in single:
        assert all(np.isfinite(mirrored[name]))
        # Step 1 checks the forward pass; steps 2-3 check that gradients were averaged.
        np.testing.assert_allclose(mirrored[name], single[name], rtol=1e-3, atol=1e-5,
                                   err_msg=name)
