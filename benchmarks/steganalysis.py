"""What a steganalyser sees: P_E of a rich-model detector on each model's stegos and on classical peers.

Covers are one crop per photograph of a folder (``--size`` px; photographs smaller than that are
skipped), split by photograph into two halves, so that no cover is in both. For each row (a
method at a payload) every cover gets its stego, saved and read back as PNG. The features are
SPAM (686 per channel, from ``sealwatch``) on R, G and B; the detector is the FLD ensemble of
Kodovsky and Fridrich (``sealwatch``), trained on the first half's cover/stego pairs. On the second
half it reports

    P_E = min over thresholds of (false alarms + misses) / 2

(0.5: the detector guesses; 0: it finds every stego) and its plain accuracy at its own threshold.

Payloads are bits per pixel of the colour image. The peers spread them over R, G and B
(``bpp / 3`` bits per sample): LSB replacement and LSB matching, HILL and S-UNIWARD (``conseal``,
simulated at the payload's entropy). ``bits-N`` rows are keyless payloads under a passphrase, as
``steg embed-bits -p`` writes them (random bytes of the payload's size; a cover the embedding
refuses is reported and left out of the row). ``isn-1``/``robust-N`` rows hide another cover of
the set as the secret.

Needs the ``[bench]`` extra (sealwatch, conseal). One JSON object per row goes to ``--json`` as it
is measured (JSON lines)::

    python benchmarks/steganalysis.py ../shared/data/train --size 256 --covers 200 \\
        --rows lsb-replacement@0.4 lsb-matching@0.4 hill@0.4 hill@0.1 bits-1@0.1 isn-1 \\
        --json benchmarks/results/steganalysis-256.jsonl
    python benchmarks/steganalysis.py --table benchmarks/results/steganalysis-256.jsonl
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

PASSPHRASE = b"stegcli steganalysis"


def load_covers(folder: Path, size: int, count: int, seed: int) -> list[tuple[str, np.ndarray]]:
    """One centred ``size`` crop of each of ``count`` photographs (seeded choice, sorted names)."""
    from stegcli.io.images import read_image
    from stegcli.train.data import list_images

    files = list_images(folder, "all")
    rng = np.random.default_rng(seed)
    covers = []
    for path in rng.permutation(np.array(files, dtype=object)):
        image = read_image(path, "cover")
        height, width = image.shape[:2]
        if min(height, width) < size:
            continue
        top, left = (height - size) // 2, (width - size) // 2
        covers.append((path.name, np.ascontiguousarray(image[top : top + size, left : left + size])))
        if len(covers) == count:
            break
    if len(covers) < count:
        raise SystemExit(f"{folder}: only {len(covers)} photographs of at least {size} px, asked for {count}")
    return covers


def per_channel(simulate):
    """A single-channel simulator applied to R, G and B with ``bpp / 3`` bits per sample each."""

    def stego(cover: np.ndarray, bpp: float, seed: int) -> np.ndarray:
        planes = [simulate(np.ascontiguousarray(cover[..., c]), bpp / 3, seed + c) for c in range(3)]
        return np.stack(planes, axis=-1).astype(np.uint8)

    return stego


def peer_methods() -> dict:
    import conseal as cl

    return {
        "lsb-replacement": per_channel(lambda x, a, s: cl.lsb.simulate(x, a, modify=cl.LSB_REPLACEMENT, seed=s)),
        "lsb-matching": per_channel(lambda x, a, s: cl.lsb.simulate(x, a, modify=cl.LSB_MATCHING, seed=s)),
        "hill": per_channel(lambda x, a, s: cl.hill.simulate_single_channel(x, a, seed=s)),
        "suniward": per_channel(lambda x, a, s: cl.suniward.simulate_single_channel(x, a, seed=s)),
    }


def model_method(name: str, covers: list[np.ndarray], stealth: bool = False):
    """A stego function for a stegcli model: keyless payloads for bits-N, another cover as the secret
    for image models."""
    from stegcli.errors import StegError
    from stegcli.models.registry import get_spec, open_codec

    spec, codec = get_spec(name), open_codec(name)

    def stego(cover: np.ndarray, bpp: float, seed: int) -> np.ndarray | None:
        if spec.payload == "bytes":
            size = int(bpp * cover.shape[0] * cover.shape[1] / 8)
            message = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
            try:
                kwargs = {"stealth": True} if stealth else {}
                return codec.embed_keyless(cover, message, passphrase=PASSPHRASE, **kwargs).stego
            except StegError as exc:  # a refusal (capacity, or not exact): left out of the row, counted
                print(f"  {name}: cover {seed} refused: {exc}")
                return None
        secrets = [covers[(seed + 1 + i) % len(covers)] for i in range(spec.secrets)]
        return codec.hide(cover, secrets).stego

    return stego


def features(image: np.ndarray) -> np.ndarray:
    """SPAM features (T = 3, 686 each) of R, G and B, concatenated."""
    import sealwatch as sw

    return np.concatenate([np.concatenate([np.ravel(v) for v in sw.spam.extract(np.ascontiguousarray(image[..., c])).values()])
                           for c in range(3)])


def detection_error(train_c: np.ndarray, train_s: np.ndarray, test_c: np.ndarray, test_s: np.ndarray,
                    seed: int) -> dict:
    """Train the FLD ensemble on the first half's pairs; P_E and accuracy on the second half."""
    import logging

    from sealwatch.ensemble_classifier import FldEnsembleTrainer

    logging.getLogger("sealwatch").setLevel(logging.WARNING)
    classifier, _ = FldEnsembleTrainer(train_c, train_s, seed=seed, verbose=0).train()
    scores = np.concatenate([classifier.predict_confidence(test_c), classifier.predict_confidence(test_s)])
    truth = np.concatenate([np.zeros(len(test_c)), np.ones(len(test_s))])
    errors = []
    for threshold in np.concatenate([[-np.inf], np.unique(scores)]):
        said = scores > threshold
        errors.append(0.5 * (np.mean(said[truth == 0]) + np.mean(~said[truth == 1])))
    accuracy = float(np.mean((scores > 0) == (truth == 1)))
    return {"p_e": float(min(errors)), "accuracy": accuracy}


