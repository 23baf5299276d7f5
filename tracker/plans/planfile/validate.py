"""Validation shared by YAML and XLSX: both arrive as nested dicts and lists; every
problem is collected with its place and raised together."""

from datetime import date
from typing import Any

from ...auth.services import normalize_email
from ...errors import ServiceError
from ...i18n import _
from ...thaidate import (
    fiscal_year_bounds,
    format_date,
    format_period,
    to_arabic_digits,
)
from ..models import PlanStatus
from .checks import _Checks, _kind, _missing
from .dates import resolve_due_dates
from .spec import (
    MAX_FISCAL_YEAR,
    MAX_NAME,
    MAX_PROVINCE,
    MIN_FISCAL_YEAR,
    SLUG_RE,
    DepartmentSpec,
    MeasureSpec,
    OrganizationSpec,
    PathT,
    PlanFileError,
    PlanSpec,
    Problem,
    StepSpec,
    WeaknessSpec,
)

# ---------------------------------------------------------------------------
# Validation shared by YAML and XLSX (both arrive as nested dicts and lists)
# ---------------------------------------------------------------------------

PLAN_KEYS = ("organization", "fiscal_year", "title", "status", "departments", "weaknesses")
ORGANIZATION_KEYS = ("name", "slug", "province")
DEPARTMENT_KEYS = ("name", "email")
WEAKNESS_KEYS = ("title", "detail", "measures")
MEASURE_KEYS = ("title", "owner", "period", "follow_up", "steps")
STEP_KEYS = ("title", "owner", "start", "due", "assignee")


def _collapse(text: str) -> str:
    """Names compare after trimming and collapsing inner whitespace."""
    return " ".join(text.split())


