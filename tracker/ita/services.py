"""ITA scores: entering a year's scores, and starting a weakness from an indicator.

How scores are computed is in `scores`, the comparison of two years in
`analysis`.

Services flush and never commit; the view or command commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..db import db
from ..errors import ServiceError
from ..journal import record
from ..orgs.models import Organization
from ..plans.models import Plan, PlanStatus, Weakness
from ..thaidate import to_thai_digits
from .analysis import IndicatorRow, ToolRow, _name_key, analyse
from .framework import ensure_framework
from .models import ItaContextScore, ItaIndicator, ItaScore
from .scores import CENT, CONTEXT_SCOPES, format_score, get_contexts, parse_score

if TYPE_CHECKING:
    from ..auth.models import User

__all__ = [
    "ContextInput",
    "ScoreProblems",
    "WeaknessStart",
    "context_label",
    "save_scores",
    "start_weakness_from_indicator",
]


class ScoreProblems(ServiceError):
    """Every problem of a score entry at once; `.problems` lists them."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class ContextInput:
    """A national/provincial row as typed: an empty score removes the row; an empty level is computed."""

    label: str = ""
    score: Any = None
    level: str = ""


def context_label(organization: Organization, scope: str) -> str:
    """The memo's wording: ภาพรวมระดับประเทศ, ภาพรวมจังหวัดขอนแก่น."""
    if scope == "national":
        return "ภาพรวมระดับประเทศ"
    return f"ภาพรวมจังหวัด{organization.province}" if organization.province else ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def save_scores(
    organization: Organization,
    fiscal_year: int,
    *,
    actor: User | None,
    now: datetime,
    scores: Mapping[int, Any] | None = None,
    contexts: Mapping[str, ContextInput] | None = None,
    note: str = "",
) -> list[str]:
    """Set indicator scores (number → value; a blank value removes the score) and context rows.

    Everything is checked before anything changes; problems are raised
    together as `ScoreProblems`. Returns one Thai line per change, journaled
    with old and new values.
    """
    framework = ensure_framework(fiscal_year, organization)
    indicators = {i.number: i for i in framework.indicators}
    levels = framework.spec.grade_names
    problems: list[str] = []
    wanted: dict[int, Decimal | None] = {}
    for number, value in (scores or {}).items():
        indicator = indicators.get(number)
        if indicator is None:
            problems.append(f"ไม่มีตัวชี้วัดที่ {number} ในกรอบปี {fiscal_year} (no indicator {number} in {fiscal_year})")
            continue
        if _blank(value):
            wanted[number] = None
            continue
        try:
            wanted[number] = parse_score(value, f"ตัวชี้วัดที่ {number} {indicator.name}")
        except ServiceError as exc:
            problems.append(str(exc))
    wanted_contexts: dict[str, tuple[str, Decimal, str | None] | None] = {}
    for scope, given in (contexts or {}).items():
        if scope not in CONTEXT_SCOPES:
            problems.append(f"ไม่รู้จักแถวเปรียบเทียบ “{scope}” (context rows are national or province)")
            continue
        if _blank(given.score):
            wanted_contexts[scope] = None
            continue
        label = " ".join((given.label or "").split()) or context_label(organization, scope)
        what = label or ("ภาพรวมจังหวัด" if scope == "province" else scope)
        try:
            score = parse_score(given.score, what)
        except ServiceError as exc:
            problems.append(str(exc))
            continue
        if not label:
            problems.append(f"{what}: โปรดระบุชื่อแถว เช่น ภาพรวมจังหวัดขอนแก่น (a label is required)")
        elif len(label) > 200:
            problems.append(f"{what}: ชื่อแถวยาวเกิน 200 ตัวอักษร (label longer than 200 characters)")
        level = (given.level or "").strip().upper() or None
        if level is not None and level not in levels:
            problems.append(
                f"{what}: ระดับ “{given.level}” ไม่มีในกรอบปี {fiscal_year} ใช้ {' '.join(levels)} หรือเว้นว่าง "
                f"(unknown level; use one of {', '.join(levels)} or leave it empty)"
            )
        wanted_contexts[scope] = (label, score, level)
    if problems:
        raise ScoreProblems(problems)

    changes: list[str] = []
    existing = {
        s.indicator.number: s
        for s in db.session.scalars(
            sa.select(ItaScore)
            .join(ItaScore.indicator)
            .where(ItaScore.organization_id == organization.id, ItaIndicator.framework_id == framework.id)
        )
    }
    for number in sorted(wanted):
        new, row, indicator = wanted[number], existing.get(number), indicators[number]
        where = f"ปีงบประมาณ {fiscal_year} ตัวชี้วัดที่ {number} {indicator.name}"
        old = Decimal(row.score).quantize(CENT) if row is not None else None
        if new == old:
            continue
        if row is None:
            row = ItaScore(organization_id=organization.id, indicator=indicator, score=new, updated_at=now)
            db.session.add(row)
            db.session.flush()
            action = "create"
        elif new is None:
            db.session.delete(row)
            action = "delete"
        else:
            row.score, row.updated_at = new, now
            action = "edit"
        record(
            organization_id=organization.id,
            entity="ita_score",
            entity_id=row.id,
            action=action,
            actor=actor,
            field="score",
            old=old,
            new=new,
            note=_note(where, note),
            at=now,
        )
        changes.append(f"{where}: {format_score(old)} → {format_score(new)}")

    current_contexts = get_contexts(organization, fiscal_year)
    for scope in CONTEXT_SCOPES:
        if scope not in wanted_contexts:
            continue
        context, want = current_contexts.get(scope), wanted_contexts[scope]
        if want is None:
            if context is not None:
                record(
                    organization_id=organization.id,
                    entity="ita_context",
                    entity_id=context.id,
                    action="delete",
                    actor=actor,
                    field="score",
                    old=Decimal(context.score).quantize(CENT),
                    note=_note(f"ปีงบประมาณ {fiscal_year} {context.label}", note),
                    at=now,
                )
                changes.append(f"ปีงบประมาณ {fiscal_year} {context.label}: ลบแถว (row removed)")
                db.session.delete(context)
            continue
        label, score, level = want
        where = f"ปีงบประมาณ {fiscal_year} {label}"
        if context is None:
            context = ItaContextScore(
                organization_id=organization.id,
                fiscal_year=fiscal_year,
                scope=scope,
                label=label,
                score=score,
                level=level,
            )
            db.session.add(context)
            db.session.flush()
            record(
                organization_id=organization.id,
                entity="ita_context",
                entity_id=context.id,
                action="create",
                actor=actor,
                field="score",
                new=score,
                note=_note(where, note),
                at=now,
            )
            changes.append(f"{where}: {format_score(score)}" + (f" ({level})" if level else ""))
            continue
        old_values: dict[str, Decimal | str | None] = {
            "label": context.label,
            "score": Decimal(context.score).quantize(CENT),
            "level": context.level,
        }
        wanted_values: tuple[tuple[str, Decimal | str | None], ...] = (
            ("label", label),
            ("score", score),
            ("level", level),
        )
        for name, new_value in wanted_values:
            if old_values[name] != new_value:
                setattr(context, name, new_value)
                record(
                    organization_id=organization.id,
                    entity="ita_context",
                    entity_id=context.id,
                    action="edit",
                    actor=actor,
                    field=name,
                    old=old_values[name],
                    new=new_value,
                    note=_note(where, note),
                    at=now,
                )
                changes.append(f"{where}: {_shown(old_values[name])} → {_shown(new_value)}")
    db.session.flush()
    return changes


