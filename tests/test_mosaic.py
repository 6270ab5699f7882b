"""The mosaic network (InvMIHNet): rescaling, splicing, invertibility, partial grids, CLI, training."""

import numpy as np
import pytest
import torch
from helpers import randomize_outputs, run_steg, smooth_image, tiny_mosaic
from PIL import Image

from stegcli.codecs.images import ImageCodec
from stegcli.errors import UsageError
from stegcli.eval.evaluate import png_roundtrip
from stegcli.models.registry import get_spec
from stegcli.nn import (
    RescaleConfig,
    RescaleINN,
    block_dct,
    block_idct,
    haar_dwt,
    splice,
    split,
)


@pytest.mark.parametrize("grid", [2, 3, 4])
def test_splice_places_tile_i_at_row_i_div_grid_and_split_inverts_it(grid):
    tiles = torch.arange(grid * grid, dtype=torch.float32).repeat_interleave(3)[None, :, None, None].expand(2, -1, 5, 7)
    mosaic = splice(tiles, grid)
    assert mosaic.shape == (2, 3, 5 * grid, 7 * grid)
    for i in range(grid * grid):
        row, col = divmod(i, grid)
        assert torch.all(mosaic[:, :, row * 5 : (row + 1) * 5, col * 7 : (col + 1) * 7] == i)
    assert torch.equal(split(mosaic, grid), tiles)


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_block_dct_is_orthonormal_with_the_block_mean_as_low_band(factor):
    x = torch.rand(2, 3, 6 * factor, 4 * factor, dtype=torch.float64)
    y = block_dct(x, factor)
    assert torch.allclose(block_idct(y, factor), x, atol=1e-12)
    assert torch.allclose((y**2).sum(), (x**2).sum())  # energy preserved
    assert torch.allclose(y[:, :3] / factor, torch.nn.functional.avg_pool2d(x, factor), atol=1e-12)


def test_block_dct_by_two_is_the_haar_transform():
    x = torch.rand(1, 3, 8, 8, dtype=torch.float64)
    assert torch.allclose(block_dct(x, 2), haar_dwt(x), atol=1e-12)


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_rescale_inn_inverts_in_float64(factor):
    torch.manual_seed(factor)
    model = RescaleINN(RescaleConfig(factor, blocks=2, growth=4)).double()
    randomize_outputs(model, 0.05)
    x = torch.rand(2, 3, 4 * factor, 6 * factor, dtype=torch.float64)
    with torch.no_grad():
        low, high = model(x)
        assert low.shape == (2, 3, 4, 6) and high.shape == (2, 3 * (factor * factor - 1), 4, 6)
        assert torch.allclose(model.reverse(low, high), x, atol=1e-10)


@pytest.mark.parametrize("grid", [2, 3, 4])
def test_mosaic_inn_inverts_in_float64_and_z_holds_as_many_numbers_as_the_secrets(grid):
    model = tiny_mosaic(grid, seed=grid, scale=0.05, dtype=torch.float64)
    side = 4 * model.config.stride
    cover = torch.rand(2, 3, side, side, dtype=torch.float64)
    secrets = torch.rand(2, 3 * grid * grid, side, side, dtype=torch.float64)
    with torch.no_grad():
        stego, z = model(cover, secrets)
        cover_r, secrets_r = model.reverse(stego, z)
    assert stego.shape == cover.shape and z.shape == (2, secrets[0].numel())
    assert model.constant_z(stego).shape == z.shape
    assert (stego - cover).abs().max() > 1e-3
    assert torch.allclose(cover_r, cover, atol=1e-9) and torch.allclose(secrets_r, secrets, atol=1e-9)


@pytest.mark.parametrize("grid", [2, 3])
def test_mosaic_stages_in_tiles_give_what_one_piece_gives(grid):
    """Only the splice is global: the engine runs shrink, hide and grow in tiles with a halo, and the
    stego, z and both reveals come out as from one piece, in a fraction of the memory."""
    from stegcli.codecs.engine import StegoEngine

    model = tiny_mosaic(grid, seed=grid, scale=0.05, dtype=torch.float64)
    side = 30 * model.config.stride
    cover, secrets = torch.rand(1, 3, side, side + 6, dtype=torch.float64), torch.rand(1, 3 * grid * grid, side, side + 6, dtype=torch.float64)
    with torch.no_grad():
        whole = (*model(cover, secrets), *model.reverse(model(cover, secrets)[0]))
        seen = []
        engine = StegoEngine(model, "tiny", tile=12 * model.config.stride)
        engine.progress = lambda done, total: seen.append(total)
        tiled = (*model(cover, secrets), *model.reverse(model(cover, secrets)[0]))
    assert max(seen) > 1  # really in tiles
    for a, b in zip(whole, tiled, strict=True):
        assert torch.allclose(a, b, atol=1e-10)


