"""The `tracker` command: Flask's CLI around create_app, plus our commands."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, run_command

from .database import SchemaOutdated, prepare_database


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.command("run", params=run_command.params, help=run_command.help)
@click.pass_context
def run(ctx: click.Context, **kwargs) -> None:
    """Flask's `run`, after bringing the schema up to date (embedded) or checking it."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    try:
        prepare_database(app)
    except SchemaOutdated as exc:
        raise click.ClickException(str(exc)) from None
    ctx.invoke(run_command, **kwargs)


cli = FlaskGroup(
    create_app=_create_app,
    help="ITA follow-up tracker / ระบบติดตามมาตรการส่งเสริมคุณธรรมและความโปร่งใส",
)
cli.add_command(run)


def register_commands(app: Flask) -> None:
    from .plans.cli import plan_commands

    for command in plan_commands:
        app.cli.add_command(command)
