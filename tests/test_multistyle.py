"""The multi-style network: conditional-norm export, preset blending, the resumable long run, distillation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from nst.blend import PresetMix, export_preset, mix_vector, mixed_network
from nst.cards import RECORD_FILE
from nst.errors import NSTError, PresetError
from nst.fast import clear_model_cache, stylize
from nst.transformer import InstanceNorm, TransformerNet, load_checkpoint, save_checkpoint
from tests.helpers import gradient_image
from training import distill, distill_cache, multistyle, ship_multi, spectra, tune_rows

PRESETS = ("van-gogh", "hokusai", "picasso", "kandinsky")


def _multi(styles: int = 4, depthwise: bool = False, seed: int = 0, stem_stride: int = 1) -> TransformerNet:
    """A small multi-style network whose style rows differ (fresh ones are all identity)."""
    torch.manual_seed(seed)
    net = TransformerNet(
        channels=[4, 8],
        num_res_blocks=1,
        outer_kernel=3,
        depthwise=depthwise,
        styles=styles,
        style_names=PRESETS[:styles],
        stem_stride=stem_stride,
    )
    for module in net.modules():
        if isinstance(module, InstanceNorm):
            module.weight.data.normal_(1.0, 0.3)
            module.bias.data.normal_(0.0, 0.3)
    return net.eval()


@pytest.mark.parametrize(("depthwise", "stem_stride"), [(False, 1), (True, 1), (True, 2)])
def test_exported_style_equals_the_multi_style_network(
    one_thread: None, depthwise: bool, stem_stride: int
) -> None:
    net = _multi(depthwise=depthwise, stem_stride=stem_stride)
    x = torch.rand(2, 3, 37, 45)
    with torch.no_grad():
        for index in range(4):
            mix = torch.nn.functional.one_hot(torch.tensor(index), 4).float()
            single = net.export_style(mix)
            assert single.styles == 0 and all(
                m.weight.dim() == 1 for m in single.modules() if isinstance(m, InstanceNorm)
            )
            torch.testing.assert_close(single(x), net(x, mix=mix), rtol=1e-5, atol=1e-6)
        per_image = net(x, mix=torch.eye(4)[[1, 3]])
        torch.testing.assert_close(per_image[1:], net(x[1:], mix=torch.eye(4)[3]), rtol=1e-5, atol=1e-6)


def test_export_survives_the_fp16_checkpoint_round_trip(tmp_path: Path, one_thread: None) -> None:
    net = _multi()
    save_checkpoint(net, tmp_path / "multi")
    loaded = load_checkpoint(tmp_path / "multi")
    assert loaded.styles == 4 and loaded.style_names == PRESETS
    save_checkpoint(loaded.export_style(torch.eye(4)[2]), tmp_path / "picasso")
    assert "styles" not in json.loads((tmp_path / "picasso" / "config.json").read_text())  # today's layout
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(
            load_checkpoint(tmp_path / "picasso")(x), loaded(x, mix=torch.eye(4)[2]), rtol=1e-5, atol=1e-6
        )


def test_style_mix_is_refused_where_it_does_not_apply() -> None:
    with pytest.raises(ValueError, match="multi-style"):
        TransformerNet(channels=[4, 8], num_res_blocks=1, outer_kernel=3)(
            torch.rand(1, 3, 16, 16), mix=torch.ones(1)
        )
    with pytest.raises(ValueError, match="needs a style mix"):
        _multi()(torch.rand(1, 3, 16, 16))
    with pytest.raises(ValueError, match="4 weights"):
        _multi()(torch.rand(1, 3, 16, 16), mix=torch.ones(3))
    with pytest.raises(PresetError, match="van-gogh, hokusai"):
        export_preset(_multi(styles=2), "picasso")


def test_a_preset_is_exported_by_name(one_thread: None) -> None:
    net, x = _multi(), torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        torch.testing.assert_close(export_preset(net, "picasso")(x), net(x, mix=torch.eye(4)[2]))


def test_preset_mix_parsing_normalises_and_refuses_nonsense() -> None:
    mix = PresetMix.parse(["van-gogh:0.7", "hokusai:0.3"])
    assert mix.weights == (("van-gogh", pytest.approx(0.7)), ("hokusai", pytest.approx(0.3)))
    assert PresetMix.parse(["van-gogh:2", "hokusai:2"]).as_recipe() == {"van-gogh": 0.5, "hokusai": 0.5}
    assert PresetMix.parse(["hokusai"]).single == "hokusai"
    assert PresetMix.parse(["hokusai:1", "picasso:0"]).single == "hokusai"
    for bad in (["van-gogh:x"], ["nope:1"], ["van-gogh:-1"], ["van-gogh:0"], ["van-gogh:nan"]):
        with pytest.raises(PresetError):
            PresetMix.parse(bad)


def test_a_one_zero_mix_equals_the_single_preset(tmp_path: Path, one_thread: None) -> None:
    folder = tmp_path / "presets-multi"
    save_checkpoint(_multi(), folder)
    photo = gradient_image(48, 40)
    clear_model_cache()
    try:
        blended = mixed_network(PresetMix.parse(["hokusai:1", "picasso:0"]), "cpu", model=str(folder))
        alone = load_checkpoint(folder).export_style(torch.eye(4)[1])
        half = mixed_network(PresetMix.parse(["hokusai:1", "picasso:1"]), "cpu", model=str(folder))
        a = torch.from_numpy(np.asarray(stylize(photo, blended, device="cpu").image, dtype=np.float32))
        b = torch.from_numpy(np.asarray(stylize(photo, alone, device="cpu").image, dtype=np.float32))
        c = torch.from_numpy(np.asarray(stylize(photo, half, device="cpu").image, dtype=np.float32))
    finally:
        clear_model_cache()
    assert (a - b).abs().max() <= 1  # the same network, up to rounding to 8 bits
    assert (a - c).abs().mean() > 1  # a real blend is a different picture
    assert mix_vector(load_checkpoint(folder), PresetMix.parse(["kandinsky:3", "van-gogh:1"])).tolist() == [
        0.25,
        0.0,
        0.0,
        0.75,
    ]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(6):
        gradient_image(72, 64, seed=index).save(folder / f"p{index}.jpg")
    return folder


def _train_args(photos: Path, out: Path, state: Path, steps: int) -> list[str]:
    return [
        "--data", str(photos), "--out", str(out), "--state", str(state), "--size", "32", "--batch-size", "4",
        "--steps", str(steps), "--style-size", "64", "--threads", "1", "--warmup", "2", "--log-every", "1",
        "--preview-photos", str(photos / "p0.jpg"), "--preview-every", "2", "--device", "cpu",
    ]  # fmt: skip


def test_the_long_run_resumes_from_its_committed_state_in_a_fresh_clone(
    tmp_path: Path, photos: Path, vgg_weights: Path
) -> None:
    # a budget used up by the first step: the run stops as an interrupted session would
    args = [*_train_args(photos, tmp_path / "run", tmp_path / "state", 10), "--minutes", "1e-9"]
    model = multistyle.train(multistyle.parse_args(args))
    state = json.loads((tmp_path / "state" / "state.json").read_text())
    assert state["step"] == 1 and state["images_per_style"] == 1 and state["presets"] == list(PRESETS)
    assert state["settings"]["steps"] == 10
    assert (tmp_path / "run" / "previews" / "step-000001.png").is_file()
    saved = load_checkpoint(tmp_path / "state")  # fp16 on disk
    torch.testing.assert_close(saved.stem.conv.weight, model.stem.conv.weight.half().float())
    # a fresh clone holds only what was committed: the state folder
    clone = tmp_path / "clone"
    shutil.copytree(tmp_path / "state", clone / "state")
    resumed: list[multistyle.Report] = []
    args = _train_args(photos, clone / "run", clone / "state", 3)
    again = multistyle.train(multistyle.parse_args(args), resumed.append)
    assert [r.step for r in resumed] == [2, 3]
    assert resumed[0].lr < 1e-3 / 2 + 1e-9  # warming up again: fresh optimiser moments
    record = json.loads((clone / "state" / "state.json").read_text())
    assert record["step"] == 3 and record["images_per_style"] == 3
    assert not torch.equal(again.stem.conv.weight.half(), saved.stem.conv.weight.half())
    assert not list(clone.glob(".*partial")) and not list(clone.glob(".*old"))


def test_a_state_of_other_presets_is_refused(tmp_path: Path, photos: Path, vgg_weights: Path) -> None:
    args = _train_args(photos, tmp_path / "run", tmp_path / "state", 1)
    multistyle.train(multistyle.parse_args(args))
    with pytest.raises(NSTError, match="other presets"):
        multistyle.train(multistyle.parse_args([*args, "--presets", "hokusai", "van-gogh"]))


def test_bad_training_settings_are_refused_before_any_work(tmp_path: Path, photos: Path) -> None:
    base = _train_args(photos, tmp_path / "run", tmp_path / "state", 1)
    for extra, message in (
        (["--presets", "nope"], "--presets"),
        (["--style-weights", "1", "2"], "one per preset"),
        (["--size", "8"], "--size"),
        (["--minutes", "-1"], "--minutes"),
    ):
        with pytest.raises(NSTError, match=message):
            multistyle.train(multistyle.parse_args([*base, *extra]))
    assert not (tmp_path / "state").exists()


def test_a_row_fine_tune_changes_one_preset_and_nothing_else(
    tmp_path: Path, photos: Path, vgg_weights: Path
) -> None:
    """training.tune_rows trains only the chosen preset's scale/shift rows: every other weight, and so every
    other preset's export (and its students' fingerprint), stays bit for bit the same."""
    multistyle.train(multistyle.parse_args(_train_args(photos, tmp_path / "run", tmp_path / "state", 1)))
    args = [
        "--state", str(tmp_path / "state"), "--preset", "kandinsky", "--data", str(photos),
        "--out", str(tmp_path / "tuned"), "--size", "32", "--steps", "3", "--warmup", "1", "--lr", "1e-2",
        "--peak-weight", "5", "--threads", "1", "--device", "cpu",
    ]  # fmt: skip
    lines: list[str] = []
    folder = tune_rows.tune(tune_rows.parse_args(args), lines.append)
    before, after = load_checkpoint(tmp_path / "state"), load_checkpoint(folder)
    changed = {
        name
        for (name, old), new in zip(before.state_dict().items(), after.state_dict().values(), strict=True)
        if not torch.equal(old, new)
    }
    assert changed and all(name.endswith((".weight", ".bias")) for name in changed)
    for name in changed:
        old, new = before.state_dict()[name], after.state_dict()[name]
        assert old.dim() == 2 and torch.equal(old[:3], new[:3]) and not torch.equal(old[3], new[3])
    for index in range(3):
        mix = torch.nn.functional.one_hot(torch.tensor(index), 4).float()
        for (_, a), (_, b) in zip(
            before.export_style(mix).state_dict().items(),
            after.export_style(mix).state_dict().items(),
            strict=True,
        ):
            assert torch.equal(a, b)
    record = json.loads((folder / "state.json").read_text())
    assert record["tuned"]["preset"] == "kandinsky" and record["step"] == 1 and len(lines) == 1
    with pytest.raises(NSTError, match="no preset"):
        tune_rows.tune(tune_rows.parse_args([*args[:2], "--preset", "monet", *args[4:]]))


def _distill_args(tmp_path: Path, photos: Path) -> list[str]:
    """A tiny distillation's command line: a random multi-style teacher saved in tmp_path, OUT tmp_path/d."""
    teacher = tmp_path / "teacher"
    save_checkpoint(_multi(), teacher)
    (teacher / "state.json").write_text("{}")
    return [
        "--teacher", str(teacher), "--preset", "hokusai", "--data", str(photos), "--out", str(tmp_path / "d"),
        "--size", "32", "--batch-size", "2", "--threads", "1", "--device", "cpu", "--log-every", "1",
    ]  # fmt: skip


