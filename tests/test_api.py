"""The JSON API /api/v1: bearer tokens, the web's permission rules, its OpenAPI document.

Every response in these tests is checked against the OpenAPI document: its
status must be documented for the operation and its body must match the
schema (`ApiClient`). tests/test_api_schemathesis.py fuzzes the same API.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import date

import pytest
import schemathesis
import sqlalchemy as sa
from markupsafe import escape
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.conftest import NOW, make_user
from tracker import clock, thaidate
from tracker.api import tokens
from tracker.api.openapi import MAX_ID, document
from tracker.auth.models import Role, User
from tracker.db import db
from tracker.notify.models import OutboxStatus
from tracker.notify.outbox import enqueue
from tracker.orgs.models import Department, Organization
from tracker.plans import services
from tracker.plans.models import JournalEntry, Measure, Plan, Step, StepStatus, Weakness

PREFIX = "/api/v1"
RULE_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """/api/v1/steps/<int:step_id> → /steps/{step_id}"""
    return RULE_VARIABLE.sub(r"{\1}", rule)[len(PREFIX) :]


def api_operations(app) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def documented_operations(doc: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item}


class ApiClient:
    """Calls /api/v1 like a script would, and holds every answer to the OpenAPI document."""

    def __init__(self, app, client, schema):
        self.app, self.client, self.schema = app, client, schema
        self.doc = document()

    def __call__(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json_body=None,
        query=None,
        headers: dict | None = None,
        data=None,
    ):
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kwargs = {"json": json_body} if json_body is not None else {"data": data}
        response = self.client.open(
            PREFIX + path, method=method, query_string=query, headers=headers, csrf=False, **kwargs
        )
        self.check(method, PREFIX + path, response)
        return response

    def check(self, method: str, url: str, response) -> None:
        assert response.mimetype == "application/json", (response.status, response.get_data(as_text=True)[:300])
        body = response.get_json()
        if response.status_code >= 400:
            assert set(body) == {"error", "status"} and body["status"] == response.status_code, body
            assert body["error"].strip(), body
        if response.status_code == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), response.headers
        try:
            rule, _ = self.app.url_map.bind("localhost").match(url.split("?")[0], method, return_rule=True)
        except (NotFound, MethodNotAllowed):
            return  # not an operation: the JSON error above is all there is to check
        path = openapi_path(rule.rule)
        responses = self.doc["paths"][path][method.lower()]["responses"]
        assert str(response.status_code) in responses, f"{method} {path}: {response.status_code} is not documented"
        self.schema[path][method.upper()].validate_response(response)


@pytest.fixture
def frozen(monkeypatch):
    """The API's clock at NOW (2023-08-01 10:00 Bangkok)."""
    monkeypatch.setattr(clock, "now", lambda: NOW.astimezone(thaidate.BANGKOK))


@pytest.fixture
def api(app, client, frozen):
    return ApiClient(app, client, schemathesis.openapi.from_dict(document()))


@pytest.fixture
def token(world):
    """token(user) → a secret of a fresh API token of that user."""

    def _token(user: User, name: str = "สคริปต์ทดสอบ") -> str:
        _, secret = tokens.create_token(user, name, NOW)
        db.session.commit()
        return secret

    return _token


@pytest.fixture
def other_org(world):
    """A second organization with its own plan, step and admin."""
    org = Organization(name="อบต.อื่น", slug="otherorg", province="ขอนแก่น")
    dep = Department(organization=org, name="สำนักปลัด")
    plan = Plan(organization=org, fiscal_year=2566, title="แผนขององค์กรอื่น")
    weakness = Weakness(plan=plan, order=1, title="จุดอ่อนอื่น")
    measure = Measure(
        weakness=weakness,
        order=1,
        title="มาตรการอื่น",
        owner_department=dep,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
    )
    step = Step(
        measure=measure,
        order=1,
        title="ขั้นตอนอื่น",
        owner_department=dep,
        start_date=date(2023, 1, 1),
        due_date=date(2023, 7, 1),
    )
    db.session.add(org)
    admin = make_user(org, "outsider@other.go.th", Role.admin, name="ผู้ดูแลองค์กรอื่น")
    db.session.commit()
    return {"org": org, "department": dep, "plan": plan, "measure": measure, "step": step, "admin": admin}


