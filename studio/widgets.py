"""Gradio widgets generated from the declared options (nst.options): one per option the web app offers,
titled, ranged and defaulted by its declaration. The tabs place them; a new option that a tab does not place
appears in its "Advanced settings" by itself, and its value reaches the engine under its API name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gradio as gr

from nst.layers import LAYERS
from nst.options import Declared, declared


def widget(item: Declared, value: Any, **custom: Any) -> gr.components.Component:
    """The widget of one option, showing `value`; `custom` adds or overrides Gradio arguments (an element id,
    this hardware's range, or `choices` to offer a few values as a radio). Made unrendered: the tab places
    it with `.render()`."""
    meta = item.option
    low, high = item.span(web=True)
    common: dict[str, Any] = {"label": meta.widget_title(), "value": value, "render": False}
    if "choices" in custom or meta.kind == "choice":
        choices = custom.pop("choices", None) or list(meta.choices)
        return gr.Radio(**{**common, "choices": choices, **custom})
    if meta.kind == "switch":
        return gr.Checkbox(**{**common, **custom})
    if meta.kind == "layers":
        return gr.CheckboxGroup(**{**common, "choices": list(LAYERS), "value": list(value), **custom})
    slider = {"minimum": low, "maximum": high, "step": meta.step, **custom}  # the hardware's range wins
    if None not in (slider["minimum"], slider["maximum"], slider["step"]):
        return gr.Slider(**{**common, **slider})
    return gr.Number(**{**common, "precision": 0 if meta.kind == "whole" else None, **custom})


def widgets(
    cls: type, values: object, custom: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, gr.components.Component]:
    """A widget per option of `cls` that the web app offers, in declaration order (the web API's order),
    keyed by field name, showing the values of the settings instance `values`."""
    custom = custom or {}
    return {
        name: widget(item, getattr(values, name), **custom.get(name, {}))
        for name, item in declared(cls).items()
        if item.option.ui
    }


def api_inputs(cls: type, shown: Mapping[str, gr.components.Component]) -> dict[str, gr.components.Component]:
    """`shown` (from `widgets`) keyed by the web API's parameter names: an event's `inputs_kwargs`."""
    items = declared(cls)
    return {items[name].api: component for name, component in shown.items()}


def from_api(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """An event's keyword values (web API names) keyed by field name, for the engine. A name that is not a
    declared option's is dropped (Gradio only sends the ones wired)."""
    by_api = {item.api: name for name, item in declared(cls).items()}
    return {by_api[key]: value for key, value in values.items() if key in by_api}


def render_rest(shown: Mapping[str, gr.components.Component], placed: set[str]) -> None:
    """Render the widgets a tab did not place itself (a newly declared option shows up here)."""
    for name, component in shown.items():
        if name not in placed:
            component.render()


def by_position(cls: type, fn: Callable[..., Any], fixed: int) -> Callable[..., Any]:
    """`fn` called with its `fixed` first values as they come and the rest as the options of `cls` in
    declaration order, by API name: for gr.Examples, which passes every value by position."""
    names = [item.api for item in declared(cls).values() if item.option.ui]

    def call(*values: Any) -> Any:
        options = dict(zip(names, values[fixed:], strict=True))
        return fn(*values[:fixed], **options)

    return call
