"""A settings dataclass is the one declaration of a command's options: name, type, default and help live
on its fields, and ``click_options`` turns them into click options, so the command line, the Python API
and the defaults cannot drift apart.

    @dataclass
    class Settings:
        data: Path = setting(help="Input file.", type=click.Path(path_type=Path, exists=True))
        epochs: int = setting(3, "Passes over the data.")

The option of field ``max_seq_len`` is ``--max-seq-len`` and passes ``max_seq_len``; a bool field is a
flag; a tuple field a repeatable option; a ``Literal[...]`` field a choice; a field without a default is
required.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Any, Literal

import click

_NO_DEFAULT = dataclasses.MISSING


def setting(default: Any = _NO_DEFAULT, help: str = "", **click_kwargs: Any) -> Any:  # noqa: A002 - click's word
    """A dataclass field carrying its option's help (and any click keyword, e.g. ``type`` or ``hidden``)."""
    return dataclasses.field(default=default, metadata={"help": help, "click": click_kwargs})


def _option_type(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is Literal:
        return click.Choice([str(a) for a in typing.get_args(hint)])
    if args and len(args) == 1:  # X | None
        return _option_type(args[0])
    if args and typing.get_origin(hint) is tuple:
        return _option_type(args[0])
    return {int: int, float: float, bool: bool}.get(hint, str)


def option_for(f: dataclasses.Field, hint: Any) -> click.Option:
    extra = dict(f.metadata.get("click", {}))
    required = f.default is _NO_DEFAULT and f.default_factory is _NO_DEFAULT
    kwargs: dict[str, Any] = {"help": f.metadata.get("help", ""), "required": required}
    if not required:
        kwargs["default"] = f.default
        kwargs["show_default"] = not (f.default is None or f.default is False or f.default == ())
    if hint is bool:
        kwargs["is_flag"] = True
    else:
        kwargs["type"] = _option_type(hint)
        kwargs["multiple"] = typing.get_origin(hint) is tuple
    kwargs.update(extra)
    return click.Option(["--" + f.name.replace("_", "-"), f.name], **kwargs)


def click_options(settings_class: type) -> Callable[[Callable], Callable]:
    """Decorator: add one click option per field of ``settings_class``, in field order."""
    hints = typing.get_type_hints(settings_class)

    def decorate(command: Callable) -> Callable:
        params = getattr(command, "__click_params__", [])
        for f in reversed(dataclasses.fields(settings_class)):
            params.append(option_for(f, hints[f.name]))
        command.__click_params__ = params
        return command

    return decorate
