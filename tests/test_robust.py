"""Robust mode: codec, JPEG stego output, CLI rules, attack evaluation and a tiny training run."""

import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import (
    run_steg,
    smooth_image,
    tiny_inn,
    tiny_mosaic,
    tiny_robust,
    write_tiny_bits_weights,
    write_tiny_isn_weights,
)
from PIL import Image
from safetensors.torch import load_file

from stegcli.cli.image_commands import DEFAULT_JPEG_QUALITY, stego_jpeg_quality
from stegcli.codecs.engine import HideResult, pad_to
from stegcli.codecs.robust import RobustCodec
from stegcli.errors import CapacityError, ModelError, UsageError
from stegcli.eval.attacks import resize
from stegcli.eval.evaluate import EVAL_ATTACKS, evaluate_attacks, parse_attacks
from stegcli.eval.metrics import flat_guess, psnr
from stegcli.io.images import encode_image
from stegcli.io.tensors import from_tensor, to_tensor
from stegcli.models.registry import get_spec, image_model_for
from stegcli.models.weights import load_weights_file
from stegcli.nn import INNConfig, RobustINN, RobustINNConfig, StegoINN
from stegcli.train.loop import TrainSettings
from stegcli.train.recipes import Architecture, export, train_robust
from stegcli.train.robust_task import (
    VALIDATION_ATTACKS,
    RobustTask,
    RobustWeights,
    load_inn_start,
    stego_error,
)

ROBUST = {n: get_spec(f"robust-{n}") for n in (1, 2, 3)}


def write_png(path, image):
    Image.fromarray(image).save(path)
    return str(path)


def test_codec_keeps_the_cover_size_and_reveals_every_secret():
    codec = RobustCodec(tiny_robust(2, seed=1), ROBUST[2])
    cover = smooth_image(45, 61, 1)
    result = codec.hide(cover, [smooth_image(45, 61, 2), smooth_image(30, 20, 3)])  # the second is resized
    assert isinstance(result, HideResult) and result.key is None  # no key: the stego carries everything
    stego = result.stego
    assert stego.shape == cover.shape and stego.dtype == np.uint8 and not np.array_equal(stego, cover)
    revealed = codec.reveal(stego)
    assert len(revealed) == 2 and all(r.shape == cover.shape for r in revealed)


def test_robust_codec_tiles_like_one_pass_at_odd_sizes():
    net = tiny_robust(2, seed=3)
    cover, secrets = smooth_image(101, 77, 4), [smooth_image(101, 77, 5), smooth_image(101, 77, 6)]
    whole, tiled = RobustCodec(net, ROBUST[2]), RobustCodec(net, ROBUST[2], tile=64)
    assert tiled.engine.tile == 64 and tiled.engine.halo >= net.config.receptive_radius
    stego = whole.hide(cover, secrets).stego
    assert stego.shape == cover.shape and not np.array_equal(stego, cover)
    assert np.abs(tiled.hide(cover, secrets).stego.astype(int) - stego).max() <= 1  # float order may flip a rounding
    revealed = whole.reveal(stego)
    assert len(revealed) == 2 and all(r.shape == cover.shape for r in revealed)
    assert max(np.abs(t.astype(int) - r).max() for t, r in zip(tiled.reveal(stego), revealed)) <= 1


def test_robust_reverse_without_z_is_the_reverse_with_the_constant_z():
    """Hide keeps the forward pass's stego and drops z; reveal is the reverse with the constant z."""
    net = tiny_robust(1, seed=4)
    cover, secret = torch.rand(1, 3, 34, 30), torch.rand(1, 3, 34, 30)
    with torch.no_grad():
        stego, z = net(cover, secret)
        assert torch.equal(stego, net.inn(cover, secret)[0])  # the invertible network of isn-N
        exact_cover, exact_secret = net.reverse(stego, z)
        keyless_cover, keyless_secret = net.reverse(stego)
        zero_cover, zero_secret = net.reverse(stego, torch.zeros_like(z))
    assert torch.allclose(exact_secret, secret, atol=1e-4) and torch.allclose(exact_cover, cover, atol=1e-4)
    assert torch.equal(keyless_secret, zero_secret) and torch.equal(keyless_cover, zero_cover)
    assert not torch.allclose(keyless_secret, secret, atol=1e-3)  # untrained: z still holds part of the secret


def test_the_codec_pads_an_odd_sized_image_for_the_network_and_crops_back():
    """The network needs even sides; the engine reflect-pads any image to them and returns its own size."""
    net = tiny_robust(1, seed=3)
    codec = RobustCodec(net, ROBUST[1])
    cover, secret = smooth_image(33, 47, 1), smooth_image(33, 47, 2)
    with pytest.raises(ValueError, match="even"):
        net(to_tensor(cover), to_tensor(secret))
    stego = codec.hide(cover, [secret]).stego
    with torch.no_grad():
        padded_stego, _ = net(pad_to(to_tensor(cover), 2), pad_to(to_tensor(secret), 2))
    assert stego.shape == cover.shape and np.array_equal(stego, from_tensor(padded_stego[..., :33, :47]))
    (revealed,) = codec.reveal(stego)
    with torch.no_grad():
        _, padded_secret = net.reverse(pad_to(to_tensor(stego), 2))
    assert revealed.shape == (33, 47, 3) and np.array_equal(revealed, from_tensor(padded_secret[..., :33, :47]))


