"""What a client may send to /api/v1, as pydantic models: the JSON bodies of the
writes and the query parameters of the lists. Validation problems become one
message naming the field (Thai, or English for ``Accept-Language: en``), answered 400.
"""

from __future__ import annotations

import enum
import re
import typing
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..i18n import _, _l
from ..notify.models import OutboxStatus
from ..plans.models import StepStatus
from .schemas import CANCEL_REASON_MAX, DEFAULT_LIMIT, MAX_ID, MAX_LIMIT, NOTE_MAX

#: `status` filter of GET /steps: a status, or "open" (not_started + in_progress)
STEP_STATUS_FILTERS = (*(s.value for s in StepStatus), "open")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TRUE_WORDS, FALSE_WORDS = ("true", "1"), ("false", "0")
JSON_OBJECT = _l("ต้องส่งข้อมูลเป็นออบเจ็กต์ JSON พร้อม Content-Type: application/json")


# -- field types -----------------------------------------------------------------------------


def _plain_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("unicode", "not valid Unicode") from None
    if "\x00" in value:
        raise PydanticCustomError("nul", "contains a NUL character")
    return value


def _iso_text(value: Any) -> Any:
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_parsing", "not an ISO date")
    return value


def _query_int(value: Any) -> Any:
    # Only ASCII digits, and short: int() refuses strings of 4300+ digits.
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise PydanticCustomError("int_parsing", "not a whole number")
    return value


def _query_bool(value: Any) -> Any:
    if isinstance(value, str):
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
        raise PydanticCustomError("bool_parsing", "not true or false")
    return value


def _one_of(values: tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        if value not in values:
            raise PydanticCustomError("enum", "not one of the values")
        return value

    return AfterValidator(check)


Note = Annotated[str, Field(max_length=NOTE_MAX), AfterValidator(_plain_text)]
CancelReason = Annotated[str, Field(max_length=CANCEL_REASON_MAX), AfterValidator(_plain_text)]


IsoDate = Annotated[date, BeforeValidator(_iso_text)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_query_int)]
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]


# -- request bodies ----------------------------------------------------------------------------


class Input(BaseModel):
    #: Strict: a number is not a status, a list is not a note.
    model_config = ConfigDict(extra="forbid", strict=True)


class StatusChange(Input):
    status: StepStatus = Field(description="สถานะใหม่ (the new status)")
    note: Note | None = Field(
        None,
        description="บันทึกความคืบหน้า เก็บในประวัติ จำเป็นเมื่อเปลี่ยนเป็น done ถ้าหน่วยงานกำหนดไว้ "
        "(a note, kept in the journal; required for done when the organization's setting asks for one)",
    )
    completed_on: IsoDate | None = Field(
        None,
        strict=False,
        description="เฉพาะ status done: วันที่ทำเสร็จจริงถ้าไม่ใช่วันนี้ (ค.ศ.) ไม่เป็นวันในอนาคต "
        "(only with done: the day the work was finished, if not today; "
        "not in the future, not before the plan's fiscal year)",
    )
    cancel_reason: CancelReason | None = Field(
        None,
        description="เหตุผลที่ยกเลิก จำเป็นเมื่อ status เป็น cancelled (ใช้ note แทนได้) "
        "(required to cancel; the note is used when absent)",
    )
    version: Annotated[int, Field(ge=0, le=999_999_999)] | None = Field(
        None,
        description="รุ่นของขั้นตอนที่การเปลี่ยนนี้อิงอยู่ (Step.version) ถ้ามีผู้แก้ไขหลังจากนั้นจะได้ 409 "
        "พร้อมรายการที่เปลี่ยน (the step's version this change was made from: if the step changed since, "
        "the answer is 409 with what changed)",
    )

    @model_validator(mode="after")
    def _completed_on_only_when_done(self) -> StatusChange:
        if self.completed_on is not None and self.status is not StepStatus.done:
            raise PydanticCustomError("only_done", "completed_on is only for status done")
        return self


class Comment(Input):
    note: Note = Field(description="บันทึกความคืบหน้า (the note)")


#: Request bodies, for the document's components.
REQUEST_MODELS: tuple[type[Input], ...] = (StatusChange, Comment)


# -- query parameters ----------------------------------------------------------------------------


class Query(BaseModel):
    """Query parameters; an empty value counts as absent."""

    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT), BeforeValidator(_query_int)] = Field(
        DEFAULT_LIMIT, description=f"จำนวนต่อหน้า (page size, 1–{MAX_LIMIT})"
    )
    offset: Annotated[int, Field(ge=0, le=MAX_ID), BeforeValidator(_query_int)] = Field(
        0, description="ข้ามกี่รายการ ใช้ next_offset ของหน้าก่อน (records to skip: the previous page's next_offset)"
    )
    after: Annotated[str, Field(max_length=200)] | None = Field(
        None,
        description="อ่านต่อจากรายการสุดท้ายของหน้าก่อน ใช้ next_after ของหน้าก่อน ใช้คู่กับ offset ไม่ได้ "
        "(keyset paging: the previous page's next_after; the page starts after that record, "
        "whatever was added or removed meanwhile; not with offset)",
    )


