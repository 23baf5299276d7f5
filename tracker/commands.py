"""Every feature's commands on `app.cli` (`flask --app tracker …` and `tracker …`)."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from .demo.cli import demo_command
    from .ita.cli import ita_commands

    for command in [*ita_commands, demo_command]:
        app.cli.add_command(command)
    from .notify.cli import outbox_commands
    from .plans.cli import plan_commands
    from .reports.cli import report_commands

    for command in plan_commands + outbox_commands + report_commands:
        app.cli.add_command(command)
    from .plans.rollover_cli import rollover_command
    from .reports.memo_cli import analysis_command

    for command in (analysis_command, rollover_command):
        app.cli.add_command(command)
    from .province.cli import province_commands

    for command in province_commands:
        app.cli.add_command(command)
    from .ops.cli import ops_commands

    for command in ops_commands:
        app.cli.add_command(command)
