#!/usr/bin/env bash
# Measure the image models the way docs/models.md reports them: 512x512 crops of the fixed validation
# split of the training photographs, every stego saved and reloaded as PNG, keyless and keyed reveal.
#   benchmarks/eval_images.sh ../shared/data/train isn-1 isn-2 ...   (default: every image model installed)
# Writes benchmarks/results/eval-MODEL-512.json; render the table with
#   python benchmarks/models_table.py benchmarks/results/eval-*-512.json
set -euo pipefail
data=${1:?usage: eval_images.sh DATA_DIR [MODEL ...]}
shift
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  mapfile -t models < <(steg models --json | python -c 'import json,sys; print("\n".join(m["name"] for m in json.load(sys.stdin) if m["installed"] and m["kind"] in ("isn","mosaic")))')
fi
out="$(dirname "$0")/results"
for model in "${models[@]}"; do
  steg eval --model "$model" --covers "$data" --secrets "$data" --split val --pairs 42 --size 512 --device cpu --json \
    > "$out/eval-$model-512.json.tmp"
  mv "$out/eval-$model-512.json.tmp" "$out/eval-$model-512.json"
  echo "$model done" >&2
done
