"""The provincial (and national) overview, one organization's plans, and the
rule that oversight users change nothing.

Provincial and national users read the organizations of their scope through
the ordinary pages (dashboard, measures, steps, reports): `access.can_read_org`
lets them in. Every change is refused to them here, once for all routes,
present and future: a POST (PUT, PATCH, DELETE) by an oversight user is a 403
unless it is about their own account.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user

from .. import access, clock, thaidate
from ..auth.models import Role
from ..db import db
from ..errors import PermissionDenied
from ..extensions import login_manager
from ..i18n import _
from ..orgs.models import Organization
from ..reports.views import content_disposition
from . import services
from .forms import OverviewForm
from .services import SHOW_FILTERS, SORTS, OverviewQuery, State

bp = Blueprint("province", __name__)

#: Changes an oversight user may still make: to their own account only.
SELF_SERVICE_ENDPOINTS = frozenset(
    {
        "auth.login",
        "auth.logout",
        "auth.profile",
        "calendar.renew_mine",
        "notify.preferences",
        "api_tokens.create",
        "api_tokens.revoke",
        "line.profile",
        "line.unlink",
        "line.confirm_link",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Importing a plan file for an organization of their scope: the plan import decides (access.may_import_plan_for).
PLAN_IMPORT_ENDPOINTS = frozenset({"admin.import_plan", "admin.import_confirm"})


@bp.before_app_request
def oversight_reads_only() -> None:
    """403 for every change an oversight user attempts, whatever the route."""
    if request.method in SAFE_METHODS or request.endpoint in SELF_SERVICE_ENDPOINTS | PLAN_IMPORT_ENDPOINTS:
        return
    # The API ignores the session: it acts as its token's user, whose changes its
    # own checks (can_edit_step, is_org_admin) refuse to oversight users.
    # ITA frameworks are reference data a national user publishes: their views decide (can_manage_frameworks).
    if request.blueprint not in ("api", "frameworks") and access.is_oversight(current_user):
        access.require_writer(current_user)


@bp.before_request
def oversight_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not access.is_oversight(current_user):
        raise PermissionDenied(_("หน้านี้สำหรับผู้ใช้ระดับจังหวัดและส่วนกลาง"))
    return None


@bp.app_context_processor
def _nav() -> dict:
    return {"is_oversight": lambda: access.is_oversight(current_user)}


def _scope_label() -> str:
    province = access.oversight_province(current_user)
    if province is not None:
        return f"จังหวัด{province}"
    if current_user.role is Role.national:
        return _("ทุกจังหวัด")
    return current_user.organization.name


def _query() -> tuple[OverviewQuery, int]:
    current = thaidate.fiscal_year(clock.today())
    return OverviewForm.read().query(current), current


@bp.get("/province")
def overview():
    query, current_year = _query()
    scope = access.readable_organization_ids(current_user)
    today = clock.today()
    page, summary = services.overview_page(scope, query, today)
    return render_template(
        "province/overview.html",
        query=query,
        page=page,
        summary=summary,
        years=services.fiscal_years(scope, current_year),
        provinces=services.provinces(scope) if scope is None else [],
        scope_label=_scope_label(),
        show_filters=SHOW_FILTERS,
        sorts=SORTS,
        states=State,
        today=today,
    )


@bp.get("/province.xlsx")
def export():
    query, _unused = _query()
    scope = access.readable_organization_ids(current_user)
    today = clock.today()
    rows = services.overview_rows(scope, query, today)
    title = f"ภาพรวมการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใส {_scope_label()}"
    from .export import overview_xlsx  # openpyxl: loaded by the first download, not with the worker

    body = overview_xlsx(rows, title=title, fiscal_year=query.fiscal_year, as_of=today)
    response = Response(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = content_disposition(
        f"ภาพรวม-{query.fiscal_year}.xlsx", f"overview-{query.fiscal_year}.xlsx"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/province/organizations/<int:organization_id>")
def organization(organization_id: int):
    org = db.session.get(Organization, organization_id)
    # Outside the user's scope the organization does not exist: 404, as everywhere.
    if org is None or not access.can_read_org(current_user, org.id):
        abort(404)
    return render_template(
        "province/organization.html",
        org=org,
        plans=services.organization_plans(org.id, clock.today()),
        back_url=url_for("province.overview"),
    )
