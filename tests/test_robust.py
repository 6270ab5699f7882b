"""Robust mode: codec, JPEG stego output, CLI rules, attack evaluation and a tiny training run."""

import importlib.util
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
    tiny_robust,
    tiny_robust_inn,
    write_tiny_isn_weights,
    write_tiny_robust_weights,
)
from PIL import Image
from safetensors.torch import load_file

from stegcli.attacks import resize
from stegcli.errors import CapacityError, ModelError, UsageError
from stegcli.evaluate import EVAL_ATTACKS, evaluate_attacks, parse_attacks
from stegcli.metrics import flat_guess, psnr
from stegcli.nn import RobustINNConfig
from stegcli.nn.filters import blur
from stegcli.robust import RobustCodec, encode_stego, robust_model_for
from stegcli.train.loop import TrainSettings
from stegcli.train.recipes import Architecture, export, train_robust
from stegcli.train.robust_inn_task import (
    VALIDATION_ATTACKS,
    RobustINNTrainingModel,
    stego_error,
)
from stegcli.zoo import load_weights_file


def write_png(path, image):
    Image.fromarray(image).save(path)
    return str(path)


def test_codec_keeps_the_cover_size_and_reveals_every_secret():
    codec = RobustCodec(tiny_robust(2, seed=1), "robust-2")
    cover = smooth_image(45, 61, 1)
    stego = codec.hide(cover, [smooth_image(45, 61, 2), smooth_image(30, 20, 3)])  # the second is resized
    assert stego.shape == cover.shape and stego.dtype == np.uint8 and not np.array_equal(stego, cover)
    revealed = codec.reveal(stego)
    assert len(revealed) == 2 and all(r.shape == cover.shape for r in revealed)


@pytest.mark.parametrize("fold, residual_blur", [(1, 0.0), (2, 0.0), (2, 1.5)])
def test_tiles_give_the_one_pass_result(fold, residual_blur):
    """The halo covers what the networks see, also when they see 2x2 pixel blocks (``--fold 2``) and when
    the residual is low-passed (``--residual-blur``)."""
    net = tiny_robust(1, seed=2, fold=fold, residual_blur=residual_blur)
    cover, secret = smooth_image(150, 120, 4), smooth_image(150, 120, 5)
    whole, tiled = RobustCodec(net, "robust-1"), RobustCodec(net, "robust-1", tile=64)
    assert tiled.tile == 64 and tiled.halo >= 2 * net.config.receptive_radius
    stego = whole.hide(cover, [secret])
    assert np.abs(tiled.hide(cover, [secret]).astype(int) - stego).max() <= 1  # float order may flip a rounding
    assert np.abs(tiled.reveal(stego)[0].astype(int) - whole.reveal(stego)[0]).max() <= 1


@pytest.mark.parametrize("refine, luma_only, chroma_blur", [(0, False, 0.0), (4, False, 0.0), (0, True, 0.0),
                                                             (0, False, 2.0)])
def test_invertible_robust_codec_tiles_like_one_pass_at_odd_sizes(refine, luma_only, chroma_blur):
    net = tiny_robust_inn(2, seed=3, refine=refine, luma_only=luma_only, chroma_blur=chroma_blur)
    cover, secrets = smooth_image(101, 77, 4), [smooth_image(101, 77, 5), smooth_image(101, 77, 6)]
    whole, tiled = RobustCodec(net, "robust-2"), RobustCodec(net, "robust-2", tile=64)
    assert tiled.halo >= net.config.inn.receptive_radius + (48 if refine else 0)
    stego = whole.hide(cover, secrets)
    assert stego.shape == cover.shape and not np.array_equal(stego, cover)
    assert np.abs(tiled.hide(cover, secrets).astype(int) - stego).max() <= 1
    revealed = whole.reveal(stego)
    assert len(revealed) == 2 and all(r.shape == cover.shape for r in revealed)
    assert max(np.abs(t.astype(int) - r).max() for t, r in zip(tiled.reveal(stego), revealed)) <= 1


def test_invertible_robust_reveal_is_the_keyless_reverse_of_hide():
    """Hide keeps the forward pass's stego and drops z; reveal is the reverse with the constant z."""
    net = tiny_robust_inn(1, seed=4)
    cover, secret = torch.rand(1, 3, 34, 30), torch.rand(1, 3, 34, 30)
    stego, z = net.inn(cover, secret)
    assert torch.allclose(net.hide(cover, secret), stego)
    exact_cover, exact_secret = net.inn.reverse(stego, z)
    revealed, revealed_cover = net.reveal(stego)
    assert torch.allclose(exact_secret, secret, atol=1e-4) and torch.allclose(exact_cover, cover, atol=1e-4)
    keyless_cover, keyless_secret = net.inn.reverse(stego, torch.zeros_like(z))
    assert torch.equal(revealed, keyless_secret) and torch.equal(revealed_cover, keyless_cover)
    assert not torch.allclose(revealed, secret, atol=1e-3)  # untrained: z still holds part of the secret


def test_luma_change_moves_a_change_into_jpegs_luma_and_leaves_its_chroma():
    from stegcli.nn.filters import luma_change
    from stegcli.train.jpeg_sim import rgb_to_ycbcr

    cover, change = torch.rand(2, 3, 8, 8), 0.05 * torch.randn(2, 3, 8, 8)
    before, after = rgb_to_ycbcr(cover), rgb_to_ycbcr(cover + luma_change(change))
    assert torch.allclose(after[:, 1:], before[:, 1:], atol=1e-4)  # Cb, Cr untouched (0..255 units)
    assert torch.allclose(after[:, 0], rgb_to_ycbcr(cover + change)[:, 0], atol=1e-4)  # the same Y change