def test_distillation_moves_the_student_towards_the_teacher(
    tmp_path: Path, photos: Path, vgg_weights: Path
) -> None:
    args = [*_distill_args(tmp_path, photos), "--lr", "3e-3"]
    reports: list[distill.DistillReport] = []
    folder = distill.distill(distill.parse_args([*args, "--steps", "12"]), reports.append)
    assert folder == tmp_path / "d" / "model"
    student = load_checkpoint(folder)
    assert student.factor == 8 and not student.styles  # the CPU-fast architecture, single style
    progress = json.loads((tmp_path / "d" / distill.PROGRESS_FILE).read_text())
    assert progress["step"] == progress["steps"] == 12 and progress["lr"] == 3e-3  # what shipping checks
    assert sum(r.l1 for r in reports[-3:]) < sum(r.l1 for r in reports[:3])
    with pytest.raises(NSTError, match="not one of this multi-style network's styles"):
        distill.distill(distill.parse_args([*args, "--steps", "1", "--preset", "nope"]))
    with pytest.raises(NSTError, match="--photos"):
        distill.distill(distill.parse_args([*args, "--photos", "-1"]))


def test_the_detail_term_measures_the_amount_of_fine_detail_not_its_phase(
    tmp_path: Path, photos: Path, vgg_weights: Path
) -> None:
    flat = torch.full((1, 3, 64, 64), 0.5)

    def waves(cycles: int, shift: float = 0.0) -> torch.Tensor:  # whole periods across the 64 px
        x = torch.arange(64.0) + shift
        return flat + 0.2 * torch.sin(x * 2 * torch.pi * cycles / 64).view(1, 1, 1, 64)

    def distance(a: torch.Tensor, b: torch.Tensor) -> float:
        return (spectra.detail_spectrum(a) - spectra.detail_spectrum(b)).abs().mean().item()

    stripes, moved = waves(21), waves(21, shift=1.0)  # a period of ~3 px; the same texture a pixel over
    assert spectra.detail_spectrum(flat).max() < -4 < spectra.detail_spectrum(stripes).max()  # log(1e-3)
    assert distance(stripes, moved) < 1e-3 * distance(stripes, flat)
    assert (stripes - moved).abs().mean() > 0.1  # while an L1 term sees a large difference
    assert distance(stripes, waves(16)) > 0.3 * distance(stripes, flat)  # as much detail, another frequency
    args = [*_distill_args(tmp_path, photos), "--steps", "3"]
    reports: list[distill.DistillReport] = []
    distill.distill(distill.parse_args([*args, "--detail-weight", "0.5"]), reports.append)
    assert len(reports) == 3 and all(r.detail > 0 for r in reports)
    with pytest.raises(NSTError, match="detail-weight"):
        distill.distill(distill.parse_args([*args, "--detail-weight", "-1"]))


