"""The ITA page: an organization's assessment result of one year against the year before.

Everyone of the organization reads it; admins enter or import scores and
start a weakness in next year's plan from a weak indicator. The page always
shows the logged-in user's own organization: there is no way to name another.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import i18n
from ..access import is_org_admin, require_admin
from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..forms import ConfirmForm, Form
from ..i18n import _
from ..plans.models import Plan
from ..thaidate import to_thai_digits
from .analysis import analyse
from .forms import ScoreFileForm, scores_form
from .framework import ensure_framework, framework_available, shipped_years
from .importer import import_scores
from .items import kind_code, plan_items, with_code
from .models import FrameworkStatus, ItaFramework, ItaIndicator
from .scorefile import ItaImportError, parse_score_bytes
from .scores import (
    CONTEXT_SCOPES,
    WORD_EQUAL,
    Difference,
    format_score,
    get_contexts,
    get_scores,
    years_with_scores,
)
from .services import ContextInput, ScoreProblems, context_label, save_scores, start_weakness_from_indicator

bp = Blueprint("ita", __name__, url_prefix="/ita")

SCOPE_LABELS = {"national": "ระดับประเทศ (national)", "province": "ระดับจังหวัด (province)"}


def _score(value: Any, plain: bool = False) -> str:
    """A score by the one rule (format_score); `plain` for a level's threshold or a
    tool's weight, which are not scores: 95, 40 (no decimals added)."""
    if plain and value is not None:
        text = f"{Decimal(value).normalize():f}"
        return to_thai_digits(text) if i18n.thai_digits() else text
    return format_score(value, thai_digits=i18n.thai_digits())


def _diff(difference: Difference, equal: str = WORD_EQUAL) -> str:
    if not i18n.is_english():
        return difference.text(thai_digits=i18n.thai_digits(), equal=equal)
    if difference.amount is None or difference.direction == "equal":
        return difference.text(equal=i18n.translate(equal))
    return f"{i18n.translate(difference.word)} {format_score(difference.magnitude)}"


def _plan_code(plan: Plan, kind: str) -> str:
    """The OIT item code of a plan's report ("O43", "O42"), from its assessed year's framework."""
    return kind_code(plan_items(plan), kind)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {
        "ita_score": _score,
        "ita_diff": _diff,
        "ita_code": _plan_code,
        "kind_code": kind_code,
        "with_code": with_code,
    }


def _years(org) -> list[int]:
    db_years = db.session.scalars(
        sa.select(ItaFramework.fiscal_year).where(
            ItaFramework.status != FrameworkStatus.draft,
            sa.or_(ItaFramework.organization_id.is_(None), ItaFramework.organization_id == org.id),
        )
    )
    return sorted(set(shipped_years()) | set(db_years) | set(years_with_scores(org)))


@bp.route("/")
@login_required
def index():
    """The latest year with scores, else the latest framework."""
    org = current_user.organization
    scored = years_with_scores(org)
    years = scored or _years(org)
    if not years:
        abort(404)
    return redirect(url_for("ita.year", fiscal_year=years[-1]))


def _form_values(org, fiscal_year: int) -> dict[str, str]:
    """The score form as stored: score-<n>, <scope>-label/-score/-level."""
    values = {f"score-{n}": format_score(s) for n, s in get_scores(org, fiscal_year).items()}
    contexts = get_contexts(org, fiscal_year)
    for scope in CONTEXT_SCOPES:
        row = contexts.get(scope)
        values[f"{scope}-label"] = row.label if row else context_label(org, scope)
        values[f"{scope}-score"] = format_score(row.score) if row else ""
        values[f"{scope}-level"] = (row.level or "") if row else ""
    return values


def _scores_form(org, fiscal_year: int, framework: ItaFramework, data: dict[str, str] | None = None) -> Form:
    """The score table of the year; `data`: the stored values to show (else the request's)."""
    indicators = sorted((i.number, i.name) for i in framework.indicators)
    labels = {scope: context_label(org, scope) for scope in CONTEXT_SCOPES}
    return scores_form(indicators, labels, list(framework.spec.grade_names), data=data)


def _render(
    fiscal_year: int,
    *,
    form: Form | None = None,
    errors: list[str] | None = None,
    import_problems: list | None = None,
    import_form: ScoreFileForm | None = None,
    status: int = 200,
):
    org = current_user.organization
    if not framework_available(fiscal_year, org):
        abort(404)
    framework = ensure_framework(fiscal_year, org)
    analysis = analyse(org, fiscal_year)
    is_admin = is_org_admin(current_user, org.id)
    next_plan = db.session.scalar(
        sa.select(Plan).where(Plan.organization_id == org.id, Plan.fiscal_year == fiscal_year + 1)
    )
    planned = {" ".join(w.title.split()): w for w in next_plan.weaknesses} if next_plan else {}
    if status == 200:
        db.session.commit()  # keeps a shipped framework loaded on first view
    return render_template(
        "ita/year.html",
        org=org,
        analysis=analysis,
        framework=framework,
        years=_years(org),
        is_admin=is_admin,
        form=form if form is not None else _scores_form(org, fiscal_year, framework, _form_values(org, fiscal_year)),
        errors=errors or [],
        import_problems=import_problems or [],
        scope_labels=SCOPE_LABELS,
        levels=framework.spec.grade_names,
        spec=framework.spec,
        next_plan=next_plan,
        planned=planned,
        import_form=import_form if import_form is not None else ScoreFileForm(formdata=None, year=str(fiscal_year)),
        weakness_form=ConfirmForm(),
    ), status