def test_codec_refuses_the_wrong_count_and_tiny_images():
    codec = RobustCodec(tiny_robust(1), ROBUST[1])
    with pytest.raises(UsageError, match="hides 1"):
        codec.hide(smooth_image(32, 32), [smooth_image(32, 32)] * 2)
    with pytest.raises(Exception, match="at least"):
        codec.reveal(smooth_image(8, 40))
    with pytest.raises(UsageError, match="has no key"):
        codec.reveal(smooth_image(32, 32), key=object())
    with pytest.raises(UsageError, match="1 to 3"):
        image_model_for(4, lossy=True)
    assert [image_model_for(n, lossy=True) for n in (1, 2, 3)] == ["robust-1", "robust-2", "robust-3"]


def test_robust_stegos_are_written_as_jpeg_at_the_quality_asked_and_png_losslessly():
    image, spec = smooth_image(32, 32), ROBUST[1]
    assert stego_jpeg_quality(spec, "s.jpeg", None) == DEFAULT_JPEG_QUALITY
    assert stego_jpeg_quality(spec, "s.jpg", 30) == 30 and stego_jpeg_quality(spec, "s.png", None) is None
    low, high = encode_image(image, "s.jpg", 30), encode_image(image, "s.jpeg", DEFAULT_JPEG_QUALITY)
    assert low[:2] == b"\xff\xd8" and len(low) < len(high)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encode_image(image, "s.png")))), image)
    with pytest.raises(UsageError, match="lossy"):
        encode_image(image, "s.jpg")  # no quality: a .jpg is refused, never written lossily by accident
    with pytest.raises(UsageError, match="--quality"):
        stego_jpeg_quality(spec, "s.png", 80)
    with pytest.raises(UsageError, match="1 to 95"):
        stego_jpeg_quality(spec, "s.jpg", 99)
    with pytest.raises(UsageError, match="--robust"):
        stego_jpeg_quality(get_spec("isn-1"), "s.jpg", None)


def test_cli_robust_hide_writes_jpeg_and_reveal_reads_it(tiny_weights, tmp_path):
    cover = write_png(tmp_path / "c.png", smooth_image(40, 56, 1))
    a, b = write_png(tmp_path / "a.png", smooth_image(40, 56, 2)), write_png(tmp_path / "b.png", smooth_image(40, 56, 3))
    stego = tmp_path / "s.jpg"
    result = run_steg(["hide", "--robust", cover, a, b, "-o", str(stego), "--quality", "85"])
    assert result.code == 0, result.stderr
    assert Image.open(stego).format == "JPEG" and "robust-2" in result.stderr
    result = run_steg(["reveal", "--robust", "-n", "2", str(stego), "-o", str(tmp_path / "r.png")])
    assert result.code == 0, result.stderr
    assert [Image.open(tmp_path / f"r-{i}.png").size for i in (1, 2)] == [(56, 40)] * 2


def test_cli_refuses_jpeg_for_invertible_models_without_writing(tiny_weights, tmp_path):
    cover, secret = write_png(tmp_path / "c.png", smooth_image(32, 32, 1)), write_png(tmp_path / "a.png", smooth_image(32, 32, 2))
    result = run_steg(["hide", cover, secret, "-o", str(tmp_path / "s.jpg")])
    assert result.code != 0 and "--robust" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.jpg").exists()


@pytest.mark.parametrize("args,message", [
    (["--robust", "--key-out", "k.npy"], "no key"),
    (["--robust", "--model", "isn-1"], "needs a robust model"),
    (["--quality", "80"], "--quality"),
])
def test_cli_robust_option_mistakes_fail_cleanly(tiny_weights, tmp_path, args, message):
    cover, secret = write_png(tmp_path / "c.png", smooth_image(32, 32, 1)), write_png(tmp_path / "a.png", smooth_image(32, 32, 2))
    result = run_steg(["hide", cover, secret, "-o", str(tmp_path / "s.png"), *[str(tmp_path / a) if a.endswith(".npy") else a for a in args]])
    assert result.code != 0 and message in result.stderr
    assert not (tmp_path / "s.png").exists() and not (tmp_path / "k.npy").exists()


def test_model_flag_alone_selects_robust_mode(tiny_weights, tmp_path):
    cover, secret = write_png(tmp_path / "c.png", smooth_image(32, 32, 1)), write_png(tmp_path / "a.png", smooth_image(32, 32, 2))
    assert run_steg(["hide", "-m", "robust-1", cover, secret, "-o", str(tmp_path / "s.jpg")]).code == 0
    result = run_steg(["reveal", "-m", "robust-1", str(tmp_path / "s.jpg"), "-k", str(tmp_path / "k.npy"), "-o", str(tmp_path / "r.png")])
    assert result.code != 0 and "no key" in result.stderr