def mosaic_codec(grid: int) -> ImageCodec:
    return ImageCodec(tiny_mosaic(grid, seed=grid, scale=0.003), get_spec(f"mosaic-{grid * grid}"))


@pytest.mark.parametrize("grid,count", [(2, 4), (2, 3), (3, 7), (3, 1)])
def test_partial_grids_round_trip_with_the_key(grid, count):
    codec = mosaic_codec(grid)
    cover = smooth_image(36, 48, 0)
    secrets = [smooth_image(36, 48, i + 1) for i in range(count)]
    result = codec.hide(cover, secrets)
    stego = png_roundtrip(result.stego)
    revealed = codec.reveal(stego, key=result.key, count=count)
    assert len(revealed) == count
    assert all(np.array_equal(r, s) for r, s in zip(revealed, secrets, strict=True))
    keyless = codec.reveal(stego, count=count)
    assert [r.shape for r in keyless] == [cover.shape] * count


def test_mosaic_refuses_more_secrets_than_tiles():
    with pytest.raises(UsageError, match="hides 1 to 4"):
        mosaic_codec(2).hide(smooth_image(32, 32), [smooth_image(32, 32, i) for i in range(5)])
    with pytest.raises(UsageError, match="hides 1 to 4"):
        mosaic_codec(2).reveal(smooth_image(32, 32), count=6)


def test_cover_sides_are_cut_to_whole_tiles_and_wavelet_blocks():
    codec = mosaic_codec(3)  # stride 6
    cover = smooth_image(40, 53, 1)
    result = codec.hide(cover, [smooth_image(40, 53, 2)])
    assert np.array_equal(result.stego[36:], cover[36:]) and np.array_equal(result.stego[:, 48:], cover[:, 48:])
    assert codec.reveal(result.stego, key=result.key, count=1)[0].shape == cover.shape


# -- CLI ---------------------------------------------------------------------------------------
def test_cli_seven_secrets_pick_mosaic_9_and_round_trip(tiny_weights, tmp_path):
    cover = tmp_path / "cover.png"
    Image.fromarray(smooth_image(36, 42, 0)).save(cover)
    secrets = []
    for i in range(7):
        secrets.append(tmp_path / f"s{i}.png")
        Image.fromarray(smooth_image(36, 42, i + 1)).save(secrets[-1])
    stego, key = tmp_path / "stego.png", tmp_path / "z.npy"
    r = run_steg(["hide", str(cover), *map(str, secrets), "-o", str(stego), "--key-out", str(key)])
    assert r.code == 0 and "mosaic-9" in r.stderr, r.stderr
    r = run_steg(["reveal", str(stego), "-n", "7", "--key", str(key), "-o", str(tmp_path / "out.png")])
    assert r.code == 0, r.stderr
    assert sorted(p.name for p in tmp_path.glob("out-*.png")) == [f"out-{i}.png" for i in range(1, 8)]
    for i, secret in enumerate(secrets, start=1):
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"out-{i}.png")), np.asarray(Image.open(secret)))
    r = run_steg(["reveal", str(stego), "-n", "7", "-o", str(tmp_path / "plain.png")])  # keyless: -n picks mosaic-9
    assert r.code == 0 and len(list(tmp_path.glob("plain-*.png"))) == 7
    r = run_steg(["reveal", str(stego), "-n", "12", "--key", str(key), "-o", str(tmp_path / "x.png")])
    assert r.code == 2 and "mosaic-9" in r.stderr and not list(tmp_path.glob("x*.png"))


