"""Plan commands: import-plan, export-plan, plan-template, status.

Each command commits only when it succeeded; problems are printed to stderr
without a traceback and end with exit code 1 (click uses 2 for usage errors).
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn, Protocol

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from .. import clock
from ..clock import utcnow
from ..db import SchemaOutdated, db, prepare_database
from ..i18n import _, _l, gettext_anywhere, option
from ..orgs.models import Organization
from ..thaidate import format_date, format_period, parse_date, to_arabic_digits
from .models import Plan, Step, StepStatus
from .planfile import PlanFileError, PlanSpec, load_plan_file


class _YearType(click.ParamType):
    """A BE year in Arabic or Thai digits (2566 or ๒๕๖๖)."""

    name = "year"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = to_arabic_digits(str(value)).strip()
        if not text.isdigit():
            # Arguments are read before the app (and its context) is loaded.
            self.fail(gettext_anywhere("ปี พ.ศ. ต้องเป็นตัวเลข เช่น 2566 ไม่ใช่ %(value)r", value=value), param, ctx)
        return int(text)


class _DateType(click.ParamType):
    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return parse_date(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


YEAR = _YearType()
DATE = _DateType()


def _prepare_database() -> None:
    try:
        # _get_current_object is LocalProxy's; the stubs type current_app as Flask itself.
        prepare_database(current_app._get_current_object())  # type: ignore[attr-defined]
    except SchemaOutdated as exc:
        raise click.ClickException(str(exc)) from None


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    raise SystemExit(1)


class _Refusal(Protocol):
    """A file's refusal listing every problem (a plan file's, an ITA score file's)."""

    @property
    def problems(self) -> Sequence[object]: ...


def _report_problems(error: _Refusal, source: str) -> NoReturn:
    count = len(error.problems)
    _fail(
        [_("%(source)s: พบปัญหา %(count)s รายการ ไม่ได้นำเข้าสิ่งใด:", source=source, count=count)]
        + [f"  - {p}" for p in error.problems]
    )


def _counts(spec_or_plan: PlanSpec | Plan) -> str:
    w, m, s = len(spec_or_plan.weaknesses), len(spec_or_plan.measures), len(spec_or_plan.steps)
    return _("%(w)s ประเด็น · %(m)s มาตรการ · %(s)s ขั้นตอน", w=w, m=m, s=s)


def _find_plan(slug: str, year: int) -> Plan:
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        _fail([_("ไม่พบองค์กรรหัส “%(slug)s”", slug=slug)])
    plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == org.id, Plan.fiscal_year == year))
    if plan is None:
        years = sorted(db.session.scalars(sa.select(Plan.fiscal_year).where(Plan.organization_id == org.id)))
        have = ", ".join(map(str, years)) or "-"
        _fail(
            [
                _(
                    "%(org)s (%(slug)s) ไม่มีแผนปีงบประมาณ %(year)s มีแผนปี: %(have)s",
                    org=org.name,
                    slug=slug,
                    year=year,
                    have=have,
                )
            ]
        )
    return plan


# ---------------------------------------------------------------------------
# import-plan
# ---------------------------------------------------------------------------


