#!/usr/bin/env bash
# SHA-256 of what `steg` writes for the bundled samples with the installed weights: hide, reveal
# (keyless and with the key), mosaic, robust (PNG and JPEG stegos, odd sizes, --phase/--size auto,
# after `steg attack`), keyless and keyed embed-bits/extract-bits, capacity and models. Run it
# before and after a change that must not change outputs, and diff the two listings:
#   benchmarks/output_hashes.sh > before.txt; ...; benchmarks/output_hashes.sh > after.txt; diff before.txt after.txt
# Keyless payload stegos (b1.png) differ on every run (a random salt and nonce); their extracted
# bytes (b1.txt) do not. $STEG names the command (default: steg), $PYTHON the interpreter.
# $KEEP, if set, names a folder that receives the outputs, for benchmarks/compare_outputs.py
# (how many samples of each image differ, and by how much) when the hashes do differ.
set -euo pipefail
S=${STEG:-steg} PY=${PYTHON:-python}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
SAMPLES=$($PY -c 'import pathlib, stegcli.samples as s; print(pathlib.Path(s.__file__).parent)')
C=$SAMPLES/cover.png X=$SAMPLES/secret.png M=$SAMPLES/message.txt
$PY - "$C" "$X" "$D" <<'PY'
import sys
from PIL import Image
c = Image.open(sys.argv[1]).convert("RGB"); x = Image.open(sys.argv[2]).convert("RGB")
c.crop((0, 0, 201, 143)).save(sys.argv[3] + "/odd.png")
x.crop((10, 10, 150, 150)).save(sys.argv[3] + "/x2.png")
PY
export STEG_PASSPHRASE=hunter2
cd "$D"
$S hide $C $X -o isn1.png --key-out isn1.npy -q
$S reveal isn1.png -n 1 -o isn1-r.png -q
$S reveal isn1.png --key isn1.npy -o isn1-rk.png -q
$S hide odd.png $X x2.png -o isn2odd.png --key-out isn2odd.npy -q
$S reveal isn2odd.png -n 2 -o isn2odd-r.png -q
$S hide $C $X x2.png $X -m mosaic-4 -o m4.png --key-out m4.npy -q
$S reveal m4.png -m mosaic-4 -n 3 -o m4-r.png -q
$S reveal m4.png --key m4.npy -n 4 -o m4-rk.png -q
$S hide $C $X --robust -o r1.png -q
$S hide odd.png $X x2.png --robust -o r2odd.jpg -q
$S reveal r1.png --robust -o r1-r.png -q
$S reveal r2odd.jpg --robust -n 2 -o r2odd-r.png -q
$S reveal r2odd.jpg --robust -n 2 --phase auto -o r2odd-p.png -q
$S reveal r1.png --robust --size auto -o r1-auto.png -q
$S attack r1.png --jpeg 75 --scale 0.8 -o r1-att.png -q
$S reveal r1-att.png --robust --size auto -o r1-att-r.png -q
$S embed-bits $M --cover $C -o b1.png -p -q
$S extract-bits b1.png -p -o b1.txt -q
$S embed-bits $M --cover $C -o b3.png --key-out b3.npy -q
$S extract-bits b3.png --key b3.npy -o b3.txt -q
$S capacity $C --json > cap.json
$S models --json > models.json
sha256sum * | sort -k2
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -- * "$KEEP"/; fi
