"""The `sqlcurate` command line: a thin lazy dispatcher.

Each verb lives in ``sqlcurate.commands.<module>`` as a click command; it is imported only when run, so
`sqlcurate validate` never pays for torch or the ClickHouse engine.
"""

from __future__ import annotations

import importlib
import logging

import click

# verb -> (module under sqlcurate.commands, attribute, one-line help)
VERBS: dict[str, tuple[str, str, str]] = {
    "pull": ("pull", "pull", "Pull query logs, catalogs and docs from ClickHouse, BigQuery or files."),
    "build": ("build", "build", "Turn pulled records into checked training conversations."),
    "review": ("review", "review", "Accept, edit or reject the questions that need a person."),
    "convert": ("convert", "convert", "Convert conversations between formats, quarantining bad lines."),
    "validate": ("validate", "validate", "Check conversation files: schema, SQL, catalog, engine, secrets, length."),
    "transpile": ("transpile", "transpile", "Transpile SQL from another dialect to canonical ClickHouse."),
    "redact": ("redact", "redact", "Replace secrets and personal data with typed placeholders."),
    "stats": ("stats", "stats", "Counts, sources and token statistics of a conversation file."),
    "train": ("train", "train", "Fine-tune a nanochat checkpoint on curated conversations."),
    "eval": ("eval", "eval_", "Measure SQL quality of checkpoints on ClickHouse."),
    "chat": ("chat", "chat", "Talk to a checkpoint (REPL or one-shot prompt)."),
    "demo": ("demo", "demo", "Run the whole path on the bundled demo workspace."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(VERBS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in VERBS:
            return None
        module, attr, _ = VERBS[name]
        return getattr(importlib.import_module(f"sqlcurate.commands.{module}"), attr)

    def invoke(self, ctx: click.Context):
        # The one handler of run-stopping errors: a one-line `error: CODE message`, exit 2, no traceback.
        from sqlcurate.errors import SqlcurateError

        try:
            return super().invoke(ctx)
        except SqlcurateError as e:
            click.echo(e.render(), err=True)
            ctx.exit(2)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, _, help_) in VERBS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sqlcurate")
def main() -> None:
    """sqlcurate: curate company SQL knowledge into nanochat fine-tuning data."""
    # sqlglot logs parser fallbacks ("contains unsupported syntax") as warnings; our checks report what
    # matters as findings with file and line, so its log stays quiet.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
