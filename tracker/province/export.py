"""The overview across organizations as an XLSX workbook (every text cell through
`safe_text`: no formula injection).
"""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .. import links, thaidate
from ..i18n import _l
from ..reports.followup_xlsx import safe_text
from .services import OrgRow

XLSX_COLUMNS = [
    ("องค์กร", 40),
    (_l("รหัส"), 14),
    ("จังหวัด", 14),
    ("แผน", 48),
    ("สถานะแผน", 11),
    ("สถานะ", 18),
    ("ขั้นตอนทั้งหมด", 11),
    ("ดำเนินการแล้ว", 11),
    ("ร้อยละ", 8),
    ("เลยกำหนด", 9),
    ("ความเคลื่อนไหวล่าสุด", 16),
    ("ลิงก์", 40),
]


def overview_xlsx(rows: list[OrgRow], *, title: str, fiscal_year: int, as_of: date) -> bytes:
    """The overview as a workbook: one row per organization, figures as numbers,
    every text cell guarded against formula injection (names come from users)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("ภาพรวม")
    for index, (_, width) in enumerate(XLSX_COLUMNS):
        ws.column_dimensions[get_column_letter(index + 1)].width = width
    bold = Font(bold=True)

    def text_cell(value: str, strong: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=safe_text(value))
        if strong:
            cell.font = bold
        return cell

    ws.append([text_cell(title, strong=True)])
    ws.append([text_cell(f"ปีงบประมาณ พ.ศ. {fiscal_year} · ข้อมูล ณ วันที่ {thaidate.format_date(as_of)}")])
    ws.append([])
    ws.append([text_cell(name, strong=True) for name, _ in XLSX_COLUMNS])
    for r in rows:
        ws.append(
            [
                text_cell(r.name),
                text_cell(r.slug),
                text_cell(r.province),
                text_cell(r.plan_title or ""),
                text_cell(r.plan_status.label if r.plan_status else ""),
                text_cell(r.state.label),
                r.total if r.plan_id else None,
                r.done if r.plan_id else None,
                r.percent if r.plan_id and r.total else None,
                r.overdue if r.plan_id else None,
                text_cell(thaidate.format_date(r.last_activity)),
                text_cell(links.external_url("plans.dashboard", plan_id=r.plan_id) if r.plan_id else ""),
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
