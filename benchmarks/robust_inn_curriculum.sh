#!/usr/bin/env bash
# Train robust-N as the shipped robust-N weights were trained (docs/models.md, "How robust-N was trained"): `steg train robust`, the invertible network of isn-N through the robust attack layer, over
# a list of timed stages, then export. Each stage is NAME:MINUTES[@LR] (lr 2e-4, slow 5e-5, unless
# named); the first starts from $INIT (default weights/isn-N.safetensors), the others resume the run folder:
#   resample  blur and resizing dominate the mix (a code that resampling leaves must come first)
#   mixed     JPEG joins: none 0.2, jpeg 0.4, blur 0.2, resize 0.2
#   full      all six attacks: none 0.15, jpeg 0.35, noise 0.1, blur 0.1, resize 0.15, crop 0.15
#   slow      mixed at 5e-5 by default
# Every stage trains batches of 8 crops of 64 px on one CPU core unless $TRAIN_ARGS (more options of
# `steg train robust`, which win) says otherwise; $PYTHON names the interpreter (default python).
#   benchmarks/robust_inn_curriculum.sh DATA N RUN OUT STAGE...
# e.g. benchmarks/robust_inn_curriculum.sh ../shared/data/train 1 runs/r1 runs/robust-1.safetensors resample:40 mixed:40 slow:45
#      INIT=weights/robust-1.safetensors TRAIN_ARGS="--device cuda --batch 32 --patch 128 --threads 2 --val-every 1000" \
#        benchmarks/robust_inn_curriculum.sh DATA 1 runs/g1 runs/g1.safetensors full:5@1e-4 full:1.5@3e-5
set -euo pipefail
data=${1:?usage: robust_inn_curriculum.sh DATA N RUN OUT STAGE...}
n=$2 run=$3 out=$4
shift 4
[ $# -gt 0 ] || { echo "name at least one stage (resample, mixed, full or slow, as NAME:MIN[@LR])" >&2; exit 2; }
[ ! -e "$out" ] || { echo "$out exists; name another OUT (the export comes after all the training)" >&2; exit 2; }
read -r -a extra <<< "${TRAIN_ARGS:-}"
train=("${PYTHON:-python}" -m stegcli train robust --data "$data" --run "$run" -n "$n" --batch 8 --patch 64
       --steps 1000000 --decay-every 1000000 --lr-warmup 200 "${extra[@]}")
start=(--init "${INIT:-weights/isn-$n.safetensors}")
export OMP_NUM_THREADS=1
for stage in "$@"; do
  name=${stage%%:*} rest=${stage#*:} lr=2e-4
  case $name in
    resample) how=(--attack-mix none=0.2,blur=0.4,resize=0.4) ;;
    mixed) how=(--attack-mix none=0.2,jpeg=0.4,blur=0.2,resize=0.2) ;;
    full) how=(--attack-mix none=0.15,jpeg=0.35,noise=0.1,blur=0.1,resize=0.15,crop=0.15) ;;
    slow) how=(--attack-mix none=0.2,jpeg=0.4,blur=0.2,resize=0.2) lr=5e-5 ;;
    *) echo "unknown stage $stage" >&2; exit 2 ;;
  esac
  minutes=${rest%@*}
  [[ $rest == *@* ]] && lr=${rest#*@}  # an @LR wins over the stage's own rate
  nice -n 10 "${train[@]}" "${start[@]}" "${how[@]}" --lr "$lr" --minutes "$minutes"
  start=(--resume)
done
"${train[@]}" --resume "${how[@]}" --lr "$lr" --steps 0 --export "$out" \
  --note "robust_inn_curriculum.sh DATA $n RUN OUT $* (INIT=${INIT:-weights/isn-$n.safetensors} TRAIN_ARGS=${TRAIN_ARGS:-})"
