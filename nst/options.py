"""Options declared once: each field of a frozen settings dataclass carries its help, range, command-line flag
and web label as field metadata (`option(...)`), and everything else is generated from it.

The command lines (nst.cli) call `add_arguments` and `given_values`, the library's checks call `check`, the
web app (studio.widgets) builds its widgets from `declared` and checks a web client's values with
`parse_all`. Adding an option to a mode is one `option(...)` field in nst.settings plus the engine code
that uses it.
The idea comes from crowsonkb/style-transfer-pytorch, whose `arg_info` keeps each option's CLI spelling
beside its default.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nst.errors import NSTError
from nst.layers import LAYERS, layer_list

KINDS = ("number", "whole", "switch", "choice", "layers")


@dataclass(frozen=True)
class Option:
    """How one setting is offered. `label` names it for people (in messages, and on its web widget unless
    `title` is given); `unit` follows numbers in messages and the widget's title; `web` is the range a public
    server accepts when narrower than `low`..`high` (what the engine can run); `api` is the web API's
    parameter name where it differs from the field's (pinned: scripts call it); `flag` is the command-line
    flag ("" = not on the command line); `choices` are (label, value) pairs."""

    help: str
    label: str
    title: str | None = None
    unit: str = ""
    kind: str = ""  # "" = from the default: bool -> switch, int -> whole, float -> number, str -> choice
    low: float | None = None
    high: float | None = None
    web: tuple[float, float] | None = None
    step: float | None = None  # the web slider's step
    choices: tuple[tuple[str, Any], ...] = ()
    flag: str | None = None  # None = "--" + the field name with dashes
    api: str | None = None
    ui: bool = True  # offered in the web app

    def values(self) -> tuple[Any, ...]:
        return tuple(value for _, value in self.choices)

    def widget_title(self) -> str:
        """The web widget's title: `title`, else the label with its unit."""
        return self.title or (f"{self.label} ({self.unit})" if self.unit else self.label)


@dataclass(frozen=True)
class Declared:
    """One declared field: its name, default and Option (with the kind filled in)."""

    name: str
    default: Any
    option: Option

    @property
    def flag(self) -> str:
        return self.option.flag if self.option.flag is not None else "--" + self.name.replace("_", "-")

    @property
    def api(self) -> str:
        return self.option.api or self.name

    def span(self, web: bool = False) -> tuple[float | None, float | None]:
        """The allowed range: the engine's, or the public server's when `web`."""
        if web and self.option.web is not None:
            return self.option.web
        return self.option.low, self.option.high


def option(default: Any, help: str, label: str, **meta: Any) -> Any:
    """A dataclass field declaring an option (see Option); use as `size: int = option(512, ...)`."""
    return dataclasses.field(default=default, metadata={"option": Option(help, label, **meta)})


def _kind(default: Any, given: str) -> str:
    if given:
        return given
    for kind, types in (("switch", bool), ("whole", int), ("number", float), ("choice", str)):
        if isinstance(default, types):
            return kind
    raise TypeError(f"say the kind of an option whose default is {default!r}")


def declared(cls: type) -> dict[str, Declared]:
    """The declared options of a settings dataclass, in declaration order."""
    found = {}
    for item in dataclasses.fields(cls):
        if "option" in item.metadata:
            meta: Option = item.metadata["option"]
            meta = dataclasses.replace(meta, kind=_kind(item.default, meta.kind))
            found[item.name] = Declared(item.name, item.default, meta)
    return found


def parse(item: Declared, value: Any, *, web: bool = False, what: str | None = None) -> Any:
    """A value given for `item` (by a person, a command line or a web client: hostile until checked) as the
    setting's type, or an NSTError that says what is allowed, naming it `what` (default: "The <label>").
    None stays None (= the default)."""
    if value is None:
        return None
    meta, what = item.option, what or f"The {item.option.label.lower()}"
    if meta.kind == "switch":
        return bool(value)
    if meta.kind == "layers":
        return layer_list(value, meta.label if what.startswith("The ") else what)
    if meta.kind == "choice":
        if value not in meta.values():
            raise NSTError(f"{what} must be one of {', '.join(map(str, meta.values()))} (got {value!r}).")
        return value
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number):
        raise NSTError(f"{what} must be a number (got {value!r}).")
    low, high = item.span(web)
    if (low is not None and number < low) or (high is not None and number > high):
        raise NSTError(f"{what} must be {_range(meta.kind, low, high, meta.unit)} (got {number:g}).")
    return round(number) if meta.kind == "whole" else number


def _range(kind: str, low: float | None, high: float | None, unit: str) -> str:
    """The allowed range in words: "between 0 and 3", "a whole number from 16 to 2048 px", "at least 1"."""
    unit = f" {unit}" if unit else ""
    if high is None:
        return f"at least {low:g}{unit}"
    if kind == "whole":
        return f"a whole number from {low:.0f} to {high:.0f}{unit}"
    return f"between {low:g} and {high:g}{unit}"


def check(settings: object, *, web: bool = False) -> None:
    """Refuse settings with a declared option out of its range or choices (NSTError)."""
    for name, item in declared(type(settings)).items():
        parse(item, getattr(settings, name), web=web)


def parse_all(cls: type, values: Mapping[str, Any], *, web: bool = False) -> dict[str, Any]:
    """`values` (by field name; None = the default) checked and typed; names that are not declared options
    are refused (a client cannot reach an undeclared field)."""
    items = declared(cls)
    unknown = set(values) - set(items)
    if unknown:
        raise NSTError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    return {name: parse(items[name], value, web=web) for name, value in values.items()}


# --- the command line ------------------------------------------------------------------------------------


def _layers_argument(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def add_arguments(
    parser: argparse.ArgumentParser, cls: type, defaults: object | None = None, skip: Iterable[str] = ()
) -> None:
    """A flag per declared option of `cls` (dest = the field name). Values default to None, so
    `given_values` returns only what the user typed; the help shows `defaults` (an instance) or the declared
    default."""
    for name, item in declared(cls).items():
        meta = item.option
        if meta.flag == "" or name in skip:
            continue
        shown = getattr(defaults, name) if defaults is not None else item.default
        text = meta.help
        if meta.kind == "switch":
            action = argparse.BooleanOptionalAction if shown else "store_true"
            parser.add_argument(item.flag, dest=name, action=action, default=None, help=text)
            continue
        if shown is not None:
            text += f" (default: {_shown(shown)})"
        metavar = item.flag.lstrip("-").replace("-", "_").upper()
        kwargs: dict[str, Any] = {"dest": name, "default": None, "help": text, "metavar": metavar}
        if meta.kind == "choice":
            kwargs["choices"] = meta.values()
            del kwargs["metavar"]
        elif meta.kind == "layers":
            kwargs.update(type=_layers_argument, metavar="LAYER,...")
            kwargs["help"] += f"; from {LAYERS[0]} to {LAYERS[-1]}"
        else:
            kwargs["type"] = int if meta.kind == "whole" else float
        parser.add_argument(item.flag, **kwargs)


def _shown(value: Any) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)


def given_values(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The declared options of `cls` the user gave on the command line, by field name, each checked
    against its declaration (a refusal names the flag: "--strength must be between 0 and 1 (got 2).")."""
    return {
        name: parse(item, getattr(args, name), what=item.flag)
        for name, item in declared(cls).items()
        if getattr(args, name, None) is not None
    }