@pytest.mark.parametrize("args,message", [
    (["-n", "1", "--size", "64x48"], "--size is for robust stegos"),
    (["-n", "1", "--phase", "auto"], "--phase is for robust stegos"),
    (["--robust", "--phase", "2,0"], "expected auto, or R,C"),
    (["--robust", "--phase", "1"], "expected auto, or R,C"),
    (["--robust", "--size", "64"], "expected WIDTHxHEIGHT"),
    (["--robust", "--size", "8x48"], "at least 16 pixels"),
    (["--robust", "--size", "20000x20000"], "at most"),
])
def test_cli_reveal_size_and_phase_mistakes_fail_cleanly(tiny_weights, tmp_path, args, message):
    stego = write_png(tmp_path / "s.png", smooth_image(48, 64, 1))
    result = run_steg(["reveal", stego, *args, "-o", str(tmp_path / "r.png")])
    assert result.code == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.png").exists()


def test_robust_reveal_at_a_size_reads_the_image_resized_back(tiny_weights):
    codec = RobustCodec.from_name("robust-3", "cpu")
    received = smooth_image(24, 40, 4)  # a 48x80 stego that was halved on the way
    resized = codec.reveal(received, size=(48, 80))
    assert [r.shape for r in resized] == [(48, 80, 3)] * 3
    assert all(np.array_equal(a, b) for a, b in zip(resized, codec.reveal(resize(received, 48, 80)), strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(codec.reveal(received, size=(24, 40)), codec.reveal(received),
                                                    strict=True))


def test_robust_reveal_in_a_phase_reads_the_image_without_its_first_rows_and_columns(tiny_weights):
    codec = RobustCodec.from_name("robust-3", "cpu")
    image = smooth_image(40, 48, 5)
    for phase in ((1, 0), (0, 1), (1, 1)):
        shifted = codec.reveal(image, phase=phase)
        assert all(np.array_equal(a, b) for a, b in zip(shifted, codec.reveal(image[phase[0]:, phase[1]:]), strict=True))
    scores = codec.phase_scores(image)
    assert set(scores) == {(0, 0), (1, 0), (0, 1), (1, 1)}
    best, margin = codec.guess_phase(image)
    assert scores[best] == max(scores.values()) and margin >= 0
    assert all(np.array_equal(a, b) for a, b in zip(codec.reveal(image, phase="auto"), codec.reveal(image, phase=best),
                                                    strict=True))
    with pytest.raises(UsageError, match="0 or 1"):
        codec.reveal(image, phase=(2, 0))
    with pytest.raises(UsageError, match="at least 16 pixels"):
        codec.reveal(image, size=(0, 5))


def test_a_smallest_stego_says_why_other_phases_cannot_be_read(tiny_weights):
    codec = RobustCodec.from_name("robust-3", "cpu")
    image = smooth_image(16, 16, 5)
    assert len(codec.reveal(image)) == 3
    with pytest.raises(CapacityError, match="stego is 16x16; reading it in phase 1,0"):
        codec.reveal(image, phase="auto")


def test_evaluate_attacks_measures_what_each_attack_does():
    covers = [smooth_image(48, 48, i) for i in range(2)]
    # a "model" whose stego is the cover and whose reveal returns what arrives: with the covers as the
    # secrets, each row measures the attack itself
    report = evaluate_attacks("identity", 1, lambda c, s: c, lambda im: [im], covers, covers, parse_attacks("all"))
    assert list(report["attacks"]) == list(EVAL_ATTACKS)
    rows = report["attacks"]
    assert rows["none"]["stego_psnr"]["mean"] == rows["none"]["revealed_psnr"]["mean"] == float("inf")
    assert all(rows[a]["revealed_psnr"]["mean"] < 60 for a in EVAL_ATTACKS if a != "none")
    assert rows["jpeg50"]["revealed_psnr"]["mean"] < rows["jpeg90"]["revealed_psnr"]["mean"]
    assert report["attacks"]["jpeg50"]["revealed_psnr"]["mean"] < report["attacks"]["jpeg90"]["revealed_psnr"]["mean"]
    floor = report["flat_guess"]["revealed_psnr"]  # the secrets against their mean colours, whatever the model
    assert floor["mean"] == pytest.approx(np.mean([psnr(flat_guess(c), c) for c in covers])) and floor["mean"] < 40
    with pytest.raises(UsageError, match="--attacks"):
        parse_attacks("jpeg90,unknown")


def test_flat_guess_is_the_best_single_colour():
    image = smooth_image(20, 30, 4)
    guess = flat_guess(image)
    assert guess.shape == image.shape and guess.dtype == np.uint8 and len(np.unique(guess.reshape(-1, 3), axis=0)) == 1
    others = [np.clip(guess.astype(int) + d, 0, 255).astype(np.uint8) for d in (-3, 3)] + [np.full_like(image, 128)]
    assert all(psnr(guess, image) > psnr(other, image) for other in others)
    assert psnr(flat_guess(np.full_like(image, 7)), np.full_like(image, 7)) == float("inf")


def test_real_eval_attacks_keep_the_stego_size():
    image = smooth_image(60, 44, 1)
    for name, attack in EVAL_ATTACKS.items():
        assert attack(image, 0).shape == image.shape, name


def test_cli_eval_attacks_json(tiny_weights, photo_dir):
    result = run_steg(["eval", "-m", "robust-1", "--covers", str(photo_dir), "--secrets", str(photo_dir),
                       "--pairs", "2", "--size", "32", "--attacks", "none,jpeg75,crop0.9", "--json"])
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report["attacks"]) == ["none", "jpeg75", "crop0.9"] and report["pairs"] == 2
    assert len(report["weights_sha256"]) == 64  # which file was measured
    table = run_steg(["eval", "-m", "robust-1", "--covers", str(photo_dir), "--secrets", str(photo_dir),
                      "--pairs", "2", "--size", "32", "--attacks", "none"])
    assert table.code == 0 and "flat_guess" in table.stderr.split("flat_guess:")[0]  # the rich table goes to stderr
    result = run_steg(["eval", "-m", "bits-1", "--covers", str(photo_dir), "--attacks", "all"])
    assert result.code != 0 and "image models" in result.stderr


