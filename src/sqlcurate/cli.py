"""The `sqlcurate` command line: a thin lazy dispatcher.

Each verb lives in ``sqlcurate.commands.<module>`` as a click command; it is imported only when run, so
`sqlcurate validate` never pays for torch or the ClickHouse engine.
"""

from __future__ import annotations

import difflib
import importlib
import json
import logging

import click

from sqlcurate import output

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
    "serve": ("serve", "serve", "Serve a checkpoint: OpenAI-compatible API with keys, SQL verdicts, analyst page."),
    "export": ("export", "export", "Export a checkpoint as a Hugging Face model directory (optionally push it)."),
}


# verb (or "verb subcommand") -> example command lines shown at the end of its --help
EXAMPLES: dict[str, tuple[str, ...]] = {
    "pull": ("sqlcurate pull clickhouse --profile default --workspace .work/demo",
             "sqlcurate pull docs .work/demo/docs --workspace .work/demo"),
    "pull clickhouse": ("sqlcurate pull clickhouse --profile default --workspace .work/demo",
                        "sqlcurate pull clickhouse --dsn chdb://.work/demo/engine --log-table demo_logs.query_log"),
    "pull bigquery": ("sqlcurate pull bigquery --profile bigquery_emulator --workspace .work/bq-ws --dataset shop",),
    "pull docs": ("sqlcurate pull docs .work/demo/docs --workspace .work/demo",),
    "build": ("sqlcurate build --workspace .work/demo --engine chdb",),
    "convert": ("sqlcurate convert --from auto training_data/samples/mixed.jsonl /tmp/train.jsonl",),
    "validate": ("sqlcurate validate --no-sql training_data/samples/mixed.jsonl --max-diagnostics 5",
                 "sqlcurate validate train.jsonl --catalog schemas/ --engine chdb --format json"),
    "transpile": ("echo 'SELECT TOP 5 * FROM t' | sqlcurate transpile --from tsql",),
    "redact": ("sqlcurate redact training_data/samples/redact_demo.jsonl /tmp/redacted.jsonl",),
    "stats": ("sqlcurate stats training_data/samples/mixed.jsonl --tokenizer src/sqlcurate/demo/assets/nanochat_base/tokenizer",),
    "train": ("sqlcurate train --data train.jsonl --val val.jsonl --base src/sqlcurate/demo/assets/nanochat_base --out runs/ --epochs 3",),
    "eval": ("sqlcurate eval --answers src/sqlcurate/demo/assets/eval/dex_eval.jsonl --data src/sqlcurate/demo/assets/eval/dex_eval.jsonl "
             "--catalog src/sqlcurate/demo/schema.sql --engine none --format json",),
    "chat": ("sqlcurate chat --checkpoint src/sqlcurate/demo/assets/nanochat_base --source base --prompt 'How many swaps?'",),
    "demo": ("sqlcurate demo --workspace .work/demo",),
    "serve": ("sqlcurate serve keys add alice --keys serve_keys.json",
              "sqlcurate serve --checkpoint src/sqlcurate/demo/assets/nanochat_base/base_checkpoints/d2 --keys serve_keys.json --catalog schemas/"),
    "export": ("sqlcurate export --format hf src/sqlcurate/demo/assets/nanochat_base/base_checkpoints/d2 hf/demo-d2",),
    "review": ("sqlcurate review --workspace .work/demo",),
}
# Verbs that take project defaults (sqlcurate.config); the demo builds its own workspace from scratch.
CONFIGURED_VERBS = frozenset(VERBS) - {"demo"}
# (verb, option) that a project default must not set: validate's --tokenizer needs --max-tokens with it
CONFIG_EXCEPTIONS = frozenset({("validate", "--tokenizer")})


def _store(key: str):
    def callback(ctx: click.Context, _param: click.Parameter, value):
        if value is not None and value is not False:
            ctx.meta[key] = value  # meta is shared by the whole context chain
        return value
    return callback


def _cap_diagnostics(ctx: click.Context, param: click.Parameter, value: int | None):
    """--max-diagnostics: remembered for ``output.diagnostics`` and, for diagnostics the streaming loops
    write to stderr themselves, a cap on stderr for as long as this context lives."""
    if value is not None and output.MAX_DIAGNOSTICS not in ctx.meta:  # given twice: the first cap is in place
        ctx.with_resource(output.cap_stderr(value))
    return _store(output.MAX_DIAGNOSTICS)(ctx, param, value)


