"""Options declared once (nst.options on nst.settings): the command-line parser, the checks and the web
widgets are all generated from the declarations, so they agree; and a made-up option reaches all three
without any other edit."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import gradio as gr
import pytest

from nst.errors import NSTError
from nst.layers import LAYERS
from nst.options import Declared, add_arguments, check, declared, given_values, option, parse
from nst.recipe import Recipe
from nst.settings import BLENDS, FastSettings, QualitySettings, VideoSettings
from studio.widgets import api_inputs, from_api, widgets

SETTINGS = (QualitySettings, FastSettings, VideoSettings)


def _parser(cls: type) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_arguments(parser, cls)
    return parser


def _refused(item: Declared, value: Any, web: bool = False) -> bool:
    try:
        parse(item, value, web=web)
    except NSTError:
        return True
    return False


def _agree(cls: type) -> None:
    """Every declared option is in the parser (same default, its range checked), the checks (range and
    choices) and, when offered in the web app, the widgets (same default, range and choices)."""
    items = declared(cls)
    parser = _parser(cls)
    actions = {action.dest: action for action in parser._actions}
    shown = widgets(cls, cls())
    assert [name for name, item in items.items() if item.option.ui] == list(shown)
    for name, item in items.items():
        meta = item.option
        action = actions[name]
        assert item.flag in action.option_strings and action.default is None  # None: the declared default
        assert given_values(parser.parse_args([]), cls) == {}
        if meta.kind == "choice":
            assert tuple(action.choices) == meta.values() and _refused(item, "not-a-choice")
        for bound, outside in ((meta.low, -1), (meta.high, 1)):
            if bound is not None:
                assert not _refused(item, bound) and _refused(item, bound + outside)
                flag_value = str(int(bound + outside) if meta.kind == "whole" else bound + outside)
                with pytest.raises(NSTError, match=item.flag):
                    given_values(parser.parse_args([item.flag, flag_value]), cls)
        if not meta.ui:
            continue
        component = shown[name]
        assert component.label == meta.widget_title()
        value = component.value
        if meta.kind == "layers":
            assert tuple(value) == item.default and [c[1] for c in component.choices] == list(LAYERS)
        elif meta.kind == "choice":
            assert value == item.default and [c[1] for c in component.choices] == list(meta.values())
        else:
            assert value == item.default
        if isinstance(component, gr.Slider):
            assert (component.minimum, component.maximum) == item.span(web=True)
            assert component.step == meta.step


@pytest.mark.parametrize("cls", SETTINGS, ids=lambda cls: cls.__name__)
def test_parser_checks_and_widgets_agree_with_the_declarations(cls: type) -> None:
    _agree(cls)
    check(cls())  # the defaults are valid


def test_the_web_api_names_stay_pinned_and_map_back() -> None:
    names = {item.api: name for name, item in declared(QualitySettings).items() if item.option.ui}
    assert list(names)[:4] == ["strength", "steps", "size", "preserve"]  # what scripts call (test_api_shape)
    shown = widgets(QualitySettings, QualitySettings())
    assert list(api_inputs(QualitySettings, shown)) == list(names)
    assert from_api(QualitySettings, {"strength": 2.0, "preserve": True}) == {
        "style_strength": 2.0,
        "preserve_color": True,
    }


def test_a_public_server_accepts_less_than_the_engine_can_run() -> None:
    scale = declared(QualitySettings)["style_scale"]
    assert not _refused(scale, 3.0) and _refused(scale, 3.0, web=True)
    assert declared(FastSettings)["blend"].option.values() == BLENDS  # the blends, declared once


@dataclasses.dataclass(frozen=True)
class Glazed(QualitySettings):
    """A made-up option, declared as a new one would be: only here (and in the engine code that uses it)."""

    glaze: float = option(0.5, "a made-up varnish (0 = none)", "Glaze", low=0.0, high=1.0, step=0.1)


def test_a_made_up_option_reaches_parser_checks_and_widgets_from_its_declaration_alone() -> None:
    _agree(Glazed)
    args = _parser(Glazed).parse_args(["--glaze", "0.3"])
    assert given_values(args, Glazed) == {"glaze": 0.3}
    with pytest.raises(NSTError, match="The glaze must be between 0 and 1"):
        check(Glazed(glaze=2.0))
    glaze = widgets(Glazed, Glazed())["glaze"]
    assert isinstance(glaze, gr.Slider) and (glaze.minimum, glaze.maximum, glaze.value) == (0.0, 1.0, 0.5)
    assert list(api_inputs(Glazed, widgets(Glazed, Glazed())))[-1] == "glaze"  # a new API parameter
    assert Recipe.of("quality", Glazed(), (4, 3), 1.0, "cpu").settings["glaze"] == 0.5  # and in the recipe
