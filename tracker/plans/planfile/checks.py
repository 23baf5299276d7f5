"""The value checks under plan-file validation: shapes, texts, dates and periods,
each problem collected with its place (`_Checks.add`)."""

import difflib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ...thaidate import (
    DateParseError,
    PeriodError,
    parse_date,
)
from .dates import parse_period_text
from .spec import (
    CONTROL_CHARS,
    CONTROL_MESSAGE,
    PathT,
    Problem,
)

PERIOD_KEYS = ("start", "end")

#: Thai names of the keys, for "… is required" messages.
FIELD_LABELS = {
    "organization": "องค์กร",
    "name": "ชื่อ",
    "slug": "รหัสองค์กร",
    "fiscal_year": "ปีงบประมาณ",
    "title": "ชื่อ",
    "owner": "ผู้รับผิดชอบ (กอง/สำนัก)",
    "period": "ระยะเวลาดำเนินการ",
    "start": "วันเริ่ม",
    "end": "วันสิ้นสุด",
    "due": "วันครบกำหนด",
}


_TITLE_LABELS = {
    "weaknesses": "ชื่อประเด็น",
    "measures": "ชื่อมาตรการ",
    "steps": "ชื่อขั้นตอน",
    "departments": "ชื่อหน่วยงาน",
    "organization": "ชื่อองค์กร",
}


def _missing(path: PathT) -> str:
    key = str(path[-1]) if path else ""
    label = FIELD_LABELS.get(key, "")
    if key in ("title", "name"):
        parent = path[-3] if len(path) >= 3 else path[0] if len(path) == 2 else ""
        label = _TITLE_LABELS.get(str(parent), "ชื่อแผน" if len(path) == 1 else label)
    return f"ต้องระบุ{label} ({key} is required)" if label else "ต้องระบุ (required)"


EMPTY = "ต้องไม่เว้นว่าง (must not be empty)"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "ค่าจริง/เท็จ (a yes/no value)"
    if isinstance(value, (int, float)):
        return "ตัวเลข (a number)"
    if isinstance(value, (date, datetime)):
        return "วันที่ (a date)"
    if isinstance(value, list):
        return "รายการ (a list)"
    if isinstance(value, dict):
        return "ชุดหัวข้อ (a mapping)"
    if isinstance(value, str):
        return "ข้อความ (text)"
    return type(value).__name__


class _Checks:
    def __init__(self, locate: Callable[[PathT], str], source: str):
        self.locate = locate
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: PathT, message: str) -> None:
        self.problems.append(Problem(self.locate(path), message))

    # -- generic shapes ------------------------------------------------------

    def control_characters(self, value: Any, path: PathT) -> None:
        """Refuse NUL and other control characters anywhere, keys included (escaped
        in YAML as "\\0", or _x0000_ in a spreadsheet cell): the same message on every database."""
        if isinstance(value, str):
            if CONTROL_CHARS.search(value):
                self.add(path, CONTROL_MESSAGE)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and CONTROL_CHARS.search(key):
                    self.add(path, CONTROL_MESSAGE)
                self.control_characters(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.control_characters(item, path + (i,))

    def mapping(self, value: Any, path: PathT, allowed: tuple[str, ...]) -> dict | None:
        if not isinstance(value, dict):
            self.add(path, f"ต้องเป็นชุดหัวข้อแบบ ชื่อ: ค่า แต่พบ{_kind(value)} (must be a mapping of key: value)")
            return None
        for key in value:
            if key not in allowed:
                self.unknown_key(path, key, allowed)
        return value

    def unknown_key(self, path: PathT, key: Any, allowed: tuple[str, ...]) -> None:
        key_text = str(key)
        close = difflib.get_close_matches(key_text, allowed, n=1, cutoff=0.6)
        th_hint = f" หมายถึง “{close[0]}” หรือไม่" if close else ""
        en_hint = f"; did you mean '{close[0]}'?" if close else ""
        self.add(
            path + (key_text,),
            f"ไม่รู้จักหัวข้อ “{key_text}”{th_hint} ใช้ได้: {', '.join(allowed)} (unknown key '{key_text}'{en_hint})",
        )

    def text(self, obj: dict, key: str, path: PathT, *, required: bool, max_len: int | None = None) -> str | None:
        value = obj.get(key)
        return self.text_value(value, path + (key,), required=required, max_len=max_len, present=key in obj)

    def text_value(
        self, value: Any, path: PathT, *, required: bool, max_len: int | None = None, present: bool = True
    ) -> str | None:
        if value is None:
            if required:
                self.add(path, _missing(path) if not present else EMPTY)
            return None
        if not isinstance(value, str):
            self.add(path, f"ต้องเป็นข้อความ แต่พบ{_kind(value)} (must be text)")
            return None
        value = value.strip()
        if not value:
            if required:
                self.add(path, EMPTY)
            return None
        if max_len is not None and len(value) > max_len:
            self.add(path, f"ยาวเกิน {max_len} ตัวอักษร (longer than {max_len} characters)")
            return None
        return value

    def items(self, obj: dict, key: str, path: PathT, *, required: bool, what: str) -> list | None:
        value = obj.get(key)
        if value is None:
            if required:
                one = {"weaknesses": "weakness", "measures": "measure", "steps": "step"}.get(key, key)
                self.add(path + (key,), f"ต้องมี{what}อย่างน้อยหนึ่งรายการ (at least one {one} is required)")
            return None
        if not isinstance(value, list):
            self.add(path + (key,), f"ต้องเป็นรายการ (บรรทัดที่ขึ้นต้นด้วย “- ”) แต่พบ{_kind(value)} (must be a list)")
            return None
        if not value and required:
            self.add(path + (key,), f"ต้องมี{what}อย่างน้อยหนึ่งรายการ (the list is empty)")
            return None
        return value

    def date_value(self, value: Any, path: PathT) -> date | None:
        if isinstance(value, datetime):
            self.add(path, "ใส่เฉพาะวันที่ ไม่ต้องมีเวลา (a date without a time is expected)")
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return parse_date(value)
            except DateParseError as exc:
                self.add(path, str(exc))
                return None
        self.add(path, f"ต้องเป็นวันที่ เช่น 2023-08-15 หรือ 15/08/2566 แต่พบ{_kind(value)} (must be a date)")
        return None

    def period_value(self, value: Any, path: PathT) -> tuple[date, date] | None:
        if value is None:
            self.add(path, _missing(path))
            return None
        if isinstance(value, str):
            try:
                return parse_period_text(value)
            except PeriodError as exc:
                self.add(path, str(exc))
                return None
        if isinstance(value, dict):
            obj = self.mapping(value, path, PERIOD_KEYS)
            if obj is None:
                return None
            start = end = None
            for key in PERIOD_KEYS:
                if obj.get(key) is None:
                    self.add(path + (key,), _missing(path + (key,)))
                elif key == "start":
                    start = self.date_value(obj[key], path + (key,))
                else:
                    end = self.date_value(obj[key], path + (key,))
            if start and end and start > end:
                self.add(
                    path, f"วันเริ่ม {start.isoformat()} อยู่หลังวันสิ้นสุด {end.isoformat()} (the period ends before it starts)"
                )
                return None
            return (start, end) if start and end else None
        self.add(
            path,
            f"ต้องเป็นช่วงเวลา เช่น “ก.ค. - ก.ย. ๒๕๖๖” หรือ {{start: …, end: …}} แต่พบ{_kind(value)} (must be a period)",
        )
        return None
