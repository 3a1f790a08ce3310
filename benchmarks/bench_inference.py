"""Inference speed and memory of the full SRResNet generator (16 blocks, 64 filters, x4).

    python benchmarks/bench_inference.py [--sizes 128 256 512] [--runtime auto]

Prints, for LR inputs of each size, the median seconds of the library's default prediction path
(`upscale_rgb`, whole image), the achieved GFLOP/s (FLOPs counted from the model's layers) and
its ratio to the fp32 matmul GFLOP/s (a 2048x2048 TensorFlow matmul timed in turns with it);
then the time and peak resident memory of a separate process that super-resolves a 2000x1500
LR image with automatic tiling.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    conv_flops,
    interleaved_median_seconds,
    matmul_step,
    trained_like_generator,
)

from super_resolution_gans.inference import upscale_rgb  # noqa: E402
from super_resolution_gans.inference.runtimes import resolve_runtime  # noqa: E402

_PEAK_MEMORY_SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np
    sys.path.insert(0, {bench_dir!r})
    from common import trained_like_generator
    from super_resolution_gans.inference import upscale_rgb
    generator = trained_like_generator()
    image = np.random.default_rng(0).uniform(0, 255, (1500, 2000, 3)).astype("float32")
    start = time.perf_counter()
    output = upscale_rgb(generator, image, runtime={runtime!r})
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({{"peak_bytes": peak, "seconds": seconds, "output": list(output.shape)}}))
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[128, 256, 512])
    parser.add_argument("--runtime", default="auto", choices=("auto", "tensorflow", "openvino"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    generator = trained_like_generator()
    matmul, matmul_flops = matmul_step()
    runtime = resolve_runtime(args.runtime)
    print(f"runtime: {runtime}")
    print(f"{'LR size':>9} {'seconds':>9} {'GFLOP/s':>9} {'/ matmul':>9} {'matmul GFLOP/s':>15}")
    rng = np.random.default_rng(0)
    for size in args.sizes:
        image = rng.uniform(0, 255, (size, size, 3)).astype(np.float32)
        seconds = interleaved_median_seconds(
            {
                "ours": lambda image=image: upscale_rgb(
                    generator, image, tile_size=0, runtime=runtime
                ),
                "matmul": matmul,
            },
            repeats=args.repeats,
        )
        ceiling = matmul_flops / seconds["matmul"] / 1e9
        gflops = conv_flops(generator, size, size) / seconds["ours"] / 1e9
        print(f"{size:>4}x{size:<4} {seconds['ours']:>9.3f} {gflops:>9.1f} "
              f"{gflops / ceiling:>9.2f} {ceiling:>15.1f}")
    if args.skip_memory:
        return
    script = _PEAK_MEMORY_SCRIPT.format(
        bench_dir=str(Path(__file__).resolve().parent), runtime=runtime
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"2000x1500 LR -> {stats['output'][1]}x{stats['output'][0]}, automatic tiling: "
        f"{stats['seconds']:.1f} s, peak resident memory {stats['peak_bytes'] / 1024**3:.2f} GiB"
    )


if __name__ == "__main__":
    main()
