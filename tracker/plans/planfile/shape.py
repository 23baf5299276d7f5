"""The plan file's shape as pydantic models, shared by YAML, XLSX and pasted memos: each
arrives as nested dicts and lists; every problem is collected with its place. The
validated models are the specs the importer applies, each with its place in the file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ...auth.services import normalize_email
from ...errors import ServiceError
from ...i18n import _, _l, either
from ...shapes import CONTROL_MESSAGE, Loc, Shape, context_of, control_character_paths, fail, fail_all, kind, problems
from ...thaidate import (
    DateParseError,
    PeriodError,
    fiscal_year_bounds,
    format_date,
    format_period,
    parse_date,
    to_arabic_digits,
)
from ..models import PlanStatus
from .dates import parse_period_text, resolve_due_dates
from .spec import MAX_FISCAL_YEAR, MAX_NAME, MAX_PROVINCE, MIN_FISCAL_YEAR, SLUG_RE, PlanFileError, Problem

# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------

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
#: The lists a plan needs at least one item of: (Thai, English) names of an item.
_LISTS = {"weaknesses": ("ประเด็นข้อบกพร่อง", "weakness"), "measures": ("มาตรการ", "measure"), "steps": ("ขั้นตอน", "step")}
EMPTY = _l("ต้องไม่เว้นว่าง")


def missing(path: Loc) -> str:
    key = str(path[-1]) if path else ""
    if key in _LISTS:
        return _("ต้องมี%(what)sอย่างน้อยหนึ่งรายการ", what=either(*_LISTS[key]))
    label = FIELD_LABELS.get(key, "")
    if key in ("title", "name"):
        parent = path[-3] if len(path) >= 3 else path[0] if len(path) == 2 else ""
        label = _TITLE_LABELS.get(str(parent), "ชื่อแผน" if len(path) == 1 else label)
    return _("ต้องระบุ%(label)s", label=either(label, key)) if label else _("ต้องระบุ")


def _collapse(text: str) -> str:
    """Names compare after trimming and collapsing inner whitespace."""
    return " ".join(text.split())


# ---------------------------------------------------------------------------
# Leaf values
# ---------------------------------------------------------------------------


def _text(
    *, required: bool = True, max_len: int | None = None, collapse: bool = False, empty: str | None = None
) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None:
            if required:
                raise fail(EMPTY)
            return empty
        if not isinstance(value, str):
            raise fail(_("ต้องเป็นข้อความ แต่พบ%(kind_value)s", kind_value=kind(value)))
        value = value.strip()
        if not value:
            if required:
                raise fail(EMPTY)
            return empty
        if max_len is not None and len(value) > max_len:
            raise fail(_("ยาวเกิน %(max_len)s ตัวอักษร", max_len=max_len))
        return _collapse(value) if collapse else value

    return check


def _email(value: Any) -> str | None:
    text = _text(required=False)(value)
    if text is None:
        return None
    try:
        return normalize_email(text)
    except ServiceError as exc:
        raise fail(str(exc)) from None


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        raise fail(_("ใส่เฉพาะวันที่ ไม่ต้องมีเวลา"))
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except DateParseError as exc:
            raise fail(str(exc)) from None
    raise fail(_("ต้องเป็นวันที่ เช่น 2023-08-15 หรือ 15/08/2566 แต่พบ%(kind_value)s", kind_value=kind(value)))


def _items(required: bool) -> Callable[[Any, ValidationInfo], Any]:
    def check(value: Any, info: ValidationInfo) -> Any:
        key = info.field_name or ""
        what, one = _LISTS.get(key, ("หน่วยงาน", key))
        if value is None:
            if required:
                raise fail(_("ต้องมี%(what)sอย่างน้อยหนึ่งรายการ", what=either(what, one)))
            return []
        if not isinstance(value, list):
            raise fail(_("ต้องเป็นรายการ (บรรทัดที่ขึ้นต้นด้วย “- ”) แต่พบ%(kind_value)s", kind_value=kind(value)))
        if not value and required:
            raise fail(_("ต้องมี%(what)sอย่างน้อยหนึ่งรายการ", what=either(what, one)))
        return value

    return check


def _fiscal_year(value: Any) -> int:
    if value is None:
        raise fail(missing(("fiscal_year",)))
    if isinstance(value, str) and to_arabic_digits(value.strip()).isdigit():
        value = int(to_arabic_digits(value.strip()))
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(_("ต้องเป็นปี พ.ศ. เช่น 2566 แต่พบ%(kind_value)s", kind_value=kind(value)))
    if not MIN_FISCAL_YEAR <= value <= MAX_FISCAL_YEAR:
        hint = _(" หากเป็นปี ค.ศ. ให้ใช้ %(year)s", year=value + 543) if 1900 <= value <= 2200 else ""
        raise fail(
            _(
                "ปีงบประมาณ %(value)s ต้องเป็นปี พ.ศ. ระหว่าง %(min_fiscal_year)s–%(max_fiscal_year)s%(hint)s",
                value=value,
                min_fiscal_year=MIN_FISCAL_YEAR,
                max_fiscal_year=MAX_FISCAL_YEAR,
                hint=hint,
            )
        )
    return value


def _status(value: Any) -> PlanStatus | None:
    if value is None:
        return None
    if isinstance(value, str):
        wanted = value.strip().lower()
        for status in PlanStatus:
            if wanted in (status.value, status.label):
                return status
    raise fail(_("สถานะแผนต้องเป็น draft (ร่าง), active (ดำเนินการ) หรือ closed (ปิดแล้ว) ไม่ใช่ “%(value)s”", value=value))


def _slug(value: Any) -> str:
    slug = _text()(value) or ""  # required: never None
    if not SLUG_RE.fullmatch(slug):
        raise fail(_("รหัสองค์กร “%(slug)s” ต้องเป็นอักษรอังกฤษตัวเล็ก a-z ตัวเลข หรือ - ยาว 2–64 ตัว เช่น banpet", slug=slug))
    return slug


Text = Annotated[str, PlainValidator(_text())]
OptionalText = Annotated[str, PlainValidator(_text(required=False, empty=""))]
Name = Annotated[str, PlainValidator(_text(max_len=MAX_NAME, collapse=True))]
OptionalName = Annotated[str | None, PlainValidator(_text(required=False, max_len=MAX_NAME, collapse=True))]
Email = Annotated[str | None, PlainValidator(_email)]
OptionalDate = Annotated[date | None, PlainValidator(_date)]


class Period(Shape):
    """``{start: …, end: …}``; text such as “ก.ค. - ก.ย. ๒๕๖๖” is read by `_period`."""

    start: Annotated[date, PlainValidator(_date)]
    end: Annotated[date, PlainValidator(_date)]

    @model_validator(mode="after")
    def _in_order(self) -> Period:
        if self.start > self.end:
            raise fail(
                _(
                    "วันเริ่ม %(self_start_isoformat)s อยู่หลังวันสิ้นสุด %(self_end_isoformat)s",
                    self_start_isoformat=self.start.isoformat(),
                    self_end_isoformat=self.end.isoformat(),
                )
            )
        return self


def _period(value: Any) -> tuple[date, date]:
    if value is None:
        raise fail(missing(("period",)))
    if isinstance(value, str):
        try:
            return parse_period_text(value)
        except PeriodError as exc:
            raise fail(str(exc)) from None
    if isinstance(value, dict):
        period = Period.model_validate({key: item for key, item in value.items() if item is not None})
        return period.start, period.end
    raise fail(
        _("ต้องเป็นช่วงเวลา เช่น “ก.ค. - ก.ย. ๒๕๖๖” หรือ {start: …, end: …} แต่พบ%(kind_value)s", kind_value=kind(value))
    )


def _outside(field: str, day: date, period: tuple[date, date]) -> str:
    params = {"day": format_date(day), "start": format_date(period[0]), "end": format_date(period[1])}
    if field == "due":
        return _("วันครบกำหนด %(day)s อยู่นอกระยะเวลาของมาตรการ (%(start)s – %(end)s)", **params)
    return _("วันเริ่ม %(day)s อยู่นอกระยะเวลาของมาตรการ (%(start)s – %(end)s)", **params)


# ---------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------


class _Placed(Shape):
    #: Where it is written, for problems found against the database.
    _place: str = PrivateAttr("")

    @property
    def place(self) -> str:
        return self._place


class StepSpec(_Placed):
    title: Text
    #: Department name; None means the measure's owner.
    owner: OptionalName = None
    start: OptionalDate = None
    due: OptionalDate = None
    #: E-mail of an existing user of the organization, checked by the importer.
    assignee: Email = None
    _assignee_place: str = PrivateAttr("")

    @property
    def assignee_place(self) -> str:
        return self._assignee_place

    @model_validator(mode="wrap")
    @classmethod
    def _title_alone(cls, value: Any, handler: Callable[[Any], Any]) -> Any:
        """A step written as its title only (``- รวบรวมข้อมูล``)."""
        if value is None or isinstance(value, str):
            value = {"title": _text()(value)}
        return handler(value)

    @field_validator("start", "due")
    @classmethod
    def _inside_period(cls, day: date | None, info: ValidationInfo) -> date | None:
        period = context_of(info)["period"]
        if day is not None and period is not None and not period[0] <= day <= period[1]:
            raise fail(_outside(info.field_name or "", day, period))
        return day


class MeasureSpec(_Placed):
    title: Text
    owner: Name
    period: Annotated[tuple[date, date], PlainValidator(_period)]
    follow_up: OptionalText = ""
    #: Each with its start and due date set (the due dates spread where the file gives none).
    steps: Annotated[list[StepSpec], BeforeValidator(_items(required=True))]

    @property
    def period_start(self) -> date:
        return self.period[0]

    @property
    def period_end(self) -> date:
        return self.period[1]

    @model_validator(mode="wrap")
    @classmethod
    def _own_period(cls, value: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        # Steps check their dates against this measure's period, never the previous one's.
        context_of(info)["period"] = None
        return handler(value)

    @field_validator("period")
    @classmethod
    def _in_fiscal_year(cls, period: tuple[date, date], info: ValidationInfo) -> tuple[date, date]:
        fiscal_year = context_of(info)["fiscal_year"]
        if fiscal_year is not None:
            fy_start, fy_end = fiscal_year_bounds(fiscal_year)
            if period[1] < fy_start or period[0] > fy_end:
                raise fail(
                    _(
                        "ระยะเวลา %(format_period_period)s ไม่อยู่ในปีงบประมาณ %(fiscal_year)s (%(format_date_fy_start)s – %(format_date_fy_end)s)",
                        format_period_period=format_period(*period),
                        fiscal_year=fiscal_year,
                        format_date_fy_start=format_date(fy_start),
                        format_date_fy_end=format_date(fy_end),
                        period_0_isoformat=period[0].isoformat(),
                        period_1_isoformat=period[1].isoformat(),
                        fy_start_isoformat=fy_start.isoformat(),
                        fy_end_isoformat=fy_end.isoformat(),
                    )
                )
        context_of(info)["period"] = period
        return period

    @model_validator(mode="after")
    def _due_dates(self) -> MeasureSpec:
        """Steps without a due date get one spread over the period; a start must not pass its due date."""
        dues = resolve_due_dates(self.period[0], self.period[1], [s.due for s in self.steps])
        late = []
        for k, (step, due) in enumerate(zip(self.steps, dues)):
            start = step.start or self.period[0]
            if start > due:
                computed = "" if step.due else _(" ซึ่งระบบคำนวณให้")
                late.append(
                    (
                        ("steps", k, "start"),
                        _(
                            "วันเริ่ม %(format_date_start)s อยู่หลังวันครบกำหนด %(format_date_due)s%(computed)s",
                            format_date_start=format_date(start),
                            format_date_due=format_date(due),
                            computed=computed,
                            start_isoformat=start.isoformat(),
                            due_isoformat=due.isoformat(),
                        ),
                    )
                )
            step.start, step.due = start, due
        if late:
            raise fail_all(late)
        return self


class WeaknessSpec(_Placed):
    title: Text
    detail: OptionalText = ""
    measures: Annotated[list[MeasureSpec], BeforeValidator(_items(required=True))]


class DepartmentSpec(_Placed):
    name: Name
    email: Email = None

    @model_validator(mode="wrap")
    @classmethod
    def _name_alone(cls, value: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        """A department written as its name only; counted, so a duplicate can name the first."""
        context_of(info)["department"] += 1
        if isinstance(value, str):
            value = {"name": _text(max_len=MAX_NAME)(value)}
        return handler(value)

    @field_validator("name")
    @classmethod
    def _unique(cls, name: str, info: ValidationInfo) -> str:
        seen = context_of(info)["department_names"]
        if name in seen:
            raise fail(_("ชื่อหน่วยงาน “%(name)s” ซ้ำกับ {ref}", name=name), ref=("departments", seen[name]))
        seen[name] = context_of(info)["department"]
        return name


class OrganizationSpec(Shape):
    name: Name
    slug: Annotated[str, PlainValidator(_slug)]
    province: Annotated[str, PlainValidator(_text(required=False, max_len=MAX_PROVINCE, collapse=True, empty=""))] = ""


def _organization(value: Any) -> Any:
    if value is None:
        raise fail(missing(("organization",)))
    return value


class PlanSpec(Shape):
    organization: Annotated[OrganizationSpec, BeforeValidator(_organization)]
    fiscal_year: Annotated[int, PlainValidator(_fiscal_year)]
    title: Text
    #: None when the file does not say: a new plan is active, an existing one keeps its status.
    status: Annotated[PlanStatus | None, PlainValidator(_status)] = None
    departments: Annotated[list[DepartmentSpec], BeforeValidator(_items(required=False))] = []
    weaknesses: Annotated[list[WeaknessSpec], BeforeValidator(_items(required=True))]
    #: The file name, for messages.
    _source: str = PrivateAttr("")
    #: Where the organization's slug is written, for problems found against the database.
    _organization_place: str = PrivateAttr("")

    @field_validator("fiscal_year")
    @classmethod
    def _for_periods(cls, fiscal_year: int, info: ValidationInfo) -> int:
        context_of(info)["fiscal_year"] = fiscal_year
        return fiscal_year

    @property
    def source(self) -> str:
        return self._source

    @property
    def organization_place(self) -> str:
        return self._organization_place

    @property
    def measures(self) -> list[MeasureSpec]:
        return [m for w in self.weaknesses for m in w.measures]

    @property
    def steps(self) -> list[StepSpec]:
        return [s for m in self.measures for s in m.steps]

    def owner_names(self) -> list[str]:
        """Every department the plan names, listed first, then owners, in order of appearance."""
        names: list[str] = []
        for name in [d.name for d in self.departments] + [
            n for m in self.measures for n in [m.owner] + [s.owner for s in m.steps if s.owner]
        ]:
            if name not in names:
                names.append(name)
        return names


# ---------------------------------------------------------------------------
# Validating and the spec
# ---------------------------------------------------------------------------


def validate_plan(
    raw: Any, locate: Callable[[Loc], str], source: str, problems_so_far: list[Problem] | None = None
) -> PlanSpec:
    """A PlanSpec from a plan's nested data, or PlanFileError with every problem
    (those the reader found first, `problems_so_far`, included)."""
    found = list(problems_so_far or [])
    found += [Problem(locate(path), CONTROL_MESSAGE) for path in control_character_paths(raw)]
    context: dict[str, Any] = {"fiscal_year": None, "period": None, "department": -1, "department_names": {}}
    try:
        plan = PlanSpec.model_validate(raw, context=context)
    except ValidationError as exc:
        found += [Problem(place, message) for place, message in problems(exc, locate, missing)]
        raise PlanFileError(found) from None
    if found:
        raise PlanFileError(found)
    plan._source, plan._organization_place = source, locate(("organization", "slug"))
    for i, department in enumerate(plan.departments):
        department._place = locate(("departments", i))
    for i, weakness in enumerate(plan.weaknesses):
        weakness._place = locate(("weaknesses", i))
        for j, measure in enumerate(weakness.measures):
            measure._place = locate(("weaknesses", i, "measures", j))
            for k, step in enumerate(measure.steps):
                step._place = locate(("weaknesses", i, "measures", j, "steps", k))
                step._assignee_place = locate(("weaknesses", i, "measures", j, "steps", k, "assignee"))
    return plan
