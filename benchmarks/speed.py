"""Speed and memory of hide and reveal per model and cover size, against what this machine can compute.

Each case runs in a fresh subprocess, so that its peak memory (max RSS on CPU, max allocated on
CUDA) is its own. In the same subprocess, right after the model, it measures

* **the conv limit**: the seconds that plain ``torch.nn.functional.conv2d`` calls of the model's own
  layer shapes take for the same number of multiply-adds (the fastest of the contiguous and
  channels-last layouts), and so the model's share of it (limit seconds / model seconds);
* **a HiNet-sized peer**: a StegoINN of 16 coupling blocks of growth 32 (random weights) through the
  same engine, on the same cover.

Then ``steg hide`` and ``steg reveal`` run on the same cover as files (start-up included). Covers are
synthetic; API timings exclude model loading. Bits models are timed as their keyed embed and
extract (one forward and one reverse pass); the keyless hide-time optimisation is measured by
``benchmarks/keyless_payload.py``.

    python benchmarks/speed.py --models isn-1 --sizes 512 1024 --json benchmarks/results/speed-cpu.json
    python benchmarks/speed.py --table benchmarks/results/speed-cpu.json
    python benchmarks/speed.py --profile isn-1 1024 1024     (share of the time per operator)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HINET = {"blocks": 16, "growth": 32}


def parse_size(text: str) -> tuple[int, int]:
    """``512`` (square) or ``4000x3000`` (width x height) -> (height, width)."""
    width, _, height = text.partition("x")
    return (int(height or width), int(width))


def timed(work, device: str, repeats: int) -> float:
    import torch

    start = time.perf_counter()
    work()  # warm-up: first calls allocate and pick kernels
    if repeats == 0:  # the one cold call is the measurement (a case too slow to repeat)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def conv_shapes(network, probe: int = 128) -> list[tuple[int, int, int, int, float]]:
    """(in, out, kernel, groups, share of the cover's pixels it runs at, times its batch: the mosaic's
    rescaling runs on every secret) of every convolution a hide pass runs."""
    import torch

    shapes = []

    def hook(module, inputs, output):
        shapes.append((module.in_channels, module.out_channels, module.kernel_size[0], module.groups,
                       output.shape[0] * output.shape[-2] * output.shape[-1] / probe**2))  # a batch of secrets counts

    probe -= probe % network.config.stride  # sides the network takes (a 3x3 mosaic needs multiples of 6)
    handles = [m.register_forward_hook(hook) for m in network.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.inference_mode():
        cover = torch.rand(1, 3, probe, probe)
        network(cover, torch.rand(1, network.config.secret_channels, probe, probe))
    for handle in handles:
        handle.remove()
    return shapes


def macs_per_pixel(shapes) -> float:
    return sum(i * o * k * k / g * share for i, o, k, g, share in shapes)


def conv_limit_seconds(shapes, pixels: int, device: str, side: int = 512) -> dict[str, float]:
    """Seconds that plain conv2d calls of these shapes take for ``pixels`` cover pixels (timed on a
    ``side`` x ``side`` cover and scaled): in each memory layout, and ``best``, the faster of the two per shape."""
    import torch
    import torch.nn.functional as F

    layouts = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}
    totals = dict.fromkeys([*layouts, "best"], 0.0)
    for shape in dict.fromkeys(shapes):
        i, o, k, g, share = shape
        hw = max(1, round(side * share**0.5))
        weight = torch.randn(o, i // g, k, k, device=device)
        seconds = {}
        for name, layout in layouts.items():
            x = torch.randn(1, i, hw, hw, device=device).contiguous(memory_format=layout)
            w = weight.contiguous(memory_format=layout)
            with torch.inference_mode():
                F.conv2d(x, w, padding=k // 2, groups=g)
                seconds[name] = timed(lambda: F.conv2d(x, w, padding=k // 2, groups=g), device, 3)
        seconds["best"] = min(seconds.values())
        for name, value in seconds.items():
            totals[name] += value * shapes.count(shape)
    return {name: total * pixels / side**2 for name, total in totals.items()}


def run_case(model: str, height: int, width: int, device: str, repeats: int, peer_max_side: int) -> dict:
    import numpy as np
    import torch

    from stegcli.codecs.engine import StegoEngine
    from stegcli.io.tensors import to_tensor
    from stegcli.models.registry import get_spec, open_codec
    from stegcli.nn import INNConfig, StegoINN
    from stegcli.samples import make_landscape

    cover = make_landscape(1, height, width)
    spec, codec = get_spec(model), open_codec(model, device)
    if spec.payload == "bytes":
        payload = np.random.default_rng(0).integers(0, 256, codec.capacity_bytes(height, width), dtype=np.uint8).tobytes()
        stego, key = codec.encode(cover, payload)
        hide, reveal = (lambda: codec.encode(cover, payload)), (lambda: codec.extract(stego, key))
    else:
        secrets = [make_landscape(2 + i, height, width) for i in range(codec.secrets)]
        stego = codec.hide(cover, secrets).stego
        hide, reveal = (lambda: codec.hide(cover, secrets)), (lambda: codec.reveal(stego))
    hide_s, reveal_s = timed(hide, device, repeats), timed(reveal, device, repeats)
    peak = (torch.cuda.max_memory_allocated() if device.startswith("cuda")
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    shapes = conv_shapes(codec.engine.model.cpu())
    codec.engine.model.to(device)
    limits = conv_limit_seconds(shapes, height * width, device)
    limit_s = limits["best"]
    peer = StegoINN(INNConfig(secret_channels=3, **HINET)).eval()
    peer_shapes = conv_shapes(peer)
    peer_s = None
    if max(height, width) <= peer_max_side:  # 11.6 times isn-1's work: its ratio is the same at every size
        engine = StegoEngine(peer.to(device), "hinet", device)
        secret = to_tensor(make_landscape(2, height, width))
        peer_s = timed(lambda: engine.hide(cover, secret), device, 1)
    return {"model": model, "height": height, "width": width, "device": device, "threads": torch.get_num_threads(),
            "hide_seconds": hide_s, "reveal_seconds": reveal_s, "peak_bytes": int(peak),
            "macs_per_pixel": macs_per_pixel(shapes), "conv_limit_seconds": limit_s,
            "conv_limit_contiguous_seconds": limits["contiguous"],
            "conv_limit_channels_last_seconds": limits["channels_last"],
            "hide_share_of_limit": limit_s / hide_s, "reveal_share_of_limit": limit_s / reveal_s,
            "hinet_macs_per_pixel": macs_per_pixel(peer_shapes), "hinet_hide_seconds": peer_s,
            "hinet_macs_ratio": macs_per_pixel(peer_shapes) / macs_per_pixel(shapes),
            "hinet_speedup": None if peer_s is None else peer_s / hide_s}


def profile_case(model: str, height: int, width: int) -> str:
    """Where one API hide's time goes, by operator (torch.profiler, self CPU time)."""
    from torch.profiler import profile

    from stegcli.models.registry import get_spec, open_codec
    from stegcli.samples import make_landscape

    spec, codec = get_spec(model), open_codec(model)
    cover = make_landscape(1, height, width)
    if spec.payload == "bytes":
        payload = bytes(codec.capacity_bytes(height, width))
        hide = lambda: codec.encode(cover, payload)  # noqa: E731
    else:
        secrets = [make_landscape(2 + i, height, width) for i in range(codec.secrets)]
        hide = lambda: codec.hide(cover, secrets)  # noqa: E731
    hide()
    with profile() as prof:
        hide()
    events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in events)
    return "\n".join(f"{e.key:32s} {e.self_cpu_time_total / total:6.1%}" for e in events[:8])


