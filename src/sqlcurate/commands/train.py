"""`sqlcurate train`: fine-tune a nanochat v1 checkpoint on curated conversations (custom-only by default).

An adapter over ``sqlcurate.training``: its options are generated from ``TrainSettings`` (the one
declaration of every setting). With ``--gpus N`` (N > 1) the command re-runs itself under torchrun,
one process per GPU (``torchrun -m sqlcurate.commands.train ...``).
"""

from __future__ import annotations

import json
import sys

import click

from sqlcurate.settings import click_options
from sqlcurate.training import InvalidTrainingData, TrainSettings, is_rank_zero, needs_relaunch


@click.command("train")
@click_options(TrainSettings)
def train(**values) -> None:
    """Fine-tune a nanochat checkpoint on curated conversations (custom data only unless --mix)."""
    from sqlcurate import training

    settings = TrainSettings(**values)
    if needs_relaunch(settings):
        argv = sys.argv[1:]
        sys.exit(training.relaunch_under_torchrun(settings, argv[1:] if argv[:1] == ["train"] else argv, click.echo))
    try:
        summary = training.train(settings, log=click.echo)
    except InvalidTrainingData as exc:  # row-level problems: listed, exit 1 (the run-stopping path is exit 2)
        for line in exc.problems:
            click.echo(line, err=True)
        click.echo(exc.message, err=True)
        sys.exit(1)
    if is_rank_zero():
        click.echo(json.dumps({k: v for k, v in summary.items() if not isinstance(v, dict)}))


if __name__ == "__main__":  # torchrun -m sqlcurate.commands.train ...: through cli.main, its one error handler
    from sqlcurate.cli import main

    main(["train", *sys.argv[1:]])