def test_train_robust_steers_the_stego_weight_exports_and_loads(photo_dir, tmp_path):
    arch = Architecture(blocks=2, growth=4, patch=32, batch=2, val_size=32)
    trainer = train_robust(photo_dir, 2, tmp_path / "run", TrainSettings(steps=3, val_every=3, log_every=1),
                           torch.device("cpu"), arch)
    assert trainer.step == 3
    model = trainer.task.model
    assert isinstance(model.net, RobustINN) and model.net.config == RobustINNConfig(2, blocks=2, growth=4)
    assert float(model.log_stego_weight.exp()) != trainer.task.weights.stego  # steered towards the PSNR target
    out = tmp_path / "robust-2.safetensors"
    assert export(trainer, out, {"validation": trainer.task.validate(trainer.device)}) == "robust-2"
    net, meta = load_weights_file(out, expected_name="robust-2")
    validation = meta["metrics"]["validation"]
    assert meta["kind"] == "robust" and meta["config"]["robust_inn"] == net.config.to_dict()
    assert meta["config"]["secrets"] == 2 and meta["recipe"]["steps"] == 3
    assert {"stego_psnr", "revealed_psnr", *(f"revealed_{a}_psnr" for a in VALIDATION_ATTACKS)} <= validation.keys()
    assert {"revealed_jpeg75_psnr", "revealed_scale0.5_psnr"} <= validation.keys()
    assert not any("stego_weight" in k for k in net.state_dict())  # the steering state stays in the run folder
    trained = load_file(tmp_path / "run" / "checkpoint.safetensors")  # the run's last weights, as exported
    for key, tensor in net.state_dict().items():
        assert torch.allclose(tensor, trained[f"model.net.{key}"].half().float())
    assert len(RobustCodec(net, ROBUST[2]).reveal(smooth_image(32, 32))) == 2


def test_the_training_loss_reads_the_secrets_from_the_attacked_stego(photo_dir):
    """One step: hide, the attack layer, the keyless reverse; the stego error is the stego before the attack."""
    from stegcli.train.attack_layer import AttackRanges
    from stegcli.train.data import ImageBank, list_images

    bank = ImageBank(list_images(photo_dir, "train"), 16)
    config = RobustINNConfig(1, blocks=2, growth=8)
    weights = RobustWeights(stego=3.0, stego_psnr_target=0.0, z=0.5, reveal=2.0)
    task = RobustTask(bank, bank, config, patch=16, batch=2, val_size=16, weights=weights,
                      ranges=AttackRanges(weights={"blur": 1.0}))
    task.model.net.load_state_dict(tiny_robust(1, seed=7).state_dict())
    seen = []

    def recording(stego, rng):
        attacked, kinds = attack_layer(stego, rng)
        seen.append((stego.detach(), attacked.detach(), kinds))
        return attacked, kinds

    attack_layer, task.attacks = task.attacks, recording
    cover, secrets, seed = task.sample_batch(np.random.default_rng(0), torch.device("cpu"))
    loss, logged = task.loss((cover, secrets, seed))
    (stego, attacked, kinds), = seen
    assert kinds == ["blur", "blur"] and not torch.equal(attacked, stego)
    with torch.no_grad():
        forward, z = task.net(cover, secrets)
        revealed = task.net.reverse(attacked)[1]
    assert torch.allclose(stego, forward)
    expected = 3.0 * F.mse_loss(forward, cover) + 0.5 * z.square().mean() + 2.0 * F.l1_loss(revealed, secrets)
    assert loss.item() == pytest.approx(float(expected), rel=1e-5)
    assert logged["stego_weight"] == pytest.approx(3.0) and float(task.model.log_stego_weight.exp()) == pytest.approx(3.0)
    loss.backward()  # the attack layer is part of the graph the training differentiates
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in task.net.parameters())