def _shown(value: Decimal | str | None) -> str:
    """A context row's label, score or level as the change list writes it."""
    return format_score(value) if isinstance(value, Decimal) else (value or "–")


def _note(where: str, note: str) -> str:
    return f"{where} · {note}" if note else where


# -- from a weak indicator to next year's plan -------------------------------------------


@dataclass(frozen=True)
class WeaknessStart:
    plan: Plan
    weakness: Weakness
    #: False: a weakness with this title was already in the plan and is returned as it is
    created: bool
    plan_created: bool


def weakness_detail(row: IndicatorRow, tool: ToolRow, fiscal_year: int, previous_year: int) -> str:
    """One sentence in the memo's manner: the indicator, its score, its tool, the change."""
    text = (
        f"ตัวชี้วัดที่ {row.number} {row.name} ได้คะแนน {format_score(row.current)} "
        f"ในการประเมิน ITA ปีงบประมาณ พ.ศ. {fiscal_year} ({tool.name} ด้าน {tool.code})"
    )
    if row.lowest_in_tool and not row.tool_all_equal:
        text += " ซึ่งได้คะแนนน้อยที่สุดในกลุ่มเครื่องมือนี้"
    if row.difference.direction in ("up", "down"):
        text += f" และมีคะแนน{row.difference.text()} คะแนนจากปีงบประมาณ พ.ศ. {previous_year}"
    elif row.difference.direction == "equal":
        text += f" เท่ากับปีงบประมาณ พ.ศ. {previous_year}"
    return text


def start_weakness_from_indicator(
    organization: Organization,
    indicator: ItaIndicator,
    target_fiscal_year: int,
    actor: User | None,
    now: datetime,
) -> WeaknessStart:
    """Add a weakness named after `indicator` to the plan of `target_fiscal_year`.

    The plan is created as a draft when the organization has none for that
    year. A weakness with the same title already in the plan is returned
    (created=False) rather than duplicated. A closed plan is refused.
    """
    from ..plans import structure as plan_admin  # the plan editor's journaled services

    year = indicator.framework.fiscal_year
    analysis = analyse(organization, year)
    row = analysis.indicator(indicator.number)
    if row.current is None:
        raise ServiceError(
            f"ตัวชี้วัดที่ {row.number} {row.name} ยังไม่มีคะแนนของปี {year} (indicator {row.number} has no score for {year} yet)"
        )
    plan = db.session.scalar(
        sa.select(Plan).where(Plan.organization_id == organization.id, Plan.fiscal_year == target_fiscal_year)
    )
    plan_created = plan is None
    if plan is None:
        plan = plan_admin.create_plan(
            organization,
            actor,
            now,
            fiscal_year=target_fiscal_year,
            title=(
                "มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. "
                + to_thai_digits(str(target_fiscal_year))
            ),
        )
    elif plan.status is PlanStatus.closed:
        raise ServiceError(
            f"แผนปีงบประมาณ {target_fiscal_year} ปิดแล้ว เพิ่มประเด็นไม่ได้ (the {target_fiscal_year} plan is closed)"
        )
    title = _name_key(row.name)
    existing = next((w for w in plan.weaknesses if _name_key(w.title) == title), None)
    if existing is not None:
        return WeaknessStart(plan, existing, created=False, plan_created=plan_created)
    detail = weakness_detail(row, analysis.tool(row.tool_code), year, analysis.previous_year)
    weakness = plan_admin.add_weakness(plan, actor, now, title=title, detail=detail)
    record(
        organization_id=organization.id,
        entity="weakness",
        entity_id=weakness.id,
        action="create",
        actor=actor,
        field="detail",
        new=detail,
        note=f"จากผลการประเมิน ITA ปีงบประมาณ {year} (from the ITA result)",
        at=now,
    )
    db.session.flush()
    return WeaknessStart(plan, weakness, created=True, plan_created=plan_created)
