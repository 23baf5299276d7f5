"""The `tracker` command: Flask's CLI around create_app, plus our commands."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException, ScriptInfo, run_command, with_appcontext

from .db import SchemaOutdated, init_migrations, prepare_database
from .i18n import LazyHelpOption, _l, gettext_anywhere
from .i18n.catalog import translate_command


def _create_app() -> Flask:
    from . import create_app
    from .extras import MissingExtra

    try:
        app = create_app()
    except MissingExtra as exc:
        # Flask's CLI shows this as "Error: …" without a traceback and exits non-zero.
        raise NoAppException(str(exc)) from None
    init_migrations(app)  # `tracker db …`
    return app


@click.command(
    "run",
    params=[
        *run_command.params,
        LazyHelpOption(
            ["--scheduler/--no-scheduler"],
            default=True,
            show_default=True,
            help=_l("รันตัวตั้งเวลาส่งการแจ้งเตือนในโปรเซสนี้ด้วย"),
        ),
    ],
    help=_l("เปิดเว็บ (และตัวตั้งเวลาส่งการแจ้งเตือน เว้นแต่ใช้ --no-scheduler)"),
)
@click.pass_context
def run(ctx: click.Context, scheduler: bool, **kwargs) -> None:
    """Flask's `run`, after bringing the schema up to date (embedded) or checking it."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    try:
        prepare_database(app)
    except SchemaOutdated as exc:
        raise click.ClickException(str(exc)) from None
    debug = kwargs.get("debug")
    use_reloader = kwargs.get("reload")
    if use_reloader is None:
        use_reloader = bool(debug if debug is not None else app.debug)
    # Under the reloader only the serving child runs the scheduler, not the watcher.
    if scheduler and (not use_reloader or os.environ.get("WERKZEUG_RUN_MAIN") == "true"):
        from .scheduler import start_background

        start_background(app)
    ctx.invoke(run_command, **kwargs)


@click.command("scheduler", help=_l("รันเฉพาะตัวตั้งเวลาส่งการแจ้งเตือน (ใช้งานจริง: หนึ่งโปรเซสคู่กับ gunicorn)"))
@with_appcontext
def scheduler_command() -> None:
    """Run only the reminder scheduler (production: one such process next to gunicorn)."""
    from flask import current_app

    from .scheduler import run_blocking

    # _get_current_object is LocalProxy's; the stubs type current_app as Flask itself.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        prepare_database(app)
    except SchemaOutdated as exc:
        raise click.ClickException(str(exc)) from None
    run_blocking(app)


#: Exit codes of every `tracker` command (README "Exit codes").
EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


class TrackerGroup(FlaskGroup):
    """Flask's group, with an exit code of its own for a traceback.

    A refusal (click's ClickException) exits 1 with its message, as click does;
    anything else that escapes a command is a bug: its traceback goes to
    stderr and the exit code is 70 (EX_SOFTWARE), so scripts and monitoring
    can tell "the file was refused" from "the program broke".
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (
            click.exceptions.ClickException,
            click.exceptions.Exit,
            click.exceptions.Abort,
            SystemExit,
            KeyboardInterrupt,
        ):
            raise
        except Exception:
            import traceback

            traceback.print_exc()
            click.echo(
                # The command's app context is gone by now: gettext_anywhere, not _().
                gettext_anywhere("ข้อผิดพลาดภายในของโปรแกรม โปรดแจ้งผู้ดูแลพร้อมข้อความด้านบน"),
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


cli = TrackerGroup(
    create_app=_create_app,
    help=_l(
        "ระบบติดตามมาตรการส่งเสริมคุณธรรมและความโปร่งใส (ITA)\n\n"
        "ข้อความแสดงเป็นภาษาไทย ตั้ง TRACKER_LANGUAGE=en เพื่อแสดงเป็นภาษาอังกฤษ\n\n"
        "รหัสจบการทำงาน: 0 สำเร็จ; 1 ปฏิเสธ (ข้อความบอกเหตุผล ไม่ได้บันทึกสิ่งใด); 2 ใช้คำสั่งไม่ถูกต้อง; "
        "70 ข้อผิดพลาดภายใน (บั๊กของโปรแกรม พิมพ์ traceback ไว้แล้ว โปรดแจ้งผู้ดูแล)"
    ),
)
cli.add_command(run)
cli.add_command(scheduler_command)
cli.add_command(translate_command)