def test_cli_model_option_and_zero_padded_names(tiny_weights, tmp_path):
    cover = tmp_path / "cover.png"
    Image.fromarray(smooth_image(24, 24, 0)).save(cover)
    secret = tmp_path / "s.png"
    Image.fromarray(smooth_image(24, 24, 5)).save(secret)
    stego = tmp_path / "stego.png"
    r = run_steg(["hide", str(cover), *[str(secret)] * 4, "--model", "mosaic-9", "-o", str(stego)])
    assert r.code == 0, r.stderr
    r = run_steg(["reveal", str(stego), "--model", "mosaic-9", "-o", str(tmp_path / "o.png")])
    assert r.code == 0 and len(list(tmp_path.glob("o-*.png"))) == 9  # no -n: the whole grid


# -- training ------------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["rescale", "joint"])
def test_every_parameter_of_the_trained_halves_gets_a_gradient(photo_dir, stage):
    from stegcli.train.data import ImageBank, list_images
    from stegcli.train.hiding_task import ImagesPayload
    from stegcli.train.mosaic_task import MosaicTask

    bank = ImageBank(list_images(photo_dir), 24)
    model = tiny_mosaic(2, seed=1).train()
    task = MosaicTask(bank, bank, model, ImagesPayload(4, bank), patch=24, batch=2, val_size=24, stage=stage)
    loss, metrics = task.loss(task.sample_batch(np.random.default_rng(0), torch.device("cpu")))
    loss.backward()
    for name, param in model.named_parameters():
        trained = stage == "joint" or name.startswith("rescale.")
        has_grad = param.grad is not None and bool(param.grad.abs().sum() > 0)
        assert has_grad == trained, name
    assert "tile_psnr" in metrics and ("stego_psnr" in metrics) == (stage == "joint")


def test_train_mosaic_stages_export_and_load(photo_dir, tmp_path):
    from stegcli.models.weights import load_weights_file
    from stegcli.train.loop import TrainSettings
    from stegcli.train.recipes import Architecture, export, train_mosaic

    arch = Architecture(blocks=1, growth=4, patch=24, batch=2, val_size=30)
    run = tmp_path / "run"
    train_mosaic(photo_dir, 3, run, TrainSettings(steps=2, val_every=2, log_every=1), torch.device("cpu"), arch=arch,
                 stage="rescale")
    trainer = train_mosaic(photo_dir, 3, run, TrainSettings(steps=4, val_every=4, log_every=1), torch.device("cpu"),
                           arch=arch, stage="joint", resume=True)
    assert trainer.step == 4
    out = tmp_path / "mosaic-9.safetensors"
    assert export(trainer, out, {}) == "mosaic-9"
    model, meta = load_weights_file(out, expected_name="mosaic-9")
    assert meta["config"]["secrets"] == 9 and model.config.grid == 3 and meta["recipe"]["stage"] == "joint"


def test_init_hide_fills_only_a_hiding_half_that_never_trained(photo_dir, tmp_path):
    from helpers import write_tiny_isn_weights

    from stegcli.models.weights import load_weights_file
    from stegcli.train.loop import TrainSettings
    from stegcli.train.recipes import Architecture, is_fresh, train_mosaic

    isn = write_tiny_isn_weights(tmp_path, 1, seed=3)  # 2 blocks x growth 8
    isn_model, _ = load_weights_file(isn)
    arch = Architecture(blocks=2, growth=8, patch=24, batch=1, val_size=24)
    run, settings = tmp_path / "run", TrainSettings(steps=1, val_every=1, log_every=1, lr=1e-9)
    trainer = train_mosaic(photo_dir, 2, run, settings, torch.device("cpu"), arch=arch, stage="rescale")
    assert is_fresh(trainer.task.model.hide)  # the rescale stage leaves the hiding half alone
    trainer = train_mosaic(photo_dir, 2, run, TrainSettings(steps=2, val_every=2, log_every=1, lr=1e-9),
                           torch.device("cpu"), arch=arch, stage="joint", resume=True, init_hide=isn)
    hide = trainer.task.model.hide.state_dict()
    assert all(torch.allclose(hide[k], v, atol=1e-6) for k, v in isn_model.state_dict().items())
    trainer.task.model.hide.blocks[0].phi.out.bias.data += 1  # "trained further"
    trainer.save()
    trainer = train_mosaic(photo_dir, 2, run, TrainSettings(steps=3, val_every=3, log_every=1, lr=1e-9),
                           torch.device("cpu"), arch=arch, stage="joint", resume=True, init_hide=isn)
    assert not torch.allclose(trainer.task.model.hide.blocks[0].phi.out.bias, isn_model.blocks[0].phi.out.bias)