def test_a_luma_only_model_changes_the_cover_in_luma_only_and_trains_through_it():
    from stegcli.train.jpeg_sim import rgb_to_ycbcr

    plain, luma = tiny_robust_inn(1, seed=6), tiny_robust_inn(1, seed=6, luma_only=True)
    cover, secret = torch.rand(1, 3, 34, 30), torch.rand(1, 3, 34, 30)
    stego, plain_stego = luma.hide(cover, secret), plain.hide(cover, secret)
    change, plain_change = rgb_to_ycbcr(stego) - rgb_to_ycbcr(cover), rgb_to_ycbcr(plain_stego) - rgb_to_ycbcr(cover)
    assert change[:, 1:].abs().max() < 1e-3 < plain_change[:, 1:].abs().max()
    assert torch.allclose(change[:, 0], plain_change[:, 0], atol=1e-3)
    luma.train()
    embedded, z = luma.embed(cover, secret)
    embedded.sum().backward()  # the projection is part of the graph the training differentiates
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in luma.inn.parameters())


def test_a_chroma_blur_model_writes_the_luma_change_and_a_blurred_chroma_change():
    from stegcli.nn.filters import blur
    from stegcli.train.jpeg_sim import rgb_to_ycbcr

    plain, blurred = tiny_robust_inn(1, seed=6), tiny_robust_inn(1, seed=6, chroma_blur=2.0)
    assert blurred.config.reveal_radius == plain.config.reveal_radius + 6  # the blur's reach, for tiling
    cover, secret = torch.rand(1, 3, 34, 30), torch.rand(1, 3, 34, 30)
    change = rgb_to_ycbcr(blurred.hide(cover, secret)) - rgb_to_ycbcr(cover)
    plain_change = rgb_to_ycbcr(plain.hide(cover, secret)) - rgb_to_ycbcr(cover)
    assert torch.allclose(change[:, 0], plain_change[:, 0], atol=1e-3)  # the luma as the network made it
    assert torch.allclose(change[:, 1:], blur(plain_change[:, 1:], 2.0), atol=1e-3)
    assert change[:, 1:].abs().max() > 1e-3  # chroma is kept, only smoother
    blurred.train()
    blurred.embed(cover, secret)[0].sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in blurred.inn.parameters())
    with pytest.raises(ValueError, match="luma_only"):
        RobustINNConfig(1, luma_only=True, chroma_blur=1.0)
    widest = RobustCodec(tiny_robust_inn(1, chroma_blur=4.0), "robust-1")  # --chroma-blur's largest sigma
    assert widest.hide(smooth_image(16, 16, 1), [smooth_image(16, 16, 2)]).shape == (16, 16, 3)  # smallest image


def test_a_luma_only_models_stego_error_counts_the_chroma_its_projection_drops(photo_dir):
    from stegcli.train.data import ImageBank, list_images
    from stegcli.train.robust_inn_task import RobustINNTask, RobustINNWeights

    bank = ImageBank(list_images(photo_dir, "train"), 16)
    config = RobustINNConfig(1, blocks=2, growth=8, luma_only=True)
    task = RobustINNTask(bank, bank, config, patch=16, batch=2, val_size=16,
                         weights=RobustINNWeights(z=0.0, reveal=0.0, stego_psnr_target=0.0))
    task.model.net.load_state_dict(tiny_robust_inn(1, seed=7, luma_only=True).state_dict())
    cover, secret, seed = task.sample_batch(np.random.default_rng(0), torch.device("cpu"))
    loss, _ = task.loss((cover, secret, seed))
    with torch.no_grad():
        forward = task.net.inn(cover, secret)[0]
    written = task.net.written(forward, cover)
    weight = float(task.model.log_stego_weight.exp())
    assert loss.item() == pytest.approx(weight * float(F.mse_loss(forward, cover)), rel=1e-5)
    assert float(F.mse_loss(forward, cover)) > float(F.mse_loss(written, cover))  # the dropped chroma counts


def test_the_refinement_starts_as_no_correction_and_then_corrects_the_secrets_only():
    from stegcli.nn import RobustINN, RobustINNConfig

    plain = tiny_robust_inn(2, seed=5)
    refined = RobustINN(RobustINNConfig(2, blocks=2, growth=8, refine=4)).eval()
    refined.inn.load_state_dict(plain.inn.state_dict())
    assert refined.config.stride == 4
    image = torch.rand(1, 3, 32, 36)  # a multiple of both strides: both reverses see the same pixels
    assert all(torch.equal(a, b) for a, b in zip(plain.reveal(image), refined.reveal(image)))
    with torch.no_grad():
        refined.refine.out.bias.fill_(0.1)
    (secrets, cover), (plain_secrets, plain_cover) = refined.reveal(image), plain.reveal(image)
    assert torch.equal(cover, plain_cover) and torch.allclose(secrets, plain_secrets + 0.1, atol=1e-6)
    odd, secrets_in = torch.rand(1, 3, 30, 34), torch.rand(1, 6, 30, 34)
    assert torch.equal(refined.hide(odd, secrets_in), plain.hide(odd, secrets_in))  # hiding has no refinement
    assert refined.reveal(odd)[0].shape == (1, 6, 30, 34)


