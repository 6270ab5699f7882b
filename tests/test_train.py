import json
import time

import numpy as np
import pytest
import torch
from helpers import smooth_image
from safetensors import safe_open
from safetensors.torch import save_file

from stegcli.codecs.bits import BitsCodec
from stegcli.models.registry import get_spec
from stegcli.models.weights import load_weights_file
from stegcli.train.checkpoint import load_checkpoint, save_checkpoint
from stegcli.train.data import is_validation, list_images
from stegcli.train.loop import TrainSettings
from stegcli.train.recipes import Architecture, export, train_bits, train_isn


def test_split_is_fixed_and_disjoint(photo_dir):
    train, val = list_images(photo_dir, "train"), list_images(photo_dir, "val")
    assert val and train and not set(train) & set(val)
    assert len(train) + len(val) == 40
    assert all(is_validation(p.name) for p in val)


def test_held_out_sources_stay_out_of_training(tmp_path):
    from PIL import Image

    names = ["bsds-1.jpg", "opencv-fruits.jpg", "opencv-hfs-000.jpg", "gcompris-cat.jpg", "photo.png"]
    for name in names:
        Image.fromarray(smooth_image(8, 8)).save(tmp_path / name)
    held_out = [p.name for p in list_images(tmp_path, "val-sources")]
    train = [p.name for p in list_images(tmp_path, "train")]
    assert held_out == ["opencv-fruits.jpg"]  # opencv-hfs-* are BSDS photographs
    assert not set(held_out) & set(train) and len(list_images(tmp_path, "all")) == 5
    with pytest.raises(ValueError, match="val-sources"):
        list_images(tmp_path, "sources")


def test_list_images_skips_what_is_not_a_file_and_banks_name_corrupt_files(tmp_path):
    from PIL import Image

    from stegcli.errors import InputError
    from stegcli.train.data import ImageBank

    Image.fromarray(smooth_image(20, 20)).save(tmp_path / "a.png")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "dangling.png").symlink_to(tmp_path / "nowhere.png")
    assert [p.name for p in list_images(tmp_path)] == ["a.png"]
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nX")
    with pytest.raises(InputError, match="bad.png: not a readable image"):
        ImageBank(list_images(tmp_path), 16)


def test_checkpoint_round_trip_includes_optimizer_state(tmp_path):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    save_checkpoint(tmp_path / "c.safetensors", model, opt, {"step": 7})
    model2 = torch.nn.Linear(3, 2)
    opt2 = torch.optim.Adam(model2.parameters(), lr=0.5)
    assert load_checkpoint(tmp_path / "c.safetensors", model2, opt2) == {"step": 7}
    assert torch.equal(model2.weight, model.weight)
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert opt2.param_groups[0]["lr"] == 0.1


def test_train_resume_export_and_use(photo_dir, tmp_path):
    run = tmp_path / "run"
    kwargs = dict(arch=Architecture(blocks=1, growth=4, patch=32, batch=2, val_size=32))
    settings = TrainSettings(steps=3, val_every=3, log_every=1)
    trainer = train_bits(photo_dir, 1, run, settings, torch.device("cpu"), **kwargs)
    assert trainer.step == 3 and (run / "checkpoint.safetensors").exists()
    trainer = train_bits(photo_dir, 1, run, TrainSettings(steps=5, val_every=5, log_every=1), torch.device("cpu"),
                         resume=True, **kwargs)
    assert trainer.step == 5
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert any("val" in r for r in records) and all(np.isfinite(r["loss"]) for r in records if "loss" in r)
    out = tmp_path / "bits-1.safetensors"
    assert export(trainer, out, {"validation": trainer.task.validate(trainer.device)}) == "bits-1"
    model, meta = load_weights_file(out, expected_name="bits-1")
    assert meta["recipe"]["steps"] == 5 and "keyless_bit_acc" in meta["metrics"]["validation"]
    codec = BitsCodec(model, get_spec("bits-1"))
    result = codec.embed(smooth_image(32, 32), b"trained here")
    assert codec.extract(result.stego, result.key) == b"trained here"


class SpikyTask:
    """A linear fit whose loss explodes once, to exercise rollback."""

    def __init__(self, spike_at: int):
        self.model = torch.nn.Linear(2, 1)
        self.spike_at, self.calls = spike_at, 0

    def sample_batch(self, rng, device):
        x = torch.from_numpy(rng.standard_normal((8, 2)).astype(np.float32))
        return x, x.sum(dim=1, keepdim=True)

    def loss(self, batch):
        self.calls += 1
        x, y = batch
        loss = torch.mean((self.model(x) - y) ** 2) + 0.1
        if self.calls == self.spike_at:
            loss = loss * 1e6
        return loss, {}

    def validate(self, device):
        return {}


def test_loss_spike_rolls_back_and_halves_the_learning_rate(tmp_path):
    from stegcli.train.loop import Trainer

    trainer = Trainer(SpikyTask(spike_at=250), tmp_path, TrainSettings(steps=260, lr=1e-2, val_every=1000, log_every=1000),
                      torch.device("cpu"))
    trainer.fit()
    assert trainer.rollbacks == 1 and trainer.lr_scale == 0.5 and trainer.step == 260
    assert any('"rollback"' in line for line in (tmp_path / "log.jsonl").read_text().splitlines())