# -- the document matches the app -------------------------------------------------------------


def test_every_api_route_is_in_the_document_and_nothing_else(app):
    assert api_operations(app) == documented_operations(document())


def test_the_document_is_served_without_a_token_and_loads_as_openapi_3_1(client):
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    served = response.get_json()
    assert served == document()
    assert served["openapi"].startswith("3.1")
    assert served["components"]["securitySchemes"]["bearerAuth"] == {
        **served["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    schema = schemathesis.openapi.from_dict(served)
    schema.validate()  # against the OpenAPI 3.1 specification's own JSON Schema
    loaded = {(op.path, op.method.lower()) for op in (result.ok() for result in schema.get_all_operations())}
    assert loaded == documented_operations(served)


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_reference_resolves_and_every_component_is_used():
    doc = document()
    refs = set(_refs(doc))
    for ref in refs:
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    components = {
        f"#/components/{kind}/{name}"
        for kind in ("schemas", "responses", "parameters")
        for name in doc["components"][kind]
    }
    assert components - refs == set()


def test_every_operation_documents_its_errors_and_each_write_has_examples():
    doc = document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["summary"] and op["description"] and op["operationId"], (method, path)
            if path == "/openapi.json":
                assert op["security"] == []
                continue
            assert "security" not in op, "every other operation uses the document's bearer security"
            assert {"200", "201"} & set(op["responses"]) and "401" in op["responses"], (method, path)
            if "{" in path or method == "post":
                assert "404" in op["responses"], (method, path)
            if method == "post":
                assert {"400", "403", "422"} <= set(op["responses"]), path
                content = op["requestBody"]["content"]["application/json"]
                assert content["examples"] and "curl" in op["description"], path
    assert doc["security"] == [{"bearerAuth": []}]


def test_the_documented_examples_are_valid_requests(api, world, token):
    """Each example request body of the document, sent as is, is accepted (or refused only by the step's state)."""
    doc = document()
    secret = token(world.admin)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method != "post":
                continue
            for name, example in op["requestBody"]["content"]["application/json"]["examples"].items():
                step = world.step(world.m1, 2)
                db.session.refresh(step)
                if step.status is not StepStatus.not_started:
                    services.change_status(step, StepStatus.not_started, None, NOW)
                    db.session.commit()
                response = api("POST", path.replace("{step_id}", str(step.id)), secret, json_body=example["value"])
                assert response.status_code in (200, 201), (path, name, response.get_json())


# -- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic YWRtaW46cGFzcw==",
        "Token trk_x",
        "Bearer trk_" + "x" * 40,
        "Bearer ไม่ใช่โทเคน",
    ],
)
def test_no_valid_token_is_401_json_with_a_bearer_challenge(api, world, header):
    headers = {"Authorization": header.encode("utf-8").decode("latin-1")} if header is not None else {}
    response = api("GET", "/steps", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tracker"'
    assert "โทเคน" in response.get_json()["error"]


def test_a_logged_in_browser_session_is_not_api_authentication(api, world, login):
    login(world.admin)
    step = world.step(world.m1, 1)
    assert api("GET", "/me").status_code == 401
    # Not even a form post with a valid CSRF token: the session is never consulted.
    response = api.client.post(f"{PREFIX}/steps/{step.id}/status", data={"status": "done"})
    assert response.status_code == 401
    assert step.status is StepStatus.not_started


def test_the_token_decides_who_acts_even_with_another_users_cookie(api, world, token, login):
    login(world.admin)
    response = api("GET", "/me", token(world.viewer))
    assert response.status_code == 200
    assert response.get_json()["email"] == world.viewer.email
    assert "Set-Cookie" not in response.headers


def test_me_describes_the_tokens_user(api, world, token):
    body = api("GET", "/me", token(world.owner_palad)).get_json()
    assert body == {
        "id": world.owner_palad.id,
        "email": "palad.owner@test.go.th",
        "display_name": "เจ้าหน้าที่สำนักปลัด",
        "role": "owner",
        "organization": {"id": world.org.id, "slug": "testorg", "name": "เทศบาลตำบลทดสอบ", "province": "ขอนแก่น"},
        "department": {"id": world.palad.id, "name": "สำนักปลัดเทศบาล"},
    }


def test_a_revoked_token_stops_working_at_once(api, world, token):
    secret = token(world.owner_palad)
    assert api("GET", "/me", secret).status_code == 200
    row = db.session.scalar(sa.select(tokens.ApiToken).where(tokens.ApiToken.token_hash == tokens.hash_secret(secret)))
    tokens.revoke_token(row, world.owner_palad, NOW)
    db.session.commit()
    response = api("GET", "/me", secret)
    assert response.status_code == 401
    assert "ถูกยกเลิก" in response.get_json()["error"]


def test_a_deactivated_users_tokens_stop_working(api, world, token):
    secret = token(world.owner_palad)
    world.owner_palad.active = False
    db.session.commit()
    response = api("GET", "/steps", secret)
    assert response.status_code == 401
    assert "ถูกปิดใช้งาน" in response.get_json()["error"]
    world.owner_palad.active = True
    db.session.commit()
    assert api("GET", "/steps", secret).status_code == 200


def test_use_is_recorded_at_most_once_a_minute(api, world, token):
    secret = token(world.viewer)
    row = db.session.scalar(sa.select(tokens.ApiToken).where(tokens.ApiToken.user_id == world.viewer.id))
    assert row.last_used_at is None
    api("GET", "/me", secret)
    assert row.last_used_at == NOW


# -- reading -------------------------------------------------------------------------------------


def test_organizations_lists_only_the_users_own(api, world, token, other_org):
    body = api("GET", "/organizations", token(world.viewer)).get_json()
    assert [o["slug"] for o in body["items"]] == ["testorg"]
    detail = api("GET", "/organizations/testorg", token(world.viewer)).get_json()
    assert [d["name"] for d in detail["departments"]] == ["กองยุทธศาสตร์และงบประมาณ", "สำนักปลัดเทศบาล"]
    assert detail["departments"][1] == {"id": world.palad.id, "name": "สำนักปลัดเทศบาล", "email": "palad@example.go.th"}


def test_another_organization_is_not_found_exactly_like_a_missing_one(api, world, token, other_org):
    secret = token(world.admin)
    missing = api("GET", "/organizations/nosuchorg/plans", secret)
    other = api("GET", "/organizations/otherorg/plans", secret)
    assert missing.status_code == other.status_code == 404
    assert missing.get_json() == other.get_json()
    for path in (
        f"/plans/{other_org['plan'].id}",
        f"/measures/{other_org['measure'].id}",
        f"/steps/{other_org['step'].id}",
        f"/steps/{other_org['step'].id}/journal",
    ):
        assert api("GET", path, secret).status_code == 404, path
    listed = api("GET", "/steps", secret, query={"limit": 200}).get_json()
    assert other_org["step"].id not in {s["id"] for s in listed["items"]}
    assert api("GET", "/steps", secret, query={"organization": "otherorg"}).status_code == 404
    assert api("GET", "/steps", secret, query={"department": other_org["department"].id}).status_code == 404


def test_plans_of_an_organization_with_progress(api, world, token):
    services.change_status(world.step(world.m1, 1), "done", world.admin, NOW)
    services.change_status(world.step(world.m2, 1), "cancelled", world.admin, NOW, note="ไม่จำเป็นแล้ว")
    db.session.commit()
    body = api("GET", "/organizations/testorg/plans", token(world.manager)).get_json()
    assert body == {
        "items": [
            {
                "id": world.plan.id,
                "organization": "testorg",
                "fiscal_year": 2566,
                "title": "มาตรการส่งเสริมคุณธรรมและความโปร่งใส ๒๕๖๖",
                "status": "active",
                "progress": {"done": 1, "total": 4, "cancelled": 1, "percent": 25},
            }
        ]
    }


def test_a_plan_with_its_weaknesses_and_measures(api, world, token):
    body = api("GET", f"/plans/{world.plan.id}", token(world.viewer)).get_json()
    assert [w["title"] for w in body["weaknesses"]] == ["การใช้ทรัพย์สินของราชการ", "การปรับปรุงการทำงาน"]
    m1 = body["weaknesses"][0]["measures"][0]
    assert m1 == {
        "id": world.m1.id,
        "plan_id": world.plan.id,
        "weakness_id": world.m1.weakness_id,
        "number": "1",
        "order": 1,
        "title": "โครงการใช้ทรัพย์สินอย่างโปร่งใส",
        "owner_department": {"id": world.palad.id, "name": "สำนักปลัดเทศบาล"},
        "period_start": "2023-07-01",
        "period_end": "2023-09-30",
        "follow_up": "ประกาศแนวทางปฏิบัติ",
        "progress": {"done": 0, "total": 3, "cancelled": 0, "percent": 0},
    }


def test_a_measure_with_its_steps_in_order(api, world, token):
    body = api("GET", f"/measures/{world.m1.id}", token(world.viewer)).get_json()
    assert body["weakness"] == {"id": world.m1.weakness_id, "order": 1, "title": "การใช้ทรัพย์สินของราชการ"}
    assert [(s["number"], s["due_date"]) for s in body["steps"]] == [
        ("1.1", "2023-07-31"),
        ("1.2", "2023-08-31"),
        ("1.3", "2023-09-29"),
    ]


def test_a_step_with_evidence_iso_dates_and_utc_timestamps(api, world, token):
    step = world.step(world.m1, 1)
    services.add_link_evidence(step, world.owner_palad, "https://a.go.th/ประกาศ", "ประกาศ", NOW)
    services.change_status(step, "done", world.owner_palad, NOW, note="ลงนามแล้ว")
    db.session.commit()
    body = api("GET", f"/steps/{step.id}", token(world.viewer)).get_json()
    assert body["number"] == "1.1" and body["status"] == "done" and body["status_label"] == "ดำเนินการแล้ว"
    assert body["start_date"] == "2023-07-01" and body["due_date"] == "2023-07-31"
    assert body["completed_at"] == "2023-08-01T03:00:00+00:00"
    assert body["completed_by"] == {"id": world.owner_palad.id, "display_name": "เจ้าหน้าที่สำนักปลัด"}
    assert body["overdue"] is False and body["organization"] == "testorg" and body["fiscal_year"] == 2566
    assert body["measure"] == {"id": world.m1.id, "number": "1", "title": "โครงการใช้ทรัพย์สินอย่างโปร่งใส"}
    [ev] = body["evidence"]
    assert ev["kind"] == "link" and ev["url"] == "https://a.go.th/ประกาศ" and ev["public"] is False
    assert ev["created_at"] == "2023-08-01T03:00:00+00:00"


def test_thai_text_is_sent_as_utf8_not_escaped(api, world, token):
    response = api("GET", f"/steps/{world.step(world.m1, 1).id}", token(world.viewer))
    assert "จัดทำประกาศแนวทางปฏิบัติ".encode() in response.get_data()


def test_a_steps_journal_newest_first(api, world, token):
    step = world.step(world.m1, 1)
    services.change_status(step, "in_progress", world.owner_palad, NOW, note="เริ่มร่าง")
    services.add_comment(step, world.owner_palad, "ส่งร่างให้ปลัดตรวจ", NOW)
    db.session.commit()
    body = api("GET", f"/steps/{step.id}/journal", token(world.viewer)).get_json()
    assert [(e["action"], e["note"]) for e in body["items"]] == [("comment", "ส่งร่างให้ปลัดตรวจ"), ("status", "เริ่มร่าง")]
    status = body["items"][1]
    assert (status["field"], status["old_value"], status["new_value"]) == ("status", "not_started", "in_progress")
    assert status["actor"]["id"] == world.owner_palad.id and status["step_id"] == step.id


# -- the step list: filters and pages ---------------------------------------------------------------


def _numbers(response) -> list[str]:
    return [s["number"] for s in response.get_json()["items"]]


def test_steps_in_plan_order_with_a_total(api, world, token):
    response = api("GET", "/steps", token(world.viewer))
    assert _numbers(response) == ["1.1", "1.2", "1.3", "2.1", "2.2"]
    body = response.get_json()
    assert (body["total"], body["limit"], body["offset"], body["next_offset"]) == (5, 50, 0, None)
    assert body["total_exact"] is True


def test_steps_filtered_by_status_department_and_due_dates(api, world, token):
    services.change_status(world.step(world.m1, 2), "done", world.admin, NOW)
    services.change_status(world.step(world.m2, 2), "in_progress", world.admin, NOW)
    db.session.commit()
    secret = token(world.viewer)

    def numbers(**query) -> list[str]:
        return _numbers(api("GET", "/steps", secret, query=query))

    assert numbers(status="done") == ["1.2"]
    assert numbers(status="open") == ["1.1", "1.3", "2.1", "2.2"]
    assert numbers(department=world.strategy.id) == ["2.1", "2.2"]
    assert numbers(department=world.strategy.id, status="in_progress") == ["2.2"]
    # Both bounds inclusive.
    assert numbers(due_after="2023-08-15") == ["1.2", "1.3", "2.2"]
    assert numbers(due_before="2023-07-31") == ["1.1", "2.1"]
    assert numbers(due_after="2023-07-31", due_before="2023-08-15") == ["1.1", "2.2"]
    # Overdue on 2023-08-01: open and due before today.
    assert numbers(overdue="true") == ["1.1", "2.1"]
    assert numbers(overdue="false") == ["1.2", "1.3", "2.2"]
    assert numbers(plan=world.plan.id, measure=world.m2.id) == ["2.1", "2.2"]
    assert numbers(organization="testorg", status="cancelled") == []


def test_mine_is_the_users_department_and_assignments(api, world, token):
    step = world.step(world.m2, 1)
    step.assignee = world.owner_palad
    db.session.commit()
    assert _numbers(api("GET", "/steps", token(world.owner_palad), query={"mine": "true"})) == [
        "1.1",
        "1.2",
        "1.3",
        "2.1",
    ]
    assert _numbers(api("GET", "/steps", token(world.viewer), query={"mine": "1"})) == []


def test_paging_walks_every_step_once(api, world, token):
    secret = token(world.viewer)
    seen, offset, pages = [], 0, 0
    while offset is not None:
        body = api("GET", "/steps", secret, query={"limit": 2, "offset": offset}).get_json()
        assert body["total"] == 5 and body["limit"] == 2
        seen += [s["number"] for s in body["items"]]
        offset, pages = body["next_offset"], pages + 1
    assert seen == ["1.1", "1.2", "1.3", "2.1", "2.2"] and pages == 3
    beyond = api("GET", "/steps", secret, query={"offset": 100}).get_json()
    assert beyond["items"] == [] and beyond["total"] == 5 and beyond["next_offset"] is None


def test_long_lists_count_only_up_to_a_cap(api, world, token, monkeypatch):
    """A nationwide filter is not counted in full on every page: past offset + limit + COUNT_CAP
    the count stops, says so, and paging still reaches every step."""
    from tracker.api import schemas

    monkeypatch.setattr(schemas, "COUNT_CAP", 1)
    secret = token(world.viewer)
    first = api("GET", "/steps", secret, query={"limit": 2}).get_json()
    assert (first["total"], first["total_exact"], first["next_offset"]) == (3, False, 2)
    seen, offset = [], 0
    while offset is not None:
        body = api("GET", "/steps", secret, query={"limit": 2, "offset": offset}).get_json()
        seen += [s["number"] for s in body["items"]]
        offset = body["next_offset"]
    assert seen == ["1.1", "1.2", "1.3", "2.1", "2.2"]
    last = api("GET", "/steps", secret, query={"limit": 2, "offset": 4}).get_json()
    assert (last["total"], last["total_exact"], last["next_offset"]) == (5, True, None)


@pytest.mark.parametrize(
    "query, words",
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": str(MAX_ID + 1)}, "offset"),
        ({"status": "finished"}, "status"),
        ({"status": "\x00"}, "status"),
        ({"due_before": "2023-13-01"}, "due_before"),
        ({"due_after": "1/8/2566"}, "due_after"),
        ({"overdue": "yes"}, "overdue"),
        ({"department": "๑"}, "department"),
        ({"stauts": "done"}, "stauts"),
        ({"plan": "99999999999999999999"}, "plan"),
        ({"department": "9" * 5000}, "department"),
    ],
)
def test_bad_parameters_are_400_with_a_message_naming_them(api, world, token, query, words):
    response = api("GET", "/steps", token(world.viewer), query=query)
    assert response.status_code == 400
    assert words in response.get_json()["error"]


