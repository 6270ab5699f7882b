#!/usr/bin/env bash
# Train robust-N as the shipped robust-N weights were trained (docs/robust-training.md, tenth session):
# the invertible network of isn-N through the robust attack layer (benchmarks/robust_inn.py), one CPU
# core, a list of timed stages, then export. Stages (the first starts from weights/isn-N.safetensors,
# the others resume the run folder):
#   resample:MIN  blur and resizing dominate the mix (a code that resampling leaves must come first)
#   mixed:MIN     JPEG joins: none 0.2, jpeg 0.4, blur 0.2, resize 0.2
#   slow:MIN      the mixed stage at a quarter of the rate
#   benchmarks/robust_inn_curriculum.sh DATA N RUN OUT STAGE...
# e.g. benchmarks/robust_inn_curriculum.sh ../shared/data/train 1 runs/r1 weights/robust-1.safetensors resample:40 mixed:40 slow:45
set -euo pipefail
data=${1:?usage: robust_inn_curriculum.sh DATA N RUN OUT STAGE...}
n=$2 run=$3 out=$4
shift 4
[ $# -gt 0 ] || { echo "name at least one stage (resample:MIN, mixed:MIN, slow:MIN)" >&2; exit 2; }
train=(python "$(dirname "$0")/robust_inn.py" "$data" --run "$run" --secrets "$n")
start=(--init "weights/isn-$n.safetensors")
export OMP_NUM_THREADS=1
for stage in "$@"; do
  minutes=${stage#*:}
  case ${stage%%:*} in
    resample) how=(--attack-mix none=0.2,blur=0.4,resize=0.4) ;;
    mixed) how=(--attack-mix none=0.2,jpeg=0.4,blur=0.2,resize=0.2) ;;
    slow) how=(--attack-mix none=0.2,jpeg=0.4,blur=0.2,resize=0.2 --lr 5e-5) ;;
    *) echo "unknown stage $stage" >&2; exit 2 ;;
  esac
  nice -n 10 "${train[@]}" "${start[@]}" "${how[@]}" --minutes "$minutes"
  start=(--resume)
done
"${train[@]}" --resume "${how[@]}" --steps 0 --export "$out" --note "robust_inn_curriculum.sh DATA $n RUN OUT $*"
