#!/usr/bin/env bash
# Issue 8's GPU figures, in steps that each fit one 10-minute device call:
#
#   bash bench/gpu.sh wheels    # here, with pip: the packages the GPU image lacks, into .whl/ (git-ignored)
#   bash bench/gpu.sh turbo           # there: SDXL-Turbo shapes, 5 rounds of 4 x 512 px
#   bash bench/gpu.sh turbo-compile   # there, same machine: the same with --compile (minutes of compiling at load)
#   bash bench/gpu.sh quality         # there: FLUX.1-schnell shapes, 5 rounds of 1 x 1024 px
#
# On the device machine carry `.whl` and run from the repository root. Figures go to $OUT (or bench-results/).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench-results}
hub=/tmp/bench-hub

if [ "${1:-}" = wheels ]; then
  # The GPU image (Python 3.12) has torch, accelerate, tokenizers and an older transformers, no diffusers.
  # OCR (rapidocr) is imported only for briefs that ask for words: the bench brief asks for none.
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
    diffusers==0.42.1 transformers==5.23.0 importlib_metadata zipp "regex>=2025.10.22"
  exit 0
fi

step=${1:?usage: bash bench/gpu.sh wheels|turbo|turbo-compile|quality}
preset=${step%-compile}
python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site HF_HUB_CACHE=$hub HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/gpu.txt"
if [ "$(cat "$hub/preset" 2>/dev/null)" != "$preset" ]; then  # one preset at a time: quality alone is ~50 GB
  rm -rf "$hub"
  python3 bench/shapes.py --preset "$preset" --hub-dir "$hub" --device cuda --dtype bfloat16 > "$out/shapes-$preset.log" 2>&1
  echo "$preset" > "$hub/preset"
fi
count=$([ "$preset" = quality ] && echo 1 || echo 4)
python3 bench/roofline.py --preset "$preset" --count "$count" > "$out/roofline-$preset.txt"
python3 bench/round.py --preset "$preset" --rounds 5 --count "$count" $([ "$step" != "$preset" ] && echo --compile) \
  > "$out/round-$step.txt" 2> "$out/round-$step.log"
tail -n 1 "$out/round-$step.txt"
