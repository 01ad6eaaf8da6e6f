"""README.md opens with a valid Hugging Face Space card matching the code: SDK pin, app, models, preloads."""

from __future__ import annotations

import re
import tomllib

import pytest
from huggingface_hub import SpaceCard

from nst.presets import REGISTRY_PATH, VARIANT_SUFFIXES, list_presets, multi_repo
from nst.settings import REPO_ROOT, VGG_FILENAME, VGG_REPO_ID
from nst.transformer import CONFIG_FILE, WEIGHTS_FILE

README = REPO_ROOT / "README.md"
COLOURS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}  # what Spaces accepts


@pytest.fixture(scope="module")
def card() -> SpaceCard:
    text = README.read_text(encoding="utf-8")
    assert text.startswith("---\n"), "the front matter must be the very first thing in README.md"
    return SpaceCard(text)


def pinned(package: str) -> str:
    """The version requirements.txt pins `package` to."""
    found = re.search(rf"^{package}==(\S+)$", (REPO_ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert found, f"{package} is not pinned in requirements.txt"
    return found.group(1)


def test_space_settings(card: SpaceCard) -> None:
    data = card.data
    assert data.title == "NST Studio" and data.emoji
    assert data.colorFrom in COLOURS and data.colorTo in COLOURS
    assert data.sdk == "gradio" and data.sdk_version == pinned("gradio")
    assert data.python_version == "3.11"  # a string: YAML would read 3.11 unquoted as a float
    assert data.app_file == "app.py" and (REPO_ROOT / data.app_file).is_file()
    assert data.license
    assert 0 < len(data.short_description) <= 60
    assert card.text.lstrip().startswith("# NST Studio")  # the README itself follows unchanged


def test_models_and_preloads_match_the_presets(card: SpaceCard) -> None:
    presets = list_presets()
    multi = multi_repo()[0]
    fast_repos = [preset.hub_repo(variant)[0] for preset in presets for variant in VARIANT_SUFFIXES]
    assert card.data.models == [*fast_repos, multi, VGG_REPO_ID]
    preloads = {line.split()[0]: set(line.split()[1].split(",")) for line in card.data.preload_from_hub}
    checkpoint = {CONFIG_FILE, WEIGHTS_FILE}
    painting = tomllib.loads(REGISTRY_PATH.read_text(encoding="utf-8"))["hub_style_file"]
    for preset in presets:
        assert preloads[preset.repo_id] == checkpoint | {painting}  # the painting rides with its network
        assert preloads[preset.cpu_repo_id] == preloads[preset.video_repo_id] == checkpoint
    assert preloads[multi] == checkpoint
    assert preloads[VGG_REPO_ID] == {VGG_FILENAME}
    assert len(preloads) == len(card.data.preload_from_hub) == len(card.data.models)
