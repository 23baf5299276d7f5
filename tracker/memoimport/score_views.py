"""Web pages: ITA scores pasted as published (the ITAS result page, the memo's tables), each row mapped to
the year's framework indicator by name and confirmed by the officer before it is saved."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length

from ..access import admin_pages_guard
from ..clock import utcnow
from ..db import db
from ..forms import Form as ProductForm
from ..i18n import _
from ..ita.framework import ensure_framework, framework_available
from ..ita.paste import PastedRow, match_indicators, parse_pasted_scores
from ..ita.services import ContextInput, ScoreProblems, save_scores

bp = Blueprint("ita_paste", __name__, url_prefix="/ita")
bp.before_request(admin_pages_guard)


class PasteForm(ProductForm):
    text = TextAreaField(validators=[Length(max=100_000)])
    read = SubmitField()


class RowForm(Form):
    label = HiddenField()
    #: The row's scores in column order, "98.16 98.63".
    scores = HiddenField()
    levels = HiddenField()
    scope = HiddenField()
    indicator = SelectField(choices=[], validate_choice=False)


class ConfirmForm(ProductForm):
    years = HiddenField()
    rows = FieldList(FormField(RowForm), max_entries=100)
    confirm = SubmitField()


def _indicators(fiscal_year: int) -> list[tuple[int, str]]:
    return [
        (i.number, i.name)
        for i in sorted(ensure_framework(fiscal_year, current_user.organization).indicators, key=lambda i: i.number)
    ]


def _choices(indicators: list[tuple[int, str]]) -> list[tuple[str, str]]:
    return [("", _("ไม่นำเข้าแถวนี้"))] + [(str(n), _("ตัวชี้วัดที่ %(n)s %(name)s", n=n, name=name)) for n, name in indicators]


def _column_years(years: list[int], rows: list[PastedRow], fiscal_year: int) -> list[int]:
    width = max((len(r.scores) for r in rows), default=1)
    if len(years) >= width:
        return years[-width:] if len(years) > width else years
    # No header years: the last score column is the year being entered.
    return [fiscal_year - (width - 1 - i) for i in range(width)]


def _page(fiscal_year: int, **context):
    return render_template("memoimport/scores.html", fiscal_year=fiscal_year, **context)


@bp.route("/<int:fiscal_year>/paste", methods=["GET", "POST"])
def paste(fiscal_year: int):
    if not framework_available(fiscal_year, current_user.organization):
        abort(404)
    form = PasteForm()
    if request.method == "GET":
        return _page(fiscal_year, form=form)
    if not form.validate_on_submit():
        return _page(fiscal_year, form=form, problems=[_("ส่งแบบฟอร์มไม่สำเร็จ โปรดลองอีกครั้ง")]), 400
    table = parse_pasted_scores(form.text.data or "")
    if not table.rows:
        return _page(fiscal_year, form=form, problems=table.problems), 400
    indicators = _indicators(fiscal_year)
    years = _column_years(table.years, table.rows, fiscal_year)
    confirm = ConfirmForm(formdata=None, data={"years": " ".join(map(str, years))})
    matches = {id(m.row): m for m in match_indicators(table.rows, indicators)}
    shown = []
    for row in table.rows:
        match = matches.get(id(row))
        entry = confirm.rows.append_entry(
            {
                "label": row.label,
                "scores": " ".join(str(s) for s in row.scores),
                "levels": " ".join(row.levels),
                "scope": row.context_scope or "",
                "indicator": str(match.number) if match and match.number else "",
            }
        )
        entry.form.indicator.choices = _choices(indicators)
        shown.append({"row": row, "entry": entry, "match": match})
    return _page(fiscal_year, confirm=confirm, rows=shown, years=years, problems=table.problems)


@bp.route("/<int:fiscal_year>/paste/confirm", methods=["POST"])
def confirm(fiscal_year: int):
    if not framework_available(fiscal_year, current_user.organization):
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(fiscal_year, form=PasteForm(formdata=None), problems=[_("ข้อมูลหมดอายุ โปรดวางตารางอีกครั้ง")]), 400
    try:
        years = [int(y) for y in (form.years.data or "").split()]
    except ValueError:
        abort(400)
    page_names = dict(_indicators(fiscal_year))
    problems: list[str] = []
    per_year: dict[int, dict[int, Decimal]] = {y: {} for y in years}
    contexts: dict[int, dict[str, ContextInput]] = {y: {} for y in years}
    chosen: dict[str, str] = {}
    for entry in form.rows:
        row = entry.form
        try:
            scores = [Decimal(s) for s in (row.scores.data or "").split()]
        except ArithmeticError:
            abort(400)
        levels = (row.levels.data or "").split()
        cells = scores[-len(years) :] if len(scores) >= len(years) else [None] * (len(years) - len(scores)) + scores
        if row.scope.data in ("national", "province"):
            for i, (year, score) in enumerate(zip(years, cells)):
                if score is not None:
                    level = levels[i] if len(levels) == len(years) else ""
                    contexts[year][row.scope.data] = ContextInput(row.label.data, score, level)
            continue
        number = row.indicator.data
        if not number:
            continue
        if number in chosen:
            problems.append(_("แถว “%(a)s” และ “%(b)s” เลือกตัวชี้วัดเดียวกัน", a=chosen[number], b=row.label.data))
            continue
        chosen[number] = row.label.data
        name = page_names.get(int(number)) if number.isdigit() else None
        if name is None:
            abort(400)
        for year, score in zip(years, cells):
            if score is None:
                continue
            other = (
                dict((n, i) for i, n in _indicators(year))
                if year != fiscal_year and framework_available(year, current_user.organization)
                else None
            )
            if year == fiscal_year:
                per_year[year][int(number)] = score
            elif other is None:
                problems.append(_("ไม่มีกรอบการประเมิน ITA ของปีงบประมาณ %(year)s จึงนำเข้าคะแนนของปีนั้นไม่ได้", year=year))
            elif name in other:
                per_year[year][other[name]] = score
            else:
                problems.append(_("กรอบปี %(year)s ไม่มีตัวชี้วัด “%(name)s”", year=year, name=name))
    changes: list[str] = []
    if not problems:
        try:
            for year in years:
                if per_year[year] or contexts[year]:
                    changes += save_scores(
                        current_user.organization,
                        year,
                        actor=current_user._get_current_object(),
                        now=utcnow(),
                        scores=per_year[year],
                        contexts=contexts[year],
                        note=_("วางตารางคะแนน"),
                    )
        except ScoreProblems as exc:
            problems.extend(exc.problems)
    if problems:
        db.session.rollback()
        return _page(fiscal_year, form=PasteForm(formdata=None), problems=sorted(set(problems))), 400
    db.session.commit()
    flash(
        _("บันทึกคะแนนจากตารางที่วางแล้ว %(n)s รายการ", n=len(changes)) if changes else _("ไม่มีคะแนนเปลี่ยนแปลง"),
        "success" if changes else "info",
    )
    return redirect(url_for("ita.year", fiscal_year=fiscal_year))
