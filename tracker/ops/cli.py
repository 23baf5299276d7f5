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
from ..i18n import _, _l, option


def _upload_dir() -> str:
    return current_app.config["TRACKER_UPLOAD_DIR"]


def _report_problems(check, err: bool = True) -> None:
    for problem in check.problems:
        click.echo(f"  ! {problem}", err=err)


@click.command("backup", help=_l("สำรองฐานข้อมูลและไฟล์หลักฐานเป็นไฟล์ .tar.gz ไฟล์เดียว"))
@option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_l("ไฟล์สำรองที่จะเขียน (.tar.gz) ถ้ามีไฟล์นี้อยู่แล้วจะไม่เขียนทับ"),
)
@with_appcontext
def backup_command(output: Path) -> None:
    """Back up the database and the evidence files into one .tar.gz."""
    from .backup import create_backup, describe

    try:
        result = create_backup(output, _upload_dir(), utcnow())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.session.remove()
    click.echo(_("สำรองข้อมูลแล้ว: %(path)s", path=result.path))
    click.echo(f"  {describe(result.manifest)}")
    if result.evidence.ok:
        click.echo(_("  ตรวจไฟล์หลักฐาน %(count)s รายการ ถูกต้องทั้งหมด", count=result.evidence.checked))
    else:
        click.echo(
            _(
                "  คำเตือน: ไฟล์หลักฐานมีปัญหา %(count)s รายการ (ไฟล์สำรองเก็บไฟล์ไว้ตามสภาพที่เป็นอยู่):",
                count=len(result.evidence.problems),
            ),
            err=True,
        )
        _report_problems(result.evidence)


@click.command(
    "restore",
    help=_l("กู้คืนฐานข้อมูลและไฟล์หลักฐานจากไฟล์สำรองของ `tracker backup`\n\nหยุดเว็บเซิร์ฟเวอร์และตัวตั้งเวลาก่อน"),
)
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@option("--yes", is_flag=True, help=_l("เขียนทับฐานข้อมูลและโฟลเดอร์ไฟล์ที่มีข้อมูลอยู่แล้ว"))
@with_appcontext
def restore_command(archive: Path, yes: bool) -> None:
    """Restore the database and evidence files from a `tracker backup` archive."""
    from .backup import describe, restore_backup

    try:
        result = restore_backup(archive, _upload_dir(), overwrite=yes)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.session.remove()
    click.echo(_("กู้คืนแล้ว: %(backup)s", backup=describe(result.manifest)))
    if result.upgraded_from:
        click.echo(_("  ปรับโครงสร้างฐานข้อมูลจากรุ่น %(revision)s เป็นรุ่นปัจจุบันแล้ว", revision=result.upgraded_from))
    click.echo(
        _(
            "  ไฟล์: กู้คืน %(restored)s รายการ ลบ %(removed)s รายการ",
            restored=result.files_restored,
            removed=len(result.files_removed),
        )
    )
    if not result.evidence.ok:
        click.echo(
            _("  คำเตือน: ไฟล์หลักฐานบางรายการไม่ตรงกับฐานข้อมูล:"),
            err=True,
        )
        _report_problems(result.evidence)
        sys.exit(1)


@click.command(
    "verify-evidence",
    help=_l("ตรวจไฟล์หลักฐานและไฟล์ที่เผยแพร่ทุกไฟล์กับ sha256 ที่บันทึกไว้\n\nจบด้วยรหัส 1 ถ้ามีไฟล์หายหรือเสียหาย"),
)
@option("--json", "as_json", is_flag=True, help=_l("พิมพ์ผลเป็น JSON"))
@with_appcontext
def verify_evidence_command(as_json: bool) -> None:
    """Re-check every evidence and published file against its sha256 (exit 1 when one is missing or corrupted)."""
    from .evidence import verify_files

    check = verify_files(_upload_dir())
    db.session.remove()
    if as_json:
        click.echo(json.dumps(check.as_dict(), ensure_ascii=False, indent=2))
    elif check.ok:
        click.echo(_("ไฟล์ทั้ง %(count)s รายการครบและถูกต้อง", count=check.checked))
    else:
        click.echo(
            _(
                "ตรวจ %(count)s รายการ: ไม่พบ %(missing)s, เสียหาย %(corrupted)s",
                count=check.checked,
                missing=len(check.of("missing")),
                corrupted=len(check.of("corrupted")),
            )
        )
        _report_problems(check, err=False)
    if not check.ok:
        sys.exit(1)


@click.command(
    "set-password",
    help=_l(
        "ตั้งรหัสผ่านใหม่ให้ผู้ใช้ เช่น ผู้ดูแลที่เข้าระบบไม่ได้\n\n"
        "ถามรหัสผ่านสองครั้ง เว้นแต่ใช้ --password-stdin ใช้นโยบายรหัสผ่านเดียวกับเว็บ และบันทึกการเปลี่ยนแปลงไว้"
    ),
)
@click.argument("email")
@option("--password-stdin", is_flag=True, help=_l("อ่านรหัสผ่านใหม่จาก standard input (สำหรับสคริปต์)"))
@with_appcontext
def set_password_command(email: str, password_stdin: bool) -> None:
    """Set a user's password (an administrator locked out): the password policy applies; journaled."""
    from ..auth.models import User
    from ..auth.services import PASSWORD_RULE, set_password

    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(_("ไม่พบผู้ใช้ %(email)s", email=email))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            _("รหัสผ่านใหม่ (%(rule)s)", rule=PASSWORD_RULE), hide_input=True, confirmation_prompt=True
        )
    # The operator may reset anyone, provincial accounts included (unlike an organization's admin).
    try:
        set_password(user, None, utcnow(), password, note="tracker set-password")
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(_("ตั้งรหัสผ่านใหม่ให้ %(email)s แล้ว", email=user.email))


ops_commands = [backup_command, restore_command, verify_evidence_command, set_password_command]
