"""`tracker backup`, `tracker restore`, `tracker verify-evidence`, `tracker set-password`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from ..clock import utcnow
from ..db import db
from ..errors import ServiceError


def _upload_dir() -> str:
    return current_app.config["TRACKER_UPLOAD_DIR"]


def _report_problems(check, err: bool = True) -> None:
    for problem in check.problems:
        click.echo(f"  ! {problem}", err=err)


@click.command("backup")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (.tar.gz); refused if it exists.",
)
@with_appcontext
def backup_command(output: Path) -> None:
    """สำรองฐานข้อมูลและไฟล์หลักฐานเป็นไฟล์เดียว (back up the database and the evidence files into one .tar.gz)."""
    from .backup import create_backup, describe

    try:
        result = create_backup(output, _upload_dir(), utcnow())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.session.remove()
    click.echo(f"สำรองข้อมูลแล้ว (backup written): {result.path}")
    click.echo(f"  {describe(result.manifest)}")
    if result.evidence.ok:
        click.echo(
            f"  ตรวจไฟล์หลักฐาน {result.evidence.checked} รายการ ถูกต้องทั้งหมด "
            f"(all {result.evidence.checked} recorded files present and intact)"
        )
    else:
        click.echo(
            f"  คำเตือน: ไฟล์หลักฐานมีปัญหา {len(result.evidence.problems)} รายการ "
            f"(warning: {len(result.evidence.problems)} recorded file(s) missing or corrupted; "
            "the backup holds the files as they are):",
            err=True,
        )
        _report_problems(result.evidence)


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Overwrite a database and upload folder that hold data.")
@with_appcontext
def restore_command(archive: Path, yes: bool) -> None:
    """กู้คืนจากไฟล์สำรอง (restore the database and evidence files from a `tracker backup` archive).

    Stop the web server and the scheduler first.
    """
    from .backup import describe, restore_backup

    try:
        result = restore_backup(archive, _upload_dir(), overwrite=yes)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.session.remove()
    click.echo(f"กู้คืนแล้ว (restored): {describe(result.manifest)}")
    if result.upgraded_from:
        click.echo(
            f"  ปรับโครงสร้างฐานข้อมูลจากรุ่น {result.upgraded_from} เป็นรุ่นปัจจุบันแล้ว "
            f"(schema upgraded from {result.upgraded_from})"
        )
    click.echo(f"  ไฟล์ (files) restored: {result.files_restored}, removed: {len(result.files_removed)}")
    if not result.evidence.ok:
        click.echo(
            "  คำเตือน: ไฟล์หลักฐานบางรายการไม่ตรงกับฐานข้อมูล (warning: some recorded files are missing or corrupted):",
            err=True,
        )
        _report_problems(result.evidence)
        sys.exit(1)


@click.command("verify-evidence")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_appcontext
def verify_evidence_command(as_json: bool) -> None:
    """ตรวจไฟล์หลักฐานกับ checksum ที่บันทึกไว้ (re-check every evidence and published file against its sha256).

    Exit code 1 when a file is missing or corrupted.
    """
    from .evidence import verify_files

    check = verify_files(_upload_dir())
    db.session.remove()
    if as_json:
        click.echo(json.dumps(check.as_dict(), ensure_ascii=False, indent=2))
    elif check.ok:
        click.echo(f"ไฟล์ทั้ง {check.checked} รายการครบและถูกต้อง (all {check.checked} recorded files present and intact)")
    else:
        click.echo(
            f"ตรวจ {check.checked} รายการ: ไม่พบ {len(check.of('missing'))}, เสียหาย {len(check.of('corrupted'))} "
            f"(checked {check.checked}: {len(check.of('missing'))} missing, "
            f"{len(check.of('corrupted'))} corrupted)"
        )
        _report_problems(check, err=False)
    if not check.ok:
        sys.exit(1)


@click.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input (scripts).")
@with_appcontext
def set_password_command(email: str, password_stdin: bool) -> None:
    """ตั้งรหัสผ่านใหม่ให้ผู้ใช้ (set a user's password, e.g. an administrator locked out).

    Asks for the password twice unless --password-stdin. The password policy
    applies, and the change is journaled.
    """
    from ..auth.models import User
    from ..auth.services import PASSWORD_RULE, set_password

    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"ไม่พบผู้ใช้ {email} (no such user)")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"รหัสผ่านใหม่ ({PASSWORD_RULE})", hide_input=True, confirmation_prompt=True)
    # The operator may reset anyone, provincial accounts included (unlike an organization's admin).
    try:
        set_password(user, None, utcnow(), password, note="tracker set-password")
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"ตั้งรหัสผ่านใหม่ให้ {user.email} แล้ว (password set)")


ops_commands = [backup_command, restore_command, verify_evidence_command, set_password_command]