def test_peak_share_is_the_stripe_measure_and_its_term_trains(
    tmp_path: Path, photos: Path, vgg_weights: Path
) -> None:
    """The distillation's stripe term is nst.metrics.periodic_texture made differentiable: on pictures it
    agrees with the measure (the blur differs slightly: PIL's box passes against a Gaussian), stripes
    score high, noise low, and the gradient reaches the pixels."""
    from nst.images import tensor_to_image
    from nst.metrics import periodic_texture

    generator = torch.Generator().manual_seed(0)
    noise = 0.5 + 0.15 * torch.randn(1, 3, 96, 96, generator=generator)
    x = torch.arange(96.0)
    stripes = (noise * 0.3 + 0.5 + 0.2 * torch.sin(x * 2 * torch.pi * 30 / 96).view(1, 1, 1, 96)).clamp(0, 1)
    batch = torch.cat([noise.clamp(0, 1), stripes]).requires_grad_(True)
    shares = spectra.peak_share(batch)
    measured = [periodic_texture(tensor_to_image(image.detach())) for image in batch]
    assert shares[1] > 5 * shares[0]
    assert measured[1] > 5 * measured[0]
    assert shares.detach().numpy() == pytest.approx(measured, rel=0.25)
    shares.sum().backward()
    assert batch.grad is not None and batch.grad.abs().sum() > 0
    args = [*_distill_args(tmp_path, photos), "--steps", "2"]
    reports: list[distill.DistillReport] = []
    distill.distill(distill.parse_args([*args, "--peak-weight", "5"]), reports.append)
    assert len(reports) == 2 and all(abs(r.peak) < 1 for r in reports)
    progress = json.loads((tmp_path / "d" / distill.PROGRESS_FILE).read_text())
    assert progress["peak_weight"] == 5
    with pytest.raises(NSTError, match="peak-weight"):
        distill.distill(distill.parse_args([*args, "--peak-weight", "-1"]))