def test_train_isn_two_secrets_and_export(photo_dir, tmp_path):
    arch = Architecture(blocks=1, growth=4, patch=32, batch=2, val_size=32)
    trainer = train_isn(photo_dir, 2, tmp_path / "run", TrainSettings(steps=2, val_every=2, log_every=1),
                        torch.device("cpu"), arch=arch)
    out = tmp_path / "isn-2.safetensors"
    assert export(trainer, out, {}) == "isn-2"
    model, meta = load_weights_file(out, expected_name="isn-2")
    assert meta["config"]["secrets"] == 2 and model.config.secret_channels == 6
    assert meta["recipe"]["payload"] == "images"


def test_training_continues_from_a_shipped_weights_file(cli_photo_dir, tmp_path):
    from helpers import run_steg, write_tiny_isn_weights

    photo_dir = cli_photo_dir
    shipped = write_tiny_isn_weights(tmp_path, 2, seed=7)  # 2 blocks x growth 8
    args = ["train", "isn", "--data", str(photo_dir), "-n", "2", "--steps", "1", "--batch", "1", "--patch", "32",
            "--blocks", "2", "--growth", "8", "--lr", "1e-9", "--device", "cpu", "--run", str(tmp_path / "run"),
            "--init", str(shipped), "--export", str(tmp_path / "out.safetensors")]
    r = run_steg(args)
    assert r.code == 0, r.stderr
    start, _ = load_weights_file(shipped)
    trained, _ = load_weights_file(tmp_path / "out.safetensors")
    assert all(torch.allclose(a, b, atol=1e-3) for a, b in zip(start.state_dict().values(), trained.state_dict().values()))
    mismatch = run_steg(["train", "isn", "--data", str(photo_dir), "-n", "2", "--steps", "1", "--batch", "1", "--patch", "32",
                         "--blocks", "3", "--growth", "8", "--device", "cpu", "--run", str(tmp_path / "run3"),
                         "--init", str(shipped)])
    assert mismatch.code == 6 and "does not match" in mismatch.stderr
    missing = run_steg(["train", "isn", "--data", str(photo_dir), "--init", str(tmp_path / "nope.safetensors")])
    assert missing.code == 2 and "--init" in missing.stderr


def test_train_refuses_to_replace_a_checkpoint_or_an_export_without_force(cli_photo_dir, tmp_path):
    from helpers import run_steg

    photo_dir = cli_photo_dir
    run, out = tmp_path / "run", tmp_path / "out.safetensors"
    args = ["train", "bits", "--data", str(photo_dir), "--bpp", "1", "--steps", "1", "--batch", "1", "--patch", "32",
            "--blocks", "1", "--growth", "4", "--device", "cpu", "--run", str(run)]
    assert run_steg(args).code == 0
    checkpoint = (run / "checkpoint.safetensors").read_bytes()
    again = run_steg(args)  # a fresh run in the same folder would lose the first one's training
    assert again.code == 2 and "already holds a checkpoint" in again.stderr and "--resume" in again.stderr
    assert (run / "checkpoint.safetensors").read_bytes() == checkpoint
    out.write_bytes(b"shipped weights")
    taken = run_steg([*args, "--resume", "--steps", "2", "--export", str(out)])
    assert taken.code == 2 and "exists" in taken.stderr  # refused before training, not after
    assert out.read_bytes() == b"shipped weights" and (run / "checkpoint.safetensors").read_bytes() == checkpoint
    assert run_steg([*args, "--resume", "--steps", "2", "--export", str(out), "--force"]).code == 0
    assert load_weights_file(out, expected_name="bits-1")[1]["recipe"]["steps"] == 2
    fresh_export = tmp_path / "new-folder" / "bits-1.safetensors"  # export creates its folder
    assert run_steg([*args, "--force", "--export", str(fresh_export)]).code == 0  # starts over: a fresh log
    assert fresh_export.is_file()
    steps = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert max(steps) == 1


def test_train_checks_its_numbers_and_folders_before_any_run_folder(cli_photo_dir, tmp_path):
    from helpers import run_steg

    run = tmp_path / "run"
    args = ["train", "bits", "--data", str(cli_photo_dir), "--bpp", "1", "--steps", "1", "--batch", "1", "--patch", "32",
            "--blocks", "1", "--growth", "4", "--device", "cpu", "--run", str(run)]
    for bad, text in ((["--lr", "-1"], "learning rate must be positive"), (["--lr", "nan"], "learning rate"),
                      (["--patch", "33"], "must be even"), (["--batch", "0"], "--batch"), (["--steps", "-5"], "--steps"),
                      (["--decay-every", "0"], "--decay-every"), (["--threads", "-1"], "--threads"),
                      (["--resume"], "holds no checkpoint.safetensors")):
        r = run_steg([*args, *bad])
        assert r.code == 2 and text in r.stderr and len(r.stderr.strip().splitlines()) == 1, (bad, r.stderr)
    assert not run.exists()  # a mistyped --run with --resume would have trained (and exported) a fresh model
    (tmp_path / "file").write_bytes(b"x")
    r = run_steg([*args[:-1], str(tmp_path / "file")])
    assert r.code == 2 and "is a file" in r.stderr
    r = run_steg(["train", "mosaic", "-g", "3", *args[2:4], "--patch", "32", "--steps", "1", "--run", str(run)])
    assert r.code == 2 and "multiples of 6" in r.stderr


