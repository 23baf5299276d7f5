"""What is read from an agency's O42 memo: a `MemoDraft` of weaknesses, measures and
steps as the officer wrote them, with a note for every cell that could not be
understood. `MemoDraft.to_raw` turns it into an ordinary plan file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CellNote",
    "MemoDraft",
    "MeasureDraft",
    "WeaknessDraft",
    "place_in_words",
]


COLUMNS = ("weakness", "measure", "steps", "owner", "period", "follow_up")


COLUMN_LABELS = {
    "weakness": "ประเด็นที่เป็นข้อบกพร่อง/จุดอ่อน",
    "measure": "มาตรการ/แนวทาง",
    "steps": "วิธีการดำเนินการ",
    "owner": "ผู้รับผิดชอบ",
    "period": "ระยะเวลาดำเนินการ",
    "follow_up": "การติดตามผล",
}


# ---------------------------------------------------------------------------
# What was read
# ---------------------------------------------------------------------------


@dataclass
class CellNote:
    """A cell the reader could not fully understand: where, what it read, and the cell as written."""

    place: str
    message: str
    raw: str


@dataclass
class MeasureDraft:
    title: str
    owner: str = ""
    period: str = ""
    follow_up: str = ""
    steps: list[str] = field(default_factory=list)


@dataclass
class WeaknessDraft:
    title: str
    detail: str = ""
    measures: list[MeasureDraft] = field(default_factory=list)


@dataclass
class MemoDraft:
    weaknesses: list[WeaknessDraft]
    notes: list[CellNote]
    #: The fiscal year the measures are for, when the memo says it (or its periods show it).
    fiscal_year: int | None = None
    #: The organization the memo names most often ("เทศบาลตำบลบ้านเป็ด"), if any.
    organization_name: str | None = None
    source: str = ""

    @property
    def measures(self) -> list[MeasureDraft]:
        return [m for w in self.weaknesses for m in w.measures]

    def owner_names(self) -> list[str]:
        names: list[str] = []
        for m in self.measures:
            if m.owner and m.owner not in names:
                names.append(m.owner)
        return names

    def to_raw(
        self, organization: dict[str, Any], fiscal_year: int, title: str = "", owner_map: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The plan-file dict (the YAML shape) that `planfile` validates; owners renamed by `owner_map`."""
        owner_map = owner_map or {}
        return {
            "organization": organization,
            "fiscal_year": fiscal_year,
            "title": title or f"มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. {fiscal_year}",
            "weaknesses": [
                {
                    "title": w.title,
                    "detail": w.detail,
                    "measures": [
                        {
                            "title": m.title,
                            "owner": owner_map.get(m.owner, m.owner),
                            "period": m.period,
                            "follow_up": m.follow_up,
                            "steps": list(m.steps),
                        }
                        for m in w.measures
                    ],
                }
                for w in self.weaknesses
            ],
        }


_PATH_WORDS = {
    "weaknesses": "ประเด็นที่",
    "measures": "มาตรการที่",
    "steps": "ขั้นตอนที่",
    "departments": "หน่วยงานที่",
}


_FIELD_WORDS = {
    "title": "ชื่อ",
    "detail": "รายละเอียด",
    "owner": "ผู้รับผิดชอบ",
    "period": "ระยะเวลาดำเนินการ",
    "follow_up": "การติดตามผล",
    "start": "วันเริ่ม",
    "due": "วันครบกำหนด",
    "assignee": "ผู้ได้รับมอบหมาย",
    "fiscal_year": "ปีงบประมาณ",
    "organization": "องค์กร",
    "name": "ชื่อ",
    "slug": "รหัสองค์กร",
    "province": "จังหวัด",
    "email": "อีเมล",
    "status": "สถานะ",
}


def place_in_words(path: Iterable[Any]) -> str:
    """("weaknesses", 0, "measures", 1, "steps", 2, "due") → "ประเด็นที่ 1 › มาตรการที่ 2 › ขั้นตอนที่ 3 › วันครบกำหนด"."""
    parts: list[str] = []
    pending = ""
    for part in path:
        if isinstance(part, int):
            parts.append(f"{pending} {part + 1}" if pending else str(part + 1))
            pending = ""
        elif part in _PATH_WORDS:
            pending = _PATH_WORDS[part]
        else:
            parts.append(_FIELD_WORDS.get(str(part), str(part)))
    if pending:
        parts.append(pending.removesuffix("ที่"))
    return " › ".join(parts)
