#!/usr/bin/env bash
# Speed of every preset at 1080p with the models on an NVIDIA GPU, against the same on the CPU.
#
#   bash benchmarks/gpu_speed.sh [WHEELS_DIR]
#
# For a machine with a GPU: installs redact's gpu extra (onnxruntime-gpu in place of onnxruntime;
# from WHEELS_DIR when given, for a machine that reaches no package index), makes the 10-s 1080p30
# clip benchmarks/speed.py uses, and runs `redact bench` on it for every preset, once with
# REDACT_DEVICE=gpu (refused, exit 5, if the GPU cannot be used) and once with REDACT_DEVICE=cpu.
# CLIP=FILE measures that clip instead (where ../shared/data/video/vtest.avi is not at hand).
# Prints the card, then both tables; paste them with the date into benchmarks/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
wheels="${1:-}"
py="${PYTHON:-python3}"
if [ -n "$wheels" ]; then
    "$py" -m pip install -q --no-index --find-links "$wheels" -e '.[gpu]'
else
    "$py" -m pip install -q -e '.[gpu]'
fi
"$py" -m pip uninstall -y -q onnxruntime || true   # the CPU build holds the same module
if [ -n "$wheels" ]; then
    "$py" -m pip install -q --no-index --find-links "$wheels" --force-reinstall --no-deps 'onnxruntime-gpu==1.31.1'
else
    "$py" -m pip install -q --force-reinstall --no-deps 'onnxruntime-gpu==1.31.1'
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
clip="${CLIP:-/tmp/redact-gpu-bench/vtest_1080p30_10s.mp4}"
if [ ! -f "$clip" ]; then
    mkdir -p "$(dirname "$clip")"
    "$py" - "$clip" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, "benchmarks")
from speed import VTEST, make_clip
make_clip(VTEST, Path(sys.argv[1]), 1920, 1080, 10)
PY
fi
for device in gpu cpu; do
    echo "== REDACT_DEVICE=$device"
    REDACT_DEVICE=$device "$py" -m redact bench "$clip"
done
