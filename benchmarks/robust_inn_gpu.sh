#!/usr/bin/env bash
# robust_inn_curriculum.sh runs side by side on one GPU, each continuing a shipped robust-N file, then
# their exports, logs and checkpoints in OUT (docs/models.md, "How robust-N was trained"): robust-1,
# robust-1 with 8 blocks, robust-2 and robust-3.
#   benchmarks/robust_inn_gpu.sh DATA OUT
set -uo pipefail
data=${1:?usage: robust_inn_gpu.sh DATA OUT} out=${2:?usage: robust_inn_gpu.sh DATA OUT}
here=$(dirname "$0") runs=runs/gpu
mkdir -p "$runs" "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD PYTHON=${PYTHON:-python3} TRAIN_ARGS="--device cuda --batch 32 --patch 128 --threads 2 --val-every 1000"
curriculum() {  # NAME N INIT STAGE...
  local name=$1 n=$2 init=$3; shift 3
  INIT=$init "$here/robust_inn_curriculum.sh" "$data" "$n" "$runs/$name" "$out/$name.safetensors" "$@" \
    > "$runs/$name.out" 2>&1
  echo "$name exited $?"
}
curriculum r1 1 weights/robust-1.safetensors full:5@1e-4 full:1.5@3e-5 &
TRAIN_ARGS="$TRAIN_ARGS --blocks 8" curriculum r1deep 1 weights/robust-1.safetensors full:5@1e-4 full:1.5@3e-5 &
curriculum r2 2 weights/robust-2.safetensors resample:2 full:3@1e-4 full:1.5@3e-5 &
curriculum r3 3 weights/robust-3.safetensors resample:2 full:3@1e-4 full:1.5@3e-5 &
( sleep 150; nvidia-smi --query-gpu=name,utilization.gpu,memory.used --format=csv ) &
wait
tar czf "$out/logs.tgz" "$runs"/*.out "$runs"/*/log.jsonl
tar czf "$out/checkpoints-1.tgz" "$runs"/r1*/checkpoint.safetensors  # two archives: 16 MiB a file comes back
if compgen -G "$runs/r[23]/checkpoint.safetensors" > /dev/null; then
  tar czf "$out/checkpoints-23.tgz" "$runs"/r[23]/checkpoint.safetensors
fi
ls -l "$out"
tail -n 3 "$runs"/*.out
