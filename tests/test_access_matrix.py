"""Every route × every role: who may read, who may write, who gets 403 or 404.

Each endpoint of the app must be classified below; a new route without a
class fails `test_every_route_is_classified`, so access is decided, not
forgotten. Requests carry valid CSRF tokens and empty forms: the point is
the access decision, not the form's validation (a 400 counts as "let in").
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import NOW, Snapshot, build_world, make_user, upload_files
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.ita.framework import ensure_framework
from tracker.notify.outbox import enqueue
from tracker.orgs.models import Department, Organization
from tracker.plans import results, services
from tracker.public.models import PublishedReport
from tracker.reports.signoff import submit_report

PUBLIC = "public"  # no login needed
READ = "read"  # every user of the organization
SELF = "self"  # any logged-in user, about themself
STEP = "step"  # the step's department (owner), admins
RESULT = "result"  # the measure's department (owner), admins
ADMIN = "admin"  # admins of the organization
CHAIN = "chain"  # the manager whose turn it is in a report's sign-off chain
API = "api"  # /api/v1: a bearer token only, a session cookie alone gets 401 (tokens: test_api.py)
OVERSIGHT = "oversight"
READ_POST = "read_post"  # a read sent as a form (the report's covering memo and its header fields): every
# user of the organization; oversight users POST nothing outside their account    # provincial and national users only (the overview across organizations)
FRAMEWORK_ADD = "framework_add"  # a national user (for everyone) or an organization's admin (its own framework)
PLAN_IMPORT = "plan_import"  # an organization's admin, or a provincial/national user (for an organization of its scope)
STEPS = "steps"  # admins and owners: each ticked step is checked again (tests/test_my_steps_bulk.py)
NATIONAL = "national"  # a national user only: the national ITA framework (framework_id points to it)

CLASSES: dict[str, str] = {
    "static": PUBLIC,
    "ops.healthz": PUBLIC,
    "auth.login": PUBLIC,
    "calendar.feed": PUBLIC,
    "notify.unsubscribe": PUBLIC,
    "auth.logout": SELF,
    "auth.profile": SELF,
    "calendar.feeds": SELF,
    "calendar.renew_mine": SELF,
    "notify.preferences": SELF,
    "api.openapi": PUBLIC,
    "plans.home": READ,
    "plans.dashboard": READ,
    "plans.current": READ,
    "plans.measure": READ,
    "plans.my_steps": READ,
    "plans.bulk_status": STEPS,
    # Saved filters: each member's own (isolation: tests/test_my_steps_bulk.py); oversight users change nothing.
    "plans.save_filter": READ_POST,
    "plans.delete_filter": READ_POST,
    "plans.step": READ,
    "plans.evidence": READ,
    "ita.index": READ,
    "ita.year": READ,
    "reports.followup": READ,
    "reports.download": READ,  # report.pdf/.docx/.odt/.xlsx/.html: one rule, the format in the path
    "reports.result": READ,
    "reports.cover": READ_POST,
    "plans.add_evidence": STEP,
    "plans.update_step": STEP,
    "plans.change_status": STEP,
    "plans.comment": STEP,
    "follow.remark": READ_POST,
    "follow.watch": READ_POST,
    "follow.notifications": SELF,
    "follow.activity": READ,
    "follow.organization_activity": READ,
    "calendar.month": READ,
    # Finds only what the user may read (tests/test_search.py); a visitor is sent to log in.
    "search.index": READ,
    "plans.delete_evidence": STEP,
    "reports.save_result": RESULT,
    "reports.add_result_evidence": RESULT,
    "reports.delete_result_evidence": RESULT,
    "ita.save": ADMIN,
    "ita.start_weakness": ADMIN,
    "ita.upload": ADMIN,
    "notify.rules_page": ADMIN,
    "calendar.renew_department": ADMIN,
    "memo.page": READ,
    "memo.download": READ,  # memo.docx, memo.odt (for LibreOffice) and memo.pdf
    "memo.save": ADMIN,
    "signoff.index": READ,
    "signoff.show": READ,
    "signoff.new": ADMIN,
    "signoff.create": ADMIN,
    "signoff.withdraw_view": ADMIN,
    "signoff.acknowledge_view": CHAIN,
    "rollover.rollover": ADMIN,
    "public.organization": PUBLIC,
    "public.plan": PUBLIC,
    "public.evidence": PUBLIC,
    "public.report": PUBLIC,
    "public.publish_page": ADMIN,
    "public.publish": ADMIN,
    "public.withdraw": ADMIN,
    "plans.set_evidence_public": STEP,
    # Undo a delete: the organization's admins (and whoever deleted the item: tests/test_trash.py)
    "plans.trash_restore": ADMIN,
    # LINE: the webhook is authenticated by LINE's signature, not a login (tests/test_line.py).
    "line.receive": PUBLIC,
    "line.settings": ADMIN,
    "line.test_message": ADMIN,
    "line.disconnect": ADMIN,
    "line.profile": SELF,
    "line.unlink": SELF,
    "line.confirm_link": SELF,
    "frameworks.index": READ,
    "frameworks.show": READ,
    "frameworks.download": READ,
    "frameworks.template": READ,
    "admin.import_plan": PLAN_IMPORT,
    "admin.import_confirm": PLAN_IMPORT,
    "admin.plan_template": PLAN_IMPORT,
    "frameworks.upload": FRAMEWORK_ADD,
    "frameworks.copy": FRAMEWORK_ADD,
    "frameworks.publish": NATIONAL,
    "frameworks.edit": NATIONAL,
    "frameworks.delete": NATIONAL,
}
PREFIX_CLASSES = {
    "api.": API,
    "api_tokens.": SELF,
    "admin.": ADMIN,
    "memo_import.": ADMIN,
    "ita_paste.": ADMIN,
    "outbox.": ADMIN,
    "province.": OVERSIGHT,
}
#: Route variables that name a record of the organization: outsiders get 404.
RECORD_ARGS = {
    "plan_id",
    "measure_id",
    "weakness_id",
    "step_id",
    "evidence_id",
    "department_id",
    "user_id",
    "message_id",
    "submission_id",
    "organization_id",
    "item_id",
}
ROLES = [
    "anonymous",
    "admin",
    "manager",
    "owner_palad",
    "owner_strategy",
    "viewer",
    "outsider_admin",
    "provincial",
    "national",
]
#: Read-only users across organizations: the provincial office of world's province, the national department.
OVERSIGHT_ROLES = ("provincial", "national")


def class_of(endpoint: str) -> str | None:
    if endpoint in CLASSES:
        return CLASSES[endpoint]
    return next((c for prefix, c in PREFIX_CLASSES.items() if endpoint.startswith(prefix)), None)


def rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_classified(app):
    unclassified = sorted({r.endpoint for r, _ in rules(app) if class_of(r.endpoint) is None})
    assert unclassified == [], f"classify these endpoints in CLASSES: {unclassified}"


def _cases():
    from tracker import create_app  # the route list only; the session app serves the requests

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    for rule, method in rules(app):
        if rule.endpoint == "static" or class_of(rule.endpoint) == PUBLIC:
            continue
        for role in ROLES:
            yield pytest.param(rule.rule, rule.endpoint, method, role, id=f"{method} {rule.rule} as {role}")


@pytest.fixture(scope="module")
def matrix(app) -> tuple[Snapshot, dict, dict[str, str]]:
    """`world`, the records every route variable points at (`_ids`) and a user per role, built
    once per worker: each case starts from this snapshot, so an allowed POST (a deletion, say)
    changes nothing for the next case. Returns the snapshot, the ids and each role's email."""
    with app.test_request_context():
        files_before = upload_files(app)
        world = build_world()
        ids = _ids(world)
        emails = {role: _user(world, role).email for role in ROLES if role != "anonymous"}
        snapshot = Snapshot.take(app, files_before)
        db.session.remove()
    return snapshot, ids, emails


