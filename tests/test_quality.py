"""Quality engine: events, previews, stop/close, reproducibility, options, and a real end-to-end run."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from nst.color import rgb_to_yuv
from nst.errors import ImageError, NSTError
from nst.images import image_to_tensor, load_image
from nst.metrics import ssim
from nst.quality import QualityEvent, run_quality
from nst.settings import QualitySettings
from tests.helpers import gradient_image, random_encoder

pytestmark = pytest.mark.usefixtures("vgg_weights")

CONTENT = gradient_image(64, 48, seed=1)
STYLE = gradient_image(56, 56, seed=2)


def tiny(**overrides: object) -> QualitySettings:
    base: dict[str, object] = {"size": 64, "steps": 6, "preview_every": 3, "device": "cpu"}
    return QualitySettings(**{**base, **overrides})  # type: ignore[arg-type]  # overrides of mixed types


def run_all(settings: QualitySettings, styles: list | None = None, **kwargs: object) -> list[QualityEvent]:
    return list(run_quality(CONTENT, styles or [STYLE], settings, **kwargs))  # type: ignore[arg-type]  # kwargs of mixed types


def test_events_count_steps_and_carry_previews_and_recipe() -> None:
    events = run_all(tiny())
    assert [e.step for e in events] == [1, 2, 3, 4, 5, 6]
    assert all(e.total == 6 for e in events)
    assert [e.step for e in events if e.preview is not None] == [1, 3, 6]
    assert all(set(e.losses) == {"content", "style", "tv", "total"} for e in events)
    assert all(e.eta is not None and e.eta >= 0 for e in events)
    final = events[-1]
    assert final.done and not final.stopped and final.image is not None
    assert final.image.size == (64, 48) and final.preview is not None
    recipe = final.recipe
    assert recipe["settings"]["steps"] == 6 and recipe["settings"]["seed"] == 0
    assert recipe["steps_done"] == 6 and recipe["output_size"] == [64, 48]
    assert {"nst", "torch", "python"} <= set(recipe["versions"])
    assert not any(e.done for e in events[:-1])


def test_cpu_runs_are_reproducible_and_seeded() -> None:
    settings = tiny(init="noise", steps=3, seed=7)
    a, b = run_all(settings)[-1].image, run_all(settings)[-1].image
    c = run_all(tiny(init="noise", steps=3, seed=8))[-1].image
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_stop_event_ends_within_one_step_and_keeps_the_latest_image() -> None:
    stop = threading.Event()
    events = []
    for event in run_quality(CONTENT, [STYLE], tiny(steps=50), stop=stop):
        events.append(event)
        if event.step == 3:
            stop.set()
    final = events[-1]
    assert final.done and final.stopped and final.step == 3 and final.image is not None
    assert len(events) == 4


def test_closing_the_generator_stops_the_run() -> None:
    gen = run_quality(CONTENT, [STYLE], tiny(steps=50))
    first = next(gen)
    gen.close()
    assert first.step == 1
    with pytest.raises(StopIteration):
        next(gen)


def test_adam_coarse_to_fine_and_blend_options_run() -> None:
    events = run_all(
        tiny(optimizer="adam", coarse_to_fine=True, steps=4, style_blend=(2.0, 1.0)),
        styles=[STYLE, gradient_image(40, 60, seed=3)],
    )
    assert [e.step for e in events] == [1, 2, 3, 4]
    assert events[-1].image is not None and events[-1].image.size == (64, 48)
    assert events[-1].recipe["settings"]["coarse_to_fine"] is True


def test_preserve_color_keeps_the_photos_chroma() -> None:
    final = run_all(tiny(preserve_color=True, style_strength=5.0))[-1]
    assert final.image is not None
    out, photo = rgb_to_yuv(image_to_tensor(final.image)), rgb_to_yuv(image_to_tensor(CONTENT))
    assert torch.allclose(out[:, 1:], photo[:, 1:], atol=0.03)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"size": 8}, "The size must be a whole number from 16 to 2048 px"),
        ({"steps": 0}, "The steps must be at least 1"),
        ({"optimizer": "sgd"}, "The optimiser must be one of lbfgs, adam"),
        ({"init": "zeros"}, "The starting image must be one of content, noise"),
        ({"style_layers": ("relu9_1",)}, "Unknown layer"),
        ({"style_layers": ()}, "Give at least one of the style layers"),
        ({"style_blend": (1.0, 2.0)}, "one blend weight per style image"),
        ({"style_strength": -1.0}, "The style strength must be at least 0"),
        ({"style_scale": 10.0}, "The style scale must be between 0.1 and 4"),
    ],
)
def test_bad_settings_are_refused_with_a_message(overrides: dict, message: str) -> None:
    with pytest.raises(NSTError, match=message):
        run_all(tiny(**overrides))


def test_bad_images_are_refused() -> None:
    with pytest.raises(ImageError, match="not an image"):
        run_all(tiny(), styles=[b"this is not an image"])
    with pytest.raises(NSTError, match="at least one style"):
        list(run_quality(CONTENT, [], tiny()))


def test_real_run_shows_the_style_and_keeps_the_content(photos_dir: Path, styles_dir: Path) -> None:
    """Tübingen + Starry Night at 128 px: style loss falls >10x while the photo stays recognisable.

    SSIM bound: the painting itself scores ~0.1 against the photo and the photo 1.0; a stylised result
    keeps edges and layout but replaces texture, which lands around 0.3-0.5. 0.25 separates "the
    content survived" from "we drew the painting" with margin on both sides (checked below).
    """
    photo = load_image(photos_dir / "tubingen.jpg", max_side=128)
    painting = styles_dir / "van-gogh_starry-night.jpg"
    events = list(run_quality(photo, [painting], tiny(size=128, steps=30, preview_every=10)))
    assert events[-1].losses["style"] < events[0].losses["style"] / 10
    result, reference = image_to_tensor(events[-1].image), image_to_tensor(photo)
    art = image_to_tensor(load_image(painting).resize(photo.size))
    assert float(ssim(art, reference)) < 0.2
    assert float(ssim(result, reference)) > 0.25
    assert float((result - reference).abs().mean()) > 0.05  # it did change the picture


def test_lbfgs_runs_with_a_channels_last_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CUDA layout (NHWC convolutions) must not leak into the optimised image: L-BFGS needs it flat."""
    encoder = random_encoder("relu5_1").channels_last()
    monkeypatch.setattr("nst.quality.load_encoder", lambda layers, device: encoder)
    events = run_all(tiny(steps=2))
    assert events[-1].done and events[-1].step == 2
