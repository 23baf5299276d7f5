"""The บันทึกข้อความ's header fields as command-line options, shared by `tracker analysis`
and `tracker report --cover`, and the readers of their values (bad values: usage
errors, exit code 2)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from .. import thaidate
from ..i18n import _, _l, option

__all__ = ["memo_options", "parse_memo_date", "read_text_file"]


#: The บันทึกข้อความ's header fields, shared by `tracker analysis` and `tracker report`.
def memo_options(command):
    for decorator in reversed(
        [
            option("--number", "reference", default=None, help=_l("ที่ของบันทึก เช่น 'กยง 494/2565'")),
            option(
                "--date",
                "memo_date",
                default=None,
                help=_l("วันที่ของบันทึก ต้องระบุถ้ายังไม่ได้บันทึกไว้ในเว็บ: 12/10/2565, '12 ต.ค. 2565' หรือ 2022-10-12"),
            ),
            option(
                "--office",
                default=None,
                help=_l("ส่วนราชการ ค่าเริ่มต้นคือที่บันทึกไว้ หรือหน่วยงานของผู้ดูแลแผน"),
            ),
            option("--addressee", default=None, help=_l("เรียน ค่าเริ่มต้นคือหัวหน้าองค์กร")),
        ]
    ):
        command = decorator(command)
    return command


def parse_memo_date(text: str | None) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return thaidate.parse_date(text.strip())
    except thaidate.DateParseError as exc:
        raise click.UsageError(_("วันที่ของบันทึก (--date): %(error)s", error=exc)) from None


def read_text_file(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(
            _("อ่านไฟล์%(what)s %(path)s เป็นข้อความ UTF-8 ไม่ได้: %(error)s", what=what, path=path, error=exc)
        ) from None
