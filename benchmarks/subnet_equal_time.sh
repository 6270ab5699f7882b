#!/usr/bin/env bash
# Dense (the shipped subnets) against plain coupling subnets at equal CPU time: two isn-1 runs from
# scratch side by side, one thread each, the shipped isn-1 recipe for MINUTES of wall clock each, then
# both exports on the validation split and on the second validation set (benchmarks/second_validation.py).
# plain-32 takes as long a training step as dense-16 on one thread, with 20% more parameters.
#   benchmarks/subnet_equal_time.sh ../shared/data/train ../second-val RUN_DIR [MINUTES]
#       -> RUN_DIR/ARM/{train.log,weights/isn-1.safetensors}, benchmarks/results/subnets/eval-isn-1-512-ARM-MINUTESmin[-second].json
set -euo pipefail
data=${1:?usage: subnet_equal_time.sh DATA_DIR SECOND_SET_DIR RUN_DIR [MINUTES]}
second=${2:?second validation set folder}
runs=${3:?run folder}
minutes=${4:-40}
here=$(dirname "$0")
results=${RESULTS:-$here/results/subnets}
arms=(dense:16 plain:32)
recipe=(--steps 100000 --minutes "$minutes" --lr 5e-4 --decay-every 2200 --batch 8 --patch 64 --blocks 4
        --stego-weight 64 --low-weight 16 --reveal-weight 1 --threads 1 --device cpu)
for arm in "${arms[@]}"; do
  kind=${arm%:*} width=${arm#*:}
  mkdir -p "$runs/$kind/weights"
  steg train isn --data "$data" -n 1 --run "$runs/$kind/run" --subnet "$kind" --growth "$width" "${recipe[@]}" \
    --export "$runs/$kind/weights/isn-1.safetensors" --force \
    --note "benchmarks/subnet_equal_time.sh: $kind-$width from scratch, $minutes min beside the other arm" \
    > "$runs/$kind/train.log" 2>&1 &
done
wait
for arm in "${arms[@]}"; do
  kind=${arm%:*}
  STEGCLI_WEIGHTS=$runs/$kind/weights RESULTS=$results TAG=-$kind-${minutes}min "$here/eval_images.sh" "$data" isn-1
  STEGCLI_WEIGHTS=$runs/$kind/weights RESULTS=$results TAG=-$kind-${minutes}min-second SPLIT=all \
    "$here/eval_images.sh" "$second" isn-1
done
