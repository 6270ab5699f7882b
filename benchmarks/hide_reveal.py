"""Time and peak memory of a full hide + reveal (embed + extract) per model and cover size.

Each case runs in a fresh subprocess so its peak memory (max RSS on CPU, max
allocated on CUDA) is its own. Covers are synthetic; timings exclude model loading.

    python benchmarks/hide_reveal.py                       # installed models, 512 and 2048, CPU
    python benchmarks/hide_reveal.py --models bits-3 --sizes 512 --device cuda --json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def run_case(model: str, size: int, device: str, repeats: int) -> dict:
    import numpy as np
    import torch

    from stegcli.models.registry import get_spec, open_codec
    from stegcli.samples import make_landscape

    cover = make_landscape(1, size, size)
    codec = open_codec(model, device)
    if get_spec(model).payload == "bytes":
        payload = np.random.default_rng(0).integers(0, 256, codec.capacity_bytes(size, size), dtype=np.uint8).tobytes()
        work = lambda: codec.extract(*codec.encode(cover, payload))  # noqa: E731
    else:
        secrets = [make_landscape(2 + i, size, size) for i in range(codec.secrets)]
        work = lambda: codec.reveal(codec.hide(cover, secrets).stego)  # noqa: E731
    work()  # warm-up
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    peak = (torch.cuda.max_memory_allocated() if device.startswith("cuda")
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {"model": model, "size": size, "device": device, "seconds": min(times), "peak_bytes": int(peak),
            "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=None, help="default: every installed model")
    parser.add_argument("--sizes", nargs="*", type=int, default=[512, 2048])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--case", nargs=2, metavar=("MODEL", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case[0], int(args.case[1]), args.device, args.repeats)))
        return
    from stegcli.models.registry import registered_models
    from stegcli.models.weights import model_info

    models = args.models or [s.name for s in registered_models() if model_info(s)["installed"]]
    results = []
    for model in models:
        for size in args.sizes:
            done = subprocess.run([sys.executable, __file__, "--case", model, str(size), "--device", args.device,
                                   "--repeats", str(args.repeats)], capture_output=True, text=True, check=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            if not args.json:
                r = results[-1]
                print(f"{r['model']:10s} {r['size']:5d}px  {r['seconds']:8.2f} s  peak {r['peak_bytes'] / 2**30:6.2f} GiB"
                      f"  ({r['device']}, {r['threads']} threads)", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
