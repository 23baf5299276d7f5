"""The บันทึกข้อความ's header fields as command-line options, shared by `tracker analysis`
and `tracker report --cover`, and the readers of their values (bad values: usage
errors, exit code 2)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from .. import thaidate

__all__ = ["memo_options", "parse_memo_date", "read_text_file"]


#: The บันทึกข้อความ's header fields, shared by `tracker analysis` and `tracker report`.
def memo_options(command):
    for option in reversed(
        [
            click.option("--number", "reference", default=None, help="ที่ (reference), e.g. 'กยง 494/2565'."),
            click.option(
                "--date",
                "memo_date",
                default=None,
                help="วันที่ของบันทึก (required unless saved on the web): 12/10/2565, '12 ต.ค. 2565' or 2022-10-12.",
            ),
            click.option(
                "--office", default=None, help="ส่วนราชการ (default: the saved one or the plan admin's department)."
            ),
            click.option("--addressee", default=None, help="เรียน (default: the head of the organization)."),
        ]
    ):
        command = option(command)
    return command


def parse_memo_date(text: str | None) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return thaidate.parse_date(text.strip())
    except thaidate.DateParseError as exc:
        raise click.UsageError(f"วันที่ของบันทึก (--date): {exc}") from None


def read_text_file(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"อ่านไฟล์{what} {path} ไม่ได้ (cannot read it as UTF-8 text: {exc})") from None