class StepQuery(Query):
    organization: str | None = Field(None, description="slug ขององค์กร (only this organization)")
    plan: QueryId | None = Field(None, description="id ของแผน (only this plan)")
    measure: QueryId | None = Field(None, description="id ของมาตรการ (only this measure)")
    department: QueryId | None = Field(None, description="id ของหน่วยงานผู้รับผิดชอบ (only steps owned by this department)")
    status: (
        Annotated[
            str, _one_of(STEP_STATUS_FILTERS), WithJsonSchema({"type": "string", "enum": list(STEP_STATUS_FILTERS)})
        ]
        | None
    ) = Field(None, description="สถานะ หรือ open = ยังไม่เสร็จ (a status, or open = not_started + in_progress)")
    due_after: IsoDate | None = Field(None, description="ครบกำหนดตั้งแต่วันนี้เป็นต้นไป รวมวันนั้น (due on or after, inclusive)")
    due_before: IsoDate | None = Field(None, description="ครบกำหนดไม่เกินวันนี้ รวมวันนั้น (due on or before, inclusive)")
    overdue: QueryBool | None = Field(
        None, description="true: เฉพาะที่เลยกำหนด; false: ที่ไม่เลยกำหนด (true: open and past due today; false: the others)"
    )
    mine: QueryBool | None = Field(
        None,
        description="true: เฉพาะของหน่วยงานของฉันหรือที่มอบหมายให้ฉัน (true: my department's steps and steps assigned to me)",
    )


class OutboxQuery(Query):
    status: OutboxStatus | None = Field(None, description="สถานะ (only this status)")


#: The order of the parameters in the document (filters first, paging last).
def parameter_names(model: type[BaseModel]) -> list[str]:
    paging = list(Query.model_fields)
    return [name for name in model.model_fields if name not in paging] + paging


# -- problems as one message ----------------------------------------------------------------------


class InputError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _choices(model: type[BaseModel], name: str) -> list[str]:
    def walk(tp: Any) -> list[str]:
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return [e.value for e in tp]
        if typing.get_origin(tp) is Literal:
            return [str(a) for a in typing.get_args(tp)]
        for meta in getattr(tp, "__metadata__", ()):
            if isinstance(meta, WithJsonSchema) and meta.json_schema and "enum" in meta.json_schema:
                return list(meta.json_schema["enum"])
        return [v for arg in typing.get_args(tp) for v in walk(arg)]

    return walk(model.model_fields[name].annotation)


def _bounds(model: type[BaseModel], name: str) -> tuple[int, int]:
    low, high = 0, MAX_ID
    schema = model.model_json_schema()["properties"][name]
    for option in schema.get("anyOf", [schema]):
        low, high = option.get("minimum", low), option.get("maximum", high)
    return low, high


def _message(model: type[BaseModel], error: Any, *, query: bool) -> str:
    kind, loc = error["type"], error["loc"]
    name = str(loc[0]) if loc else ""
    given = error.get("input")
    if kind == "only_done":
        return _("ระบุ completed_on ได้เฉพาะเมื่อ status เป็น done")
    if kind in ("json_invalid", "model_type", "model_attributes_type", "dict_type") or not name:
        return str(JSON_OBJECT)
    if kind == "missing" or (given is None and model.model_fields[name].is_required()):
        return _("ต้องระบุ %(name)s", name=name)
    if kind == "unicode":
        return _("%(name)s มีอักขระที่ไม่ใช่ Unicode ที่ถูกต้อง", name=name)
    if kind == "nul":
        return _("%(name)s มีอักขระ NUL", name=name)
    if kind == "string_type" or (kind == "enum" and not isinstance(given, str)):
        return _("%(name)s ต้องเป็นข้อความ", name=name)
    if kind in ("enum", "literal_error"):
        return _("%(name)s ต้องเป็นหนึ่งใน %(names)s", name=name, names=", ".join(_choices(model, name)))
    if kind == "string_too_long":
        return _("%(name)s ยาวเกิน %(n)s ตัวอักษร", name=name, n=error["ctx"]["max_length"])
    if kind.startswith("date") or kind == "datetime_parsing":
        return _("%(name)s ต้องเป็นวันที่แบบ ค.ศ. YYYY-MM-DD เช่น 2023-08-01", name=name)
    if kind.startswith("bool"):
        return _("%(name)s ต้องเป็น true หรือ false", name=name)
    if kind.startswith("int") or kind in ("greater_than_equal", "less_than_equal"):
        low, high = _bounds(model, name)
        return _("%(name)s ต้องเป็นจำนวนเต็ม %(low)s–%(high)s", name=name, low=low, high=high)
    return f"{name}: {error['msg']}"


def _first_problem(model: type[BaseModel], exc: ValidationError, *, query: bool) -> str:
    errors = exc.errors(include_url=False)
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden" and e["loc"])
    if unknown:
        names = ", ".join(unknown)[:200]
        known = ", ".join(parameter_names(model) if query else model.model_fields) or "-"
        if query:
            return _("ไม่รู้จักพารามิเตอร์ %(names)s (ที่รู้จัก: %(known)s)", names=names, known=known)
        return _("ไม่รู้จักช่อง %(names)s (ที่รู้จัก: %(known)s)", names=names, known=known)
    errors.sort(key=lambda e: e["type"] != "missing")
    return _message(model, errors[0], query=query)


BodyT = typing.TypeVar("BodyT", bound=Input)
QueryT = typing.TypeVar("QueryT", bound=Query)


def parse_body(model: type[BodyT], raw: bytes | None) -> BodyT:
    """The JSON object sent (None: not sent as application/json), validated."""
    if raw is None:
        raise InputError(str(JSON_OBJECT))
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise InputError(_first_problem(model, exc, query=False)) from None
    except RecursionError:  # "[[[[…" nested deeper than the parser goes
        raise InputError(str(JSON_OBJECT)) from None


def parse_query(model: type[QueryT], args: dict[str, str]) -> QueryT:
    try:
        return model.model_validate({k: v for k, v in args.items() if v != "" or k not in model.model_fields})
    except ValidationError as exc:
        raise InputError(_first_problem(model, exc, query=True)) from None
