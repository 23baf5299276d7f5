"""The shape of the files people upload, as pydantic models, and its problems in Thai.

Plan files (YAML, XLSX) and ITA score files (CSV, XLSX) are read into plain
nested data and validated by models built on `Shape`. Pydantic gives the
structure: nested models and lists, unknown and missing keys, and every
problem at once, each with its path. Leaf values use plain validators that
raise `fail(...)` with the final Thai message (English in parentheses).

`problems()` is the one adapter from a pydantic `ValidationError` to
(place, message) pairs: each file format passes the function that turns a
path into a place its readers understand (``weaknesses[2].steps[1].due``
1-based in YAML, a sheet, row and column in XLSX, a row in a score file).

Checks that are not shape (a period inside the fiscal year, a date inside a
measure's period, a duplicate name) are plain functions the validators call,
so they land in the same pass; a model's validators share what they learned
through the validation context (the fiscal year, the current period).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = [
    "CONTROL_CHARS",
    "CONTROL_MESSAGE",
    "Loc",
    "Shape",
    "control_character_paths",
    "fail",
    "fail_all",
    "kind",
    "path_text",
    "problems",
]

#: A place in nested data: keys and 0-based indexes.
Loc = tuple[Any, ...]

#: Characters no uploaded text may hold: C0 controls but tab and line breaks, DEL,
#: and the non-characters PyYAML refuses. PostgreSQL refuses NUL in text, so
#: SQLite must never be the database that accepts it.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
CONTROL_MESSAGE = (
    "มีอักขระควบคุมที่มองไม่เห็น (เช่น NUL) ซึ่งไม่ใช่ข้อความ ให้ลบออก "
    "(contains an invisible control character such as NUL; remove it)"
)
MAPPING_MESSAGE = "ต้องเป็นชุดหัวข้อแบบ ชื่อ: ค่า แต่พบ{kind} (must be a mapping of key: value)"


def context_of(info: ValidationInfo) -> dict[str, Any]:
    """The validation's shared state (every validation here is given one; typed `Any | None`)."""
    context = info.context
    if not isinstance(context, dict):
        raise TypeError("validated without a context")
    return context


def fail(message: str, *, at: Loc = (), ref: Loc | None = None) -> PydanticCustomError:
    """A problem to raise from a validator: `at` goes below the validated value's path;
    ``{ref}`` in the message becomes the place of the path `ref`."""
    return PydanticCustomError("tracker", "{message}", {"message": message, "at": at, "ref": ref})


def fail_all(found: Iterable[tuple[Loc, str]]) -> ValidationError:
    """Several problems under the validated value at once (pydantic keeps their paths)."""
    return ValidationError.from_exception_data(
        "shape", [InitErrorDetails(type=fail(message), loc=tuple(loc), input=None) for loc, message in found]
    )


def problems(
    error: ValidationError, locate: Callable[[Loc], str], missing: Callable[[Loc], str]
) -> list[tuple[str, str]]:
    """Every problem of `error` as (place, Thai message), in the order pydantic found them."""
    out = []
    for item in error.errors(include_url=False):
        ctx = item.get("ctx") or {}
        loc = tuple(item["loc"]) + tuple(ctx.get("at") or ())
        if item["type"] == "missing":
            message = missing(loc)
        elif "message" in ctx:
            message = ctx["message"]
            if ctx.get("ref") is not None:
                message = message.replace("{ref}", locate(ctx["ref"]))
        else:  # a pydantic check no validator here words (none is expected): its own text
            message = item["msg"]
        out.append((locate(loc), message))
    return out


def path_text(path: Loc) -> str:
    """("weaknesses", 1, "measures", 0, "due") → "weaknesses[2].measures[1].due" (1-based)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def kind(value: Any) -> str:
    """What a wrong value is, for "must be … but found …" messages."""
    if value is None:
        return "ค่าว่าง (nothing)"
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


def control_character_paths(value: Any, path: Loc = ()) -> list[Loc]:
    """Where NUL and other control characters are, keys included (escaped in YAML as
    "\\0", or _x0000_ in a spreadsheet cell): the same message on every database."""
    if isinstance(value, str):
        return [path] if CONTROL_CHARS.search(value) else []
    found: list[Loc] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and CONTROL_CHARS.search(key):
                found.append(path)
            found += control_character_paths(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += control_character_paths(item, path + (i,))
    return found


class Shape(BaseModel):
    """A mapping in a file: a mapping is required, and each unknown key is named with the
    allowed ones (and the closest, for a typo) while the known keys are still checked."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    @model_validator(mode="wrap")
    @classmethod
    def _mapping_with_known_keys(cls, value: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            raise fail(MAPPING_MESSAGE.format(kind=kind(value)))
        allowed = tuple(cls.model_fields)
        found: list[tuple[Loc, str]] = []
        for key in value:
            if key not in allowed:
                text = str(key)
                close = difflib.get_close_matches(text, allowed, n=1, cutoff=0.6)
                th_hint = f" หมายถึง “{close[0]}” หรือไม่" if close else ""
                en_hint = f"; did you mean '{close[0]}'?" if close else ""
                found.append(
                    (
                        (text,),
                        f"ไม่รู้จักหัวข้อ “{text}”{th_hint} ใช้ได้: {', '.join(allowed)} (unknown key '{text}'{en_hint})",
                    )
                )
        known = {key: item for key, item in value.items() if key in allowed}
        if not found and not cls.checks_across:
            return handler(known)
        errors = [InitErrorDetails(type=fail(message), loc=loc, input=None) for loc, message in found]
        result = None
        try:
            result = handler(known)
        except ValidationError as exc:
            errors += [
                InitErrorDetails(
                    type=PydanticCustomError(e["type"], "{message}", {"message": e["msg"], **(e.get("ctx") or {})}),
                    loc=e["loc"],
                    input=None,
                )
                for e in exc.errors(include_url=False)
            ]
        if cls.checks_across:
            errors += [
                InitErrorDetails(type=fail(message), loc=loc, input=None)
                for loc, message in cls.check_across(known, info.context)
            ]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return result

    #: Whether `check_across` has checks to run.
    checks_across: ClassVar[bool] = False

    @classmethod
    def check_across(cls, value: dict, context: Any) -> list[tuple[Loc, str]]:
        """Checks across the whole mapping (numbering, sums): run even when some of its
        parts have problems, with what their validators left in the context."""
        return []
