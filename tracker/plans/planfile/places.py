"""Places in a plan file in words, the way an officer reads the plan:
("weaknesses", 0, "measures", 0, "steps", 1, "due") is
"ประเด็นที่ 1 › มาตรการที่ 1 › ขั้นตอนที่ 2 › วันครบกำหนด", never a programmer's
``weaknesses[1].measures[1].steps[2].due``. An XLSX place adds the sheet, row and
column where the value is written.
"""

from __future__ import annotations

from ...i18n import NP_, translate
from .spec import PathT

SEPARATOR = " › "

#: An item of a list by its 1-based number.
_ITEMS = {
    "weaknesses": NP_("place", "ประเด็นที่ %(n)s"),
    "measures": NP_("place", "มาตรการที่ %(n)s"),
    "steps": NP_("place", "ขั้นตอนที่ %(n)s"),
    "departments": NP_("place", "หน่วยงานที่ %(n)s"),
}
#: A list itself (when its item is not named).
_LISTS = {
    "weaknesses": NP_("place", "ประเด็นข้อบกพร่อง"),
    "measures": NP_("place", "มาตรการ"),
    "steps": NP_("place", "ขั้นตอน"),
    "departments": NP_("place", "หน่วยงาน"),
}
_FIELDS = {
    "organization": NP_("place", "องค์กร"),
    "name": NP_("place", "ชื่อ"),
    "slug": NP_("place", "รหัสองค์กร"),
    "province": NP_("place", "จังหวัด"),
    "fiscal_year": NP_("place", "ปีงบประมาณ"),
    "status": NP_("place", "สถานะแผน"),
    "title": NP_("place", "ชื่อ"),
    "detail": NP_("place", "รายละเอียด"),
    "owner": NP_("place", "ผู้รับผิดชอบ"),
    "period": NP_("place", "ระยะเวลาดำเนินการ"),
    "follow_up": NP_("place", "การติดตามผล"),
    "start": NP_("place", "วันเริ่ม"),
    "end": NP_("place", "วันสิ้นสุด"),
    "due": NP_("place", "วันครบกำหนด"),
    "assignee": NP_("place", "ผู้ได้รับมอบหมาย"),
    "email": NP_("place", "อีเมล"),
}


def words_place(path: PathT) -> str:
    """The place of `path` in words ("" for the whole file)."""
    if path == ("title",):
        return translate(NP_("place", "ชื่อแผน"), context="place")
    parts: list[str] = []
    k = 0
    while k < len(path):
        part = path[k]
        following = path[k + 1] if k + 1 < len(path) else None
        if isinstance(part, str) and part in _ITEMS and isinstance(following, int):
            parts.append(translate(_ITEMS[part], context="place", n=following + 1))
            k += 2
            continue
        if isinstance(part, int):  # an index under a key that is not a list of the plan
            parts.append(f"#{part + 1}")
        elif part in _LISTS:
            parts.append(translate(_LISTS[part], context="place"))
        elif part in _FIELDS:
            parts.append(translate(_FIELDS[part], context="place"))
        else:  # a key the file made up (a typo): as written
            parts.append(f"“{part}”")
        k += 1
    return SEPARATOR.join(parts)


def with_cell(path: PathT, cell: str) -> str:
    """An XLSX place: the words, then where the value is written (sheet, row, column)."""
    words = words_place(path)
    return f"{words} ({cell})" if words else cell
