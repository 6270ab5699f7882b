#!/usr/bin/env bash
# Train robust-N as the shipped robust-N weights were trained (docs/robust-training.md, tenth session):
# the invertible network of isn-N through the robust attack layer (benchmarks/robust_inn.py), one CPU
# core, in three stages, then export:
#   1. blur and resizing dominate the mix (a code that resampling leaves must come first),
#   2. JPEG joins: none 0.2, jpeg 0.4, blur 0.2, resize 0.2,
#   3. the same mix at a quarter of the rate.
#   benchmarks/robust_inn_curriculum.sh DATA N RUN MIN1 MIN2 MIN3 OUT
# e.g. benchmarks/robust_inn_curriculum.sh ../shared/data/train 1 runs/r1 40 40 45 weights/robust-1.safetensors
set -euo pipefail
data=${1:?usage: robust_inn_curriculum.sh DATA N RUN MIN1 MIN2 MIN3 OUT}
n=$2 run=$3 out=$7
train=(python "$(dirname "$0")/robust_inn.py" "$data" --run "$run" --secrets "$n")
mix=none=0.2,jpeg=0.4,blur=0.2,resize=0.2
export OMP_NUM_THREADS=1
nice -n 10 "${train[@]}" --init "weights/isn-$n.safetensors" --attack-mix none=0.2,blur=0.4,resize=0.4 --minutes "$4"
nice -n 10 "${train[@]}" --resume --attack-mix "$mix" --minutes "$5"
nice -n 10 "${train[@]}" --resume --attack-mix "$mix" --lr 5e-5 --minutes "$6"
"${train[@]}" --resume --attack-mix "$mix" --lr 5e-5 --steps 0 --export "$out" \
  --note "benchmarks/robust_inn_curriculum.sh DATA $n RUN $4 $5 $6 OUT"