def _ids(world) -> dict:
    """Values for every route variable, all pointing into `world`'s organization."""
    palad_step = world.step(world.m1, 1)
    step_ev = services.add_link_evidence(palad_step, world.owner_palad, "https://a.go.th/1", "ประกาศ", NOW)
    result_ev = results.add_result_link(world.m1, world.owner_palad, "https://a.go.th/2", "สถิติ", NOW)
    message = enqueue(
        organization_id=world.org.id,
        about=f"org:{world.org.id}",
        kind="reminder",
        for_date=date(2023, 8, 1),
        recipient="palad@example.go.th",
        subject="ทดสอบ",
        body_text="x",
        body_html="<p>x</p>",
    )
    other = Organization(name="อบต.อื่น", slug="otherorg", province="ขอนแก่น")
    db.session.add(other)
    make_user(other, "outsider@other.go.th", Role.admin)
    db.session.add(Department(organization=other, name="สำนักปลัด"))
    submission = submit_report(
        world.plan, world.admin, NOW, kind="followup", chain=[world.manager], as_of=date(2023, 8, 1)
    )
    published = PublishedReport(
        organization_id=world.org.id,
        plan_id=world.plan.id,
        kind="followup",
        as_of=date(2023, 8, 1),
        format="pdf",
        title="รายงาน",
        stored_name="access-matrix.pdf",
        download_name="รายงาน.pdf",
        size=1,
        sha256="0" * 64,
    )
    db.session.add(published)
    framework = ensure_framework(2565)
    db.session.flush()
    from tracker.plans import structure, trash

    spare = structure.add_step(
        world.m2, None, NOW, title="ขั้นตอนที่จะลบ", start_date=date(2023, 1, 2), due_date=date(2023, 9, 1)
    )
    trashed = trash.trash_step(spare, world.admin, NOW)
    # Each organization has its emblem, so /admin/documents/emblem has something to show its admin.
    import io

    from tests.test_official_documents import emblem_png
    from tracker.orgs.documents import set_emblem

    for org in (world.org, other):
        set_emblem(org, None, "garuda.png", io.BytesIO(emblem_png()), NOW)
    db.session.commit()
    return {
        "framework_id": framework.id,
        "ext": "yaml",
        "published_id": published.id,
        "plan_id": world.plan.id,
        "measure_id": world.m1.id,
        "weakness_id": world.m1.weakness_id,
        "step_id": palad_step.id,
        "department_id": world.palad.id,
        "user_id": world.viewer.id,
        "slug": world.org.slug,
        "message_id": message.id,
        "fiscal_year": 2565,
        "number": 4,
        "token": "t" * 43,
        "fmt": "xlsx",
        "evidence_id": step_ev.id,
        "result_evidence_id": result_ev.id,
        "submission_id": submission.id,
        "organization_id": world.org.id,
        "item_id": trashed.id,
    }


