"""ITA frameworks in the web interface: list, upload, preview, publish, edit, copy, download.

A national user manages the frameworks of every organization; an
organization's admin loads one for its own use where none is published.
Everyone logged in may read the national frameworks and their organization's
own. An upload becomes a draft that is previewed (tools, indicators, weights,
rules, items, and a worked example score) and then published. Thin views over
`framework.py`; they commit, the services do not.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from .. import access
from ..clock import utcnow
from ..db import db
from ..errors import ServiceError
from ..forms import ConfirmForm
from ..i18n import _
from .forms import FrameworkCopyForm, FrameworkFileForm, FrameworkTextForm, example_form
from .framework import (
    FRAMEWORK_DIR,
    copy_as_draft,
    delete_draft,
    has_scores,
    publish_framework,
    read_framework_file,
    read_framework_upload,
    save_framework,
    visible_frameworks,
)
from .models import NATIONAL, FrameworkStatus, ItaFramework
from .scores import format_score, parse_score
from .spec import FrameworkSpec
from .spec_files import parse_yaml, spec_to_xlsx, spec_to_yaml

bp = Blueprint("frameworks", __name__, url_prefix="/ita/frameworks")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The template people download: the verified 2565 framework, a complete example of the format.
TEMPLATE_YEAR = 2565


def _org_id() -> int | None:
    """The organization an upload is for: None (every organization) for a national user."""
    return None if current_user.role.value == "national" else current_user.organization_id


def _me():
    return current_user._get_current_object()


def _framework(framework_id: int) -> ItaFramework:
    framework = db.session.get(ItaFramework, framework_id)
    if framework is None or (
        framework.organization_id is not None and not access.can_read_org(current_user, framework.organization_id)
    ):
        abort(404)
    return framework


def _require_manager(framework: ItaFramework | None = None) -> None:
    access.require_framework_manager(current_user, framework.organization_id if framework else _org_id())


def _confirmed() -> None:
    """A button that changes something: only its CSRF token travels with it."""
    if not ConfirmForm().validate_on_submit():
        raise ServiceError(_("แบบฟอร์มหมดอายุ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"))


def example_scores(spec: FrameworkSpec) -> dict[int, Decimal]:
    """A worked example that shows the rules at work: scores from 98 down, EIT a little lower."""
    scores: dict[int, Decimal] = {}
    for tool in spec.tools:
        for k, indicator in enumerate(tool.indicators):
            base = Decimal("80") if tool.code.upper() == "EIT" else Decimal("98")
            scores[indicator.number] = base - Decimal(k) * Decimal("1.5")
    return scores


@bp.get("/")
@login_required
def index():
    return _index()


def _index(upload_form: FrameworkFileForm | None = None, status: int = 200):
    own = None if current_user.role.value in ("national", "provincial") else current_user.organization_id
    frameworks = visible_frameworks(own)
    years = [f.fiscal_year for f in frameworks]
    return render_template(
        "ita/frameworks.html",
        frameworks=frameworks,
        scores={f.id: has_scores(f) for f in frameworks},
        can_national=access.can_manage_frameworks(current_user, None),
        can_own=own is not None and access.can_manage_frameworks(current_user, own),
        next_year=(max(years) + 1) if years else TEMPLATE_YEAR + 1,
        upload_form=upload_form if upload_form is not None else FrameworkFileForm(formdata=None),
    ), status


@bp.post("/upload")
@login_required
def upload():
    _require_manager()
    form = FrameworkFileForm()
    if not form.validate_on_submit():
        return _index(form, 400)
    file = form.file.data
    spec = read_framework_upload(file.read(), file.filename)
    framework, _unused = save_framework(spec, now=utcnow(), organization_id=_org_id(), actor=_me())
    db.session.commit()
    flash(
        _("อัปโหลดกรอบปีงบประมาณ %(spec_fiscal_year)s เป็นฉบับร่างแล้ว ตรวจดูแล้วกดเผยแพร่", spec_fiscal_year=spec.fiscal_year),
        "success",
    )
    return redirect(url_for("frameworks.show", framework_id=framework.id))


@bp.get("/<int:framework_id>")
@login_required
def show(framework_id: int):
    return _show(_framework(framework_id))


def _show(framework: ItaFramework, copy_form: FrameworkCopyForm | None = None):
    spec = framework.spec
    example = example_scores(spec)
    # The worked example can be tried with other scores; each problem shows at its box.
    form = example_form(spec, example)
    problems = not form.validate()
    for indicator in spec.indicators:
        field = form[f"s{indicator.number}"]
        given = (field.data or "").strip()
        if given and not field.errors:
            try:
                example[indicator.number] = parse_score(given, f"ตัวชี้วัดที่ {indicator.number}")
                field.data = format_score(example[indicator.number])
            except ServiceError as exc:
                field.errors = [*field.errors, str(exc)]
                problems = True
    return render_template(
        "ita/framework.html",
        framework=framework,
        spec=spec,
        example=example,
        scored=spec.score(example),
        problems=problems,
        example_form=form,
        score_count=has_scores(framework),
        can_manage=access.can_manage_frameworks(current_user, framework.organization_id),
        copy_form=copy_form
        if copy_form is not None
        else FrameworkCopyForm(formdata=None, fiscal_year=str(framework.fiscal_year + 1)),
        confirm_form=ConfirmForm(),
    ), 400 if problems or copy_form is not None else 200


@bp.post("/<int:framework_id>/publish")
@login_required
def publish(framework_id: int):
    framework = _framework(framework_id)
    _require_manager(framework)
    _confirmed()
    publish_framework(framework, now=utcnow(), actor=_me())
    db.session.commit()
    flash(
        _(
            "เผยแพร่กรอบปีงบประมาณ %(framework_fiscal_year)s ฉบับที่ %(framework_version)s แล้ว",
            framework_fiscal_year=framework.fiscal_year,
            framework_version=framework.version,
        ),
        "success",
    )
    return redirect(url_for("frameworks.show", framework_id=framework.id))


@bp.route("/<int:framework_id>/edit", methods=["GET", "POST"])
@login_required
def edit(framework_id: int):
    framework = _framework(framework_id)
    _require_manager(framework)
    form = FrameworkTextForm() if request.method == "POST" else FrameworkTextForm(yaml=spec_to_yaml(framework.spec))
    error = None
    if form.validate_on_submit():
        try:
            spec = parse_yaml(form.yaml.data or "", "แบบฟอร์ม")
            saved, what = save_framework(
                spec, now=utcnow(), organization_id=framework.organization_id, replace=framework, actor=_me()
            )
        except ServiceError as exc:
            db.session.rollback()
            error = str(exc)
            form.yaml.errors = [*form.yaml.errors, error]
        else:
            db.session.commit()
            if what == "new_version":
                flash(
                    _(
                        "กรอบฉบับที่ %(framework_version)s มีคะแนนบันทึกไว้แล้ว จึงบันทึกการแก้ไขเป็นฉบับที่ %(saved_version)s คะแนนเดิมยังคำนวณตามฉบับที่ %(framework_version)s",
                        framework_version=framework.version,
                        saved_version=saved.version,
                    ),
                    "info",
                )
            else:
                flash(_("บันทึกการแก้ไขแล้ว"), "success")
            return redirect(url_for("frameworks.show", framework_id=saved.id))
    return render_template(
        "ita/framework_edit.html", framework=framework, form=form, score_count=has_scores(framework)
    ), 400 if error or form.errors else 200


@bp.post("/<int:framework_id>/copy")
@login_required
def copy(framework_id: int):
    source = _framework(framework_id)
    _require_manager()
    form = FrameworkCopyForm()
    if not form.validate_on_submit():
        return _show(source, form)
    framework = copy_as_draft(source, form.year, now=utcnow(), organization_id=_org_id(), actor=_me())
    db.session.commit()
    flash(
        _(
            "คัดลอกกรอบปี %(source_fiscal_year)s เป็นฉบับร่างของปี %(framework_fiscal_year)s แล้ว แก้ไขให้ตรงกับคู่มือของปีนั้นก่อนเผยแพร่",
            source_fiscal_year=source.fiscal_year,
            framework_fiscal_year=framework.fiscal_year,
        ),
        "success",
    )
    return redirect(url_for("frameworks.edit", framework_id=framework.id))


@bp.post("/<int:framework_id>/delete")
@login_required
def delete(framework_id: int):
    framework = _framework(framework_id)
    _require_manager(framework)
    _confirmed()
    year = framework.fiscal_year
    delete_draft(framework, now=utcnow(), actor=_me())
    db.session.commit()
    flash(_("ลบฉบับร่างของปี %(year)s แล้ว", year=year), "success")
    return redirect(url_for("frameworks.index"))


def _download(spec: FrameworkSpec, stem: str, ext: str) -> Response:
    if ext == "yaml":
        body, mimetype = spec_to_yaml(spec).encode("utf-8"), "application/yaml"
    elif ext == "xlsx":
        body, mimetype = spec_to_xlsx(spec), XLSX
    else:
        abort(404)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{stem}.{ext}"'})


@bp.get("/<int:framework_id>.<ext>")
@login_required
def download(framework_id: int, ext: str):
    framework = _framework(framework_id)
    scope = "national" if framework.scope == NATIONAL else "own"
    return _download(framework.spec, f"ita-framework-{framework.fiscal_year}-{scope}-v{framework.version}", ext)


@bp.get("/template.<ext>")
@login_required
def template(ext: str):
    return _download(read_framework_file(FRAMEWORK_DIR / f"{TEMPLATE_YEAR}.yaml"), "ita-framework-template", ext)


__all__ = ["bp", "example_scores", "FrameworkStatus"]