def test_train_refuses_weights_and_checkpoints_of_another_model(cli_photo_dir, tmp_path):
    from helpers import run_steg, write_tiny_bits_weights

    bits = write_tiny_bits_weights(tmp_path, 1, seed=3)  # the same network as an isn-1 of that width
    args = ["train", "isn", "--data", str(cli_photo_dir), "--steps", "1", "--batch", "1", "--patch", "32",
            "--blocks", "2", "--growth", "8", "--device", "cpu"]
    r = run_steg([*args, "--run", str(tmp_path / "isn"), "--init", str(bits)])
    assert r.code == 6 and "a bits model's weights" in r.stderr
    bits_run = tmp_path / "bits"
    assert run_steg(["train", "bits", "--bpp", "1", *args[2:], "--run", str(bits_run)]).code == 0
    r = run_steg([*args, "--run", str(bits_run), "--resume", "--steps", "2"])
    assert r.code == 6 and "trains bits-1, not isn-1" in r.stderr


def test_train_isn_with_the_plain_subnet_exports_and_resumes_checkpoints_of_older_versions(cli_photo_dir, tmp_path):
    from helpers import run_steg

    from stegcli.nn.subnets import PlainSubnet

    args = ["train", "isn", "--data", str(cli_photo_dir), "--batch", "1", "--patch", "32", "--blocks", "1",
            "--growth", "8", "--device", "cpu", "--threads", "1", "--run", str(tmp_path / "plain")]
    out = tmp_path / "isn-1.safetensors"
    assert run_steg([*args, "--steps", "1", "--subnet", "plain", "--export", str(out)]).code == 0
    model, meta = load_weights_file(out, expected_name="isn-1")
    assert meta["config"]["inn"]["subnet"] == "plain" and isinstance(model.blocks[0].phi, PlainSubnet)
    r = run_steg([*args, "--steps", "2", "--resume"])  # a dense network may not continue a plain run
    assert r.code != 0 and "another architecture (subnet=plain)" in r.stderr
    bad = run_steg([*args[:-2], "--run", str(tmp_path / "bad"), "--steps", "1", "--subnet", "wide"])
    assert bad.code == 2 and "--subnet wide" in bad.stderr and not (tmp_path / "bad").exists()
    dense = tmp_path / "dense"
    assert run_steg([*args[:-2], "--run", str(dense), "--steps", "1"]).code == 0
    checkpoint = dense / "checkpoint.safetensors"
    with safe_open(str(checkpoint), framework="pt") as handle:
        tensors, meta = {key: handle.get_tensor(key) for key in handle.keys()}, handle.metadata()
    state = json.loads(meta["state"])
    del state["architecture"]["subnet"]  # as a run from before the field saved it
    save_file(tensors, str(checkpoint), metadata={**meta, "state": json.dumps(state)})
    assert run_steg([*args[:-2], "--run", str(dense), "--steps", "2", "--resume"]).code == 0


def test_time_limit_stops_the_run_even_with_frequent_checkpoints(tmp_path):
    from stegcli.train.loop import Trainer

    class SlowTask(SpikyTask):
        def loss(self, batch):
            time.sleep(0.005)
            return super().loss(batch)

    settings = TrainSettings(steps=10**6, minutes=0.01, checkpoint_minutes=0.001, val_every=10**6, log_every=10**6)
    trainer = Trainer(SlowTask(spike_at=-1), tmp_path, settings, torch.device("cpu"))
    started = time.monotonic()
    trainer.fit()
    assert time.monotonic() - started < 5 and 0 < trainer.step < 10**6
    assert (tmp_path / "checkpoint.safetensors").exists()


def test_lr_warmup_ramps_a_fresh_optimizer_but_not_a_resumed_one(tmp_path):
    from stegcli.train.loop import Trainer

    settings = TrainSettings(steps=4, lr=1e-2, lr_warmup=8, val_every=10**6, log_every=10**6)
    trainer = Trainer(SpikyTask(spike_at=-1), tmp_path, settings, torch.device("cpu"))
    logged = []
    original_step = trainer.optimizer.step

    def step_and_log(*args, **kwargs):
        logged.append(trainer.optimizer.param_groups[0]["lr"])
        return original_step(*args, **kwargs)

    trainer.optimizer.step = step_and_log
    trainer.fit()
    assert logged == pytest.approx([1e-2 * k / 8 for k in (1, 2, 3, 4)])

    resumed = Trainer(SpikyTask(spike_at=-1), tmp_path, TrainSettings(steps=6, lr=1e-2, lr_warmup=8), torch.device("cpu"))
    resumed.resume()  # Adam's moments come back with the checkpoint: no ramp
    assert resumed.step == 4 and resumed.current_lr() == 1e-2
