"""OpenVINO's per-layer profile of the SRResNet x4 generator, before and after the inference
rewrite: where the time of one prediction goes.

    python benchmarks/profile_layers.py [--size 256] [--top 6]

Needs OpenVINO. Compiles the paper network (OpenVINO folds its BatchNorm itself) and its
`inference_copy()` for one LR size, runs each a few times with OpenVINO's performance
counters on, and prints the total time and the slowest layers: convolution shape, output size,
milliseconds, GFLOP/s and share of the total. The fp32 matmul ceiling is printed for scale.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import openvino as ov

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import matmul_gflops, trained_like_generator  # noqa: E402

from super_resolution_gans.models import inference_copy  # noqa: E402


def profile(model, size: int, runs: int = 3) -> list[tuple[float, str, str]]:
    """`(milliseconds, layer description, GFLOP/s or "")` of every executed node, slowest first,
    from the last of `runs` inferences."""
    core = ov.Core()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.xml"
        model.export(str(path), format="openvino", verbose=False)
        network = core.read_model(str(path))
    network.reshape([1, size, size, 3])
    convolutions = {}
    for op in network.get_ordered_ops():
        if op.get_type_name() == "Convolution":
            out_channels, in_channels, kernel_h, kernel_w = op.input_value(1).get_shape()
            _, _, height, width = op.get_output_shape(0)
            flops = 2.0 * height * width * out_channels * in_channels * kernel_h * kernel_w
            shape = f"conv {kernel_h}x{kernel_w} {in_channels}->{out_channels} at {height}x{width}"
            convolutions[op.get_friendly_name()] = (shape, flops)
    compiled = core.compile_model(
        network, "CPU",
        {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32", "PERF_COUNT": True},
    )
    request = compiled.create_infer_request()
    image = np.random.default_rng(0).uniform(0, 255, (1, size, size, 3)).astype(np.float32)
    for _ in range(runs):
        request.infer({0: image})
    rows = []
    for node in request.profiling_info:
        milliseconds = node.real_time.total_seconds() * 1e3
        if milliseconds <= 0:
            continue
        shape, flops = convolutions.get(node.node_name, (node.node_type, None))
        rate = f"{flops / milliseconds / 1e6:.0f}" if flops else ""
        rows.append((milliseconds, shape, rate))
    return sorted(rows, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="LR height and width")
    parser.add_argument("--top", type=int, default=6, help="slowest layers to list")
    args = parser.parse_args()

    generator = trained_like_generator()
    print(f"fp32 matmul ceiling: {matmul_gflops():.1f} GFLOP/s (TensorFlow, 2048x2048)")
    for title, model in (("paper network", generator),
                         ("inference copy", inference_copy(generator))):
        rows = profile(model, args.size)
        total = sum(row[0] for row in rows)
        print(f"\n{title}, {args.size}x{args.size} LR: {total:.0f} ms in all")
        print(f"{'layer':<40} {'ms':>8} {'GFLOP/s':>8} {'share':>6}")
        for milliseconds, shape, rate in rows[: args.top]:
            print(f"{shape:<40} {milliseconds:>8.1f} {rate:>8} {milliseconds / total:>6.1%}")


if __name__ == "__main__":
    main()
