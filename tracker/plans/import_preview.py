"""What importing a plan file would do, item by item, for the preview page: every
step with its due date (computed where the file gives none) and its owner
department, each weakness, measure and step marked new, changed (with what
changed, from → to) or removed against the plan in the database, matched by
position as the importer matches them (`importer`). Reads only.

Department names close to an existing one ("สำนักปลัด" for "สำนักปลัดเทศบาล")
are found here too (`similar_departments`); the officer chooses for each one
to map it to the existing department or to create a new one, and
`rename_departments` applies the choice to the spec before the import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..auth.models import User
from ..i18n import N_
from ..orgs.models import Department
from .memofile import closest_department
from .models import Measure, Plan, Step, Weakness
from .planfile import MeasureSpec, PlanSpec, StepSpec, WeaknessSpec

NEW, CHANGED, SAME, REMOVED = "new", "changed", "same", "removed"


@dataclass
class Change:
    #: The field's Thai name (a msgid)
    label: str
    old: Any
    new: Any


@dataclass
class Item:
    """A weakness, measure or step as the file has it (or as the database had it, when removed)."""

    number: str
    title: str
    mark: str = SAME
    changes: list[Change] = field(default_factory=list)
    #: Steps: the owner department's name and dates; measures: the owner and period
    owner: str = ""
    #: The owner's name as the file writes it, when it is mapped to an existing department
    owner_in_file: str = ""
    start: date | None = None
    due: date | None = None
    #: Measures: their steps; weaknesses: their measures
    children: list[Item] = field(default_factory=list)

    def compare(self, label: str, old: Any, new: Any) -> None:
        if old != new:
            self.changes.append(Change(label, old, new))
            if self.mark == SAME:
                self.mark = CHANGED


@dataclass
class Preview:
    created: bool
    #: Changes of the plan itself (title, status)
    plan: Item
    weaknesses: list[Item]

    def items(self, depth: int) -> list[Item]:
        level = self.weaknesses
        for _unused in range(depth):
            level = [child for item in level for child in item.children]
        return level

    def count(self, mark: str) -> int:
        return sum(1 for depth in range(3) for item in self.items(depth) if item.mark == mark)


@dataclass(frozen=True)
class _Context:
    #: The organization's users by e-mail
    users: dict[str, User]
    #: Department names of the file → the existing department they are mapped to
    mapping: dict[str, str]


def _measure_no(wi: int, mi: int, count: int) -> str:
    return f"{wi}.{mi}" if count > 1 else str(wi)


def build_preview(spec: PlanSpec, plan: Plan | None, users: dict[str, User], mapping: dict[str, str]) -> Preview:
    """The preview of importing `spec` over `plan` (None: a new plan); `users` by e-mail;
    department names of the file written as `mapping` says (the file's name is kept beside)."""
    head = Item(number="", title=spec.title, mark=NEW if plan is None else SAME)
    if plan is not None:
        head.compare(N_("ชื่อแผน"), plan.title, spec.title)
        if spec.status is not None:
            head.compare(N_("สถานะแผน"), plan.status.label, spec.status.label)
    old_weaknesses: list[Weakness] = list(plan.weaknesses) if plan is not None else []
    out = []
    for wi, w_spec in enumerate(spec.weaknesses, start=1):
        old = old_weaknesses[wi - 1] if wi <= len(old_weaknesses) else None
        out.append(_weakness(wi, w_spec, old, _Context(users, mapping)))
    for wi, weakness in enumerate(old_weaknesses[len(spec.weaknesses) :], start=len(spec.weaknesses) + 1):
        out.append(_removed_weakness(wi, weakness))
    return Preview(created=plan is None, plan=head, weaknesses=out)


def _weakness(wi: int, w_spec: WeaknessSpec, old: Weakness | None, ctx: _Context) -> Item:
    item = Item(number=str(wi), title=w_spec.title, mark=NEW if old is None else SAME)
    old_measures: list[Measure] = list(old.measures) if old is not None else []
    if old is not None:
        item.compare(N_("ชื่อ"), old.title, w_spec.title)
        item.compare(N_("รายละเอียด"), old.detail or "", w_spec.detail or "")
    count = len(w_spec.measures)
    for mi, m_spec in enumerate(w_spec.measures, start=1):
        old_measure = old_measures[mi - 1] if mi <= len(old_measures) else None
        item.children.append(_measure(_measure_no(wi, mi, count), m_spec, old_measure, ctx))
    for mi, measure in enumerate(old_measures[count:], start=count + 1):
        item.children.append(_removed_measure(_measure_no(wi, mi, len(old_measures)), measure))
    return item


def _measure(number: str, m_spec: MeasureSpec, old: Measure | None, ctx: _Context) -> Item:
    owner = ctx.mapping.get(m_spec.owner, m_spec.owner)
    item = Item(
        number=number,
        title=m_spec.title,
        mark=NEW if old is None else SAME,
        owner=owner,
        owner_in_file=m_spec.owner if owner != m_spec.owner else "",
        start=m_spec.period_start,
        due=m_spec.period_end,
    )
    old_steps: list[Step] = list(old.steps) if old is not None else []
    if old is not None:
        item.compare(N_("ชื่อ"), old.title, m_spec.title)
        item.compare(N_("หน่วยงานผู้รับผิดชอบ"), old.owner_department.name, owner)
        item.compare(N_("วันเริ่มระยะเวลา"), old.period_start, m_spec.period_start)
        item.compare(N_("วันสิ้นสุดระยะเวลา"), old.period_end, m_spec.period_end)
        item.compare(N_("การติดตามผล"), old.follow_up or "", m_spec.follow_up or "")
    for si, s_spec in enumerate(m_spec.steps, start=1):
        old_step = old_steps[si - 1] if si <= len(old_steps) else None
        item.children.append(_step(f"{number}.{si}", s_spec, m_spec.owner, old_step, ctx))
    for si, step in enumerate(old_steps[len(m_spec.steps) :], start=len(m_spec.steps) + 1):
        item.children.append(_removed_step(f"{number}.{si}", step))
    return item


def _step(number: str, s_spec: StepSpec, measure_owner: str, old: Step | None, ctx: _Context) -> Item:
    in_file = s_spec.owner or measure_owner
    owner = ctx.mapping.get(in_file, in_file)
    item = Item(
        number=number,
        title=s_spec.title,
        mark=NEW if old is None else SAME,
        owner=owner,
        owner_in_file=in_file if owner != in_file else "",
        start=s_spec.start,
        due=s_spec.due,
    )
    if old is not None:
        item.compare(N_("ชื่อ"), old.title, s_spec.title)
        item.compare(N_("หน่วยงานผู้รับผิดชอบ"), old.owner_department.name, owner)
        assignee = ctx.users.get(s_spec.assignee) if s_spec.assignee else None
        item.compare(
            N_("ผู้ได้รับมอบหมาย"),
            old.assignee.email if old.assignee else "",
            assignee.email if assignee else (s_spec.assignee or ""),
        )
        item.compare(N_("วันเริ่ม"), old.start_date, s_spec.start)
        item.compare(N_("วันครบกำหนด"), old.due_date, s_spec.due)
    return item


def _removed_step(number: str, step: Step) -> Item:
    return Item(
        number=number,
        title=step.title,
        mark=REMOVED,
        owner=step.owner_department.name,
        start=step.start_date,
        due=step.due_date,
    )


def _removed_measure(number: str, measure: Measure) -> Item:
    item = Item(
        number=number,
        title=measure.title,
        mark=REMOVED,
        owner=measure.owner_department.name,
        start=measure.period_start,
        due=measure.period_end,
    )
    item.children = [_removed_step(f"{number}.{si}", s) for si, s in enumerate(measure.steps, start=1)]
    return item


def _removed_weakness(wi: int, weakness: Weakness) -> Item:
    item = Item(number=str(wi), title=weakness.title, mark=REMOVED)
    count = len(weakness.measures)
    item.children = [_removed_measure(_measure_no(wi, mi, count), m) for mi, m in enumerate(weakness.measures, start=1)]
    return item


# -- department names close to existing ones -----------------------------------


@dataclass(frozen=True)
class Similar:
    #: The name as the file writes it
    name: str
    #: The existing department it probably means
    existing: str


def similar_departments(spec: PlanSpec, departments: list[Department]) -> list[Similar]:
    """Names in the file that are not a department of the organization but close to one
    (one is the other shortened, or spaced differently, or nearly the same letters)."""
    names = [d.name for d in departments]
    out = []
    for name in spec.owner_names():
        if name in names:
            continue
        match, _unused = closest_department(name, names)
        if match is not None:
            out.append(Similar(name, match))
    return out


def rename_departments(spec: PlanSpec, mapping: dict[str, str]) -> None:
    """Write each department name of the file as `mapping` says (the officer's choice)."""
    if not mapping:
        return
    for department in spec.departments:
        department.name = mapping.get(department.name, department.name)
    for measure in spec.measures:
        measure.owner = mapping.get(measure.owner, measure.owner)
        for step in measure.steps:
            if step.owner:
                step.owner = mapping.get(step.owner, step.owner)