def test_an_interrupted_distillation_continues_where_it_stopped(
    tmp_path: Path, photos: Path, vgg_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "d"
    args = [*_distill_args(tmp_path, photos), "--steps", "8", "--variant", "video"]
    monkeypatch.setattr(distill_cache, "CHUNK", 2)
    with pytest.raises(NSTError, match=r"stopped while the teacher painted the crops \(2 of"):
        distill.distill(distill.parse_args(args), should_stop=lambda: True)  # a SIGTERM while painting
    assert not (out / "model").exists()
    painted: list[int] = []
    distill.distill(
        distill.parse_args([*args, "--steps", "1"]), on_cache=lambda done, _: painted.append(done)
    )
    assert painted[0] == 4  # the first chunk was kept
    shutil.rmtree(out)
    reports: list[distill.DistillReport] = []
    asked = iter([False, False, True])  # a SIGTERM during the third step
    distill.distill(distill.parse_args(args), reports.append, should_stop=lambda: next(asked))
    progress = json.loads((out / distill.PROGRESS_FILE).read_text())
    assert [r.step for r in reports] == [1, 2, 3] and progress["step"] == 3
    assert progress["preset"] == "hokusai" and progress["variant"] == "video"
    saved = load_checkpoint(out / "model")
    reports.clear()
    distill.distill(distill.parse_args(args), reports.append)
    assert [r.step for r in reports] == [4, 5, 6, 7, 8]  # continued, not restarted
    assert json.loads((out / distill.PROGRESS_FILE).read_text())["step"] == 8
    after = load_checkpoint(out / "model").state_dict()
    assert any(not torch.equal(value, after[name]) for name, value in saved.state_dict().items())
    reports.clear()
    distill.distill(distill.parse_args(args), reports.append)
    assert reports == []  # finished: nothing left to do
    with pytest.raises(NSTError, match="another teacher, preset"):
        distill.distill(distill.parse_args([*args, "--preset", "kandinsky"]))


def test_the_teacher_paints_each_crop_once_and_an_interrupted_cache_continues(
    tmp_path: Path, photos: Path, monkeypatch: pytest.MonkeyPatch, one_thread: None
) -> None:
    monkeypatch.setattr(distill_cache, "CHUNK", 2)
    teacher, paths, cache = (
        _multi().export_style(torch.eye(4)[1]).eval(),
        sorted(photos.iterdir()),
        tmp_path / "c",
    )
    device = torch.device("cpu")

    def stop_after_two(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        distill_cache.pairs(cache, paths, 32, teacher, "hokusai", device, stop_after_two)
    seen: list[int] = []
    pairs = distill_cache.pairs(
        cache, paths, 32, teacher, "hokusai", device, lambda done, total: seen.append(done)
    )
    assert seen == [4, 6]  # continued after the first chunk
    photo, target = pairs.batch([5, 0], device)
    with torch.no_grad():
        expected = teacher(photo)
    assert photo.shape == (2, 3, 32, 32) and (target - expected).abs().max() <= 0.5 / 255 + 1e-6
    seen.clear()
    distill_cache.pairs(cache, paths, 32, teacher, "hokusai", device, lambda done, total: seen.append(done))
    assert seen == []  # all painted already: nothing to do
    other = _multi(seed=1).export_style(torch.eye(4)[1]).eval()
    distill_cache.pairs(cache, paths, 32, other, "hokusai", device, lambda done, total: seen.append(done))
    assert seen == [2, 4, 6]  # another teacher: painted afresh


def test_shipping_writes_the_multi_network_the_exports_and_the_students(tmp_path: Path) -> None:
    state = tmp_path / "state"
    save_checkpoint(_multi(), state)
    record = {"step": 8, "images_per_style": 8, "presets": list(PRESETS), "settings": {"size": 128}}
    (state / "state.json").write_text(json.dumps(record))
    students = {"cpu": tmp_path / "students", "video": tmp_path / "video-students"}
    for preset in PRESETS:
        teacher = distill_cache.fingerprint(export_preset(load_checkpoint(state), preset))
        for variant, stem_stride in (("cpu", 1), ("video", 2)):
            net = TransformerNet(channels=[4, 8], num_res_blocks=1, outer_kernel=3, stem_stride=stem_stride)
            progress = {"teacher": teacher, "preset": preset, "step": 5, "steps": 5, "detail_weight": 0.5}
            distill.write_model(net, students[variant] / preset, progress)
    root = tmp_path / "styles"
    (root / "hokusai").mkdir(parents=True)
    (root / "hokusai" / "style.jpg").write_bytes(b"painting")
    (root / "hokusai" / "stale.bin").write_bytes(b"old")
    shipped = ship_multi.ship(state, students, root)
    assert [p.name for p in shipped] == [
        "presets-multi", "van-gogh", "van-gogh-cpu", "van-gogh-video", "hokusai", "hokusai-cpu",
        "hokusai-video", "picasso", "picasso-cpu", "picasso-video", "kandinsky", "kandinsky-cpu",
        "kandinsky-video",
    ]  # fmt: skip
    assert load_checkpoint(root / "picasso-video").architecture()["stem_stride"] == 2
    record = json.loads((root / "picasso-video" / RECORD_FILE).read_text())
    assert record["variant"] == "video" and record["distillation"]["detail_weight"] == 0.5
    assert (root / "hokusai" / "style.jpg").read_bytes() == b"painting"  # the bundled painting stays
    assert not (root / "hokusai" / "stale.bin").exists()
    assert "8 training crops per style" in (root / "hokusai" / "README.md").read_text()
    x = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        torch.testing.assert_close(
            load_checkpoint(root / "kandinsky")(x),
            load_checkpoint(root / "presets-multi")(x, mix=torch.eye(4)[3]),
        )
    assert not list(root.glob(".*"))
    before = (root / "picasso" / "model.safetensors").stat().st_mtime_ns
    progress_file = students["cpu"] / "van-gogh" / distill.PROGRESS_FILE
    finished = json.loads(progress_file.read_text())
    for change, refusal in (
        ({"step": 3}, "unfinished \\(step 3 of 5\\)"),  # interrupted: it continues, it does not ship
        ({"teacher": "0123456789abcdef"}, "distilled from another teacher"),  # an early student
    ):
        progress_file.write_text(json.dumps(finished | change))
        with pytest.raises(NSTError, match=refusal):
            ship_multi.ship(state, students, root)
    progress_file.write_text(json.dumps(finished))
    shutil.rmtree(students["video"] / "picasso")
    with pytest.raises(NSTError, match="no distilled video student for picasso"):
        ship_multi.ship(state, students, root)
    assert (root / "picasso" / "model.safetensors").stat().st_mtime_ns == before  # refused before writing
    (state / "state.json").unlink()
    with pytest.raises(NSTError, match="no multi-style run state"):
        ship_multi.ship(state, {}, root)
