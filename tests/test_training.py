"""training/train.py and training/data.py: tiny CPU runs on generated photos with the real loss network."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from nst.errors import NSTError
from nst.transformer import TransformerNet, build_transformer, save_checkpoint
from training import train as train_module
from training.config import Progress, TrainConfig, lr_at, parse_args
from training.data import DatasetError, InfiniteSampler, PhotoDataset, find_images, spread
from training.resume import checkpoint_dirs
from training.train import train


def _photos(folder: Path, count: int) -> Path:
    """`count` small smooth colour photos in nested sub-folders (the loader must recurse)."""
    rng = np.random.default_rng(0)
    for index in range(count):
        sub = folder / f"set{index % 2}" / "deeper"
        sub.mkdir(parents=True, exist_ok=True)
        base = rng.uniform(0, 255, size=(6, 8, 3)).astype(np.uint8)
        Image.fromarray(base).resize((96, 72), Image.Resampling.BICUBIC).save(sub / f"p{index}.jpg")
    return folder


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    return _photos(tmp_path / "photos", 8)


@pytest.fixture
def style(styles_dir: Path) -> Path:
    return styles_dir / "hokusai_great-wave.jpg"


pytestmark = pytest.mark.usefixtures("one_thread")


def _config(photos: Path, style: Path, out: Path, **overrides: object) -> TrainConfig:
    settings: dict[str, object] = {
        "size": 64,
        "batch_size": 2,
        "steps": 4,
        "lr": 3e-3,
        "schedule": "constant",
        "variant": "cpu",
        "style_size": 96,
        "preview_size": 64,
        "preview_every": 2,
        "checkpoint_every": 2,
        "keep_checkpoints": 5,
        "log_every": 1,
        "eval_size": 64,
        "device": "cpu",
        "threads": 1,
        **overrides,
    }
    return TrainConfig(style=style, data=photos, out=out, **settings)  # type: ignore[arg-type]  # overrides of mixed types


def test_tiny_run_learns_and_writes_hub_checkpoints(
    photos: Path, style: Path, tmp_path: Path, vgg_weights: Path
) -> None:
    reports: list[Progress] = []
    out = tmp_path / "run"
    model_dir = train(_config(photos, style, out, steps=6), reports.append)

    assert [r.step for r in reports] == [1, 2, 3, 4, 5, 6]
    assert reports[-1].losses["total"] < reports[0].losses["total"]
    assert all(r.images_per_s > 0 for r in reports)
    assert sorted(p.name for p in (out / "previews").iterdir()) == [f"step-{n:06d}.png" for n in (0, 2, 4, 6)]
    assert [p.name for p in checkpoint_dirs(out)] == [
        "checkpoint-000002",
        "checkpoint-000004",
        "checkpoint-000006",
    ]
    for folder in [*checkpoint_dirs(out), model_dir]:
        assert {"config.json", "model.safetensors", "README.md"} <= {p.name for p in folder.iterdir()}
        assert all(t.dtype == torch.float16 for t in load_file(str(folder / "model.safetensors")).values())
        TransformerNet.from_pretrained(folder)  # strict, safetensors only
    card = (model_dir / "README.md").read_text(encoding="utf-8")
    assert "pipeline_tag: image-to-image" in card and "| fast |" in card and "style_weight" in card


def test_resume_continues_from_the_saved_step_exactly(
    photos: Path, style: Path, tmp_path: Path, vgg_weights: Path
) -> None:
    straight = tmp_path / "straight"
    train(_config(photos, style, straight, steps=4, preview_every=100))

    resumed = tmp_path / "resumed"
    train(_config(photos, style, resumed, steps=2, preview_every=100))
    reports: list[Progress] = []
    train(_config(photos, style, resumed, steps=4, preview_every=100, resume=True), reports.append)

    assert [r.step for r in reports] == [3, 4]
    a = load_file(str(straight / "checkpoint-000004" / "training_state.safetensors"))
    b = load_file(str(resumed / "checkpoint-000004" / "training_state.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        if not key.startswith("rng."):
            torch.testing.assert_close(a[key], b[key], msg=key)


def test_time_budget_ends_the_run_and_writes_the_model(
    photos: Path, style: Path, tmp_path: Path, vgg_weights: Path
) -> None:
    reports: list[Progress] = []
    out = tmp_path / "budget"
    config = _config(photos, style, out, steps=1000, minutes=1e-6, schedule="cosine", preview_every=1000)
    model_dir = train(config, reports.append)

    assert [r.step for r in reports] == [1]  # the first step used up the budget
    assert [p.name for p in checkpoint_dirs(out)] == ["checkpoint-000001"]
    assert json.loads((model_dir / "training.json").read_text(encoding="utf-8"))["steps"] == 1


def test_learning_rate_follows_steps_or_minutes_whichever_is_further() -> None:
    config = TrainConfig(Path(), Path(), Path(), steps=100, lr=1.0, minutes=10, final_lr_fraction=0.0)
    assert lr_at(config, 0, elapsed_s=0) == pytest.approx(1.0)
    assert lr_at(config, 50, elapsed_s=0) == pytest.approx(0.5)  # half the steps: cosine midpoint
    assert lr_at(config, 0, elapsed_s=300) == pytest.approx(0.5)  # half the minutes
    assert lr_at(config, 10, elapsed_s=540) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.9)))
    assert lr_at(config, 10, elapsed_s=6000) == pytest.approx(0.0)  # past the budget: the floor


def test_unreadable_files_are_skipped_with_one_warning_each(photos: Path) -> None:
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (photos / "set0" / "empty.png").write_bytes(b"")
    (photos / "notes.txt").write_text("not an image")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = PhotoDataset(find_images(photos), size=32)
    messages = [str(w.message) for w in caught]
    assert (
        len(messages) == 2
        and any("broken.jpg" in m for m in messages)
        and any("empty.png" in m for m in messages)
    )
    assert len(dataset) == 8
    assert dataset[(0, 123)].shape == (3, 32, 32)


def test_too_few_photos_is_a_clear_error(tmp_path: Path, style: Path, vgg_weights: Path, capsys) -> None:
    folder = _photos(tmp_path / "few", 2)
    with pytest.raises(DatasetError, match="at least 4"):
        PhotoDataset(find_images(folder), size=32, min_count=4)
    code = train_module.main(
        ["--style", str(style), "--data", str(folder), "--out", str(tmp_path / "o"), "--batch-size", "4"]
    )
    assert code == 2
    assert "one batch" in capsys.readouterr().err


def test_sampler_is_sharded_and_resumable() -> None:
    def take(sampler: InfiniteSampler, n: int) -> list[tuple[int, int]]:
        stream = iter(sampler)
        return [next(stream) for _ in range(n)]

    full = take(InfiniteSampler(10, seed=3), 25)
    assert sorted(i for i, _ in full[:10]) == list(range(10))  # an epoch sees every photo once
    assert take(InfiniteSampler(10, seed=3, skip=7), 18) == full[7:]
    rank0, rank1 = take(InfiniteSampler(10, 3, 0, 2), 5), take(InfiniteSampler(10, 3, 1, 2), 5)
    assert sorted(i for i, _ in rank0 + rank1) == list(range(10))


def test_command_line_defaults(tmp_path: Path) -> None:
    config = parse_args(["--style", "s.jpg", "--data", "d", "--out", str(tmp_path), "--precision", "bf16"])
    assert config.style_layers == ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    assert config.content_layers == ("relu2_2",)
    assert (config.variant, config.precision, config.resume) == ("standard", "bf16", False)


def test_init_starts_from_a_checkpoint_of_the_same_variant(
    photos: Path, style: Path, tmp_path: Path, vgg_weights: Path
) -> None:
    start = save_checkpoint(build_transformer("cpu"), tmp_path / "start")
    model_dir = train(
        _config(photos, style, tmp_path / "run", steps=1, lr=0.0, init=start, preview_every=100)
    )
    before, after = (load_file(str(f / "model.safetensors")) for f in (start, model_dir))
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)  # lr 0: the initial weights, unchanged
    with pytest.raises(NSTError, match="--variant standard"):
        train(_config(photos, style, tmp_path / "bad", steps=1, variant="standard", init=start))


# --- nothing lost, nothing late (issue 10) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [
        (["--eval-size", "0"], "--eval-size must be >= 32"),
        (["--minutes", "-1"], "--minutes must be at least 0"),
        (["--keep-checkpoints", "0"], "--keep-checkpoints"),
        (["--style-layer-weights", "1", "2"], "one weight >= 0 per style layer"),
        (["--device", "foo"], "Unknown device 'foo'"),
        (["--init", "no/such/folder"], "is not a checkpoint folder"),
        (["--resume"], "--resume: no checkpoint"),
    ],
)
def test_every_argument_is_checked_before_the_first_step(
    photos: Path,
    style: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    phrase: str,
) -> None:
    """Before: --eval-size 0 ran the whole training, then crashed in the final evaluation."""
    out = tmp_path / "run"
    argv = [
        "--style",
        str(style),
        "--data",
        str(photos),
        "--out",
        str(out),
        "--size",
        "64",
        "--batch-size",
        "2",
    ]
    assert train_module.main([*argv, *extra]) == 2
    assert phrase in capsys.readouterr().err
    assert not out.exists()  # refused before anything was written


def test_a_non_empty_out_needs_resume_or_force_and_only_own_checkpoints_are_pruned(
    photos: Path, style: Path, tmp_path: Path, vgg_weights: Path
) -> None:
    out = tmp_path / "run"
    foreign = out / "checkpoint-009000"  # another run's checkpoint, sorting after this run's
    foreign.mkdir(parents=True)
    (foreign / "training_state.json").write_text("{}")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(NSTError, match="is not empty: use --resume"):
        train(_config(photos, style, out, steps=2))
    train(_config(photos, style, out, steps=4, keep_checkpoints=1, preview_every=100, force=True))
    assert [p.name for p in checkpoint_dirs(out)] == ["checkpoint-000004", "checkpoint-009000"]
    assert (out / "notes.txt").read_text() == "mine"


def test_resume_falls_back_when_the_newest_checkpoint_is_unreadable(
    photos: Path, style: Path, tmp_path: Path, vgg_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    train(_config(photos, style, out, steps=4, preview_every=100))
    (out / "checkpoint-000004" / "training_state.safetensors").write_bytes(b"\0" * 100)  # torn write
    reports: list[Progress] = []
    train(_config(photos, style, out, steps=5, preview_every=100, resume=True), reports.append)
    assert [r.step for r in reports] == [3, 4, 5]  # continued from step 2
    assert "checkpoint-000004 is unreadable" in capsys.readouterr().err


def test_an_interrupted_finish_keeps_the_previous_model(
    photos: Path, style: Path, tmp_path: Path, vgg_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    model_dir = train(_config(photos, style, out, steps=1, preview_every=100))
    before = (model_dir / "model.safetensors").read_bytes()

    def power_cut(folder: Path, *args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "write_card", power_cut)
    with pytest.raises(KeyboardInterrupt):
        train(_config(photos, style, out, steps=2, preview_every=100, resume=True))
    assert (model_dir / "model.safetensors").read_bytes() == before
    assert {"config.json", "training.json", "README.md"} <= {p.name for p in model_dir.iterdir()}


def test_a_photo_budget_keeps_every_source_folders_share() -> None:
    paths = [Path(f"bsds/{i}.jpg") for i in range(6)] + [Path(f"coco/{i}.jpg") for i in range(4)]
    chosen = spread(paths, 5)
    assert len(chosen) == 5 and chosen == sorted(set(chosen))
    assert sum(p.parent.name == "coco" for p in chosen) == 2  # 4 of 10 photos: 2 of 5
    assert spread(paths, 0) == paths == spread(paths, 99)
