"""The ESRGAN family against PyTorch eager: seconds per LR megapixel and peak memory.

    python benchmarks/bench_esrgan.py [--size 128] [--peak 2000x1500 --network compact]

For RRDBNet x4 (Real-ESRGAN's RealESRGAN_x4plus size: 64 features, 23 blocks, 32 growth
channels) and SRVGGNetCompact x4 (realesr-general-x4v3: 64 features, 32 convolutions), with
the same random weights in both frameworks: a PyTorch module written here in BasicSR's key
layout makes the weights, `torch.save` writes them, and the library loads that `.pth` through
its own reader and converter. On an LR image of --size x --size pixels, timed in turns with a
2048x2048 fp32 matmul (so a shared machine's drift affects all alike), it prints seconds per LR
megapixel of:
- ours: `Upscaler(model)` with the defaults (runtime "auto": OpenVINO on a machine without a
  GPU when installed, else TensorFlow; whole image in one pass at this size);
- ours-tensorflow: the same on the TensorFlow runtime;
- pytorch-eager: the PyTorch module (eval, no_grad, channels-last);
and the ratio ours / PyTorch (above 1: ours is faster). With --peak WxH, it instead super-resolves
one WxH LR image of random pixels with the library's automatic tiling and prints the process's
peak resident memory (run it alone: the peak is that of the whole process).

Needs torch (`pip install torch==2.13.0`, a CPU build), which the library itself never imports.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import interleaved_median_seconds, matmul_step  # noqa: E402

from super_resolution_gans.inference import Upscaler  # noqa: E402
from super_resolution_gans.inference.runtimes import resolve_runtime  # noqa: E402
from super_resolution_gans.io.model_io import load_generator  # noqa: E402

NETWORKS = ("rrdbnet", "compact")


def torch_network(kind: str):
    """A PyTorch RRDBNet x4 or SRVGGNetCompact x4 in BasicSR / Real-ESRGAN key names, with
    He-initialised random weights (scaled like trained ones), in eval mode."""
    import torch
    from torch import nn
    from torch.nn import functional

    torch.manual_seed(0)
    lrelu = nn.LeakyReLU(0.2)

    class DenseBlock(nn.Module):
        def __init__(self, feat: int = 64, grow: int = 32):
            super().__init__()
            for index in range(1, 6):
                out = feat if index == 5 else grow
                setattr(self, f"conv{index}", nn.Conv2d(feat + (index - 1) * grow, out, 3, 1, 1))

        def forward(self, x):
            features = [x]
            for index in range(1, 5):
                features.append(lrelu(getattr(self, f"conv{index}")(torch.cat(features, 1))))
            return self.conv5(torch.cat(features, 1)) * 0.2 + x

    class RRDB(nn.Module):
        def __init__(self):
            super().__init__()
            self.rdb1, self.rdb2, self.rdb3 = DenseBlock(), DenseBlock(), DenseBlock()

        def forward(self, x):
            return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x

    class RRDBNet(nn.Module):
        def __init__(self, blocks: int = 23):
            super().__init__()
            self.conv_first = nn.Conv2d(3, 64, 3, 1, 1)
            self.body = nn.Sequential(*[RRDB() for _ in range(blocks)])
            for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
                setattr(self, name, nn.Conv2d(64, 64, 3, 1, 1))
            self.conv_last = nn.Conv2d(64, 3, 3, 1, 1)

        def forward(self, x):
            feat = self.conv_first(x)
            feat = feat + self.conv_body(self.body(feat))
            for conv in (self.conv_up1, self.conv_up2):
                feat = lrelu(conv(functional.interpolate(feat, scale_factor=2, mode="nearest")))
            return self.conv_last(lrelu(self.conv_hr(feat)))

    class SRVGGNetCompact(nn.Module):
        def __init__(self, convs: int = 32, scale: int = 4):
            super().__init__()
            layers = [nn.Conv2d(3, 64, 3, 1, 1), nn.PReLU(64)]
            for _ in range(convs):
                layers += [nn.Conv2d(64, 64, 3, 1, 1), nn.PReLU(64)]
            layers.append(nn.Conv2d(64, 3 * scale**2, 3, 1, 1))
            self.body = nn.Sequential(*layers)
            self.upsampler = nn.PixelShuffle(scale)
            self.scale = scale

        def forward(self, x):
            base = functional.interpolate(x, scale_factor=self.scale, mode="nearest")
            return self.upsampler(self.body(x)) + base

    network = RRDBNet() if kind == "rrdbnet" else SRVGGNetCompact()
    for module in network.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, a=0.2)
            module.weight.data *= 0.1 if kind == "rrdbnet" else 1.0
            nn.init.zeros_(module.bias)
    return network.eval().to(memory_format=torch.channels_last)


def compare(kind: str, size: int, repeats: int) -> None:
    import torch

    network = torch_network(kind)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{kind}.pth"
        torch.save({"params_ema": network.state_dict()}, path)
        generator = load_generator(path)
    rgb = np.random.default_rng(1).uniform(0, 255, (size, size, 3)).astype(np.float32)
    batch = torch.from_numpy(rgb.transpose(2, 0, 1)[None] / 255.0).contiguous(
        memory_format=torch.channels_last)
    ours = Upscaler(generator, tile_size=0)
    ours_tf = Upscaler(generator, tile_size=0, runtime="tensorflow")
    reference = network(batch).detach().numpy()[0].transpose(1, 2, 0) * 255.0
    agreement = float(np.abs(ours.upscale_rgb(rgb) - reference).max())

    def pytorch():
        with torch.no_grad():
            return network(batch)

    matmul, _ = matmul_step()
    functions = {"ours": lambda: ours.upscale_rgb(rgb),
                 "pytorch-eager": pytorch, "matmul": matmul}
    if resolve_runtime("auto") != "tensorflow":
        functions["ours-tensorflow"] = lambda: ours_tf.upscale_rgb(rgb)
    seconds = interleaved_median_seconds(functions, repeats=repeats)
    megapixels = size * size / 1e6
    print(f"\n{kind} x4, {size}x{size} LR, {generator.count_params():,} parameters, "
          f"runtime auto = {resolve_runtime('auto')}, max |ours - pytorch| = {agreement:.4f}")
    print("| path | s per LR megapixel | vs pytorch-eager |")
    print("|---|---|---|")
    for name in ("ours", "ours-tensorflow", "pytorch-eager"):
        if name in seconds:
            ratio = seconds["pytorch-eager"] / seconds[name]
            print(f"| {name} | {seconds[name] / megapixels:.2f} | {ratio:.2f}x |")


def peak_memory(kind: str, width: int, height: int) -> None:
    import torch

    network = torch_network(kind)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{kind}.pth"
        torch.save(network.state_dict(), path)
        generator = load_generator(path)
    del network
    rgb = np.random.default_rng(2).uniform(0, 255, (height, width, 3)).astype(np.float32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    sr = Upscaler(generator).upscale_rgb(rgb)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    output_mb = sr.nbytes / 1e6
    print(f"{kind} x4, {width}x{height} LR -> {sr.shape[1]}x{sr.shape[0]}, automatic tiling, "
          f"runtime {resolve_runtime('auto')}: {seconds:.0f} s, peak RSS {peak:.0f} MB "
          f"({before:.0f} MB before the run; the float32 output alone is {output_mb:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=128, help="LR side in pixels (default 128)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--network", choices=NETWORKS, action="append",
                        help="networks to run (default: both)")
    parser.add_argument("--peak", metavar="WxH",
                        help="measure the peak memory of one WxH LR image instead")
    args = parser.parse_args()
    for kind in args.network or NETWORKS:
        if args.peak:
            width, height = (int(v) for v in args.peak.lower().split("x"))
            peak_memory(kind, width, height)
        else:
            compare(kind, args.size, args.repeats)


if __name__ == "__main__":
    main()
