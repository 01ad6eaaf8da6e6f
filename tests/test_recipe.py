"""nst.recipe: one Recipe type for every output, written one way and read back, old flat recipes included."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from nst.images import encode_png, save_png
from nst.recipe import Recipe, versions
from nst.settings import FastSettings


def test_a_recipe_round_trips_through_a_png(tmp_path: Path) -> None:
    recipe = Recipe.of(
        "fast", FastSettings(strength=0.4), (64, 48), 0.12345, "cpu", preset="hokusai", tiles=1
    )
    stored = recipe.as_dict()
    assert (
        stored["settings"]["strength"] == 0.4 and stored["output_size"] == [64, 48] and stored["tiles"] == 1
    )
    assert stored["seconds"] == 0.123 and set(stored["versions"]) == {"nst", "torch", "python"}
    save_png(Image.new("RGB", (64, 48)), tmp_path / "out.png", stored)
    assert Recipe.read(tmp_path / "out.png") == recipe
    assert Recipe.read(encode_png(Image.new("RGB", (4, 4)))) is None
    attached = recipe.attach(Image.new("RGB", (64, 48)))  # what Gradio writes into the PNG it serves
    assert Recipe.read(attached) == recipe


def test_old_flat_recipes_are_still_read() -> None:
    """Before nst.recipe, fast and video recipes kept their settings at the top level and "size" for the
    output's size, and the command lines' versions had no Python."""
    old = {
        "mode": "fast", "input": "b.jpg", "model": "van-gogh", "preset": "van-gogh", "variant": "standard",
        "strength": 0.5, "blend": "pyramid", "preserve_color": False, "max_side": None, "device": "cpu",
        "size": [64, 48], "tiles": 1, "seconds": 0.2, "versions": {"nst": "0.1.0", "torch": "2.5"},
    }  # fmt: skip
    recipe = Recipe.from_dict(old)
    assert recipe.settings == {"strength": 0.5, "blend": "pyramid", "preserve_color": False, "max_side": None}
    assert recipe.output_size == (64, 48) and recipe.details == {
        "input": "b.jpg",
        "variant": "standard",
        "tiles": 1,
    }
    assert recipe.versions == {"nst": "0.1.0", "torch": "2.5"} and recipe.preset == "van-gogh"
    assert set(versions()) == {"nst", "torch", "python"}