def test_cli_train_robust_refuses_small_validation_images_and_a_bad_attack_mix_and_keeps_the_mix(photo_dir, cli_photo_dir,
                                                                                                 tmp_path):
    small = ["train", "robust", "--data", str(photo_dir), "--steps", "1", "--batch", "1", "--patch", "32", "--blocks",
             "2", "--growth", "4", "--device", "cpu", "--run", str(tmp_path / "run")]
    too_small = run_steg(small)  # 50x60 photographs, validation crops 128 px: one line, no traceback, no run folder
    assert too_small.code == 3 and "validation images" in too_small.stderr and len(too_small.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
    common = [*small[:3], str(cli_photo_dir), *small[4:]]
    bad = run_steg([*common, "--attack-mix", "jpeg=1,sharpen=1"])
    assert bad.code != 0 and "--attack-mix" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    out = tmp_path / "robust-1.safetensors"
    done = run_steg([*common, "--attack-mix", "none=0.5,jpeg=0.5", "--export", str(out)])
    assert done.code == 0, done.stderr
    model, meta = load_weights_file(out, expected_name="robust-1")
    assert model.config == RobustINNConfig(1, blocks=2, growth=4) and meta["config"]["robust_inn"] == model.config.to_dict()
    assert meta["recipe"]["attacks"]["weights"] == {"none": 0.5, "jpeg": 0.5, "noise": 0.0, "blur": 0.0, "resize": 0.0, "crop": 0.0}


def test_cli_train_robust_trains_the_invertible_model_that_ships(cli_photo_dir, tmp_path):
    source = write_tiny_isn_weights(tmp_path, 1)  # 2 blocks of growth 8
    out = tmp_path / "robust-1.safetensors"
    base = ["train", "robust", "--data", str(cli_photo_dir), "--batch", "1", "--patch", "32", "--blocks", "2",
            "--growth", "8", "--device", "cpu", "--threads", "1"]
    done = run_steg([*base, "--steps", "2", "--run", str(tmp_path / "run"), "--init", str(source), "--attack-mix",
                     "jpeg=0.5,blur=0.5", "--chroma-weight", "2", "--z-weight", "0.5", "--stego-target", "36",
                     "--export", str(out)])
    assert done.code == 0, done.stderr
    model, meta = load_weights_file(out, expected_name="robust-1")
    assert meta["config"]["robust_inn"] == model.config.to_dict() and model.config.blocks == 2
    assert meta["recipe"]["init"] == str(source)
    weights = meta["recipe"]["loss_weights"]
    assert weights["chroma"] == 2 and weights["z"] == 0.5 and weights["stego_psnr_target"] == 36
    assert meta["recipe"]["attacks"]["weights"]["jpeg"] == 0.5
    assert meta["recipe"]["steps"] == 2 and {f"revealed_{a}_psnr" for a in VALIDATION_ATTACKS} <= meta["metrics"]["validation"].keys()
    isn, _ = load_weights_file(source)
    moved = [key for key, tensor in isn.state_dict().items() if not torch.equal(model.inn.state_dict()[key], tensor.half().float())]
    assert moved  # trained from the file, not exported untouched
    codec = RobustCodec(model, ROBUST[1])
    assert codec.reveal(codec.hide(smooth_image(40, 40, 1), [smooth_image(40, 40, 2)]).stego)[0].shape == (40, 40, 3)
    other = run_steg([*base, "--growth", "4", "--steps", "3", "--run", str(tmp_path / "run"), "--resume"])
    assert other.code != 0 and "another architecture (growth=8)" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1
    deeper_out = tmp_path / "deeper.safetensors"
    deeper = run_steg([*base, "--blocks", "3", "--steps", "1", "--run", str(tmp_path / "deeper"), "--init", str(out),
                       "--export", str(deeper_out)])
    assert deeper.code == 0 and "1 identity blocks after its own" in deeper.stderr
    model, meta = load_weights_file(deeper_out, expected_name="robust-1")
    assert model.config.blocks == meta["config"]["robust_inn"]["blocks"] == 3


def test_the_curriculum_script_trains_its_stages_with_steg_train_robust(cli_photo_dir, tmp_path):
    script = Path(__file__).parents[1] / "benchmarks" / "robust_inn_curriculum.sh"
    source = write_tiny_isn_weights(tmp_path, 1)
    out = tmp_path / "robust-1.safetensors"
    env = {**os.environ, "PYTHON": sys.executable, "INIT": str(source),
           "TRAIN_ARGS": "--blocks 2 --growth 8 --batch 1 --patch 32 --device cpu --val-every 1000"}
    run = ["bash", str(script), str(cli_photo_dir), "1", str(tmp_path / "run"), str(out), "resample:0.01", "full:0.01@1e-4"]
    done = subprocess.run(run, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    model, meta = load_weights_file(out, expected_name="robust-1")
    note = meta["recipe"]["note"]
    assert model.config.blocks == 2 and "resample:0.01 full:0.01@1e-4" in note and f"INIT={source}" in note
    assert meta["recipe"]["settings"]["lr"] == 1e-4
    assert meta["recipe"]["attacks"]["weights"]["crop"] == 0.15  # the last stage's mix
    again = subprocess.run(run, capture_output=True, text=True, env=env)  # before any training, not after
    assert again.returncode == 2 and "exists" in again.stderr


def test_cli_train_robust_refuses_a_start_that_is_not_an_invertible_network_of_its_width(cli_photo_dir, tmp_path):
    bits = write_tiny_bits_weights(tmp_path, 1)  # the same network as isn-1, but another kind of model
    isn = write_tiny_isn_weights(tmp_path, 2)  # two secrets: other channel counts
    base = ["train", "robust", "--data", str(cli_photo_dir), "--steps", "1", "--batch", "1", "--patch", "32",
            "--blocks", "2", "--growth", "8", "--device", "cpu"]
    for init, message in ((bits, "this starts from isn or robust weights"), (isn, "not an invertible network of this width")):
        done = run_steg([*base, "--run", str(tmp_path / init.stem), "--init", str(init)])
        assert done.code != 0 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_load_inn_start_takes_an_isn_or_robust_network_and_starts_extra_blocks_as_the_identity():
    isn = tiny_inn(3, seed=8)  # 2 blocks of growth 8, one secret
    same = RobustINN(RobustINNConfig(1, blocks=2, growth=8))
    assert load_inn_start(same, isn) == 0
    cover, secret = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(same(cover, secret)[0], isn(cover, secret)[0])
    robust = tiny_robust(1, seed=9)
    deeper = RobustINN(RobustINNConfig(1, blocks=3, growth=8))
    assert load_inn_start(deeper, robust) == 1  # the file's two blocks, then one that starts as the identity
    with torch.no_grad():
        assert torch.allclose(deeper(cover, secret)[0], robust(cover, secret)[0], atol=1e-6)
        assert torch.allclose(deeper.reverse(robust(cover, secret)[0])[1], robust.reverse(robust(cover, secret)[0])[1],
                              atol=1e-5)
    refusals = (
        (same, tiny_inn(6), "not an invertible network of this width and secret count"),  # two secrets
        (RobustINN(RobustINNConfig(1, blocks=2, growth=4)), isn, "not an invertible network of this width"),
        (RobustINN(RobustINNConfig(1, blocks=1, growth=8)), isn, "blocks this network lacks"),
        (same, tiny_mosaic(2), "not an isn-N or robust-N network"),
        (same, StegoINN(INNConfig(3, blocks=2, growth=8, subnet="plain")), "has plain subnets; this network's are dense"),
    )
    for net, source, message in refusals:
        with pytest.raises(ModelError, match=message):
            load_inn_start(net, source, "the file")


def test_training_validation_attacks_are_those_of_steg_eval():
    """The downscale row that ``steg train robust`` validates is the real one of ``steg eval --attacks scale0.5``."""
    from stegcli.eval.evaluate import EVAL_ATTACKS
    from stegcli.io.tensors import to_tensor
    from stegcli.train.robust_task import eval_attacked

    images = [smooth_image(40, 48, seed) for seed in (1, 2)]
    batch = torch.cat([to_tensor(image) for image in images])
    attacked = eval_attacked(batch, "scale0.5")
    assert attacked.shape == batch.shape and not torch.equal(attacked, batch)
    for row, image in zip(attacked, images):
        assert torch.equal(row[None], to_tensor(EVAL_ATTACKS["scale0.5"](image, 0)))


def test_the_stego_weight_is_steered_towards_its_psnr_target():
    from stegcli.train.robust_task import steer_stego_weight

    start = torch.tensor(math.log(30.0))
    low, high, same = start.clone(), start.clone(), start.clone()
    steer_stego_weight(low, 34.0, 30.0)  # stego too visible: weigh it more
    steer_stego_weight(high, 34.0, float("inf"))  # stego == cover: weigh it less, by a bounded step
    steer_stego_weight(same, 34.0, 34.0)
    assert low > start > high and same == start and torch.isfinite(high)


def test_the_chroma_weighted_stego_error_moves_the_cost_to_the_chroma():
    cover = torch.rand(2, 3, 16, 16)
    grey, red = torch.full_like(cover, 0.01), torch.zeros_like(cover)  # same RGB MSE: a luma and a chroma change
    red[:, 0] = 0.01 * 3**0.5
    assert stego_error(cover + grey, cover) == pytest.approx(float(F.mse_loss(cover + red, cover)), rel=1e-4)
    assert stego_error(cover + grey, cover, 4.0) < stego_error(cover + red, cover, 4.0)
    assert stego_error(cover + grey, cover, 0.25) > stego_error(cover + red, cover, 0.25)


def test_phase_cues_rate_what_they_say():
    from stegcli.codecs.robust import cover_fit, cover_smoothness, secret_range

    flat, image = torch.full((1, 3, 8, 8), 0.5), np.full((8, 8, 3), 128, np.uint8)
    textured = flat + 0.1 * (torch.arange(8) % 2)
    assert cover_smoothness(image, flat, flat) == 0 > cover_smoothness(image, flat, textured)
    assert secret_range(image, flat, flat) == 0 > secret_range(image, flat + 0.7, flat)
    assert cover_fit(image, flat, flat) > cover_fit(image, flat, textured)


def test_a_robust_codec_refuses_an_unknown_phase_cue(tiny_weights):
    model = RobustCodec.from_name("robust-1", "cpu").engine.model
    for cue in ("by_eye", "cover_fit+by_eye", "cover_fit+cover_fit"):
        with pytest.raises(ModelError, match=f"unknown phase cue '{re.escape(cue)}'"):
            RobustCodec(model, ROBUST[1], phase_cue=cue)
    assert RobustCodec(model, ROBUST[1], phase_cue="cover_smoothness+secret_range").phase_cue == "cover_smoothness+secret_range"


def test_joined_cues_are_summed_in_units_of_their_spread_over_the_phases():
    from stegcli.codecs.robust import cue_scores

    # a decides by a hair where b is sure of another phase; in units of their spread b outvotes a
    cues = {(0, 0): {"cover_fit": 30.1, "secret_range": -0.09}, (1, 0): {"cover_fit": 30.0, "secret_range": -0.01},
            (0, 1): {"cover_fit": 20.0, "secret_range": -0.10}, (1, 1): {"cover_fit": 20.0, "secret_range": -0.10}}
    assert cue_scores(cues, "cover_fit") == {phase: c["cover_fit"] for phase, c in cues.items()}
    joined = cue_scores(cues, "cover_fit+secret_range")
    assert max(joined, key=joined.__getitem__) == (1, 0)
    assert sum(joined.values()) == pytest.approx(0)
    flat = {phase: {"cover_fit": 25.0, "secret_range": c["secret_range"]} for phase, c in cues.items()}
    assert max(cue_scores(flat, "cover_fit+secret_range").items(), key=lambda kv: kv[1])[0] == (1, 0)  # a cue without spread adds nothing


def test_a_robust_codec_refuses_a_phase_floor_that_is_no_contrast(tiny_weights):
    model = RobustCodec.from_name("robust-1", "cpu").engine.model
    with pytest.raises(ModelError, match="phase floor -1"):
        RobustCodec(model, ROBUST[1], phase_floor=-1.0)


def test_fit_contrast_is_the_best_cover_fit_above_the_mean_of_the_others():
    from stegcli.codecs.robust import fit_contrast

    reads = {phase: (None, {"cover_fit": fit}) for phase, fit in zip(((0, 0), (1, 0), (0, 1), (1, 1)), (30.0, 33.0, 29.0, 31.0))}
    assert fit_contrast(reads) == pytest.approx(3.0)


def test_under_the_phase_floor_an_image_at_its_own_size_is_read_in_phase_0_0(tiny_weights, caplog, monkeypatch):
    import stegcli.codecs.robust as robust

    codec = RobustCodec.from_name("robust-1", "cpu")
    image = smooth_image(40, 48, 5)
    in_step = codec.reveal(image, phase=(0, 0))
    best, _ = codec.guess_phase(image)
    by_cue = codec.reveal(image, phase=best)
    codec.phase_floor = 99.0  # no contrast reaches it: the phase cannot be told
    with caplog.at_level("INFO", logger="stegcli"):
        floored = codec.reveal(image, phase="auto")
    assert all(np.array_equal(a, b) for a, b in zip(floored, in_step, strict=True))
    assert "reading in phase 0,0: its phases' cover fits differ by" in caplog.text
    monkeypatch.setattr(robust, "at_own_size", lambda stego: True)  # the code's line where it was written
    assert all(np.array_equal(a, b) for a, b in zip(codec.reveal(image, size="auto"), in_step, strict=True))
    resized = resize(image, 44, 52)  # a size given: the image was rescaled, its phase has no favourite
    best_resized, _ = codec.guess_phase(resized)
    assert all(np.array_equal(a, b) for a, b in zip(codec.reveal(image, size=(44, 52), phase="auto"),
                                                    codec.reveal(resized, phase=best_resized), strict=True))
    codec.phase_floor = 0.0  # the default: the cue decides
    assert all(np.array_equal(a, b) for a, b in zip(codec.reveal(image, phase="auto"), by_cue, strict=True))


def test_a_jpeg_at_its_own_size_is_read_in_the_phase_its_grid_gives(tiny_weights, caplog):
    """A stego JPEG'd and cropped since is read where the JPEG's blocks began, whatever the cue or
    the floor say; a lossless one keeps the cue, and a resized one (no own size) ignores grids."""
    from stegcli.eval.attacks import jpeg

    codec = RobustCodec.from_name("robust-1", "cpu")
    stego = codec.hide(smooth_image(72, 80, 9), [smooth_image(72, 80, 10)]).stego
    grainy = np.clip(stego + np.random.default_rng(0).normal(0, 12, stego.shape), 0, 255).astype(np.uint8)
    cropped = jpeg(grainy, 90)[3:, 5:]  # blocks now begin at row 5, column 3: drop a row and a column
    codec.phase_floor = 0.0
    with caplog.at_level("INFO", logger="stegcli"):
        read = codec.reveal(cropped, phase="auto")
    assert "where the 8x8 grid of the JPEG it went through begins (row 5, column 3" in caplog.text
    assert all(np.array_equal(a, b) for a, b in zip(read, codec.reveal(cropped, phase=(1, 1)), strict=True))
    caplog.clear()
    with caplog.at_level("INFO", logger="stegcli"):
        codec.reveal(grainy[3:, 5:], phase="auto")  # lossless: no grid, the cue decides
        codec.reveal(cropped, size=(70, 76), phase="auto")  # resized first: a grid says nothing of the code
    assert "8x8 grid" not in caplog.text


def test_the_weights_reading_sets_the_phase_cue(tiny_weights, tmp_path, monkeypatch):
    import shutil

    from stegcli.models.weights import set_reading, weights_path

    shutil.copytree(tiny_weights, tmp_path / "weights")  # the shared folder stays as it is
    monkeypatch.setenv("STEGCLI_WEIGHTS", str(tmp_path / "weights"))
    assert RobustCodec.from_name("robust-2", "cpu").phase_cue == "cover_fit"  # no reading: the default
    set_reading(weights_path("robust-2"), {"phase_cue": "secret_range"})
    codec = RobustCodec.from_name("robust-2", "cpu")
    image = smooth_image(40, 48, 5)
    cues = codec.phase_cues(image)
    assert codec.phase_cue == "secret_range"
    assert codec.phase_scores(image) == {phase: cue["secret_range"] for phase, cue in cues.items()}
    assert codec.phase_floor == 0.0  # none stored: the cue always decides
    set_reading(weights_path("robust-2"), {"phase_cue": "cover_fit+secret_range", "phase_floor": 1.5})
    codec = RobustCodec.from_name("robust-2", "cpu")
    assert codec.phase_floor == 1.5 and codec.phase_cue == "cover_fit+secret_range"
    assert codec.guess_phase(image)[0] == max(codec.phase_scores(image), key=codec.phase_scores(image).__getitem__)
    set_reading(weights_path("robust-2"), {"phase_floor": "high"})
    with pytest.raises(ModelError, match="phase floor 'high' is not a number"):
        RobustCodec.from_name("robust-2", "cpu")


def test_robust_reveal_at_a_found_size_reads_a_proposed_size_or_the_image_itself(tiny_weights, monkeypatch):
    import stegcli.codecs.robust as robust

    codec = RobustCodec.from_name("robust-1", "cpu")
    image = smooth_image(48, 64, 6)
    monkeypatch.setattr(robust, "stego_sizes", lambda stego, count: [(40, 52), (10, 12)])  # 10x12: too small to read
    monkeypatch.setattr(robust, "UNDONE_REDUCTIONS", ())
    (read,) = codec.reveal(image, size="auto")
    assert read.shape[:2] in {(h - dy, w - dx) for h, w in ((48, 64), (40, 52)) for dy in (0, 1) for dx in (0, 1)}
    with pytest.raises(UsageError, match="give no phase"):
        codec.reveal(image, size="auto", phase=(1, 1))
    assert all(np.array_equal(a, b) for a, b in zip(codec.reveal(image, size="auto", phase="auto"), [read], strict=True))


def test_the_corner_probe_keeps_the_images_phase_and_leaves_small_images_whole():
    from stegcli.codecs.robust import corner_probe

    image = np.random.default_rng(0).integers(0, 256, (301, 413, 3), dtype=np.uint8)
    probe = corner_probe(image, tile=64)
    assert probe.shape == (128, 128, 3)
    assert np.array_equal(probe[:64, :64], image[:64, :64])
    assert np.array_equal(probe[64:, 64:], image[236:300, 348:412])  # even origins: the image's phase
    small = image[:120, :150]
    assert corner_probe(small, tile=64) is small


def test_sizes_are_judged_on_the_corners_of_a_large_image_and_the_chosen_one_read_whole(tiny_weights, monkeypatch):
    import stegcli.codecs.robust as robust

    codec = RobustCodec.from_name("robust-3", "cpu")
    image = smooth_image(384, 384, 7)
    assert robust.corner_probe(image).shape == (256, 256, 3)
    monkeypatch.setattr(robust, "stego_sizes", lambda stego, count: [(300, 300)])
    monkeypatch.setattr(robust, "UNDONE_REDUCTIONS", ())
    judged = []
    monkeypatch.setattr(robust, "corner_probe", lambda image: judged.append(image.shape) or image[:256, :256])
    auto = codec.reveal(image, size="auto")
    assert judged == [(384, 384, 3), (300, 300, 3)]
    whole = image if auto[0].shape[0] >= 383 else resize(image, 300, 300)  # the size chosen, read whole
    best, _ = codec.guess_phase(whole)
    assert all(np.array_equal(a, b) for a, b in zip(auto, codec.reveal(whole, phase=best), strict=True))


def test_candidate_sizes_undo_reductions_unless_the_code_is_at_its_own_size(monkeypatch):
    import stegcli.codecs.robust as robust
    from stegcli.codecs.robust import candidate_sizes

    image = smooth_image(48, 64, 8)
    monkeypatch.setattr(robust, "stego_sizes", lambda stego, count: [(40, 52), (10, 12), (64, 85)])
    monkeypatch.setattr(robust, "at_own_size", lambda stego: False)
    assert candidate_sizes(image) == [(40, 52), (64, 85), (96, 128)]  # too small dropped; 64x85 once (it undoes 0.75 too)
    monkeypatch.setattr(robust, "at_own_size", lambda stego: True)
    assert candidate_sizes(image) == []  # the code's line is where it was written: no other size
