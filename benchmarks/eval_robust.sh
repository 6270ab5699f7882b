#!/usr/bin/env bash
# Measure models under attack the way docs/models.md reports them: 512x512 crops of the fixed validation
# split, stego saved as PNG, then each attack of `steg eval --attacks all` (real Pillow JPEG, noise, blur,
# resampling, cropping), then keyless reveal.
#   benchmarks/eval_robust.sh ../shared/data/train robust-1 ...   (default: the installed robust models)
# Writes benchmarks/results/attacks-MODEL-512.json; render the table with
#   python benchmarks/models_table.py benchmarks/results/attacks-*-512.json
set -euo pipefail
data=${1:?usage: eval_robust.sh DATA_DIR [MODEL ...]}
shift
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  mapfile -t models < <(steg models --json | python -c 'import json,sys; print("\n".join(m["name"] for m in json.load(sys.stdin) if m["installed"] and m["kind"] == "robust"))')
fi
out="$(dirname "$0")/results"
for model in "${models[@]}"; do
  steg eval --model "$model" --covers "$data" --secrets "$data" --split val --pairs 42 --size 512 --attacks all \
    --device cpu --json > "$out/attacks-$model-512.json.tmp"
  mv "$out/attacks-$model-512.json.tmp" "$out/attacks-$model-512.json"
  echo "$model done" >&2
done
