"""`tracker report`: the O43 follow-up results report to a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from .. import clock, thaidate
from ..db import db
from ..errors import ServiceError
from ..i18n import _, _l, option
from ..plans.queries import plan_by_slug
from .memo_options import memo_options, parse_memo_date, read_text_file

__all__ = ["report_commands", "report_command", "write_atomically", "fiscal_year_arg"]


def write_atomically(path: Path, data: bytes) -> None:
    """Write the whole file or nothing: a temporary file beside it, then a rename."""
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ServiceError(_("ไม่พบโฟลเดอร์ %(folder)s", folder=folder))
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def fiscal_year_arg(text: str) -> int:
    """A fiscal year typed on the command line (BE, Thai or Arabic digits)."""
    raw = thaidate.to_arabic_digits(text.strip())
    if not raw.isdigit():
        raise ServiceError(_("ปีงบประมาณต้องเป็นตัวเลข พ.ศ. เช่น 2566: “%(text)s”", text=text[:20]))
    return int(raw)


@click.command(
    "report",
    help=_l(
        "เขียนรายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน (ITA) ของแผน "
        "หรือบันทึกข้อความนำส่งรายงาน (--cover)"
    ),
)
@option("--org", "org_slug", required=True, help=_l("รหัสองค์กร เช่น banpet"))
@option("--year", required=True, help=_l("ปีงบประมาณ พ.ศ. ของแผน เช่น 2566"))
@option(
    "--as-of",
    "as_of",
    default=None,
    help=_l("วันที่ของรายงาน: 2023-03-31, 31/03/2566 หรือ '31 มี.ค. 2566' ค่าเริ่มต้นคือวันนี้"),
)
@option("--round", "round_", default=None, help=_l("รอบ 6 เดือน (31 มี.ค.) หรือ 12 เดือน (30 ก.ย.) ของปีงบประมาณ"))
@click.option("--format", "fmt", required=True, type=click.Choice(["html", "pdf", "docx", "xlsx"]))
@option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help=_l("ไฟล์ที่จะเขียน"))
@option(
    "--thai-digits/--arabic-digits",
    "thai_digits",
    default=None,
    help=_l("เลขไทย (๐–๙) หรือเลขอารบิก ค่าเริ่มต้นตามการตั้งค่าขององค์กร (เลขไทย ถ้าไม่ได้เปลี่ยน)"),
)
@option("--reporter-name", default=None, help=_l("ผู้รายงาน ค่าเริ่มต้นคือผู้ดูแลระบบขององค์กร"))
@click.option("--reporter-position", default=None)
@option("--reviewer-name", default=None, help=_l("ผู้ตรวจสอบ ค่าเริ่มต้นคือผู้บริหารคนแรก"))
@click.option("--reviewer-position", default=None)
@option(
    "--cover",
    is_flag=True,
    help=_l("เขียนบันทึกข้อความนำส่ง (pdf หรือ docx) แทนรายงาน ต้องระบุ --date"),
)
@memo_options
@option(
    "--findings",
    "findings_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_l("ไฟล์ข้อความ UTF-8: ย่อหน้าที่เพิ่มในข้อเท็จจริงของบันทึกข้อความนำส่ง"),
)
@with_appcontext
def report_command(
    org_slug: str,
    year: str,
    as_of: str | None,
    round_: str | None,
    fmt: str,
    output: Path,
    thai_digits: bool | None,
    reporter_name: str | None,
    reporter_position: str | None,
    reviewer_name: str | None,
    reviewer_position: str | None,
    cover: bool,
    reference: str | None,
    memo_date: str | None,
    office: str | None,
    addressee: str | None,
    findings_file: Path | None,
) -> None:
    """Write the follow-up results report (ITA O43) of a plan, or its covering memo (--cover)."""
    from .cover import COVER_DATE_REQUIRED, build_cover, cover_docx, render_cover_pdf
    from .followup import build_report, resolve_as_of
    from .signoff import followup_chain
    from .views import render_report

    given = [
        name
        for name, value in (
            ("--number", reference),
            ("--date", memo_date),
            ("--office", office),
            ("--addressee", addressee),
            ("--findings", findings_file),
        )
        if value
    ]
    if given and not cover:
        raise click.UsageError(_("%(options)s ใช้กับ --cover (บันทึกข้อความนำส่ง) เท่านั้น", options=", ".join(given)))
    if cover and fmt not in ("pdf", "docx"):
        raise click.UsageError(_("บันทึกข้อความนำส่ง (--cover) เขียนได้เป็น --format pdf หรือ docx เท่านั้น"))
    day_of_memo = parse_memo_date(memo_date)
    if cover and day_of_memo is None:
        raise click.UsageError(_(COVER_DATE_REQUIRED) + " " + _("เช่น --date '%(example)s'", example="5 เม.ย. 2566"))
    findings = read_text_file(findings_file, _("ข้อเท็จจริง")) or ""

    try:
        org, plan = plan_by_slug(org_slug, fiscal_year_arg(year))
        day = resolve_as_of(plan.fiscal_year, as_of, round_, clock.now().date())[0]
        report = build_report(
            plan,
            day,
            thai_digits=org.official_thai_digits if thai_digits is None else thai_digits,
            reporter_name=reporter_name,
            reporter_position=reporter_position,
            reviewer_name=reviewer_name,
            reviewer_position=reviewer_position,
            signoff=followup_chain(plan, day),
        )
        if cover:
            memo = build_cover(
                plan,
                report,
                memo_date=day_of_memo,
                reference=reference or "",
                office=office or "",
                addressee=addressee or "",
                findings=findings,
            )
            write_atomically(output, render_cover_pdf(memo) if fmt == "pdf" else cover_docx(memo))
        else:
            write_atomically(output, render_report(report, fmt))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            _("เขียนไฟล์ %(output)s ไม่ได้: %(why)s", output=output, why=exc.strerror or exc)
        ) from None
    finally:
        db.session.rollback()  # the report only reads
    written = (
        _("เขียนบันทึกข้อความนำส่งรายงาน ณ วันที่ %(day)s ลงไฟล์ %(output)s แล้ว", day=thaidate.format_date(day), output=output)
        if cover
        else _("เขียนรายงาน ณ วันที่ %(day)s ลงไฟล์ %(output)s แล้ว", day=thaidate.format_date(day), output=output)
    )
    click.echo(written)


report_commands = [report_command]