def png_roundtrip(image: np.ndarray) -> np.ndarray:
    from stegcli.eval.evaluate import png_roundtrip as roundtrip

    return roundtrip(image)


def measure_row(row: str, covers: list[tuple[str, np.ndarray]], cover_features: np.ndarray, seed: int,
                stealth: bool) -> dict:
    from stegcli.eval.metrics import psnr

    method, _, payload = row.partition("@")
    bpp = float(payload) if payload else 0.0
    images = [image for _, image in covers]
    peers = peer_methods()
    make = peers[method] if method in peers else model_method(method, images, stealth)
    started = time.time()
    kept, stego_features, psnrs = [], [], []
    for i, cover in enumerate(images):
        stego = make(cover, bpp, seed * 100_000 + i)
        if stego is None:
            continue
        stego = png_roundtrip(stego)
        kept.append(i)
        stego_features.append(features(stego))
        psnrs.append(psnr(stego, cover))
    kept_arr = np.array(kept)
    half = len(images) // 2
    first, second = kept_arr[kept_arr < half], kept_arr[kept_arr >= half]
    stego_features = np.array(stego_features)
    position = {index: k for k, index in enumerate(kept)}
    result = detection_error(cover_features[first], stego_features[[position[i] for i in first]],
                             cover_features[second], stego_features[[position[i] for i in second]], seed)
    return {"row": row, "method": method, "bpp": bpp, "covers": len(images), "pairs_used": len(kept),
            "refused": len(images) - len(kept), "train_pairs": len(first), "test_pairs": len(second),
            "stego_psnr_mean": float(np.mean([p for p in psnrs if np.isfinite(p)])) if psnrs else None,
            "stego_psnr_min": float(np.min(psnrs)) if psnrs else None, **result,
            "seconds": round(time.time() - started, 1)}


def table(path: Path) -> str:
    from stegcli.models.registry import registered_models

    bits_models = {spec.name for spec in registered_models("bits")}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    out = ["| method | payload (bits per pixel) | covers (train / test pairs) | stego PSNR dB (mean / min) | P_E | accuracy |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        payload = f"{r['bpp']:g}" if r["bpp"] else "image"
        refused = f", {r['refused']} refused" if r["refused"] else ""
        keyless = r["method"] in bits_models  # a payload of bytes: embed_keyless, with or without stealth
        method = r["method"] + (" keyless" if keyless else "") + (", stealth" if r.get("stealth") else "")
        out.append(f"| {method} | {payload} | {r['train_pairs']} / {r['test_pairs']}{refused} | "
                   f"{r['stego_psnr_mean']:.2f} / {r['stego_psnr_min']:.2f} | {r['p_e']:.3f} | {r['accuracy']:.3f} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", type=Path, help="folder of photographs")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--covers", type=int, default=200, help="photographs (half train, half test)")
    parser.add_argument("--rows", nargs="+", default=["lsb-replacement@0.4", "lsb-matching@0.4", "hill@0.4", "hill@0.1"],
                        help="METHOD@BPP (peers: lsb-replacement, lsb-matching, hill, suniward; bits-N) or an image model")
    parser.add_argument("--stealth", action="store_true", help="bits-N rows with embed_keyless(stealth=True)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", type=Path, help="append one JSON line per row here")
    parser.add_argument("--table", type=Path, help="print the markdown table of a JSON lines file and stop")
    args = parser.parse_args()
    if args.table or args.data is None:
        print(table(args.table) if args.table else "give the folder of photographs (or --table FILE)")
        raise SystemExit(0 if args.table else 2)
    run(args)


def run(args: argparse.Namespace) -> None:
    """Measure every row of ``args.rows`` on the same covers and halves."""
    import torch

    torch.set_num_threads(args.threads or torch.get_num_threads())
    covers = load_covers(args.data, args.size, args.covers, args.seed)
    cover_features = np.array([features(image) for _, image in covers])
    for row in args.rows:
        result = measure_row(row, covers, cover_features, args.seed, args.stealth)
        result.update(size=args.size, features="SPAM-686 x RGB", detector="FLD ensemble (sealwatch)",
                      stealth=args.stealth)
        print(json.dumps(result))
        if args.json:
            with args.json.open("a") as handle:
                handle.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
