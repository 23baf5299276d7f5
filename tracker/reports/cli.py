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
from ..plans.queries import plan_by_slug
from .memo_options import memo_options, parse_memo_date, read_text_file

__all__ = ["report_commands", "report_command", "write_atomically", "fiscal_year_arg"]


def write_atomically(path: Path, data: bytes) -> None:
    """Write the whole file or nothing: a temporary file beside it, then a rename."""
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ServiceError(f"ไม่พบโฟลเดอร์ {folder} (no such folder)")
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
        raise ServiceError(f"ปีงบประมาณต้องเป็นตัวเลข พ.ศ. เช่น 2566: “{text[:20]}” (the year must be a BE year)")
    return int(raw)


@click.command("report")
@click.option("--org", "org_slug", required=True, help="Organization slug, e.g. banpet.")
@click.option("--year", required=True, help="Fiscal year of the plan (Buddhist Era), e.g. 2566.")
@click.option(
    "--as-of", "as_of", default=None, help="Report date: 2023-03-31, 31/03/2566 or '31 มี.ค. 2566' (default: today)."
)
@click.option("--round", "round_", default=None, help="6 (31 มี.ค.) or 12 (30 ก.ย.) months of the fiscal year.")
@click.option("--format", "fmt", required=True, type=click.Choice(["html", "pdf", "docx", "odt", "xlsx"]))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@click.option(
    "--thai-digits/--arabic-digits",
    "thai_digits",
    default=None,
    help="Thai (๐–๙) or Arabic digits (default: the organization's setting, Thai unless changed).",
)
@click.option("--reporter-name", default=None, help="ผู้รายงาน (default: the organization's administrator).")
@click.option("--reporter-position", default=None)
@click.option("--reviewer-name", default=None, help="ผู้ตรวจสอบ (default: the first manager).")
@click.option("--reviewer-position", default=None)
@click.option(
    "--cover",
    is_flag=True,
    help="Write the covering memo (บันทึกข้อความนำส่ง, pdf, docx or odt) instead of the report; needs --date.",
)
@memo_options
@click.option(
    "--findings",
    "findings_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="UTF-8 text file: paragraphs added to the covering memo's ข้อเท็จจริง.",
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
    """Write the follow-up results report (ITA O43) of a plan, or its covering memo (--cover).

    รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน
    """
    from .cover import COVER_DATE_REQUIRED, build_cover, render_cover
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
        raise click.UsageError(
            f"{', '.join(given)} ใช้กับ --cover (บันทึกข้อความนำส่ง) เท่านั้น (these options are for the covering memo)"
        )
    if cover and fmt not in ("pdf", "docx", "odt"):
        raise click.UsageError("บันทึกข้อความนำส่ง (--cover) เขียนได้เป็น --format pdf, docx หรือ odt เท่านั้น")
    day_of_memo = parse_memo_date(memo_date)
    if cover and day_of_memo is None:
        raise click.UsageError(COVER_DATE_REQUIRED + " เช่น --date '5 เม.ย. 2566'")
    findings = read_text_file(findings_file, "ข้อเท็จจริง") or ""

    try:
        org, plan = plan_by_slug(org_slug, fiscal_year_arg(year))
        day, _ = resolve_as_of(plan.fiscal_year, as_of, round_, clock.now().date())
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
            write_atomically(output, render_cover(memo, fmt))
        else:
            write_atomically(output, render_report(report, fmt))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"เขียนไฟล์ {output} ไม่ได้ (cannot write the file: {exc.strerror or exc})") from None
    finally:
        db.session.rollback()  # the report only reads
    what = "บันทึกข้อความนำส่งรายงาน" if cover else "รายงาน"
    click.echo(f"เขียน{what} ณ วันที่ {thaidate.format_date(day)} ลงไฟล์ {output} แล้ว (report written)")


report_commands = [report_command]