def _common_options() -> list[click.Option]:
    """Options every verb accepts, also after the verb (`sqlcurate validate -q FILE`)."""
    return [
        click.Option(["--quiet", "-q"], is_flag=True, expose_value=False, callback=_store(output.QUIET),
                     help="No progress lines on stderr; results and errors only."),
        click.Option(["--max-diagnostics"], type=click.IntRange(min=0), expose_value=False,
                     callback=_cap_diagnostics, metavar="N",
                     help="Print at most N diagnostic lines, then a count of the rest."),
    ]


def _wants_json(args: list[str]) -> bool:
    pairs = zip(args, [*args[1:], ""], strict=True)
    return any(a == "--format=json" or (a == "--format" and following == "json") for a, following in pairs)


def _epilog(key: str) -> str | None:
    lines = EXAMPLES.get(key)
    # "\b" keeps click from re-wrapping the example lines into one paragraph
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines) if lines else None


class SuggestingGroup(click.Group):
    """A group that answers a mistyped subcommand with the closest names (`valdate` -> `validate`)."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if args and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=3, cutoff=0.6)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise click.UsageError(f"No such command {name!r}.{hint}", ctx)
        return super().resolve_command(ctx, args)


def _prepare(cmd: click.Command, key: str, config_values: dict[str, str] | None) -> dict:
    """Give a loaded command its example epilog and the common options; return its click default_map
    from the project defaults (an option takes a default only if it has the option and, for a choice,
    the value is one of its choices)."""
    if cmd.epilog is None:
        cmd.epilog = _epilog(key)
    defaults: dict = {}
    for sub_name, sub in getattr(cmd, "commands", {}).items():  # a group's subcommands
        sub_defaults = _prepare(sub, f"{key} {sub_name}", config_values)
        if sub_defaults:
            defaults[sub_name] = sub_defaults
    names = {p.name for p in cmd.params}
    cmd.params += [o for o in _common_options() if o.name not in names]
    for param in cmd.params:
        for opt in getattr(param, "opts", ()):
            value = (config_values or {}).get(opt)
            if value is None or (key, opt) in CONFIG_EXCEPTIONS or (
                    isinstance(param.type, click.Choice) and value not in param.type.choices):
                continue
            defaults[param.name] = value
    return defaults


class LazyGroup(SuggestingGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(VERBS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in VERBS:
            return None
        module, attr, _ = VERBS[name]
        cmd = getattr(importlib.import_module(f"sqlcurate.commands.{module}"), attr)
        config_values = None
        if name in CONFIGURED_VERBS and not ctx.resilient_parsing:
            from sqlcurate.config import load_config

            config_values = load_config().values
        defaults = _prepare(cmd, name, config_values)
        if defaults:
            ctx.default_map = {**(ctx.default_map or {}), name: defaults}
        return cmd

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["sqlcurate.args"] = list(args)  # to answer in JSON when the command was asked for JSON
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        # The one handler of run-stopping errors: a one-line `error: CODE message` (or, for a command
        # given `--format json`, {"error": {"code", "message"}} on stdout), exit 2, no traceback.
        from sqlcurate.errors import SqlcurateError

        as_json = _wants_json(ctx.meta.get("sqlcurate.args", []))
        try:
            return super().invoke(ctx)
        except SqlcurateError as e:
            if as_json:
                click.echo(json.dumps({"error": {"code": e.code, "message": e.message}}))
            else:
                click.echo(e.render(), err=True)
            ctx.exit(2)
        except click.UsageError as e:
            if not as_json:
                raise
            click.echo(json.dumps({"error": {"code": "USAGE", "message": e.format_message()}}))
            ctx.exit(e.exit_code)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, _, help_) in VERBS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="\b\nExamples:\n  sqlcurate demo\n  sqlcurate validate --help\n"
                    "  sqlcurate --quiet stats training_data/samples/mixed.jsonl --format json\n"
                    "Project defaults: [tool.sqlcurate] in pyproject.toml or sqlcurate.toml (docs/cli.md).\n"
                    "Shell completion: eval \"$(_SQLCURATE_COMPLETE=bash_source sqlcurate)\" (docs/cli.md).")
@click.version_option(package_name="sqlcurate")
def main() -> None:
    """sqlcurate: curate company SQL knowledge into nanochat fine-tuning data."""
    # sqlglot logs parser fallbacks ("contains unsupported syntax") as warnings; our checks report what
    # matters as findings with file and line, so its log stays quiet.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)


main.params += _common_options()  # before the verb too: `sqlcurate -q validate ...`