def cli_seconds(model: str, height: int, width: int) -> dict:
    """Wall time of ``steg hide`` and ``steg reveal`` (``embed-bits``/``extract-bits`` with a key for bits
    models) on files, start-up and PNG coding included."""
    from PIL import Image

    from stegcli.models.registry import get_spec, open_codec
    from stegcli.samples import make_landscape

    spec = get_spec(model)
    steg = [sys.executable, "-m", "stegcli"]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        Image.fromarray(make_landscape(1, height, width)).save(root / "cover.png")
        if spec.payload == "bytes":  # keyed, as the API case: embed-bits also checks the stego decodes
            size = open_codec(model).capacity_bytes(height, width)
            (root / "message.bin").write_bytes(bytes(range(256)) * (size // 256) + bytes(size % 256))
            hide = [*steg, "embed-bits", str(root / "message.bin"), "-c", str(root / "cover.png"), "-m", model,
                    "-o", str(root / "stego.png"), "--key-out", str(root / "z.npy"), "-q"]
            reveal = [*steg, "extract-bits", str(root / "stego.png"), "--key", str(root / "z.npy"),
                      "-o", str(root / "message.out"), "-q"]
        else:
            secrets = []
            for i in range(1 if spec.partial else spec.secrets):
                Image.fromarray(make_landscape(2 + i, height, width)).save(root / f"s{i}.png")
                secrets.append(str(root / f"s{i}.png"))
            hide = [*steg, "hide", str(root / "cover.png"), *secrets, "-m", model, "-o", str(root / "stego.png"), "-q"]
            reveal = [*steg, "reveal", str(root / "stego.png"), "-m", model, "-n", str(len(secrets)),
                      "-o", str(root / "revealed.png"), "-q"]
        start = time.perf_counter()
        subprocess.run(hide, check=True)
        middle = time.perf_counter()
        subprocess.run(reveal, check=True)
        return {"cli_hide_seconds": middle - start, "cli_reveal_seconds": time.perf_counter() - middle}


def table(path: Path) -> str:
    rows = json.loads(path.read_text())
    out = ["| model | size | hide s (API / steg) | reveal s (API / steg) | peak GiB | multiply-adds per pixel | "
           "conv limit s | share of the limit (hide / reveal) | HiNet-sized peer hide s | faster than the peer "
           "(its multiply-adds ratio) |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cli = (f" / {r['cli_hide_seconds']:.2f}", f" / {r['cli_reveal_seconds']:.2f}") if "cli_hide_seconds" in r else ("", "")
        out.append(f"| {r['model']} | {r['width']}x{r['height']} | {r['hide_seconds']:.2f}{cli[0]} | "
                   f"{r['reveal_seconds']:.2f}{cli[1]} | {r['peak_bytes'] / 2**30:.2f} | {r['macs_per_pixel']:,.0f} | "
                   f"{r['conv_limit_seconds']:.2f} | {r['hide_share_of_limit']:.2f} / {r['reveal_share_of_limit']:.2f} | "
                   + (f"{r['hinet_hide_seconds']:.2f} | {r['hinet_speedup']:.1f}x ({r['hinet_macs_ratio']:.1f}x) |"
                      if r["hinet_hide_seconds"] is not None else f"- | - ({r['hinet_macs_ratio']:.1f}x) |"))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=["bits-1", "isn-1", "mosaic-4", "robust-1"])
    parser.add_argument("--sizes", nargs="*", default=["512", "1024", "2048", "4000x3000"], help="N or WxH")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=2, help="timed calls after a warm-up; 0: time the warm-up")
    parser.add_argument("--no-cli", action="store_true", help="leave out the steg command's timings")
    parser.add_argument("--peer-max-side", type=int, default=1024, help="time the HiNet-sized peer up to this side")
    parser.add_argument("--json", type=Path, help="write the results here (rewritten after every case)")
    parser.add_argument("--table", type=Path, help="print the markdown table of a results file and stop")
    parser.add_argument("--profile", nargs=3, metavar=("MODEL", "HEIGHT", "WIDTH"),
                        help="print where one hide's time goes, by operator, and stop")
    parser.add_argument("--case", nargs=3, metavar=("MODEL", "HEIGHT", "WIDTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        print(profile_case(args.profile[0], int(args.profile[1]), int(args.profile[2])))
        return
    if args.table or args.case:
        print(table(args.table) if args.table else
              json.dumps(run_case(args.case[0], int(args.case[1]), int(args.case[2]), args.device, args.repeats,
                                  args.peer_max_side)))
        return
    results = []
    for model in args.models:
        for size in args.sizes:
            height, width = parse_size(size)
            done = subprocess.run([sys.executable, __file__, "--case", model, str(height), str(width), "--device",
                                   args.device, "--repeats", str(args.repeats), "--peer-max-side", str(args.peer_max_side)],
                                  capture_output=True, text=True, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            if not args.no_cli:
                result.update(cli_seconds(model, height, width))
            results.append(result)
            print(json.dumps(result), flush=True)
            if args.json:
                args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