def test_codec_refuses_the_wrong_count_and_tiny_images():
    codec = RobustCodec(tiny_robust(1), "robust-1")
    with pytest.raises(UsageError, match="hides 1"):
        codec.hide(smooth_image(32, 32), [smooth_image(32, 32)] * 2)
    with pytest.raises(Exception, match="at least"):
        codec.reveal(smooth_image(8, 40))
    with pytest.raises(UsageError, match="1 to 3"):
        robust_model_for(4)


def test_encode_stego_writes_jpeg_at_the_quality_asked_and_png_losslessly():
    image = smooth_image(32, 32)
    low, high = encode_stego(image, "s.jpg", 30), encode_stego(image, "s.jpeg")
    assert low[:2] == b"\xff\xd8" and len(low) < len(high)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encode_stego(image, "s.png")))), image)
    with pytest.raises(UsageError, match="--quality"):
        encode_stego(image, "s.png", 80)
    with pytest.raises(UsageError, match="1 to 95"):
        encode_stego(image, "s.jpg", 99)


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
    assert float(model.log_stego_weight.exp()) != trainer.task.weights.stego  # steered towards the PSNR target
    assert int(model.steps_seen) == 3  # the warm-up clock travels in checkpoints
    out = tmp_path / "robust-2.safetensors"
    assert export(trainer, out, {"validation": trainer.task.validate(trainer.device)}) == "robust-2"
    net, meta = load_weights_file(out, expected_name="robust-2")
    validation = meta["metrics"]["validation"]
    assert meta["kind"] == "robust" and {"revealed_jpeg75_psnr", "revealed_scale0.5_psnr"} <= validation.keys()
    assert {"revealed_psnr_secret1", "revealed_psnr_secret2"} <= validation.keys()  # a 2-secret model, per secret
    assert not any(k.startswith("critic") for k in net.state_dict())  # the critics stay in the run folder
    assert len(RobustCodec(net, "robust-2").reveal(smooth_image(32, 32))) == 2
    # benchmarks/robust_validation.py reads both the exported file and the run's checkpoint
    script = Path(__file__).parents[1] / "benchmarks" / "robust_validation.py"
    for args in ([str(out)], [str(tmp_path / "run" / "checkpoint.safetensors"), "--config-from", str(out)]):
        done = subprocess.run([sys.executable, str(script), str(photo_dir), *args, "--size", "32"],
                              capture_output=True, text=True, check=True)
        printed = json.loads(done.stdout)
        assert printed["revealed_psnr_secret2"] == pytest.approx(validation["revealed_psnr_secret2"], abs=0.01)
    diagnosed = {}
    for name, path in (("trained", out), ("random", write_tiny_robust_weights(tmp_path, 1))):
        done = subprocess.run([sys.executable, str(script), str(photo_dir), str(path), "--size", "30", "--diagnose"],
                              capture_output=True, text=True, check=True)  # 30: not a multiple of the U-Nets' stride
        diagnosed[name] = json.loads(done.stdout)
    assert validation["stego_psnr"] == float("inf")  # 3 steps: every stego still rounds to its cover ...
    assert diagnosed["trained"]["residual_correlation"] is None  # ... so there is no residual to compare
    random = diagnosed["random"]  # a random embedder hides something, a random decoupler does not find it
    assert abs(random["residual_correlation"]) < 0.5 and 0 < random["residual_low_frequency_share"] < 1
    assert random["residual_error_to_signal"] > 0.5 and random["revealed_from_exact_residual_psnr"] > 0
    assert -1 <= random["residual_secret_correlation"] <= 1
    at = [random[f"secrets_at_1/{k}_resolution_psnr"] for k in (2, 4, 8)]
    assert at[0] > at[1] > at[2] > 0  # the coarser, the further from the secret