@bp.route("/<int:fiscal_year>")
@login_required
def year(fiscal_year: int):
    return _render(fiscal_year)


@bp.route("/<int:fiscal_year>/scores", methods=["POST"])
@login_required
def save(fiscal_year: int):
    org = current_user.organization
    require_admin(current_user, org.id)
    if not framework_available(fiscal_year, org):
        abort(404)
    framework = ensure_framework(fiscal_year, org)
    form = _scores_form(org, fiscal_year, framework)
    if not form.validate_on_submit():
        db.session.rollback()
        return _render(fiscal_year, form=form, status=400)

    def value(name: str) -> str:
        return form[name].data or ""

    scores = {i.number: value(f"score-{i.number}") for i in framework.indicators}
    contexts = {
        scope: ContextInput(value(f"{scope}-label"), value(f"{scope}-score"), value(f"{scope}-level"))
        for scope in CONTEXT_SCOPES
    }
    try:
        changes = save_scores(
            org, fiscal_year, actor=current_user._get_current_object(), now=utcnow(), scores=scores, contexts=contexts
        )
    except ScoreProblems as exc:
        db.session.rollback()
        return _render(fiscal_year, form=form, errors=exc.problems, status=400)
    db.session.commit()
    if changes:
        flash(f"บันทึกคะแนนแล้ว {len(changes)} รายการ (scores saved)", "success")
    else:
        flash("ไม่มีข้อมูลเปลี่ยนแปลง (nothing changed)", "info")
    return redirect(url_for("ita.year", fiscal_year=fiscal_year))


@bp.route("/import", methods=["POST"])
@login_required
def upload():
    org = current_user.organization
    require_admin(current_user, org.id)
    form = ScoreFileForm()
    back = form.back_year()
    back_year = back if back is not None and framework_available(back, org) else None
    if not form.validate_on_submit():
        if back_year is None:
            raise ServiceError(" ".join(str(e) for e in form.file.errors) or _("ข้อมูลไม่ถูกต้อง"))
        return _render(back_year, import_form=form, status=400)
    upload = form.file.data
    try:
        score_file = parse_score_bytes(upload.read(), upload.filename)
        result = import_scores(score_file, current_user._get_current_object(), utcnow())
    except ItaImportError as exc:
        db.session.rollback()
        problems = [str(p) for p in exc.problems]
        if back_year is None:
            raise ServiceError("\n".join(problems)) from None
        return _render(back_year, import_problems=problems, status=400)
    db.session.commit()
    years = ", ".join(to_thai_digits(str(y)) if current_user.thai_digits else str(y) for y in result.years)
    flash(
        f"นำเข้าคะแนนปีงบประมาณ {years} แล้ว: เปลี่ยนแปลง {len(result.changes)} รายการ "
        f"({len(result.changes)} changes imported)",
        "success",
    )
    target = back_year if back_year in result.years else result.years[-1]
    return redirect(url_for("ita.year", fiscal_year=target))


@bp.route("/<int:fiscal_year>/indicators/<int:number>/weakness", methods=["POST"])
@login_required
def start_weakness(fiscal_year: int, number: int):
    """From a weak indicator of `fiscal_year` to a weakness in the plan of the following year."""
    org = current_user.organization
    require_admin(current_user, org.id)
    if not framework_available(fiscal_year, org):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        raise ServiceError(_("แบบฟอร์มหมดอายุ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"))
    framework = ensure_framework(fiscal_year, org)
    indicator = db.session.scalar(
        sa.select(ItaIndicator).where(ItaIndicator.framework_id == framework.id, ItaIndicator.number == number)
    )
    if indicator is None:
        abort(404)
    target = fiscal_year + 1
    result = start_weakness_from_indicator(org, indicator, target, current_user._get_current_object(), utcnow())
    db.session.commit()
    shown = to_thai_digits(str(target)) if current_user.thai_digits else str(target)
    if result.created:
        made = " (สร้างแผนใหม่เป็นฉบับร่าง · new draft plan)" if result.plan_created else ""
        flash(
            f"เพิ่มประเด็นจุดอ่อน “{result.weakness.title}” ในแผนปีงบประมาณ {shown} แล้ว{made} "
            "เพิ่มมาตรการและขั้นตอนต่อได้ (weakness added; add its measures next)",
            "success",
        )
    else:
        flash(
            f"แผนปีงบประมาณ {shown} มีประเด็น “{result.weakness.title}” อยู่แล้ว "
            f"(ประเด็นที่ {result.weakness.order}) ไม่ได้เพิ่มซ้ำ (already in the plan; not added again)",
            "info",
        )
    return redirect(url_for("admin.plan", plan_id=result.plan.id) + f"#weakness-{result.weakness.id}")
