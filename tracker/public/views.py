"""Public pages (no login) and the admin's publishing page.

Public, cacheable for five minutes by anyone (`Cache-Control: public,
max-age=300`), never depending on who asks:

* `/p/<slug>` — the organization's public plans by fiscal year;
* `/p/<slug>/<fiscal year>` — the progress page of a plan (a stable URL for O43);
* `/p/<slug>/<fiscal year>/evidence/<id>` — an evidence item marked public;
* `/p/<slug>/<fiscal year>/reports/<id>.<ext>` — a published report file.

Drafts, internal evidence, withdrawn reports and records of another plan or
organization are all the same Thai 404 page. Templates here never use the
per-user filters (thdate, thnum): the page must be the same for everyone.

Admins of the organization publish and withdraw reports at
`/plans/<id>/publish` (403 for other users, 404 for other organizations).
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from .. import access, clock, i18n, links, thaidate
from ..auth.models import User
from ..db import db
from ..errors import ServiceError
from ..i18n import N_, _
from ..ita.items import kind_code, plan_items, with_code
from ..plans import queries
from ..plans.models import EvidenceKind, Plan, PlanStatus
from ..plans.services import evidence_path
from ..reports.followup import resolve_as_of, round_date
from ..reports.followup_document import ROUNDS, Formatter
from ..reports.fonts import web_font_faces
from ..reports.views import content_disposition
from . import page, services
from .forms import PublishForm, PublishPresetForm, WithdrawForm
from .models import PublishedReport

bp = Blueprint("public", __name__)
log = logging.getLogger(__name__)

CACHE = "public, max-age=300"
#: Public pages use Arabic digits for everyone (the page is cached for all visitors).
F = Formatter(thai_digits=False)


# -- helpers --------------------------------------------------------------------------------


def _cacheable(response: BaseResponse) -> BaseResponse:
    response.headers["Cache-Control"] = CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _not_found(message: str = "", organization: str = "", slug: str = ""):
    body = render_template(
        "public/not_found.html",
        fonts=web_font_faces(),
        message=message or N_("ไม่พบหน้าที่ต้องการ อาจพิมพ์ที่อยู่ผิด หรือหน่วยงานยังไม่ได้เผยแพร่ข้อมูลนี้"),
        organization=organization,
        slug=slug,
    )
    response = Response(body, status=404, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n} ไบต์"


def absolute(path: str) -> str:
    """The full address of a path of this app (what an agency links from its website)."""
    return links.base_url() + path


def public_url(plan: Plan) -> str:
    return links.external_url("public.plan", slug=plan.organization.slug, fiscal_year=plan.fiscal_year)


def _year(text: str) -> int | None:
    raw = thaidate.to_arabic_digits(text.strip())
    if not raw.isdigit() or len(raw) != 4:
        return None
    return int(raw)


def _resolve(slug: str, year_text: str, endpoint: str, **values):
    """(organization, fiscal year) of a public URL, or a response: a redirect to
    the canonical address (Thai digits, capitals) or the 404 page."""
    organization = page.find_organization(slug)
    if organization is None and slug.strip().lower() != slug:
        organization = page.find_organization(slug.strip().lower())
        if organization is not None:
            return None, _redirect(endpoint, organization.slug, year_text, **values)
    if organization is None:
        return None, _not_found(_("ไม่พบหน่วยงาน “%(slug_64)s”", slug_64=slug[:64]))
    year = _year(year_text)
    if year is None:
        return None, _not_found(
            _("ปีงบประมาณ “%(year_text_20)s” ไม่ถูกต้อง ใช้ปี พ.ศ. เช่น 2566", year_text_20=year_text[:20]),
            organization.name,
            organization.slug,
        )
    if str(year) != year_text:
        return None, _redirect(endpoint, organization.slug, str(year), **values)
    return (organization, year), None


def _redirect(endpoint: str, slug: str, year: str, **values):
    return redirect(url_for(endpoint, slug=slug, fiscal_year=year, **values), code=301)


# -- public pages ----------------------------------------------------------------------------


@bp.get("/p/<slug>")
def organization(slug: str):
    org = page.find_organization(slug)
    if org is None and slug.strip().lower() != slug:
        org = page.find_organization(slug.strip().lower())
        if org is not None:
            return redirect(url_for("public.organization", slug=org.slug), code=301)
    if org is None:
        return _not_found(_("ไม่พบหน่วยงาน “%(slug_64)s”", slug_64=slug[:64]))
    plans = page.public_plans(org)
    body = render_template(
        "public/organization.html",
        org=org,
        plans=plans,
        f=F,
        canonical=links.external_url("public.organization", slug=org.slug),
        fonts=web_font_faces(),
    )
    return _cacheable(Response(body, content_type="text/html; charset=utf-8"))


@bp.get("/p/<slug>/<fiscal_year>")
def plan(slug: str, fiscal_year: str):
    found, response = _resolve(slug, fiscal_year, "public.plan")
    if response is not None:
        return response
    org, year = found
    data = page.public_plan(org, year, clock.today())
    if data is None:
        return _not_found(
            _("%(org_name)s ยังไม่ได้เผยแพร่แผนปีงบประมาณ พ.ศ. %(year)s", org_name=org.name, year=year),
            org.name,
            org.slug,
        )
    overall = data.overall
    description = (
        f"ความคืบหน้าการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน "
        f"ปีงบประมาณ พ.ศ. {data.fiscal_year} ของ{data.organization}: ดำเนินการแล้ว {overall.done} "
        f"จาก {overall.total} ขั้นตอน (ร้อยละ {overall.percent}) {len(data.measures)} มาตรการ"
    )
    body = render_template(
        "public/plan.html",
        p=data,
        f=F,
        overall=overall,
        description=description,
        canonical=links.external_url("public.plan", slug=data.slug, fiscal_year=data.fiscal_year),
        absolute=absolute,
        size_text=size_text,
        kind_labels=services.KIND_LABELS,
        fonts=web_font_faces(),
    )
    return _cacheable(Response(body, content_type="text/html; charset=utf-8"))


@bp.get("/p/<slug>/<fiscal_year>/evidence/<int:evidence_id>")
def evidence(slug: str, fiscal_year: str, evidence_id: int):
    found, response = _resolve(slug, fiscal_year, "public.evidence", evidence_id=evidence_id)
    if response is not None:
        return response
    org, year = found
    ev = page.public_evidence(org, year, evidence_id)
    if ev is None:
        return _not_found(_("ไม่พบหลักฐานนี้ หรือหลักฐานนี้ไม่ได้เผยแพร่ต่อสาธารณะ"), org.name, org.slug)
    if ev.kind is EvidenceKind.link:
        if not ev.url:
            return _not_found("", org.name, org.slug)
        return _cacheable(redirect(ev.url))
    path = evidence_path(ev, _upload_dir())
    if not path.is_file():
        log.warning("public evidence %s: file %s is missing", ev.id, path)
        return _not_found(_("ไม่พบไฟล์หลักฐานนี้"), org.name, org.slug)
    response = send_file(
        path,
        mimetype=ev.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=ev.original_name,
        max_age=300,
    )
    suffix = Path(ev.original_name).suffix.lower()
    fallback = f"evidence-{ev.id}{suffix if suffix.isascii() else ''}"
    response.headers["Content-Disposition"] = content_disposition(ev.original_name, fallback)
    return _cacheable(response)


@bp.get("/p/<slug>/<fiscal_year>/reports/<int:report_id>.<ext>")
def report(slug: str, fiscal_year: str, report_id: int, ext: str):
    found, response = _resolve(slug, fiscal_year, "public.report", report_id=report_id, ext=ext)
    if response is not None:
        return response
    org, year = found
    published = page.public_report(org, year, report_id)
    if published is None or published.format != ext:
        return _not_found(_("ไม่พบรายงานนี้ หรือรายงานถูกถอนการเผยแพร่แล้ว"), org.name, org.slug)
    path = services.published_path(published, _upload_dir())
    if not path.is_file():
        log.error("published report %s: file %s is missing", published.id, path)
        return _not_found(_("ไม่พบไฟล์รายงานนี้"), org.name, org.slug)
    response = send_file(
        path,
        mimetype=services.CONTENT_TYPES.get(published.format, "application/octet-stream"),
        as_attachment=True,
        download_name=published.download_name,
        max_age=300,
        etag=published.sha256,
    )
    response.headers["Content-Disposition"] = content_disposition(
        published.download_name, services.ascii_name(published, db.session.get_one(Plan, published.plan_id))
    )
    return _cacheable(response)


def _upload_dir() -> str:
    return str(Path(current_app.config["TRACKER_UPLOAD_DIR"]).resolve())


# -- publishing (admins) ---------------------------------------------------------------------


def _me() -> User:
    return current_user._get_current_object()


def _admin_plan(plan_id: int) -> Plan:
    plan = queries.load_plan(plan_id)
    if plan is None or not access.can_read_org(current_user, plan.organization_id):
        abort(404)
    access.require_admin(current_user, plan.organization_id)
    return plan


def _publish_form(plan: Plan, *, typed: bool) -> PublishForm:
    """The publish form: as typed (a POST), or for the date asked in the address (default:
    today, or the fiscal year's last day once it is over)."""
    today = clock.today()
    presets = [
        (
            r,
            label,
            thaidate.format_date(
                round_date(plan.fiscal_year, r), thai_digits=i18n.thai_digits(), lang=i18n.current_language()
            ),
        )
        for r, label in ROUNDS.items()
    ]
    items = plan_items(plan)
    kinds = {
        kind: with_code(i18n._(label), kind_code(items, kind))
        for kind, label in services.KIND_LABELS.items()
        if services.formats_for(kind)
    }
    if typed:
        return PublishForm(kinds=kinds, presets=presets)
    default_as_of = min(today, thaidate.fiscal_year_bounds(plan.fiscal_year)[1])
    preset = PublishPresetForm.sent()
    preset.validate()
    as_of = preset.as_of.data or default_as_of
    # Thai digits ticked by default when the organization writes its documents so
    form = PublishForm(
        formdata=None,
        data={"as_of": as_of, "thai_digits": plan.organization.official_thai_digits},
        kinds=kinds,
        presets=presets,
    )
    if preset.as_of.errors:  # a date in the address that is no date: shown as typed, with why
        form.as_of.raw_data, form.as_of.errors = preset.as_of.raw_data, list(preset.as_of.errors)
    return form


def _render_publish(plan: Plan, form: PublishForm):
    body = render_template(
        "public/publish.html",
        plan=plan,
        published=services.published_reports(plan),
        presets=[(r, label, round_date(plan.fiscal_year, r)) for r, label in ROUNDS.items()],
        public_url=public_url(plan) if plan.status is not PlanStatus.draft else None,
        size_text=size_text,
        report_url=lambda r: url_for(
            "public.report", slug=plan.organization.slug, fiscal_year=plan.fiscal_year, report_id=r.id, ext=r.format
        ),
        form=form,
        withdraw_form=WithdrawForm(formdata=None),
    )
    return body, 400 if form.has_errors else 200


@bp.get("/plans/<int:plan_id>/publish")
@login_required
def publish_page(plan_id: int):
    plan = _admin_plan(plan_id)
    return _render_publish(plan, _publish_form(plan, typed=False))


@bp.post("/plans/<int:plan_id>/publish")
@login_required
def publish(plan_id: int):
    plan = _admin_plan(plan_id)
    form = _publish_form(plan, typed=True)
    if not form.validate():
        return _render_publish(plan, form)
    upload_dir = _upload_dir()
    made: list[Path] = []
    try:
        as_of: date | None = None
        if form.kind.data == "followup":
            as_of = resolve_as_of(plan.fiscal_year, form.as_of.data, form.round.data or None, clock.today())[0]
        reports = services.publish_report(
            plan,
            _me(),
            clock.now(),
            kind=form.kind.data or "",
            formats=form.format.data or [],
            upload_dir=upload_dir,
            as_of=as_of,
            thai_digits=form.thai_digits.data,
        )
        made = [services.published_path(r, upload_dir) for r in reports]
        titles = ", ".join(r.format.upper() for r in reports)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        form.refuse(exc)
        return _render_publish(_admin_plan(plan_id), form)
    except BaseException:
        # The rows were not kept: their files must not stay behind.
        db.session.rollback()
        for path in made:
            path.unlink(missing_ok=True)
        raise
    flash(_("เผยแพร่แล้ว (%(titles)s) ประชาชนดาวน์โหลดได้จากหน้าสาธารณะ", titles=titles), "success")
    return redirect(url_for("public.publish_page", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/published/<int:published_id>/withdraw")
@login_required
def withdraw(plan_id: int, published_id: int):
    plan = _admin_plan(plan_id)
    published = db.session.get(PublishedReport, published_id)
    if published is None or published.plan_id != plan.id:
        abort(404)
    services.withdraw_report(published, _me(), clock.now(), WithdrawForm().reason.data or "")
    db.session.commit()
    flash(
        _(
            "ถอนการเผยแพร่ “%(published_title)s” (%(published_format_upper)s) แล้ว",
            published_title=published.title,
            published_format_upper=published.format.upper(),
        ),
        "success",
    )
    return redirect(url_for("public.publish_page", plan_id=plan.id))
