"""Side-by-side inference runtimes on the same SRResNet x4 network and weights.

    python benchmarks/compare_runtimes.py [--sizes 64 256] [--tiled 1024]

For LR inputs of each size (whole images), and for a run at --tiled with the library's
automatic tiling (its default for any image: two stages, see `super_resolution_gans.inference`)
next to single-stage tiles of --single-tile pixels (the tiling of earlier versions, which
computed the same pixels), prints median seconds, achieved GFLOP/s, the ratio to the fp32
matmul GFLOP/s and the ratio to PyTorch CPU eager (channels-last), then the peak resident
memory of the process so far. The runtimes and a 2048x2048 TensorFlow matmul are timed in
turns (one run of each per round), so a shared machine's drifting speed affects them alike.
Rows:
- ours: the library's default path (`upscale_rgb`, runtime "auto": OpenVINO when installed on
  a machine without a GPU);
- ours-tensorflow: the library's TensorFlow path (`inference_copy()` in a tf.function),
  when the default is OpenVINO;
- ours, single-stage tNNN: the default runtime with `tile_overlap` given, which tiles the whole
  network (tiled run only);
- keras-predict: plain `model.predict` on the unfolded generator;
- tensorflow-xla: `inference_copy()` in a `tf.function(jit_compile=True)` (XLA compiles
  each input shape), whole images only;
- pytorch-eager: the same network in PyTorch (torch is optional: pip install torch==2.13.0);
- onnxruntime: the model exported with `export_generator`, if installed;
- predecessor-pattern: reload the model file for every image, then `model.predict`
  (what SuperResolution-GANs 0.0.x did), at the smallest size only.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    conv_flops,
    interleaved_median_seconds,
    matmul_step,
    trained_like_generator,
)

from super_resolution_gans.inference import (  # noqa: E402
    export_generator,
    resolve_runtime,
    upscale_rgb,
)
from super_resolution_gans.models import inference_copy, receptive_radius  # noqa: E402


def torch_srresnet(generator: keras.Model):
    """The same SRResNet in PyTorch (eval mode, channels-last), with the Keras weights."""
    import torch
    from torch import nn

    def conv(name):
        layer = generator.get_layer(name)
        kernel, bias = layer.get_weights()
        module = nn.Conv2d(kernel.shape[2], kernel.shape[3], kernel.shape[0],
                           padding=kernel.shape[0] // 2)
        module.weight.data = torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy())
        module.bias.data = torch.from_numpy(bias)
        return module

    def batchnorm(name):
        layer = generator.get_layer(name)
        gamma, beta, mean, variance = layer.get_weights()
        module = nn.BatchNorm2d(gamma.shape[0], eps=layer.epsilon)
        module.weight.data, module.bias.data = torch.from_numpy(gamma), torch.from_numpy(beta)
        module.running_mean.data = torch.from_numpy(mean)
        module.running_var.data = torch.from_numpy(variance)
        return module

    def prelu(name):
        alpha = generator.get_layer(name).get_weights()[0].reshape(-1)
        module = nn.PReLU(alpha.shape[0])
        module.weight.data = torch.from_numpy(alpha.copy())
        return module

    blocks = sum(1 for layer in generator.layers if layer.name.endswith("_add")) - 1

    class SRResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(conv("stem_conv"), prelu("stem_prelu"))
            self.blocks = nn.ModuleList(
                nn.Sequential(conv(f"res{i}_conv1"), batchnorm(f"res{i}_bn1"),
                              prelu(f"res{i}_prelu"),
                              conv(f"res{i}_conv2"), batchnorm(f"res{i}_bn2"))
                for i in range(1, blocks + 1)
            )
            self.trunk = nn.Sequential(conv("trunk_conv"), batchnorm("trunk_bn"))
            self.upsample = nn.Sequential(*[
                nn.Sequential(conv(f"upsample{i}_conv"), nn.PixelShuffle(2),
                              prelu(f"upsample{i}_prelu"))
                for i in (1, 2)
            ])
            self.output_conv = conv("output_conv")

        def forward(self, x):  # x: NCHW in [0, 255]
            x = self.stem(x / 255.0)
            skip = x
            for block in self.blocks:
                x = x + block(x)
            x = self.upsample(skip + self.trunk(x))
            return torch.tanh(self.output_conv(x)) * 127.5 + 127.5

    return SRResNet().eval().to(memory_format=torch.channels_last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--tiled", type=int, default=1024,
                        help="LR size of the automatically tiled run (0: none)")
    parser.add_argument("--single-tile", type=int, default=208,
                        help="tile size of the single-stage rows of the tiled run (0: none); "
                             "208 is what earlier versions chose for 1024x1024")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    generator = trained_like_generator()
    matmul, matmul_flops = matmul_step()
    default_runtime = resolve_runtime("auto")
    runners = {
        f"ours ({default_runtime})": lambda x, tile: upscale_rgb(generator, x, tile_size=tile),
        "keras-predict": lambda x, tile: generator.predict(x[None], verbose=0)[0],
    }
    if default_runtime != "tensorflow":
        runners["ours-tensorflow"] = lambda x, tile: upscale_rgb(
            generator, x, tile_size=tile, runtime="tensorflow")
    radius = receptive_radius(generator)
    single_stage = {  # tile_overlap given: one stage, the whole network on every tile
        f"ours, single-stage t{args.single_tile}": lambda x, tile: upscale_rgb(
            generator, x, tile_size=args.single_tile, tile_overlap=radius),
    }
    xla = tf.function(inference_copy(generator), jit_compile=True)
    runners["tensorflow-xla"] = lambda x, tile: xla(x[None])[0].numpy()
    workdir = Path(tempfile.mkdtemp(prefix="srgan-bench-"))
    if importlib.util.find_spec("torch"):
        import torch

        torch_model = torch_srresnet(generator)

        def run_torch(x, tile):
            with torch.inference_mode():
                batch = torch.from_numpy(x.transpose(2, 0, 1)[None].copy())
                batch = batch.to(memory_format=torch.channels_last)
                return torch_model(batch)[0].permute(1, 2, 0).numpy()

        runners["pytorch-eager"] = run_torch
    if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("tf2onnx"):
        import onnxruntime

        session = onnxruntime.InferenceSession(
            str(export_generator(generator, workdir / "g.onnx", format="onnx")))
        input_name = session.get_inputs()[0].name
        runners["onnxruntime"] = lambda x, tile: session.run(None, {input_name: x[None]})[0][0]
    model_file = workdir / "g.keras"
    generator.save(model_file)

    def predecessor(x, tile):
        model = keras.models.load_model(model_file, compile=False)
        return model.predict(x[None], verbose=0)[0]

    rng = np.random.default_rng(0)
    # tile 0: one pass over the whole image; None: the library's automatic tiling.
    cases = [(size, 0) for size in args.sizes] + ([(args.tiled, None)] if args.tiled else [])
    for size, tile in cases:
        image = rng.uniform(0, 255, (size, size, 3)).astype(np.float32)
        flops = conv_flops(generator, size, size)
        case_runners = dict(runners)
        if size == min(args.sizes) and tile == 0:
            case_runners["predecessor-pattern"] = predecessor
        if tile is None:  # whole-image runtimes are left out: the tiled case is the library's
            for name in ("keras-predict", "tensorflow-xla", "pytorch-eager", "onnxruntime"):
                case_runners.pop(name, None)
            if args.single_tile:
                case_runners.update(single_stage)
        timed = {name: (lambda run=run, image=image, tile=tile: run(image, tile))
                 for name, run in case_runners.items()}
        results = interleaved_median_seconds({**timed, "matmul": matmul}, repeats=args.repeats)
        ceiling = matmul_flops / results.pop("matmul") / 1e9
        print(f"\nfp32 matmul ceiling, timed in turns with the rows below: {ceiling:.1f} GFLOP/s")
        print(f"{'runtime':<26} {'LR size':>15} {'seconds':>9} {'GFLOP/s':>8} {'/matmul':>8} "
              f"{'/pytorch':>9}")
        torch_seconds = results.get("pytorch-eager")
        for name, seconds in results.items():
            gflops = flops / seconds / 1e9
            versus = f"{torch_seconds / seconds:>9.2f}" if torch_seconds else f"{'-':>9}"
            label = f"{size}x{size}" + (" tiled" if tile is None else "")
            print(f"{name:<26} {label:>15} {seconds:>9.3f} {gflops:>8.1f} "
                  f"{gflops / ceiling:>8.2f} {versus}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(f"peak resident memory of this process so far: {peak:.2f} GB")


if __name__ == "__main__":
    main()