def test_the_step_list_runs_a_fixed_number_of_queries(app, api, world, token):
    secret = token(world.viewer)
    api("GET", "/me", secret)  # the token's first use is written once; the lists below only read
    counts = []

    def count(*_args):
        counts[-1] += 1

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        for limit in (1, 5):
            counts.append(0)
            assert len(api("GET", "/steps", secret, query={"limit": limit}).get_json()["items"]) == limit
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert counts[0] == counts[1], counts


# -- changing a step ------------------------------------------------------------------------------


def test_an_owner_marks_its_step_done_with_a_note_and_a_past_day(api, world, token):
    step = world.step(world.m1, 1)
    response = api(
        "POST",
        f"/steps/{step.id}/status",
        token(world.owner_palad),
        json_body={"status": "done", "note": "ลงนามประกาศแล้ว", "completed_on": "2023-07-28"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "done" and body["id"] == step.id
    # A past day counts from noon in Bangkok, 05:00 UTC.
    assert body["completed_at"] == "2023-07-28T05:00:00+00:00"
    assert step.status is StepStatus.done and step.completed_by_id == world.owner_palad.id
    entry = db.session.scalar(sa.select(JournalEntry).where(JournalEntry.step_id == step.id))
    assert (entry.action, entry.old_value, entry.new_value, entry.note, entry.actor_id) == (
        "status",
        "not_started",
        "done",
        "ลงนามประกาศแล้ว",
        world.owner_palad.id,
    )


def test_another_departments_owner_gets_the_webs_403_message(api, world, token, login):
    step = world.step(world.m1, 1)
    response = api("POST", f"/steps/{step.id}/status", token(world.owner_strategy), json_body={"status": "done"})
    assert response.status_code == 403
    message = response.get_json()["error"]
    assert message.startswith("ขั้นตอนนี้เป็นของ สำนักปลัดเทศบาล") and "ขั้นตอนของหน่วยงานตนเอง" in message
    web = login(world.owner_strategy).post(f"/steps/{step.id}/status", data={"status": "done"})
    assert web.status_code == 403 and str(escape(message)) in web.get_data(as_text=True)
    assert step.status is StepStatus.not_started


@pytest.mark.parametrize(
    "role, allowed",
    [("admin", True), ("owner_palad", True), ("owner_strategy", False), ("manager", False), ("viewer", False)],
)
def test_who_may_change_a_palad_step(api, world, token, role, allowed):
    step = world.step(world.m1, 1)
    secret = token(getattr(world, role))
    status = api("POST", f"/steps/{step.id}/status", secret, json_body={"status": "in_progress"}).status_code
    comment = api("POST", f"/steps/{step.id}/comments", secret, json_body={"note": "ความคืบหน้า"}).status_code
    assert (status, comment) == ((200, 201) if allowed else (403, 403))


def test_an_assignee_from_another_department_may_change_the_step(api, world, token):
    step = world.step(world.m1, 3)
    step.assignee = world.owner_strategy
    db.session.commit()
    response = api("POST", f"/steps/{step.id}/status", token(world.owner_strategy), json_body={"status": "in_progress"})
    assert response.status_code == 200 and response.get_json()["assignee"]["id"] == world.owner_strategy.id


def test_another_organizations_step_is_404_even_for_its_admins_peers(api, world, token, other_org):
    response = api("POST", f"/steps/{other_org['step'].id}/status", token(world.admin), json_body={"status": "done"})
    assert response.status_code == 404
    response = api(
        "POST", f"/steps/{world.step(world.m1, 1).id}/comments", token(other_org["admin"]), json_body={"note": "x"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body, words",
    [
        ({"status": "done", "completed_on": "2023-08-02"}, "อยู่ในอนาคต"),
        ({"status": "done", "completed_on": "2022-09-30"}, "ก่อนปีงบประมาณ"),
        ({"status": "cancelled"}, "เหตุผลที่ยกเลิก"),
        ({"status": "not_started"}, "อยู่แล้ว"),
    ],
)
def test_what_the_steps_state_refuses_is_422_and_changes_nothing(api, world, token, body, words):
    step = world.step(world.m1, 1)
    response = api("POST", f"/steps/{step.id}/status", token(world.owner_palad), json_body=body)
    assert response.status_code == 422
    assert words in response.get_json()["error"]
    assert step.status is StepStatus.not_started
    assert db.session.scalar(sa.select(sa.func.count()).where(JournalEntry.step_id == step.id)) == 0


def test_done_cannot_become_cancelled(api, world, token):
    step = world.step(world.m1, 1)
    secret = token(world.admin)
    done = {"status": "done", "note": "ประกาศแล้ว"}  # done needs a note by default (Organization.done_requires)
    assert api("POST", f"/steps/{step.id}/status", secret, json_body=done).status_code == 200
    response = api("POST", f"/steps/{step.id}/status", secret, json_body={"status": "cancelled", "note": "x"})
    assert response.status_code == 422 and "เป็น “ยกเลิก” ไม่ได้" in response.get_json()["error"]


def test_cancel_with_a_reason(api, world, token):
    step = world.step(world.m2, 2)
    response = api(
        "POST",
        f"/steps/{step.id}/status",
        token(world.owner_strategy),
        json_body={"status": "cancelled", "cancel_reason": "รวมกับขั้นตอนที่ 1"},
    )
    assert response.status_code == 200
    assert response.get_json()["cancel_reason"] == "รวมกับขั้นตอนที่ 1"


@pytest.mark.parametrize(
    "body, words",
    [
        (None, "JSON object"),
        ("done", "JSON object"),
        ([{"status": "done"}], "JSON object"),
        ({}, "status is required"),
        ({"status": None}, "status is required"),
        ({"status": 3}, "must be a string"),
        ({"status": "finished"}, "must be one of"),
        ({"status": "done", "when": "today"}, "Unknown fields: when"),
        ({"status": "done", "note": ["x"]}, "note must be a string"),
        ({"status": "done", "note": "a\x00b"}, "NUL"),
        ({"status": "done", "note": "x" * 10_001}, "longer than"),
        ({"status": "done", "completed_on": "28/07/2566"}, "ISO 8601"),
        ({"status": "done", "completed_on": "2023-02-30"}, "ISO 8601"),
        ({"status": "in_progress", "completed_on": "2023-07-28"}, "only for status done"),
    ],
)
def test_malformed_status_changes_are_400_with_a_message(api, world, token, body, words):
    """Said in English here (``Accept-Language: en``); test_api_language checks the Thai."""
    step = world.step(world.m1, 1)
    english = {"Accept-Language": "en"}
    if body is None:
        response = api(
            "POST",
            f"/steps/{step.id}/status",
            token(world.owner_palad),
            data="status=done",
            headers={"Content-Type": "application/x-www-form-urlencoded", **english},
        )
    else:
        response = api("POST", f"/steps/{step.id}/status", token(world.owner_palad), json_body=body, headers=english)
    assert response.status_code == 400
    assert words in response.get_json()["error"]


def test_invalid_json_deep_nesting_and_lone_surrogates_are_400(api, world, token):
    step = world.step(world.m1, 1)
    secret = token(world.owner_palad)
    for raw in (b'{"status": "done"', b'{"status": "done", "note": "\\ud800"}', b"[" * 100_000, b"\xff\xfe{}"):
        response = api(
            "POST", f"/steps/{step.id}/status", secret, data=raw, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, raw


def test_a_comment_is_journaled_and_returned(api, world, token):
    step = world.step(world.m1, 2)
    response = api("POST", f"/steps/{step.id}/comments", token(world.owner_palad), json_body={"note": " ร่างคู่มือแล้ว "})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["action"], body["note"], body["step_id"]) == ("comment", "ร่างคู่มือแล้ว", step.id)
    assert body["actor"]["id"] == world.owner_palad.id and body["created_at"] == "2023-08-01T03:00:00+00:00"
    empty = api("POST", f"/steps/{step.id}/comments", token(world.owner_palad), json_body={"note": "   "})
    assert empty.status_code == 422 and "โปรดพิมพ์บันทึก" in empty.get_json()["error"]


# -- the outbox ---------------------------------------------------------------------------------------


def _message(org, n: int, status: OutboxStatus = OutboxStatus.pending):
    message = enqueue(
        organization_id=org.id,
        about=f"org:{org.id}",
        kind="reminder",
        for_date=date(2023, 8, n),
        recipient=f"person{n}@example.go.th",
        subject=f"แจ้งเตือน {n}",
        body_text="x",
        body_html="<p>x</p>",
    )
    message.status = status
    return message


def test_the_outbox_is_for_admins_and_only_their_organizations(api, world, token, other_org):
    _message(world.org, 1)
    _message(world.org, 2, OutboxStatus.failed)
    _message(other_org["org"], 3)
    db.session.commit()
    body = api("GET", "/outbox", token(world.admin)).get_json()
    assert [m["subject"] for m in body["items"]] == ["แจ้งเตือน 2", "แจ้งเตือน 1"] and body["total"] == 2
    failed = api("GET", "/outbox", token(world.admin), query={"status": "failed"}).get_json()
    assert [m["recipient"] for m in failed["items"]] == ["person2@example.go.th"]
    assert api("GET", "/outbox", token(world.admin), query={"status": "lost"}).status_code == 400
    for role in ("manager", "owner_palad", "viewer"):
        response = api("GET", "/outbox", token(getattr(world, role)))
        assert response.status_code == 403 and "เฉพาะผู้ดูแลระบบ" in response.get_json()["error"]


# -- every operation × every role, by token --------------------------------------------------------------

TOKEN_ROLES = ["admin", "manager", "owner_palad", "owner_strategy", "viewer", "outsider_admin"]


def _operation_cases():
    for path, item in document()["paths"].items():
        for method in item:
            if path != "/openapi.json":
                for role in TOKEN_ROLES:
                    yield pytest.param(path, method, role, id=f"{method.upper()} {path} as {role}")


def _expected(path: str, method: str, role: str) -> int:
    if role == "outsider_admin":
        # Another organization's records do not exist; lists are its own (empty here).
        return 404 if "{" in path else 200
    if path == "/outbox":
        return 200 if role == "admin" else 403
    if method == "post":
        ok = 200 if path.endswith("/status") else 201
        return ok if role in ("admin", "owner_palad") else 403
    return 200


@pytest.mark.parametrize("path, method, role", list(_operation_cases()))
def test_token_access_matrix(api, world, token, other_org, path, method, role):
    user = other_org["admin"] if role == "outsider_admin" else getattr(world, role)
    url = (
        path.replace("{slug}", "testorg")
        .replace("{plan_id}", str(world.plan.id))
        .replace("{measure_id}", str(world.m1.id))
        .replace("{step_id}", str(world.step(world.m1, 1).id))
    )
    body = None
    if method == "post":
        body = {"status": "in_progress", "note": "เริ่มแล้ว"} if path.endswith("/status") else {"note": "บันทึก"}
    response = api(method.upper(), url, token(user), json_body=body)
    assert response.status_code == _expected(path, method, role), response.get_json()


# -- errors are JSON everywhere under /api/ --------------------------------------------------------------


def test_unknown_paths_wrong_methods_and_impossible_ids_are_json(api, world, token):
    secret = token(world.viewer)
    assert api("GET", "/nothing-here", secret).status_code == 404
    assert api("DELETE", "/steps", secret).status_code == 405
    assert api("GET", f"/steps/{MAX_ID + 1}", secret).status_code == 404
    assert api("GET", "/steps/-1", secret).status_code == 404
    assert api("GET", "/organizations/%00", secret).status_code == 404


# -- a plain script against a real server ------------------------------------------------------------------


def test_a_plain_script_lists_steps_marks_one_done_and_reads_the_journal(live_server, world, token, frozen):
    secret = token(world.owner_palad)
    base = f"{live_server}{PREFIX}"

    def call(path: str, body: dict | None = None):
        request = urllib.request.Request(
            base + path,
            method="POST" if body is not None else "GET",
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {secret}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Type"] == "application/json"
            return json.load(response)

    mine = call("/steps?mine=true&status=open")
    assert [s["number"] for s in mine["items"]] == ["1.1", "1.2", "1.3"]
    first = mine["items"][0]
    done = call(f"/steps/{first['id']}/status", {"status": "done", "note": "ลงนามประกาศแล้ว"})
    assert done["status"] == "done" and done["completed_at"] == "2023-08-01T03:00:00+00:00"
    journal = call(f"/steps/{first['id']}/journal")
    assert [(e["action"], e["new_value"], e["note"]) for e in journal["items"]] == [
        ("status", "done", "ลงนามประกาศแล้ว")
    ]
    assert [s["number"] for s in call("/steps?mine=true&status=open")["items"]] == ["1.2", "1.3"]

    with pytest.raises(urllib.error.HTTPError) as refused:
        call(f"/steps/{first['id']}/status", {"status": "cancelled", "note": "ผิด"})
    assert refused.value.code == 422
    assert json.load(refused.value)["error"].endswith("เป็น “ยกเลิก” ไม่ได้")