def _url(rule: str, endpoint: str, ids: dict) -> str:
    values = dict(ids)
    if endpoint == "reports.delete_result_evidence":
        values["evidence_id"] = ids["result_evidence_id"]
    url = rule
    for name, value in values.items():
        for conv in ("int:", ""):
            url = url.replace(f"<{conv}{name}>", str(value))
    assert "<" not in url, f"no value for a variable of {rule}: add it to the ids fixture"
    return url


def _user(world, role):
    if role in OVERSIGHT_ROLES:
        office = Organization(
            name=f"สำนักงาน {role}", slug=f"office-{role}", province=world.org.province if role == "provincial" else ""
        )
        db.session.add(office)
        user = make_user(office, f"{role}@office.go.th", Role(role))
        db.session.commit()
        return user
    if role == "outsider_admin":
        return db.session.scalar(db.select(User).where(User.email == "outsider@other.go.th"))
    return getattr(world, role)


def expected(cls: str, role: str, rule: str) -> str:
    """ "login", "unauthorized", "forbidden", "not_found" or "allowed"."""
    if cls == API:
        return "unauthorized"
    if role == "anonymous":
        return "login"
    if cls == OVERSIGHT:
        return "allowed" if role in OVERSIGHT_ROLES else "forbidden"
    if cls == NATIONAL:
        return "allowed" if role == "national" else "forbidden"
    if cls == PLAN_IMPORT:
        # The form answers (a missing file or organization is a 400); whose plan it is, the form decides.
        return "allowed" if role in ("national", "provincial", "admin", "outsider_admin") else "forbidden"
    if cls == FRAMEWORK_ADD:
        return "allowed" if role in ("national", "admin", "outsider_admin") else "forbidden"
    if cls == READ_POST:
        if role in OVERSIGHT_ROLES:
            return "forbidden"
        cls = READ
    if role in OVERSIGHT_ROLES:
        # Reads every page of world's organization (its province), changes nothing anywhere.
        return "allowed" if cls in (READ, SELF) else "forbidden"
    if role == "outsider_admin":
        if any(f"{a}>" in rule for a in RECORD_ARGS):
            return "not_found"
        return "allowed"
    if cls in (READ, SELF):
        return "allowed"
    if cls == ADMIN:
        return "allowed" if role == "admin" else "forbidden"
    if cls == CHAIN:
        return "allowed" if role == "manager" else "forbidden"
    if cls == STEPS:
        return "allowed" if role in ("admin", "owner_palad", "owner_strategy") else "forbidden"
    # STEP and RESULT: the palad step / measure 1 (สำนักปลัดเทศบาล)
    return "allowed" if role in ("admin", "owner_palad") else "forbidden"


@pytest.mark.parametrize("rule, endpoint, method, role", list(_cases()))
def test_access(client, ctx, matrix, login, rule, endpoint, method, role):
    snapshot, ids, emails = matrix
    snapshot.restore()
    if role != "anonymous":
        login(db.session.scalar(db.select(User).where(User.email == emails[role])))
    url = _url(rule, endpoint, ids)
    response = client.open(url, method=method, data={} if method == "POST" else None)
    status = response.status_code
    want = expected(class_of(endpoint), role, rule)
    assert status < 500, f"{method} {url} as {role}: {status}"
    if want == "unauthorized":
        assert status == 401 and response.headers.get("WWW-Authenticate", "").startswith("Bearer"), status
    elif want == "login":
        assert status in (302, 401) and "/login" in response.headers.get("Location", "/login"), status
    elif want == "forbidden":
        assert status == 403, f"{method} {url} as {role}: expected 403, got {status}"
    elif want == "not_found":
        assert status == 404, f"{method} {url} as {role}: expected 404, got {status}"
    else:
        assert status not in (401, 403, 404), f"{method} {url} as {role}: expected to be let in, got {status}"
