"""Writing plans out: the YAML plan file, the XLSX form and its empty template.

The YAML written here is the format `planfile` reads, with every step's due
date explicit, so export → import → export gives the same bytes.
"""

from __future__ import annotations

import calendar
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

import yaml

from ..thaidate import format_period
from .models import Measure, Plan, PlanStatus, Step
from .planfile import (
    DEPARTMENT_COLUMNS,
    DEPARTMENTS_SHEET,
    EXAMPLE_SHEET,
    PLAN_FIELDS,
    PLAN_SHEET,
    PLAN_SHEET_HEADER,
    STEP_COLUMNS,
    STEPS_SHEET,
)
from .planfile.xlsx_layout import Column

__all__ = ["export_plan_yaml", "export_plan_xlsx", "plan_template_xlsx", "plan_to_dict", "period_value"]

# Characters that make a spreadsheet treat a cell as a formula (or DDE) when typed or imported.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Flow(dict):
    """A mapping written on one line: {name: …, slug: …}."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper that indents list items under their key, as people write YAML."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


_Dumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)
)


def _whole_months(start: date, end: date) -> bool:
    return start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]


def period_value(measure: Measure) -> Any:
    """ "ก.ค. – ก.ย. ๒๕๖๖" for whole months; {start, end} when the days matter."""
    if _whole_months(measure.period_start, measure.period_end):
        return format_period(measure.period_start, measure.period_end)
    return _Flow(start=measure.period_start, end=measure.period_end)


def _step_dict(step: Step, measure: Measure) -> dict:
    out: dict[str, Any] = {"title": step.title}
    if step.start_date != measure.period_start:
        out["start"] = step.start_date
    out["due"] = step.due_date
    if step.owner_department_id != measure.owner_department_id:
        out["owner"] = step.owner_department.name
    if step.assignee is not None:
        out["assignee"] = step.assignee.email
    return out


def plan_to_dict(plan: Plan) -> dict:
    """The plan as the nested data of a plan file."""
    org = plan.organization
    data: dict[str, Any] = {
        "organization": _Flow(name=org.name, slug=org.slug, province=org.province),
        "fiscal_year": plan.fiscal_year,
        "title": plan.title,
    }
    if plan.status is not PlanStatus.active:
        data["status"] = plan.status.value
    # Creation order (id), not name: collation differs between databases.
    departments = sorted(org.departments, key=lambda d: d.id)
    if departments:
        data["departments"] = [
            _Flow(name=d.name, email=d.email) if d.email else _Flow(name=d.name) for d in departments
        ]
    weaknesses = []
    for weakness in plan.weaknesses:
        w: dict[str, Any] = {"title": weakness.title}
        if weakness.detail:
            w["detail"] = weakness.detail
        measures = []
        for measure in weakness.measures:
            m: dict[str, Any] = {
                "title": measure.title,
                "owner": measure.owner_department.name,
                "period": period_value(measure),
            }
            if measure.follow_up:
                m["follow_up"] = measure.follow_up
            m["steps"] = [_step_dict(s, measure) for s in measure.steps]
            measures.append(m)
        w["measures"] = measures
        weaknesses.append(w)
    data["weaknesses"] = weaknesses
    return data


def export_plan_yaml(plan: Plan) -> str:
    """The plan as a YAML plan file (UTF-8 text, Thai kept as is)."""
    # One line each: a title with a line break would otherwise spill out of the comment.
    title, org_name = (" ".join(text.split()) for text in (plan.title, plan.organization.name))
    header = f"# {title}\n# {org_name} ปีงบประมาณ {plan.fiscal_year}: ไฟล์แผนสำหรับ `tracker import-plan`\n"
    body = yaml.dump(
        plan_to_dict(plan),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=4096,  # one line per title: long Thai lines folded by YAML are hard to edit
        indent=2,
    )
    return header + body


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------


def write_cell(cell, value: Any) -> None:
    """Write a value; text is always stored as text, never as a formula.

    openpyxl turns any string starting with "=" into a formula, and Excel
    evaluates = + - @ when such text is typed or pasted back. Text cells are
    forced to the string type and given Excel's own apostrophe prefix
    (quotePrefix), so "=HYPERLINK(…)" is shown and kept as plain text while the
    stored value stays exactly what the officer wrote.
    """
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = value


def _workbook():
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    return wb


def _header(ws, columns: Iterable[Column], notes: bool) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    fill = PatternFill("solid", fgColor="DDEBF7")
    for idx, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=idx)
        write_cell(cell, column.header)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if notes and column.help:
            cell.comment = Comment(column.help, "ITA tracker", width=260, height=90)
        ws.column_dimensions[get_column_letter(idx)].width = column.width
    ws.freeze_panes = "A2"


def _steps_rows(plan: Plan) -> list[list[Any]]:
    rows = []
    for weakness in plan.weaknesses:
        for measure in weakness.measures:
            period = period_value(measure)
            if isinstance(period, dict):
                period = f"{period['start'].isoformat()} – {period['end'].isoformat()}"
            for step in measure.steps:
                values = {
                    "weakness_no": weakness.order,
                    "weakness_title": weakness.title,
                    "weakness_detail": weakness.detail or None,
                    "measure_no": measure.order,
                    "measure_title": measure.title,
                    "owner": measure.owner_department.name,
                    "period": period,
                    "follow_up": measure.follow_up or None,
                    "step_no": step.order,
                    "step_title": step.title,
                    "step_owner": step.owner_department.name
                    if step.owner_department_id != measure.owner_department_id
                    else None,
                    "start": step.start_date if step.start_date != measure.period_start else None,
                    "due": step.due_date,
                    "assignee": step.assignee.email if step.assignee else None,
                }
                rows.append([values[c.key] for c in STEP_COLUMNS])
    return rows


def _fill_steps(ws, rows: list[list[Any]]) -> None:
    from openpyxl.styles import Alignment

    top = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            write_cell(cell, value)
            cell.alignment = top


def _plan_sheet(wb, values: dict[tuple, Any]) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet(PLAN_SHEET)
    for idx, text in enumerate(PLAN_SHEET_HEADER, start=1):
        write_cell(ws.cell(row=1, column=idx), text)
        ws.cell(row=1, column=idx).font = Font(bold=True)
    for r, (path, thai, english) in enumerate(PLAN_FIELDS, start=2):
        write_cell(ws.cell(row=r, column=1), f"{thai} ({english})")
        value = values.get(path)
        if value is not None:
            write_cell(ws.cell(row=r, column=2), value)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 80


def _departments_sheet(wb, departments: list[tuple[str, str | None]]) -> None:
    ws = wb.create_sheet(DEPARTMENTS_SHEET)
    _header(ws, DEPARTMENT_COLUMNS, notes=False)
    for r, (name, email) in enumerate(departments, start=2):
        write_cell(ws.cell(row=r, column=1), name)
        if email:
            write_cell(ws.cell(row=r, column=2), email)


def _save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_plan_xlsx(plan: Plan) -> bytes:
    """The plan in the XLSX form `import-plan` reads: one row per step."""
    wb = _workbook()
    ws = wb.create_sheet(STEPS_SHEET)
    _header(ws, STEP_COLUMNS, notes=True)
    _fill_steps(ws, _steps_rows(plan))
    org = plan.organization
    _plan_sheet(
        wb,
        {
            ("organization", "name"): org.name,
            ("organization", "slug"): org.slug,
            ("organization", "province"): org.province or None,
            ("fiscal_year",): plan.fiscal_year,
            ("title",): plan.title,
            ("status",): plan.status.value,
        },
    )
    _departments_sheet(wb, [(d.name, d.email) for d in sorted(org.departments, key=lambda d: d.id)])
    return _save(wb)


#: The example sheet of the template: the first measure of the Ban Pet plan, shortened.
_EXAMPLE_ROWS: list[list[Any]] = [
    [
        1,
        "การใช้ทรัพย์สินของราชการ",
        "มีบุคลากรบางรายนำทรัพย์สินของทางราชการไปใช้เพื่อประโยชน์ส่วนตน",
        1,
        "โครงการเสริมสร้างความโปร่งใสในการใช้ทรัพย์สินทางราชการ",
        "สำนักปลัดเทศบาล",
        "ก.ค. - ก.ย. ๒๕๖๖",
        "การประกาศแนวทางปฏิบัติ/ระเบียบการใช้ทรัพย์สินของราชการ",
        1,
        "จัดทำประกาศแนวทางปฏิบัติ/ระเบียบการใช้ทรัพย์สินของราชการ",
        None,
        None,
        None,
        None,
    ],
    [
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        2,
        "จัดทำคู่มือเกี่ยวกับแนวทางปฏิบัติเกี่ยวกับการใช้ทรัพย์สินของราชการ",
        None,
        None,
        "15/08/2566",
        None,
    ],
    [None, None, None, None, None, None, None, None, 3, "รายงานผลการดำเนินงาน", None, None, None, None],
    [
        2,
        "การปรับปรุงการทำงาน",
        None,
        1,
        "โครงการพัฒนาระบบการให้บริการประชาชนผ่านระบบอิเล็กทรอนิกส์ (E-Service)",
        "กองยุทธศาสตร์และงบประมาณ",
        "ม.ค. - ก.ย. ๒๕๖๖",
        "รายงานสถิติการให้บริการ E-Service",
        1,
        "การกำหนดและเลือกสรรระบบที่ต้องการพัฒนา",
        None,
        None,
        None,
        None,
    ],
    [
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        2,
        "ดำเนินการหาผู้รับจ้างตามระเบียบพัสดุ",
        "สำนักปลัดเทศบาล",
        "2023-03-01",
        None,
        None,
    ],
]


def plan_template_xlsx() -> bytes:
    """An empty plan form: headers with notes, column widths, and an example sheet."""
    wb = _workbook()
    ws = wb.create_sheet(STEPS_SHEET)
    _header(ws, STEP_COLUMNS, notes=True)
    _plan_sheet(wb, {})
    _departments_sheet(wb, [])
    example = wb.create_sheet(EXAMPLE_SHEET)
    _header(example, STEP_COLUMNS, notes=False)
    _fill_steps(example, _EXAMPLE_ROWS)
    note_row = len(_EXAMPLE_ROWS) + 3
    write_cell(
        example.cell(row=note_row, column=1),
        "แผ่นงานนี้เป็นตัวอย่าง ระบบไม่อ่าน ให้กรอกแผนจริงในแผ่นงาน “ขั้นตอน (steps)” "
        "(this sheet is an example and is not imported; fill in the steps sheet)",
    )
    wb.active = 0
    return _save(wb)
