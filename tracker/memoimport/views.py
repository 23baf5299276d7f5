"""Web pages: a plan from the memo the agency already has (upload the .docx or paste the table), checked
in a preview the officer corrects; nothing is written until they confirm."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import admin_pages_guard
from ..clock import utcnow
from ..db import db
from ..i18n import _
from ..orgs.models import Department
from ..plans.importer import import_plan
from ..plans.memodraft import MeasureDraft, MemoDraft, WeaknessDraft
from ..plans.memofile import (
    DOCX_SUFFIXES,
    TEXT_SUFFIXES,
    closest_department,
    known_weakness_titles,
    memo_plan_spec,
    parse_memo_docx,
    parse_memo_text,
)
from ..plans.planfile import MAX_FILE_BYTES, PlanFileError, Problem
from ..thaidate import to_arabic_digits
from .forms import NEW, DraftForm, SourceForm

bp = Blueprint("memo_import", __name__, url_prefix="/admin/plans/import-memo")
bp.before_request(admin_pages_guard)


def _departments() -> list[str]:
    org = current_user.organization
    return [
        d.name
        for d in db.session.scalars(
            db.select(Department).where(Department.organization_id == org.id).order_by(Department.name)
        )
    ]


def read_source(form: SourceForm) -> MemoDraft:
    """The draft from the uploaded .docx / .txt or the pasted text; PlanFileError with a Thai message."""
    upload = form.file.data
    titles = known_weakness_titles()
    if upload is not None and upload.filename:
        name = upload.filename
        data = upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise PlanFileError([Problem(name, f"ไฟล์ใหญ่เกิน {MAX_FILE_BYTES // (1024 * 1024)} MB ไม่น่าจะเป็นบันทึกข้อความ")])
        suffix = Path(name).suffix.lower()
        if suffix in DOCX_SUFFIXES:
            return parse_memo_docx(data, name, titles)
        if suffix in TEXT_SUFFIXES:
            try:
                return parse_memo_text(data.decode("utf-8-sig"), name, titles)
            except UnicodeDecodeError:
                raise PlanFileError([Problem(name, "ไฟล์ข้อความต้องเข้ารหัสแบบ UTF-8")]) from None
        raise PlanFileError(
            [
                Problem(
                    name, "รับเฉพาะไฟล์ Word (.docx) หรือข้อความ (.txt) ถ้าเป็น .doc แบบเก่า โปรดเปิดใน Word แล้วบันทึกเป็น .docx"
                )
            ]
        )
    if (form.text.data or "").strip():
        return parse_memo_text(form.text.data, _("ข้อความที่วาง"), titles)
    raise PlanFileError([Problem("", "โปรดเลือกไฟล์บันทึกข้อความ (.docx) หรือวางตารางมาตรการในช่องข้อความ")])


def _form_data(draft: MemoDraft) -> dict[str, Any]:
    return {
        "source": draft.source,
        "fiscal_year": str(draft.fiscal_year or ""),
        "title": "",
        "weaknesses": [
            {
                "title": w.title,
                "detail": w.detail,
                "measures": [
                    {
                        "title": m.title,
                        "owner": m.owner,
                        "period": m.period,
                        "follow_up": m.follow_up,
                        "steps": "\n".join(m.steps),
                    }
                    for m in w.measures
                ],
            }
            for w in draft.weaknesses
        ],
    }


def _draft(form: DraftForm) -> MemoDraft:
    weaknesses = []
    for w in form.weaknesses:
        measures = [
            MeasureDraft(
                title=" ".join((m.title.data or "").split()),
                owner=" ".join((m.owner.data or "").split()),
                period=" ".join((m.period.data or "").split()),
                follow_up=" ".join((m.follow_up.data or "").split()),
                steps=[" ".join(s.split()) for s in (m.steps.data or "").splitlines() if s.strip()],
            )
            for m in w.measures
        ]
        weaknesses.append(
            WeaknessDraft(" ".join((w.title.data or "").split()), " ".join((w.detail.data or "").split()), measures)
        )
    return MemoDraft(weaknesses, [], source=form.source.data or _("บันทึกข้อความ"))


def _owner_choices(form: DraftForm, draft: MemoDraft, departments: list[str]) -> list[dict[str, Any]]:
    """One choice per owner the memo names that is not exactly a department: map to a close one or create it."""
    chosen = {o.form.name.data: o.form.target.data for o in form.owners}
    while len(form.owners):
        form.owners.pop_entry()
    rows = []
    for name in draft.owner_names():
        best, ratio = closest_department(name, departments)
        if ratio == 1.0:
            rows.append({"name": name, "exact": best})
            continue
        close = difflib.get_close_matches(name, departments, n=3, cutoff=0.5)
        if best and best not in close:
            close.insert(0, best)
        entry = form.owners.append_entry({"name": name, "target": chosen.get(name) or (best or NEW)})
        entry.form.target.choices = [(d, _("ใช้หน่วยงานเดิม “%(name)s”", name=d)) for d in close] + [
            (NEW, _("สร้างหน่วยงานใหม่ “%(name)s”", name=name))
        ]
        rows.append({"name": name, "entry": entry, "best": best})
    return rows


def _owner_map(form: DraftForm, rows: list[dict[str, Any]]) -> dict[str, str]:
    mapping = {r["name"]: r["exact"] for r in rows if r.get("exact")}
    for o in form.owners:
        if o.form.target.data and o.form.target.data != NEW:
            mapping[o.form.name.data] = o.form.target.data
    return mapping


def _fiscal_year(text: str) -> int | None:
    text = to_arabic_digits((text or "").strip())
    return int(text) if text.isdigit() and 2500 <= int(text) <= 2700 else None


def _preview(form: DraftForm, draft: MemoDraft, notes=(), status: int = 200, confirm: bool = False):
    org = current_user.organization
    departments = _departments()
    owner_rows = _owner_choices(form, draft, departments)
    problems: list[Problem] = []
    spec = result = None
    year = _fiscal_year(form.fiscal_year.data)
    if year is None:
        problems.append(Problem(_("ปีงบประมาณ"), _("โปรดระบุปีงบประมาณ พ.ศ. ของมาตรการ เช่น ๒๕๖๙")))
    else:
        try:
            spec = memo_plan_spec(
                draft,
                {"name": org.name, "slug": org.slug, "province": org.province or ""},
                year,
                form.title.data or "",
                _owner_map(form, owner_rows),
            )
            result = import_plan(spec, current_user._get_current_object(), utcnow())
        except PlanFileError as exc:
            problems.extend(exc.problems)
    if confirm and not problems and result is not None:
        db.session.commit()
        flash(
            _("นำเข้าแผนปีงบประมาณ %(year)s จากบันทึกข้อความแล้ว", year=year)
            if result.created
            else _("ปรับปรุงแผนปีงบประมาณ %(year)s ตามบันทึกข้อความแล้ว", year=year),
            "success",
        )
        return redirect(url_for("admin.plan", plan_id=result.plan.id))
    # A preview runs the real import and throws it away, so it shows exactly what would happen.
    db.session.rollback()
    memo_org = draft.organization_name
    other_org = bool(memo_org and difflib.SequenceMatcher(None, memo_org, org.name).ratio() < 0.8)
    return render_template(
        "memoimport/preview.html",
        form=form,
        spec=spec,
        result=result,
        problems=problems,
        notes=list(notes),
        owner_rows=owner_rows,
        memo_org=memo_org if other_org else None,
    ), (400 if problems and status == 200 and confirm else status)


@bp.route("/", methods=["GET", "POST"])
def start():
    form = SourceForm()
    if request.method == "GET":
        return render_template("memoimport/start.html", form=form)
    if not form.validate_on_submit():
        return render_template(
            "memoimport/start.html", form=form, problems=[Problem("", _("ส่งแบบฟอร์มไม่สำเร็จ โปรดลองอีกครั้ง"))]
        ), 400
    try:
        draft = read_source(form)
    except PlanFileError as exc:
        return render_template("memoimport/start.html", form=form, problems=exc.problems), 400
    draft_form = DraftForm(formdata=None, data=_form_data(draft))
    return _preview(draft_form, draft, draft.notes)


@bp.route("/preview", methods=["POST"])
def preview():
    form = DraftForm()
    if not form.validate_on_submit():
        return render_template(
            "memoimport/start.html",
            form=SourceForm(formdata=None),
            problems=[Problem("", _("ข้อมูลตัวอย่างไม่ครบหรือหมดอายุ โปรดอ่านบันทึกข้อความอีกครั้ง"))],
        ), 400
    return _preview(form, _draft(form), confirm=bool(form.confirm.data))
