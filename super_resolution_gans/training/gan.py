"""SRGAN as a `keras.Model`: `compile` with one optimizer per network, `train_step`, `test_step`.

One class serves both stages of the paper's recipe:
- SRResNet stage: `SRGAN(generator)` (no discriminator, no feature extractor) trains the
  generator alone on pixel MSE (or L1).
- SRGAN stage: `SRGAN(generator, discriminator, feature_extractor)` alternates a discriminator
  update (binary cross-entropy, real vs generated) and a generator update (VGG content loss on
  features scaled by 1/12.75, plus `adversarial_weight` x -log D(G(lr))).
Losses are averaged over the global batch under `tf.distribute`, and scaled for float16 when
the optimizers are `keras.optimizers.LossScaleOptimizer`s (done by `compile` under a
"mixed_float16" dtype policy).
"""

from __future__ import annotations

import copy

import keras
import tensorflow as tf

from ..compat import in_multi_worker_mode
from ..evaluation.metrics import psnr_y, ssim_y
from ..models import output_scale
from ..models.layers import PACKAGE
from .losses import PIXEL_LOSSES, VGG_FEATURE_SCALE, vgg_content_loss

PAPER_BETA_1 = 0.9


def paper_adam(learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 1e-4):
    """Adam with the paper's settings (beta1 = 0.9).

    Example:
    >>> paper_adam().beta_1
    0.9
    """
    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=PAPER_BETA_1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SRGAN(keras.Model):
    """The SRGAN training model (Ledig et al., CVPR 2017); `call` runs the generator.

    Args:
        generator: a generator from `build_generator` (RGB [0, 255] in and out).
        discriminator: a model from `build_discriminator`, or None for the SRResNet stage.
        feature_extractor: a frozen model from `build_vgg_feature_extractor`, or None to use the
            pixel loss as content loss.
        content_weight: weight of the content loss.
        adversarial_weight: weight of the adversarial loss (the paper uses 1e-3).
        feature_scale: factor applied to VGG features before the MSE (the paper uses 1/12.75).
        pixel_loss: "mse" (the paper) or "l1", used when there is no feature extractor.
        eval_border: pixels cropped from each side for PSNR/SSIM in `test_step`; defaults to the
            generator's scale (the paper's protocol).

    Example:
    >>> from super_resolution_gans import build_generator, build_discriminator, make_dataset
    >>> model = SRGAN(build_generator(num_blocks=2, filters=16))   # SRResNet stage
    >>> model.compile()
    >>> model.fit(make_dataset("photos/", crop_size=32, batch_size=4), steps_per_epoch=10)
    ... # doctest: +SKIP
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model | None = None,
        feature_extractor: keras.Model | None = None,
        *,
        content_weight: float = 1.0,
        adversarial_weight: float = 1e-3,
        feature_scale: float = VGG_FEATURE_SCALE,
        pixel_loss: str = "mse",
        eval_border: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if pixel_loss not in PIXEL_LOSSES:
            raise ValueError(
                f"pixel_loss must be one of {sorted(PIXEL_LOSSES)}, got {pixel_loss!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.feature_extractor = feature_extractor
        if feature_extractor is not None:
            feature_extractor.trainable = False
        self.content_weight = float(content_weight)
        self.adversarial_weight = float(adversarial_weight)
        self.feature_scale = float(feature_scale)
        self.pixel_loss = pixel_loss
        self.eval_border = eval_border if eval_border is not None else output_scale(generator)
        self.g_optimizer = None
        self.d_optimizer = None
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.content_loss_tracker = keras.metrics.Mean(name="content_loss")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.adv_loss_tracker = keras.metrics.Mean(name="adv_loss")
        self.psnr_tracker = keras.metrics.Mean(name="psnr")
        self.ssim_tracker = keras.metrics.Mean(name="ssim")

    @property
    def is_adversarial(self) -> bool:
        """True in the SRGAN stage (a discriminator is trained alongside)."""
        return self.discriminator is not None

    @property
    def metrics(self):
        trackers = [self.g_loss_tracker, self.content_loss_tracker]
        if self.is_adversarial:
            trackers += [self.d_loss_tracker, self.adv_loss_tracker]
        return trackers + [self.psnr_tracker, self.ssim_tracker]

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Sets one optimizer per network; both default to Adam(1e-4, beta1=0.9) (the paper).

        Under a "mixed_float16" dtype policy the optimizers are wrapped in
        `keras.optimizers.LossScaleOptimizer`. Other keyword arguments go to `Model.compile`
        (`jit_compile`, `steps_per_execution`, ...).
        """
        g_optimizer = _with_loss_scaling(g_optimizer or paper_adam())
        d_optimizer = (_with_loss_scaling(d_optimizer or paper_adam()) if self.is_adversarial
                       else None)
        g_optimizer.build(self.generator.trainable_variables)
        if d_optimizer is not None:
            d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        # Keras's own `optimizer` slot holds the generator's, so fit() builds nothing extra.
        super().compile(optimizer=g_optimizer, auto_scale_loss=False, **kwargs)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # A private Keras hook (`compat.SYMBOLIC_BUILD_HOOK`, checked by tests/test_compat.py).
        # Keras (3.15) builds a model under a strategy by reducing a sample (lr, hr) batch across
        # replicas; with MultiWorkerMirroredStrategy over several workers that reduce fails
        # ("Attempt to convert a value (PerReplica...)"). Networks, optimizers and trackers are
        # all built by __init__/compile, so the build is left to tracing, as without a strategy.
        if isinstance(self.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return
        super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def content_loss(self, hr, sr):
        """VGG content loss when a feature extractor is set, else the pixel loss."""
        if self.feature_extractor is not None:
            return vgg_content_loss(self.feature_extractor, hr, sr, self.feature_scale)
        return PIXEL_LOSSES[self.pixel_loss](hr, sr)

    def train_step(self, data):
        lr, hr = data
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as g_tape:
            sr = self.generator(lr, training=True)
            content = self.content_loss(hr, sr)
            g_loss = self.content_weight * content
            if self.is_adversarial:
                with g_tape.stop_recording():
                    d_loss = self._discriminator_update(hr, tf.stop_gradient(sr), replicas)
                # -log D(G(lr)), judged by the discriminator just updated (k = 1 alternation).
                fake_logits = self.discriminator(sr, training=True)
                adversarial = _mean_bce(tf.ones_like(fake_logits), fake_logits)
                g_loss += self.adversarial_weight * adversarial
            scaled = self.g_optimizer.scale_loss(g_loss / replicas)
        variables = self.generator.trainable_variables
        self.g_optimizer.apply(g_tape.gradient(scaled, variables), variables)

        self.g_loss_tracker.update_state(g_loss)
        self.content_loss_tracker.update_state(content)
        trackers = [self.g_loss_tracker, self.content_loss_tracker]
        if self.is_adversarial:
            self.d_loss_tracker.update_state(d_loss)
            self.adv_loss_tracker.update_state(adversarial)
            trackers += [self.d_loss_tracker, self.adv_loss_tracker]
        return _logs(trackers)

    def _discriminator_update(self, hr, sr, replicas):
        with tf.GradientTape() as d_tape:
            logits = self.discriminator(tf.concat([hr, sr], axis=0), training=True)
            real_count = tf.shape(hr)[0]
            labels = tf.concat(
                [tf.ones_like(logits[:real_count]), tf.zeros_like(logits[real_count:])], axis=0
            )
            # Mean over real and fake = (BCE(real, 1) + BCE(fake, 0)) / 2.
            d_loss = _mean_bce(labels, logits)
            scaled = self.d_optimizer.scale_loss(d_loss / replicas)
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply(d_tape.gradient(scaled, variables), variables)
        return d_loss

    def test_step(self, data):
        lr, hr = data
        sr = self.generator(lr, training=False)
        self.content_loss_tracker.update_state(self.content_loss(hr, sr))
        self.psnr_tracker.update_state(psnr_y(hr, sr, border=self.eval_border))
        self.ssim_tracker.update_state(ssim_y(hr, sr, border=self.eval_border))
        return _logs((self.content_loss_tracker, self.psnr_tracker, self.ssim_tracker))

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {
            **super().get_config(),
            "generator": serialize(self.generator),
            "discriminator": serialize(self.discriminator) if self.discriminator else None,
            "feature_extractor": (
                serialize(self.feature_extractor) if self.feature_extractor else None
            ),
            "content_weight": self.content_weight,
            "adversarial_weight": self.adversarial_weight,
            "feature_scale": self.feature_scale,
            "pixel_loss": self.pixel_loss,
            "eval_border": self.eval_border,
        }

    @classmethod
    def from_config(cls, config):
        config = copy.deepcopy(config)  # deserializing consumes the nested configs
        for key in ("generator", "discriminator", "feature_extractor"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _logs(trackers):
    """The step's logs. Keras (3.15) reduces them across workers with `reduce(MEAN, axis=0)`
    under a multi-worker strategy, which fails on scalars: give them a batch axis there."""
    logs = {tracker.name: tracker.result() for tracker in trackers}
    if in_multi_worker_mode(tf.distribute.get_strategy()):
        logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
    return logs


def _mean_bce(labels, logits):
    """Binary cross-entropy on logits, averaged over the (per-replica) batch, in float32."""
    logits = tf.cast(logits, tf.float32)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def _with_loss_scaling(optimizer):
    """Wraps `optimizer` for float16 training when the global policy is mixed_float16."""
    mixed = keras.config.dtype_policy().name == "mixed_float16"
    if mixed and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer

