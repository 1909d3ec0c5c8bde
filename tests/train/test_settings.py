"""`TrainSettings` is the one declaration of every train setting: the click options are generated from it,
the trainer's defaults come from nanochat's TrainConfig, and the command stays an adapter."""

from __future__ import annotations

import dataclasses
import inspect

import click

from nanochat.train_config import TrainConfig
from sqlcurate.commands.train import train as train_command
from sqlcurate.training import TrainSettings

# what the trainer needs besides the user's settings: where and how to write, and test-only knobs
TRAINER_ONLY = {"out_dir", "lineage", "log", "memory_budget_bytes"}


def test_every_setting_is_one_option_with_its_default_and_help():
    # beside them only the options every verb shares (--quiet, --max-diagnostics), which pass no value
    options = {p.name: p for p in train_command.params if isinstance(p, click.Option) and p.expose_value}
    fields = {f.name: f for f in dataclasses.fields(TrainSettings)}
    assert set(options) == set(fields)
    for name, f in fields.items():
        option = options[name]
        assert option.opts == ["--" + name.replace("_", "-")]
        assert option.help, name
        if f.default is dataclasses.MISSING:
            assert option.required, name
        else:
            assert option.default == f.default, name


def test_choices_flags_and_repeats_come_from_the_types():
    options = {p.name: p for p in train_command.params if isinstance(p, click.Option)}
    assert list(options["over_length"].type.choices) == ["drop", "truncate"]
    assert options["resume"].is_flag and options["mix"].multiple
    assert isinstance(options["epochs"].type, click.types.IntParamType)
    assert isinstance(options["init_lr_frac"].type, click.types.FloatParamType)


def test_the_trainers_settings_are_all_offered_with_the_trainers_defaults(tmp_path):
    loop = {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.name not in TRAINER_ONLY}
    settings = {f.name: f.default for f in dataclasses.fields(TrainSettings)}
    assert set(loop) <= set(settings)
    for name, default in loop.items():
        assert settings[name] == default, name
    cfg = TrainSettings(data=tmp_path / "t.jsonl", epochs=7, conversations_per_step=5).loop_config(tmp_path, {}, print)
    assert (cfg.epochs, cfg.conversations_per_step, cfg.out_dir) == (7, 5, tmp_path)


def test_the_default_step_is_nanochats_32_conversations_not_tokens():
    assert TrainSettings.__dataclass_fields__["conversations_per_step"].default == 32
    assert TrainSettings.__dataclass_fields__["target_batch_tokens"].default is None


def test_the_command_is_an_adapter():
    lines = inspect.getsource(train_command.callback).splitlines()
    assert len(lines) <= 60, len(lines)
