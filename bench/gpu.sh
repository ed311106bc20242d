#!/usr/bin/env bash
# Issue 8's GPU figures, in steps that each fit one 10-minute device call:
#
#   bash bench/gpu.sh wheels    # here, with pip: the packages the GPU image lacks, into .whl/ (git-ignored)
#   bash bench/gpu.sh turbo     # there: SDXL-Turbo shapes, 5 rounds of 4 x 512 px, then again with --compile
#   bash bench/gpu.sh quality   # there: FLUX.1-schnell shapes, 5 rounds of 1 x 1024 px
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

preset=${1:?usage: bash bench/gpu.sh wheels|turbo|quality}
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site HF_HUB_CACHE=$hub HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/gpu.txt"
rm -rf "$hub"  # one preset at a time: the quality shapes alone are ~50 GB
python3 bench/shapes.py --preset "$preset" --hub-dir "$hub" --device cuda --dtype bfloat16 > "$out/shapes-$preset.log" 2>&1
python3 bench/roofline.py --preset "$preset" --count "$([ "$preset" = quality ] && echo 1 || echo 4)" > "$out/roofline-$preset.txt"
if [ "$preset" = quality ]; then
  python3 bench/round.py --preset quality --rounds 5 --count 1 > "$out/round-quality.txt" 2> "$out/round-quality.log"
else
  python3 bench/round.py --preset turbo --rounds 5 --count 4 > "$out/round-turbo.txt" 2> "$out/round-turbo.log"
  python3 bench/round.py --preset turbo --rounds 5 --count 4 --compile > "$out/round-turbo-compile.txt" \
    2> "$out/round-turbo-compile.log"
fi
tail -n 1 "$out"/round-"$preset"*.txt
