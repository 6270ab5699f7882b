#!/usr/bin/env bash
# Measure the image models the way docs/models.md reports them: 512x512 crops of the fixed validation
# split of the training photographs, every stego saved and reloaded as PNG.
#   benchmarks/eval_images.sh ../shared/data/train isn-1 isn-2 ...   keyless and keyed reveal
#       (default: every installed isn/mosaic model) -> benchmarks/results/eval-MODEL-512.json
#   ATTACKS=all benchmarks/eval_images.sh ../shared/data/train isn-1  every attack of `steg eval --attacks`,
#       then keyless reveal (default: every installed robust model) -> benchmarks/results/attacks-MODEL-512.json
#   SPLIT=all TAG=-second benchmarks/eval_images.sh ../second-val   the same on every photograph of a folder,
#       here the second validation set (benchmarks/second_validation.py) -> results/eval-MODEL-512-second.json
#   STEGCLI_WEIGHTS=DIR RESULTS=OUT TAG=-x benchmarks/eval_images.sh ...   a candidate's weights file, results elsewhere
# Render the tables with
#   python benchmarks/models_table.py benchmarks/results/eval-*-512.json   (or attacks-*-512.json)
set -euo pipefail
# glibc hands the 512-px activations back to the kernel after every pass and pays for it in page
# faults: keeping them cut a 2-pair robust-2 evaluation from 18.4 s to 11.3 s (7.4 s of it system time)
export MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-1000000000} MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-1000000000}
data=${1:?usage: [ATTACKS=all] eval_images.sh DATA_DIR [MODEL ...]}
shift
models=("$@")
attacks=${ATTACKS:-} split=${SPLIT:-val} tag=${TAG:-}
if [ -n "$attacks" ]; then kinds='("robust",)'; prefix=attacks; extra=(--attacks "$attacks"); else kinds='("isn","mosaic")'; prefix=eval; extra=(); fi
if [ ${#models[@]} -eq 0 ]; then
  mapfile -t models < <(steg models --json | python -c "import json,sys; [print(m['name']) for m in json.load(sys.stdin) if m['installed'] and m['kind'] in $kinds]")
  [ ${#models[@]} -gt 0 ] || { echo "no installed model of kind $kinds; name the models" >&2; exit 2; }
fi
out=${RESULTS:-"$(dirname "$0")/results"}
mkdir -p "$out"
for model in "${models[@]}"; do
  result="$out/$prefix-$model-512$tag.json"
  steg eval --model "$model" --covers "$data" --secrets "$data" --split "$split" --pairs 42 --size 512 --device cpu --json \
    "${extra[@]}" > "$result.tmp"
  mv "$result.tmp" "$result"
  echo "$model done" >&2
done