def _load_memo(file: Path, slug: str | None, year: int | None, title: str) -> PlanSpec:
    """A plan from the agency's O42 memo (.docx, or its table pasted into a .txt file).

    The organization is --org or the one the memo names; the fiscal year is --year
    or what the memo's periods show; owners go to the existing department of
    (almost) the same name, others become new departments (all printed).
    """
    import difflib

    from ..orgs.models import Department, Organization
    from .memofile import (
        DOCX_SUFFIXES,
        closest_department,
        known_weakness_titles,
        memo_plan_spec,
        parse_memo_docx,
        parse_memo_text,
    )
    from .planfile import MAX_FILE_BYTES, Problem

    _prepare_database()
    try:
        data = file.read_bytes()
    except OSError as exc:
        _fail([_("%(file)s: อ่านไฟล์ไม่ได้ (%(why)s)", file=file, why=exc.strerror)])
    if len(data) > MAX_FILE_BYTES:
        raise PlanFileError([Problem(str(file), _("ไฟล์ใหญ่เกิน %(limit)s MB", limit=MAX_FILE_BYTES // (1024 * 1024)))])
    titles = known_weakness_titles()
    if file.suffix.lower() in DOCX_SUFFIXES:
        draft = parse_memo_docx(data, file.name, titles)
    else:
        try:
            draft = parse_memo_text(data.decode("utf-8-sig"), file.name, titles)
        except UnicodeDecodeError:
            raise PlanFileError([Problem(str(file), _("ไฟล์ข้อความต้องเข้ารหัสแบบ UTF-8"))]) from None
    orgs = db.session.scalars(sa.select(Organization)).all()
    if slug:
        org = next((o for o in orgs if o.slug == slug), None)
        if org is None:
            _fail([_("ไม่พบองค์กร “%(slug)s” สร้างก่อนด้วย tracker org create", slug=slug)])
    else:
        named = draft.organization_name or ""
        ranked = sorted(orgs, key=lambda o: difflib.SequenceMatcher(None, named, o.name).ratio(), reverse=True)
        if not named or not ranked or difflib.SequenceMatcher(None, named, ranked[0].name).ratio() < 0.85:
            _fail(
                [
                    _("บันทึกระบุองค์กร “%(named)s” ซึ่งไม่มีในระบบ โปรดระบุ --org รหัสองค์กร", named=named)
                    if named
                    else _("บันทึกไม่ได้ระบุองค์กร โปรดระบุ --org รหัสองค์กร")
                ]
            )
        org = ranked[0]
    fiscal_year = year or draft.fiscal_year
    if fiscal_year is None:
        _fail([_("บันทึกไม่ได้ระบุปีงบประมาณของมาตรการ โปรดระบุ --year เช่น --year 2569")])
    departments = [
        d.name for d in db.session.scalars(sa.select(Department).where(Department.organization_id == org.id))
    ]
    owner_map: dict[str, str] = {}
    for name in draft.owner_names():
        match, ratio = closest_department(name, departments, cutoff=0.85)
        owner_map[name] = match or name
        if match and match != name:
            click.echo(_("ผู้รับผิดชอบ “%(name)s” → หน่วยงาน “%(match)s”", name=name, match=match))
        elif not match:
            click.echo(_("ผู้รับผิดชอบ “%(name)s” → หน่วยงานใหม่", name=name))
    for note in draft.notes:
        click.echo(
            _("ตรวจ: %(place)s: %(message)s", place=note.place, message=note.message)
            + (f" (“{note.raw}”)" if note.raw else ""),
            err=True,
        )
    return memo_plan_spec(
        draft, {"name": org.name, "slug": org.slug, "province": org.province or ""}, fiscal_year, title, owner_map
    )


@click.command(
    "import-plan",
    help=_l(
        "นำเข้าแผนจากไฟล์ .yaml/.yml/.xlsx หรือบันทึกข้อความมาตรการของหน่วยงาน (.docx หรือตารางที่วางใน .txt) นำเข้าไฟล์เดิมซ้ำจะปรับปรุงแผนเดิม"
    ),
)
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@option("--dry-run", is_flag=True, help=_l("ตรวจและแสดงสิ่งที่จะเปลี่ยน โดยไม่บันทึก"))
@option(
    "--org",
    "slug",
    default=None,
    help=_l("บันทึกข้อความ (.docx/.txt): รหัสองค์กร ถ้าไม่ระบุใช้องค์กรที่บันทึกระบุ"),
)
@option(
    "--year",
    type=YEAR,
    default=None,
    help=_l("บันทึกข้อความ: ปีงบประมาณของมาตรการ ถ้าไม่ระบุอ่านจากระยะเวลาดำเนินการ"),
)
@option("--title", default="", help=_l("บันทึกข้อความ: ชื่อแผน"))
@with_appcontext
def import_plan_command(file: Path, dry_run: bool, slug: str | None, year: int | None, title: str) -> None:
    """Import a plan file or an agency's O42 memo; the same file again updates the plan in place."""
    from .importer import import_plan
    from .memofile import DOCX_SUFFIXES, TEXT_SUFFIXES

    try:
        if file.suffix.lower() in DOCX_SUFFIXES + TEXT_SUFFIXES and file.is_file():
            spec = _load_memo(file, slug, year, title)
        else:
            spec = load_plan_file(file)
    except PlanFileError as exc:
        _report_problems(exc, str(file))
    _prepare_database()
    try:
        result = import_plan(spec, None, utcnow())
        db.session.flush()
    except PlanFileError as exc:
        db.session.rollback()
        _report_problems(exc, str(file))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        error = f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
        _fail([_("ฐานข้อมูลไม่รับการบันทึก ไม่ได้นำเข้าสิ่งใด: %(error)s", error=error)])
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()

    o = spec.organization
    lines = [
        _("%(org)s (%(slug)s) · ปีงบประมาณ %(year)s", org=o.name, slug=o.slug, year=spec.fiscal_year),
        spec.title,
        _counts(spec),
    ]
    if dry_run:
        lines.append(_("ทดลองนำเข้าเท่านั้น ไม่ได้บันทึก"))
    if result.created:
        lines.append(_("สร้างแผนใหม่:") if not dry_run else _("จะสร้างแผนใหม่:"))
    elif result.changes:
        n = len(result.changes)
        lines.append(_("ปรับปรุงแผน %(n)s รายการ:", n=n) if not dry_run else _("จะปรับปรุงแผน %(n)s รายการ:", n=n))
    else:
        lines.append(_("ไม่มีการเปลี่ยนแปลง"))
    lines += [f"  - {change}" for change in result.changes]
    click.echo("\n".join(lines))


# ---------------------------------------------------------------------------
# export-plan, plan-template
# ---------------------------------------------------------------------------


@click.command("export-plan", help=_l("ส่งออกแผนเป็นไฟล์แผนที่นำเข้ากลับด้วย import-plan ได้"))
@option("--org", "slug", required=True, help=_l("รหัสองค์กร เช่น banpet"))
@option("--year", required=True, type=YEAR, help=_l("ปีงบประมาณ พ.ศ. เช่น 2566"))
@option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    help=_l("ไฟล์ .yaml/.yml/.xlsx (ตามนามสกุล) หรือ - เพื่อพิมพ์ YAML ออกทางหน้าจอ"),
)
@with_appcontext
def export_plan_command(slug: str, year: int, output: str) -> None:
    """Export a plan in the import-plan format."""
    from .exporter import export_plan_xlsx, export_plan_yaml

    suffix = Path(output).suffix.lower()
    if output != "-" and suffix not in (".yaml", ".yml", ".xlsx"):
        raise click.BadParameter(_("ใช้นามสกุล .yaml .yml หรือ .xlsx"), param_hint="'-o'")
    _prepare_database()
    plan = _find_plan(slug, year)
    if output == "-":
        # Bytes, not text: the file must be the same whatever the terminal's encoding.
        sys.stdout.flush()
        sys.stdout.buffer.write(export_plan_yaml(plan).encode("utf-8"))
        sys.stdout.buffer.flush()
        return
    data = export_plan_xlsx(plan) if suffix == ".xlsx" else export_plan_yaml(plan).encode("utf-8")
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        _fail([_("เขียนไฟล์ %(output)s ไม่ได้: %(why)s", output=output, why=exc.strerror)])
    click.echo(_("เขียน %(output)s แล้ว: %(counts)s", output=output, counts=_counts(plan)))


@click.command("plan-template", help=_l("สร้างแบบฟอร์มแผน Excel เปล่าที่มีแผ่นงานตัวอย่าง"))
@option("-o", "--output", required=True, help=_l("ไฟล์ .xlsx ที่จะสร้าง"))
def plan_template_command(output: str) -> None:
    """Write an empty XLSX plan form with an example sheet."""
    from .exporter import plan_template_xlsx

    if Path(output).suffix.lower() != ".xlsx":
        raise click.BadParameter(_("ชื่อไฟล์ต้องลงท้ายด้วย .xlsx"), param_hint="'-o'")
    try:
        Path(output).write_bytes(plan_template_xlsx())
    except OSError as exc:
        _fail([_("เขียนไฟล์ %(output)s ไม่ได้: %(why)s", output=output, why=exc.strerror)])
    click.echo(_("เขียนแบบฟอร์ม %(output)s แล้ว กรอกแล้วนำเข้าด้วย tracker import-plan %(output)s", output=output))


# ---------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------


def _ordered_steps(plan: Plan) -> list[Step]:
    return [s for w in plan.weaknesses for m in w.measures for s in m.steps]


def step_status_rows(plan: Plan) -> list[dict]:
    """The rows of `tracker status --json`, in plan order."""
    return [
        {
            "id": s.id,
            "measure": s.measure.number,
            "order": s.order,
            "title": s.title,
            "owner_department": s.owner_department.name,
            "start": s.start_date.isoformat(),
            "due": s.due_date.isoformat(),
            "status": s.status.value,
            "completed_at": s.completed_at.isoformat() if s.completed_at else None,
        }
        for s in _ordered_steps(plan)
    ]


def _width(text: str) -> int:
    """Columns a terminal gives the text: Thai vowel and tone marks take none."""
    return sum(0 if unicodedata.category(ch) in ("Mn", "Me", "Cf") else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """Cut to `width` columns (with …) and pad to it."""
    if _width(text) > width:
        out = ""
        for ch in text:
            if _width(out + ch) > width - 1:
                break
            out += ch
        text = out + "…"
    return text + " " * (width - _width(text))


@click.command("status", help=_l("สถานะและวันครบกำหนดของทุกขั้นตอนในแผน"))
@option("--org", "slug", required=True, help=_l("รหัสองค์กร"))
@option("--year", required=True, type=YEAR, help=_l("ปีงบประมาณ พ.ศ."))
@option("--json", "as_json", is_flag=True, help=_l('พิมพ์ JSON {"steps": [...]} สำหรับสคริปต์'))
@option(
    "--today",
    type=DATE,
    default=None,
    help=_l("วันที่ใช้ตัดสินว่าเลยกำหนด ค่าเริ่มต้นคือวันนี้ (เวลากรุงเทพฯ)"),
)
@with_appcontext
def status_command(slug: str, year: int, as_json: bool, today: date | None) -> None:
    """Every step of a plan with its status and due date."""
    _prepare_database()
    plan = _find_plan(slug, year)
    if as_json:
        click.echo(json.dumps({"steps": step_status_rows(plan)}, ensure_ascii=False, indent=2))
        return
    today = today or clock.now().date()
    steps = _ordered_steps(plan)
    done = sum(1 for s in steps if s.status is StepStatus.done)
    overdue = sum(1 for s in steps if s.is_overdue(today))
    org = plan.organization
    out = [
        _("%(org)s (%(slug)s) · ปีงบประมาณ %(year)s", org=org.name, slug=org.slug, year=plan.fiscal_year)
        + f" · {_(plan.status.label)}",
        plan.title,
        _(
            "ดำเนินการแล้ว %(done)s/%(total)s ขั้นตอน · เลยกำหนด %(overdue)s ขั้นตอน ณ %(day)s",
            done=done,
            total=len(steps),
            overdue=overdue,
            day=format_date(today),
        ),
    ]
    header = (
        f"  {_fit(_('ขั้นตอน'), 8)}{_fit(_('สถานะ'), 16)}{_fit(_('กำหนดเสร็จ'), 15)}"
        f"{_fit(_('ผู้รับผิดชอบ'), 26)}{_('ชื่อขั้นตอน')}"
    )
    for measure in plan.measures:
        m_done = sum(1 for s in measure.steps if s.status is StepStatus.done)
        out += [
            "",
            _("มาตรการ %(number)s %(title)s", number=measure.number, title=measure.title),
            f"  {measure.owner_department.name} · {format_period(measure.period_start, measure.period_end)} · "
            + _("เสร็จ %(done)s/%(total)s", done=m_done, total=len(measure.steps)),
            header,
        ]
        for step in measure.steps:
            status = _(step.status.label) + (" !" if step.is_overdue(today) else "")
            out.append(
                f"  {_fit(step.number, 8)}{_fit(status, 16)}{_fit(format_date(step.due_date), 15)}"
                f"{_fit(step.owner_department.name, 26)}{_fit(step.title, 60).rstrip()}"
            )
    if overdue:
        out += ["", _("! = เลยกำหนดแล้วและยังไม่เสร็จ")]
    click.echo("\n".join(out))


@click.command(
    "counters",
    help=_l(
        "ตรวจตัวนับรายแผนของหน้าภาพรวมกับการนับใหม่ (หรือสร้างใหม่ด้วย --rebuild)\n\n"
        "ระบบปรับตัวนับทุกครั้งที่แก้ไขผ่านระบบ การสร้างใหม่ใช้กับข้อมูลที่เขียนโดยไม่ผ่านระบบ "
        "เช่น การโหลดข้อมูลจำนวนมาก หรือการกู้คืนที่แก้ด้วยมือ"
    ),
)
@option("--rebuild", is_flag=True, help=_l("นับใหม่ทุกแผนและบันทึกตัวนับ"))
@with_appcontext
def counters_command(rebuild: bool) -> None:
    """Check the overview's per-plan counters against a recount (or rebuild them).

    They are kept in step with every change made through the app; a rebuild is
    for data written around it (a bulk load, a hand-edited restore)."""
    from . import counters

    _prepare_database()
    conn = db.session.connection()
    if rebuild:
        counters.rebuild(conn)
        db.session.commit()
        click.echo(_("นับใหม่และบันทึกตัวนับของทุกแผนแล้ว"))
        return
    problems = counters.mismatches(conn)
    if problems:
        _fail(
            [_("ตัวนับไม่ตรงกับการนับใหม่ %(count)s รายการ:", count=len(problems)), *problems[:50]]
            + [_("แก้ได้ด้วย tracker counters --rebuild")]
        )
    click.echo(_("ตัวนับของทุกแผนตรงกับการนับใหม่"))


plan_commands: list[click.Command] = [
    import_plan_command,
    export_plan_command,
    plan_template_command,
    status_command,
    counters_command,
]