def test_cli_train_robust_attack_mix_fold_and_residual_blur_land_in_the_weights(photo_dir, cli_photo_dir, tmp_path):
    small = ["train", "robust", "--data", str(photo_dir), "--steps", "1", "--batch", "1", "--patch", "32", "--arch",
             "unet", "--width", "4", "--levels", "2", "--device", "cpu", "--run", str(tmp_path / "run")]
    too_small = run_steg(small)  # 50x60 photographs, validation crops 128 px: one line, no traceback, no run folder
    assert too_small.code == 3 and "validation images" in too_small.stderr and len(too_small.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
    common = [*small[:3], str(cli_photo_dir), *small[4:]]
    bad = run_steg([*common, "--attack-mix", "jpeg=1,sharpen=1"])
    assert bad.code != 0 and "--attack-mix" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    frozen_zero = run_steg([*common, "--freeze-embedder"])  # nothing to freeze without a trained model
    assert frozen_zero.code == 2 and "--init" in frozen_zero.stderr
    out = tmp_path / "robust-1.safetensors"
    done = run_steg([*common, "--attack-mix", "none=0.5,jpeg=0.5", "--fold", "2", "--residual-blur", "0.8",
                     "--export", str(out)])
    assert done.code == 0, done.stderr
    model, meta = load_weights_file(out, expected_name="robust-1")
    assert model.config.fold == 2 and meta["config"]["robust"]["fold"] == 2
    assert model.config.residual_blur == meta["config"]["robust"]["residual_blur"] == 0.8
    assert meta["recipe"]["attacks"]["weights"] == {"none": 0.5, "jpeg": 0.5, "noise": 0.0, "blur": 0.0, "resize": 0.0, "crop": 0.0}


def test_cli_train_robust_trains_the_invertible_model_that_ships(cli_photo_dir, tmp_path):
    source = write_tiny_isn_weights(tmp_path, 1)  # 2 blocks of growth 8
    out = tmp_path / "robust-1.safetensors"
    base = ["train", "robust", "--data", str(cli_photo_dir), "--batch", "1", "--patch", "32", "--blocks", "2",
            "--growth", "8", "--device", "cpu", "--threads", "1"]
    done = run_steg([*base, "--steps", "2", "--run", str(tmp_path / "run"), "--init", str(source), "--attack-mix",
                     "jpeg=0.5,blur=0.5", "--chroma-weight", "2", "--luma-only", "--export", str(out)])
    assert done.code == 0, done.stderr
    model, meta = load_weights_file(out, expected_name="robust-1")
    assert meta["config"]["robust_inn"] == model.config.to_dict() and model.config.blocks == 2 and model.config.luma_only
    assert meta["recipe"]["init"] == str(source)
    assert meta["recipe"]["loss_weights"]["chroma"] == 2 and meta["recipe"]["attacks"]["weights"]["jpeg"] == 0.5
    assert meta["recipe"]["steps"] == 2 and {f"revealed_{a}_psnr" for a in VALIDATION_ATTACKS} <= meta["metrics"]["validation"].keys()
    isn, _ = load_weights_file(source)
    moved = [key for key, tensor in isn.state_dict().items() if not torch.equal(model.inn.state_dict()[key], tensor.half().float())]
    assert moved  # trained from the file, not exported untouched
    codec = RobustCodec(model, "robust-1")
    assert codec.reveal(codec.hide(smooth_image(40, 40, 1), [smooth_image(40, 40, 2)]))[0].shape == (40, 40, 3)
    other = run_steg([*base, "--steps", "3", "--run", str(tmp_path / "run"), "--resume"])  # forgot --luma-only
    assert other.code != 0 and "another architecture (luma_only=True)" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1
    blurred = tmp_path / "blurred.safetensors"
    deeper = run_steg([*base, "--blocks", "3", "--steps", "1", "--run", str(tmp_path / "deeper"), "--init", str(out),
                       "--chroma-blur", "1.5", "--export", str(blurred)])
    assert deeper.code == 0 and "1 identity blocks after its own" in deeper.stderr
    model, meta = load_weights_file(blurred, expected_name="robust-1")
    assert model.config.chroma_blur == meta["config"]["robust_inn"]["chroma_blur"] == 1.5 and not model.config.luma_only


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


@pytest.mark.parametrize("args, message", [
    (["--width", "8"], "--width is an option of --arch unet"),
    (["--arch", "unet", "--blocks", "2"], "--blocks is an option of --arch inn"),
    (["--arch", "mlp"], "--arch must be one of inn, unet"),
    (["--freeze-inn"], "nothing to train without --refine"),
    (["--freeze-inn", "--refine", "4"], "--freeze-inn needs --init"),
    (["--arch", "unet", "--chroma-blur", "1"], "--chroma-blur is an option of --arch inn"),
    (["--luma-only", "--chroma-blur", "1"], "give one of them"),
])
def test_cli_train_robust_refuses_options_of_the_other_architecture(cli_photo_dir, tmp_path, args, message):
    done = run_steg(["train", "robust", "--data", str(cli_photo_dir), "--steps", "1", "--run", str(tmp_path / "run"), *args])
    assert done.code == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_cli_train_robust_inn_refuses_a_unet_or_narrower_start(cli_photo_dir, tmp_path):
    unet = write_tiny_robust_weights(tmp_path, 1)
    isn = write_tiny_isn_weights(tmp_path, 2)  # two secrets: other channel counts
    base = ["train", "robust", "--data", str(cli_photo_dir), "--steps", "1", "--batch", "1", "--patch", "32",
            "--blocks", "2", "--growth", "8", "--device", "cpu"]
    for init, message in ((unet, "not an isn-N or invertible robust-N"), (isn, "not an invertible network of this width")):
        done = run_steg([*base, "--run", str(tmp_path / init.stem), "--init", str(init)])
        assert done.code != 0 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_freeze_embedder_trains_only_the_receiving_side(photo_dir, tmp_path):
    init = write_tiny_robust_weights(tmp_path, 1, seed=3)
    start, _ = load_weights_file(init, expected_name="robust-1")  # as stored (fp16 rounding included)
    trainer = train_robust(photo_dir, 1, tmp_path / "run", TrainSettings(steps=2, val_every=10, log_every=1),
                           torch.device("cpu"), Architecture(blocks=3, growth=4, patch=32, batch=2, val_size=32),
                           init=init, freeze_embedder=True)
    net = trainer.task.net
    assert all(torch.equal(a, b) for a, b in zip(net.embed.state_dict().values(), start.embed.state_dict().values()))
    assert not all(torch.equal(a, b) for a, b in zip(net.decouple.state_dict().values(), start.decouple.state_dict().values()))
    assert trainer.task.recipe()["freeze_embedder"] is True


def test_init_from_fewer_secrets_grows_the_model(tiny_weights_dir):
    """``steg train robust -n 2 --init robust-1.safetensors`` starts from the 1-secret model."""
    from stegcli.errors import ModelError
    from stegcli.nn import RobustConfig, RobustNet
    from stegcli.train.recipes import warm_start

    path = tiny_weights_dir / "robust-1.safetensors"
    source, _ = load_weights_file(path, expected_name="robust-1")
    grown = RobustNet(RobustConfig(2, width=4, levels=3))
    assert warm_start(grown, path)
    cover, secrets = torch.rand(1, 3, 16, 16), torch.rand(1, 6, 16, 16)
    with torch.no_grad():
        assert torch.allclose(grown.hide(cover, secrets), source.hide(cover, secrets[:, :3]), atol=1e-6)
    with pytest.raises(ModelError, match="cannot grow"):
        warm_start(RobustNet(RobustConfig(2, width=8, levels=3)), path)
    for other in ({"fold": 2}, {"residual_blur": 1.0}):
        with pytest.raises(ModelError, match="cannot grow"):
            warm_start(RobustNet(RobustConfig(2, width=4, levels=3, **other)), path)


def test_folded_networks_keep_each_input_in_its_own_branch():
    """``--fold 2``: pixel blocks become channels, but a secret still only reaches the embedder through its encoder."""
    net = tiny_robust(2, seed=4, fold=2)
    assert net.embed.encoders[0].levels[0][0].in_channels == 12 and net.config.stride == 8
    cover, secrets = torch.rand(1, 3, 21, 30), torch.rand(1, 6, 21, 30)
    with torch.no_grad():
        stego = net.hide(cover, secrets)
        revealed, residual, cover_estimate = net.reveal(stego)
        assert stego.shape == residual.shape == cover_estimate.shape == cover.shape and revealed.shape == secrets.shape
        net.embed.encoders[2].levels[0][0].weight.zero_()  # blind the second secret's encoder
        changed = secrets.clone()
        changed[:, 3:] = torch.rand(1, 3, 21, 30)
        assert torch.equal(net.hide(cover, secrets), net.hide(cover, changed))


def test_residual_blur_low_passes_what_the_embedder_writes():
    """``--residual-blur``: the same embedder, its residual through a fixed Gaussian; of a folded embedder's
    pixel-grid code little is left above the frequencies a downscale to half keeps."""
    sharp, smooth = (tiny_robust(1, seed=5, scale=0.5, fold=2, residual_blur=sigma) for sigma in (0.0, 1.5))
    cover, secret = torch.rand(2, 3, 40, 48), torch.rand(2, 3, 40, 48)
    with torch.no_grad():
        residual = sharp.hide(cover, secret) - cover
        low_passed = smooth.hide(cover, secret) - cover
    assert torch.allclose(low_passed, blur(residual, 1.5), atol=1e-6)

    def high_share(x):  # share of the energy that 2x2 block means lose: what a downscale to half cannot keep
        return float((x - F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest")).pow(2).sum() / x.pow(2).sum())

    assert high_share(low_passed) < 0.05 < 0.3 < high_share(residual)


def test_robust_oracle_starts_from_the_diagnosed_exact_residual_and_trains_the_reveal(photo_dir, tmp_path):
    weights = write_tiny_robust_weights(tmp_path, 1)
    scripts = Path(__file__).parents[1] / "benchmarks"
    common = [str(photo_dir), str(weights), "--size", "30"]
    diagnosed = json.loads(subprocess.run([sys.executable, str(scripts / "robust_validation.py"), *common, "--diagnose"],
                                          capture_output=True, text=True, check=True).stdout)
    for attack in ("none", "jpeg75"):
        done = subprocess.run([sys.executable, str(scripts / "robust_oracle.py"), *common, "--attack", attack,
                               "--steps", "6", "--every", "3", "--patch", "16", "--batch", "2", "--lr", "1e-2", "--lr-warmup", "0"],
                              capture_output=True, text=True, check=True)
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        assert [line["step"] for line in lines] == [0, 3, 6] and {line["attack"] for line in lines} == {attack}
        first, last = lines[0], lines[-1]
        assert "model_revealed_psnr" in first and "model_revealed_psnr" not in last
        if attack == "none":  # step 0 is the --diagnose figure: the same reveal of the same exact residual
            assert first["oracle_revealed_psnr"] == pytest.approx(diagnosed["revealed_from_exact_residual_psnr"], abs=0.01)
            assert first["model_revealed_psnr"] == pytest.approx(diagnosed["revealed_psnr"], abs=0.01)
        assert last["oracle_revealed_psnr"] != first["oracle_revealed_psnr"]  # the revealing network trained


def load_benchmark(name: str):
    """``benchmarks/<name>.py`` (not a package) imported, to test its parts directly."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_diagnose_tells_a_faint_copy_of_the_secret_from_a_code():
    module = load_benchmark("robust_validation")
    secrets = torch.rand(3, 6, 16, 16, generator=torch.Generator().manual_seed(0))  # 2 secrets per cover
    copy = 0.02 * (secrets[:, 3:] - 0.5) + 0.1  # a faint copy of the second secret, plus an offset
    assert module.secret_correlation(copy, secrets[:, 3:]) == pytest.approx(1.0)
    assert abs(module.secret_correlation(copy, secrets)) < 0.6  # averaged with the first, unrelated secret
    code = torch.randn(3, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    assert abs(module.secret_correlation(code, secrets)) < 0.1


def test_diagnose_tells_lost_colour_from_lost_structure():
    module = load_benchmark("robust_validation")
    secrets = torch.rand(3, 6, 16, 16, generator=torch.Generator().manual_seed(0))  # 2 secrets per cover
    planes = module.rgb_to_ycbcr(module.as_images(secrets))
    grey = module.ycbcr_to_rgb(torch.cat([planes[:, :1], torch.full_like(planes[:, 1:], 128.0)], 1)).reshape(secrets.shape)
    assert torch.allclose(module.with_planes_of(grey, secrets, luma=False), secrets, atol=1e-5)  # colour was all it lost
    assert torch.allclose(module.with_planes_of(grey, secrets, luma=True), grey, atol=1e-5)  # its luma was right already


def test_robust_inversion_fits_the_residual_better_with_more_steps(photo_dir, tmp_path):
    weights = write_tiny_robust_weights(tmp_path, 2)
    script = Path(__file__).parents[1] / "benchmarks" / "robust_inversion.py"
    done = subprocess.run([sys.executable, str(script), str(photo_dir), str(weights), "--size", "30", "--images", "3",
                           "--steps", "30", "--every", "10"], capture_output=True, text=True, check=True)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["step"] for line in lines] == [10, 20, 30]
    fits = [line["residual_fit_error_to_signal"] for line in lines]
    assert fits[0] > fits[-1]  # the search moves towards secrets that reproduce the stego's residual
    assert lines[0]["true_secrets_fit_error_to_signal"] > 0  # 8-bit rounding: not even the true secrets fit exactly
    assert all(line["inverted_psnr"] > 0 and line["model_revealed_psnr"] == lines[0]["model_revealed_psnr"] for line in lines)
    from_reveal = subprocess.run([sys.executable, str(script), str(photo_dir), str(weights), "--size", "30", "--images", "3",
                                  "--steps", "1", "--lr", "1e-6", "--start", "reveal"], capture_output=True, text=True, check=True)
    line = json.loads(from_reveal.stdout)  # one tiny step from the model's reveal (clamped to 0.01-0.99 for the logits)
    assert line["start"] == "reveal" and line["inverted_psnr"] == pytest.approx(line["model_revealed_psnr"], abs=0.5)


def test_training_validation_attacks_are_those_of_steg_eval():
    """The downscale row that ``steg train robust`` validates is the real one of ``steg eval --attacks scale0.5``."""
    from stegcli.evaluate import EVAL_ATTACKS
    from stegcli.tensors import to_tensor
    from stegcli.train.robust_task import eval_attacked

    images = [smooth_image(40, 48, seed) for seed in (1, 2)]
    batch = torch.cat([to_tensor(image) for image in images])
    attacked = eval_attacked(batch, "scale0.5")
    assert attacked.shape == batch.shape and not torch.equal(attacked, batch)
    for row, image in zip(attacked, images):
        assert torch.equal(row[None], to_tensor(EVAL_ATTACKS["scale0.5"](image, 0)))


def test_robust_inn_probe_grows_an_isn_and_trains_it_through_the_attacks(photo_dir, tmp_path):
    source = write_tiny_isn_weights(tmp_path, 1)  # 2 coupling blocks
    script = Path(__file__).parents[1] / "benchmarks" / "robust_inn.py"
    common = [sys.executable, str(script), str(photo_dir), "--size", "30", "--patch", "16", "--batch", "2",
              "--growth", "8", "--every", "2", "--lr", "1e-3"]
    done = subprocess.run([*common, "--run", str(tmp_path / "run"), "--init", str(source), "--blocks", "3",
                           "--enhance", "4", "--steps", "2"], capture_output=True, text=True, check=True)
    assert "identity blocks: 1" in done.stdout  # the file's two blocks, then one that starts as the identity
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    validation = next(line["val"] for line in log if "val" in line)
    assert {f"revealed_{a}_psnr" for a in VALIDATION_ATTACKS} <= validation.keys()
    trained = next(line for line in log if "stego_weight" in line)  # the mean of both steps' weights
    assert trained["stego_weight"] != pytest.approx(30.0)  # steered after the first step
    shallow = subprocess.run([*common, "--run", str(tmp_path / "shallow"), "--init", str(source), "--blocks", "1",
                              "--steps", "1"], capture_output=True, text=True)
    assert shallow.returncode != 0 and "blocks this network lacks" in shallow.stderr


def test_robust_inn_training_exports_a_robust_model_the_codec_loads(photo_dir, tmp_path):
    source = write_tiny_isn_weights(tmp_path, 2)
    script = Path(__file__).parents[1] / "benchmarks" / "robust_inn.py"
    out = tmp_path / "robust-2.safetensors"
    run = [sys.executable, str(script), str(photo_dir), "--run", str(tmp_path / "run"), "--secrets", "2",
           "--size", "30", "--patch", "16", "--batch", "2", "--blocks", "2", "--growth", "8", "--every", "100",
           "--init", str(source), "--steps", "2", "--export", str(out), "--note", "a test"]
    subprocess.run(run, capture_output=True, text=True, check=True)
    model, meta = load_weights_file(out, expected_name="robust-2")
    assert meta["kind"] == "robust" and meta["config"]["robust_inn"]["secrets"] == 2
    assert meta["recipe"]["steps"] == 2 and meta["recipe"]["curriculum"] == "a test"
    assert "revealed_jpeg75_psnr" in meta["metrics"]["validation"]
    trained = load_file(tmp_path / "run" / "checkpoint.safetensors")  # the run's last weights, as exported
    for key, tensor in model.state_dict().items():
        assert torch.allclose(tensor, trained[f"model.net.{key}"].half().float())
    codec = RobustCodec(model, "robust-2")
    revealed = codec.reveal(codec.hide(smooth_image(40, 40, 1), [smooth_image(40, 40, 2), smooth_image(40, 40, 3)]))
    assert len(revealed) == 2 and all(r.shape == (40, 40, 3) for r in revealed)
    again = [str(out) if arg == str(source) else arg for arg in run[: run.index("--steps")]]  # from the export
    again[again.index("--run") + 1] = str(tmp_path / "again")
    again += ["--steps", "1"]
    assert "identity blocks: 0" in subprocess.run(again, capture_output=True, text=True, check=True).stdout


def test_robust_inn_training_of_the_refinement_alone_keeps_the_stego_code(photo_dir, tmp_path):
    source = write_tiny_isn_weights(tmp_path, 1)
    script = Path(__file__).parents[1] / "benchmarks" / "robust_inn.py"
    out = tmp_path / "robust-1.safetensors"
    run = [sys.executable, str(script), str(photo_dir), "--run", str(tmp_path / "run"), "--size", "32", "--patch", "16",
           "--batch", "2", "--blocks", "2", "--growth", "8", "--every", "100", "--lr", "1e-3", "--init", str(source),
           "--steps", "2", "--export", str(out), "--freeze-inn"]
    refused = subprocess.run(run, capture_output=True, text=True)
    assert refused.returncode != 0 and "nothing to train" in refused.stderr
    subprocess.run([*run, "--refine", "4"], capture_output=True, text=True, check=True)
    model, meta = load_weights_file(out, expected_name="robust-1")
    isn, _ = load_weights_file(source)
    assert meta["config"]["robust_inn"]["refine"] == 4
    for key, tensor in isn.state_dict().items():  # the invertible network did not move
        assert torch.equal(model.inn.state_dict()[key], tensor.half().float())
    assert model.refine.out.weight.abs().sum() > 0  # the refinement did, from zero


def test_robust_inn_enhancer_starts_as_the_identity():
    module = load_benchmark("robust_inn")
    torch.manual_seed(0)
    config = RobustINNConfig(1, blocks=2, growth=8)
    plain, enhanced = RobustINNTrainingModel(config), module.EnhancedRobustINN(config, enhance_width=4)
    enhanced.net.load_state_dict(plain.net.state_dict())
    image = torch.rand(1, 3, 30, 34)  # not a multiple of the U-Net's stride
    assert torch.equal(plain.read_attacked(image), enhanced.read_attacked(image))


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


def test_the_jpeg_probe_lets_one_part_of_the_jpeg_through_at_a_time():
    from stegcli.attacks import jpeg

    module = load_benchmark("robust_jpeg_probe")
    image = smooth_image(48, 64, 3)
    parts = module.variants(image, 75)
    assert np.array_equal(parts["png"], image) and np.array_equal(parts["jpeg"], jpeg(image, 75))
    own, compressed = module.ycbcr(image), module.ycbcr(jpeg(image, 75))
    for name, kept, replaced in (("jpeg_luma", slice(1, 3), slice(0, 1)), ("jpeg_chroma", slice(0, 1), slice(1, 3))):
        planes = module.ycbcr(parts[name]).astype(int)  # back through RGB: off by a rounding at most
        assert np.abs(planes[..., kept] - own[..., kept]).max() <= 2
        assert np.abs(planes[..., replaced] - compressed[..., replaced]).max() <= 2
    for name in ("sim_cubic", "sim_noise", "sim_mix"):  # the training's stand-ins: near the real JPEG, not the image
        assert psnr(parts[name], parts["jpeg"]) > 30 and not np.array_equal(parts[name], image)


def test_the_hide_time_search_lowers_the_reveal_error_after_jpeg_within_the_stego_budget():
    from stegcli.train.jpeg_sim import round_cubic, simulate_jpeg

    module = load_benchmark("robust_hide_search")
    model = tiny_robust_inn(1, scale=0.05).requires_grad_(False)
    cover, secret = (torch.from_numpy(smooth_image(32, 32, s)).permute(2, 0, 1)[None].float() / 255 for s in (1, 2))
    start, found = module.searched_stego(model, cover, secret, [75], steps=30, lr=0.01, clean_weight=1.0)
    assert torch.equal(start, model.hide(cover, secret).clamp(0, 1)) and not torch.equal(found, start)

    def after_jpeg(stego):
        return F.mse_loss(model.reveal(simulate_jpeg(stego, torch.tensor([75]), round_cubic))[0], secret)

    assert after_jpeg(found) < after_jpeg(start)
    budget = F.mse_loss(start, cover)
    assert F.mse_loss(found, cover) < 1.1 * budget  # the penalty keeps it near the model's own distortion


def test_the_jpeg_probe_breaks_the_reveal_error_into_planes_and_scales():
    module = load_benchmark("robust_jpeg_probe")
    secrets = torch.rand(2, 6, 32, 32)  # two secrets per image
    luma_shift = secrets + 0.1  # the same change of R, G and B: luma only
    profile = module.error_profile(luma_shift, secrets)
    assert profile["mse_Y"] == pytest.approx(25.5**2, rel=1e-4) and max(profile["mse_Cb"], profile["mse_Cr"]) < 1e-6
    assert all(profile[f"psnr_blur{s:g}"] == pytest.approx(20, abs=0.01) for s in module.BLUR_SIGMAS)  # coarse: blur keeps it
    noisy = module.error_profile((secrets + 0.1 * torch.randn_like(secrets)), secrets)
    assert noisy["psnr_blur1"] > 20 + 6 and noisy["psnr_blur4"] > noisy["psnr_blur1"]  # fine: blur removes it


def test_the_jpeg_probe_projects_the_stegos_change_as_a_luma_only_code_would_write_it():
    module = load_benchmark("robust_jpeg_probe")
    cover = smooth_image(32, 48, 1)
    stego = np.clip(cover.astype(int) + np.random.default_rng(0).integers(-6, 7, cover.shape), 0, 255).astype(np.uint8)
    parts = module.projected(stego, cover)
    assert set(parts) == {"luma_change_only", *(f"chroma_blur{s:g}" for s in module.BLUR_SIGMAS)}
    own, luma_only = module.ycbcr(cover).astype(int), module.ycbcr(parts["luma_change_only"]).astype(int)
    assert np.abs(luma_only[..., 1:] - own[..., 1:]).max() <= 2  # the cover's chroma, up to rounding
    assert np.abs(luma_only[..., 0] - module.ycbcr(stego)[..., 0].astype(int)).max() <= 2  # the stego's luma
    chroma_left = [np.abs(module.ycbcr(parts[f"chroma_blur{s:g}"]).astype(int)[..., 1:] - own[..., 1:]).mean()
                   for s in module.BLUR_SIGMAS]
    assert chroma_left[0] > chroma_left[-1]  # a wider blur leaves less of the change's chroma


def test_phase_cues_rate_what_they_say():
    from stegcli.robust import cover_fit, cover_smoothness, secret_range

    flat, image = torch.full((1, 3, 8, 8), 0.5), np.full((8, 8, 3), 128, np.uint8)
    textured = flat + 0.1 * (torch.arange(8) % 2)
    assert cover_smoothness(image, flat, flat) == 0 > cover_smoothness(image, flat, textured)
    assert secret_range(image, flat, flat) == 0 > secret_range(image, flat + 0.7, flat)
    assert cover_fit(image, flat, flat) > cover_fit(image, flat, textured)


def test_a_robust_codec_refuses_an_unknown_phase_cue(tiny_weights):
    model = RobustCodec.from_name("robust-1", "cpu").model
    for cue in ("by_eye", "cover_fit+by_eye", "cover_fit+cover_fit"):
        with pytest.raises(ModelError, match=f"unknown phase cue '{re.escape(cue)}'"):
            RobustCodec(model, "robust-1", phase_cue=cue)
    assert RobustCodec(model, "robust-1", phase_cue="cover_smoothness+secret_range").phase_cue == "cover_smoothness+secret_range"


def test_joined_cues_are_summed_in_units_of_their_spread_over_the_phases():
    from stegcli.robust import cue_scores

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
    model = RobustCodec.from_name("robust-1", "cpu").model
    with pytest.raises(ModelError, match="phase floor -1"):
        RobustCodec(model, "robust-1", phase_floor=-1.0)


def test_fit_contrast_is_the_best_cover_fit_above_the_mean_of_the_others():
    from stegcli.robust import fit_contrast

    reads = {phase: (None, {"cover_fit": fit}) for phase, fit in zip(((0, 0), (1, 0), (0, 1), (1, 1)), (30.0, 33.0, 29.0, 31.0))}
    assert fit_contrast(reads) == pytest.approx(3.0)


def test_under_the_phase_floor_an_image_at_its_own_size_is_read_in_phase_0_0(tiny_weights, caplog, monkeypatch):
    import stegcli.robust as robust

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
    from stegcli.attacks import jpeg

    codec = RobustCodec.from_name("robust-1", "cpu")
    stego = codec.hide(smooth_image(72, 80, 9), [smooth_image(72, 80, 10)])
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

    from stegcli.zoo import set_reading, weights_path

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
    import stegcli.robust as robust

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
    from stegcli.robust import corner_probe

    image = np.random.default_rng(0).integers(0, 256, (301, 413, 3), dtype=np.uint8)
    probe = corner_probe(image, tile=64)
    assert probe.shape == (128, 128, 3)
    assert np.array_equal(probe[:64, :64], image[:64, :64])
    assert np.array_equal(probe[64:, 64:], image[236:300, 348:412])  # even origins: the image's phase
    small = image[:120, :150]
    assert corner_probe(small, tile=64) is small


def test_sizes_are_judged_on_the_corners_of_a_large_image_and_the_chosen_one_read_whole(tiny_weights, monkeypatch):
    import stegcli.robust as robust

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
    import stegcli.robust as robust
    from stegcli.robust import candidate_sizes

    image = smooth_image(48, 64, 8)
    monkeypatch.setattr(robust, "stego_sizes", lambda stego, count: [(40, 52), (10, 12), (64, 85)])
    monkeypatch.setattr(robust, "at_own_size", lambda stego: False)
    assert candidate_sizes(image) == [(40, 52), (64, 85), (96, 128)]  # too small dropped; 64x85 once (it undoes 0.75 too)
    monkeypatch.setattr(robust, "at_own_size", lambda stego: True)
    assert candidate_sizes(image) == []  # the code's line is where it was written: no other size
