"""benchmarks/gpu_check.py runs on CPU as a smoke test, so that it is ready for a GPU machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"


def test_gpu_check_runs_every_part_on_cpu():
    result = subprocess.run([sys.executable, str(SCRIPT), "--smoke"], capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    tables = result.stdout
    for network in ("SRResNet", "RRDBNet", "SRVGGNetCompact"):
        assert tables.count(f"| {network} |") == 3  # parity, speed, largest image
    assert "| XLA off," in tables and "| XLA on," in tables
    parity_rows = [line for line in tables.splitlines() if line.count("|") == 6][2:5]
    assert all(int(row.split("|")[4]) <= 2 for row in parity_rows)  # float16 within 2 levels