class _Validator(_Checks):
    def plan(self, raw: Any, problems: list[Problem] | None = None) -> PlanSpec:
        self.problems.extend(problems or [])
        self.control_characters(raw, ())
        root = self.mapping(raw, (), PLAN_KEYS)
        if root is None:
            raise PlanFileError(self.problems)
        org = self.organization(root)
        fiscal_year = self.fiscal_year(root)
        title = self.text(root, "title", (), required=True)
        status = self.status(root)
        departments = self.departments(root)
        weaknesses: list[WeaknessSpec] = []
        for i, raw_w in enumerate(self.items(root, "weaknesses", (), required=True, what="ประเด็นข้อบกพร่อง") or []):
            weakness = self.weakness(raw_w, ("weaknesses", i), fiscal_year)
            if weakness is not None:
                weaknesses.append(weakness)
        if self.problems:
            raise PlanFileError(self.problems)
        assert org is not None and fiscal_year is not None and title is not None
        return PlanSpec(
            organization=org,
            fiscal_year=fiscal_year,
            title=title,
            status=status,
            departments=departments,
            weaknesses=weaknesses,
            source=self.source,
            organization_place=self.locate(("organization", "slug")),
        )

    def organization(self, root: dict) -> OrganizationSpec | None:
        path: PathT = ("organization",)
        if root.get("organization") is None:
            self.add(path, _missing(path))
            return None
        obj = self.mapping(root["organization"], path, ORGANIZATION_KEYS)
        if obj is None:
            return None
        name = self.text(obj, "name", path, required=True, max_len=MAX_NAME)
        slug = self.text(obj, "slug", path, required=True)
        if slug is not None and not SLUG_RE.fullmatch(slug):
            self.add(
                path + ("slug",),
                _("รหัสองค์กร “%(slug)s” ต้องเป็นอักษรอังกฤษตัวเล็ก a-z ตัวเลข หรือ - ยาว 2–64 ตัว เช่น banpet", slug=slug),
            )
            slug = None
        province = self.text(obj, "province", path, required=False, max_len=MAX_PROVINCE) or ""
        if name is None or slug is None:
            return None
        return OrganizationSpec(name=_collapse(name), slug=slug, province=_collapse(province))

    def fiscal_year(self, root: dict) -> int | None:
        path: PathT = ("fiscal_year",)
        value = root.get("fiscal_year")
        if value is None:
            self.add(path, _missing(path))
            return None
        if isinstance(value, str) and to_arabic_digits(value.strip()).isdigit():
            value = int(to_arabic_digits(value.strip()))
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, _("ต้องเป็นปี พ.ศ. เช่น 2566 แต่พบ%(kind_value)s", kind_value=_kind(value)))
            return None
        if not MIN_FISCAL_YEAR <= value <= MAX_FISCAL_YEAR:
            hint = _(" หากเป็นปี ค.ศ. ให้ใช้ %(year)s", year=value + 543) if 1900 <= value <= 2200 else ""
            self.add(
                path,
                _(
                    "ปีงบประมาณ %(value)s ต้องเป็นปี พ.ศ. ระหว่าง %(min_fiscal_year)s–%(max_fiscal_year)s%(hint)s",
                    value=value,
                    min_fiscal_year=MIN_FISCAL_YEAR,
                    max_fiscal_year=MAX_FISCAL_YEAR,
                    hint=hint,
                ),
            )
            return None
        return value

    def status(self, root: dict) -> PlanStatus | None:
        value = root.get("status")
        if value is None:
            return None
        if isinstance(value, str):
            wanted = value.strip().lower()
            for status in PlanStatus:
                if wanted in (status.value, status.label):
                    return status
        self.add(
            ("status",),
            _("สถานะแผนต้องเป็น draft (ร่าง), active (ดำเนินการ) หรือ closed (ปิดแล้ว) ไม่ใช่ “%(value)s”", value=value),
        )
        return None

    def departments(self, root: dict) -> list[DepartmentSpec]:
        out: list[DepartmentSpec] = []
        first_seen: dict[str, int] = {}
        for i, raw in enumerate(self.items(root, "departments", (), required=False, what="หน่วยงาน") or []):
            path: PathT = ("departments", i)
            email: str | None = None
            if isinstance(raw, str):
                name = self.text_value(raw, path, required=True, max_len=MAX_NAME)
            else:
                obj = self.mapping(raw, path, DEPARTMENT_KEYS)
                if obj is None:
                    continue
                name = self.text(obj, "name", path, required=True, max_len=MAX_NAME)
                raw_email = self.text(obj, "email", path, required=False)
                if raw_email is not None:
                    try:
                        email = normalize_email(raw_email)
                    except ServiceError as exc:
                        self.add(path + ("email",), str(exc))
            if name is None:
                continue
            name = _collapse(name)
            if name in first_seen:
                self.add(
                    path + ("name",),
                    _(
                        "ชื่อหน่วยงาน “%(name)s” ซ้ำกับ %(value2)s",
                        name=name,
                        value2=self.locate(("departments", first_seen[name])),
                    ),
                )
                continue
            first_seen[name] = i
            out.append(DepartmentSpec(name=name, email=email, place=self.locate(path)))
        return out

    def weakness(self, raw: Any, path: PathT, fiscal_year: int | None) -> WeaknessSpec | None:
        obj = self.mapping(raw, path, WEAKNESS_KEYS)
        if obj is None:
            return None
        title = self.text(obj, "title", path, required=True)
        detail = self.text(obj, "detail", path, required=False) or ""
        measures = []
        for j, raw_m in enumerate(self.items(obj, "measures", path, required=True, what="มาตรการ") or []):
            measure = self.measure(raw_m, path + ("measures", j), fiscal_year)
            if measure is not None:
                measures.append(measure)
        if title is None:
            return None
        return WeaknessSpec(title=title, detail=detail, measures=measures, place=self.locate(path))

    def measure(self, raw: Any, path: PathT, fiscal_year: int | None) -> MeasureSpec | None:
        obj = self.mapping(raw, path, MEASURE_KEYS)
        if obj is None:
            return None
        title = self.text(obj, "title", path, required=True)
        owner = self.text(obj, "owner", path, required=True, max_len=MAX_NAME)
        period = self.period_value(obj.get("period"), path + ("period",))
        if period is not None and fiscal_year is not None:
            fy_start, fy_end = fiscal_year_bounds(fiscal_year)
            if period[1] < fy_start or period[0] > fy_end:
                self.add(
                    path + ("period",),
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
                    ),
                )
                period = None
        follow_up = self.text(obj, "follow_up", path, required=False) or ""
        raw_steps = self.items(obj, "steps", path, required=True, what="ขั้นตอน") or []
        drafts = [self.step(raw_s, path + ("steps", k), period) for k, raw_s in enumerate(raw_steps)]
        if title is None or owner is None or period is None or any(d is None for d in drafts):
            return None
        steps = self.resolve_steps(drafts, period, path)  # type: ignore[arg-type]
        if steps is None:
            return None
        return MeasureSpec(
            title=title,
            owner=_collapse(owner),
            period_start=period[0],
            period_end=period[1],
            follow_up=follow_up,
            steps=steps,
            place=self.locate(path),
        )

    def step(self, raw: Any, path: PathT, period: tuple[date, date] | None) -> dict | None:
        """A step with its given dates (either may be None); None if it has problems."""
        if isinstance(raw, str) or raw is None:
            title = self.text_value(raw, path, required=True)
            return (
                None
                if title is None
                else {
                    "title": title,
                    "owner": None,
                    "start": None,
                    "due": None,
                    "assignee": None,
                    "path": path,
                }
            )
        before = len(self.problems)
        obj = self.mapping(raw, path, STEP_KEYS)
        if obj is None:
            return None
        title = self.text(obj, "title", path, required=True)
        owner = self.text(obj, "owner", path, required=False, max_len=MAX_NAME)
        start = self.date_value(obj["start"], path + ("start",)) if obj.get("start") is not None else None
        due = self.date_value(obj["due"], path + ("due",)) if obj.get("due") is not None else None
        assignee = None
        raw_assignee = self.text(obj, "assignee", path, required=False)
        if raw_assignee is not None:
            try:
                assignee = normalize_email(raw_assignee)
            except ServiceError as exc:
                self.add(path + ("assignee",), str(exc))
        if period is not None:
            if due is not None and not period[0] <= due <= period[1]:
                self.add(
                    path + ("due",),
                    _(
                        "วันครบกำหนด %(format_date_due)s อยู่นอกระยะเวลาของมาตรการ (%(format_date_period_0)s – %(format_date_period_1)s)",
                        format_date_due=format_date(due),
                        format_date_period_0=format_date(period[0]),
                        format_date_period_1=format_date(period[1]),
                        due_isoformat=due.isoformat(),
                        period_0_isoformat=period[0].isoformat(),
                        period_1_isoformat=period[1].isoformat(),
                    ),
                )
            if start is not None and not period[0] <= start <= period[1]:
                self.add(
                    path + ("start",),
                    _(
                        "วันเริ่ม %(format_date_start)s อยู่นอกระยะเวลาของมาตรการ (%(format_date_period_0)s – %(format_date_period_1)s)",
                        format_date_start=format_date(start),
                        format_date_period_0=format_date(period[0]),
                        format_date_period_1=format_date(period[1]),
                        start_isoformat=start.isoformat(),
                    ),
                )
        if len(self.problems) > before:
            return None
        return {
            "title": title,
            "owner": _collapse(owner) if owner else None,
            "start": start,
            "due": due,
            "assignee": assignee,
            "path": path,
        }

    def resolve_steps(self, drafts: list[dict], period: tuple[date, date], path: PathT) -> list[StepSpec] | None:
        dues = resolve_due_dates(period[0], period[1], [d["due"] for d in drafts])
        steps: list[StepSpec] = []
        ok = True
        for draft, due in zip(drafts, dues):
            start = draft["start"] or period[0]
            if start > due:
                computed = "" if draft["due"] else _(" ซึ่งระบบคำนวณให้")
                self.add(
                    draft["path"] + ("start",),
                    _(
                        "วันเริ่ม %(format_date_start)s อยู่หลังวันครบกำหนด %(format_date_due)s%(computed)s",
                        format_date_start=format_date(start),
                        format_date_due=format_date(due),
                        computed=computed,
                        start_isoformat=start.isoformat(),
                        due_isoformat=due.isoformat(),
                    ),
                )
                ok = False
                continue
            steps.append(
                StepSpec(
                    title=draft["title"],
                    owner=draft["owner"],
                    start=start,
                    due=due,
                    assignee=draft["assignee"],
                    place=self.locate(draft["path"]),
                    assignee_place=self.locate(draft["path"] + ("assignee",)),
                )
            )
        return steps if ok else None
