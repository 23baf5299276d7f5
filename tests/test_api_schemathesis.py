"""schemathesis against the API, in process (WSGI): no input makes a 5xx, and every
answer is documented, with a body matching its schema.

The OpenAPI document is read from the app itself (/api/v1/openapi.json). Each
generated request is sent twice, with an admin's token and with an owner's;
about half of the generated ids are swapped for ids of real records (the
organization's and another organization's), so the fuzzing reaches the code
behind the 404s: status changes, comments, filters over real steps. The
number of examples is bounded so the whole run stays well under a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.conftest import NOW, make_user
from tracker import clock, thaidate
from tracker.api import tokens
from tracker.api.openapi import document
from tracker.auth.models import Role
from tracker.db import db
from tracker.notify.outbox import enqueue
from tracker.orgs.models import Department, Organization
from tracker.plans import services
from tracker.plans.models import Measure, Plan, Step, Weakness

#: Its module-scoped setup is built once: xdist keeps the module's tests on one worker.
pytestmark = pytest.mark.xdist_group("api_schemathesis")

EXAMPLES_PER_OPERATION = 30


@dataclass
class Fuzz:
    """Secrets of the two tokens, and real ids to aim generated requests at."""

    admin_token: str
    owner_token: str
    ids: dict[str, list[int]]
    slugs: list[str]


@pytest.fixture
def fuzz(world, monkeypatch) -> Fuzz:
    monkeypatch.setattr(clock, "now", lambda: NOW.astimezone(thaidate.BANGKOK))
    step = world.step(world.m1, 1)
    services.add_link_evidence(step, world.owner_palad, "https://a.go.th/1", "ประกาศ", NOW)
    services.change_status(world.step(world.m1, 2), "done", world.owner_palad, NOW, note="เสร็จแล้ว")
    services.add_comment(step, world.owner_palad, "ร่างแล้ว", NOW)
    for n, kind in enumerate(("reminder", "digest_weekly"), start=1):
        enqueue(
            organization_id=world.org.id,
            about=f"org:{world.org.id}",
            kind=kind,
            for_date=date(2023, 8, n),
            recipient=f"p{n}@example.go.th",
            subject=f"เรื่อง {n}",
            body_text="x",
            body_html="<p>x</p>",
        )
    other = Organization(name="อบต.อื่น", slug="otherorg", province="ขอนแก่น")
    dep = Department(organization=other, name="สำนักปลัด")
    plan = Plan(organization=other, fiscal_year=2566, title="แผนอื่น")
    measure = Measure(
        weakness=Weakness(plan=plan, order=1, title="จุดอ่อน"),
        order=1,
        title="มาตรการ",
        owner_department=dep,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
    )
    other_step = Step(
        measure=measure,
        order=1,
        title="ขั้นตอน",
        owner_department=dep,
        start_date=date(2023, 1, 1),
        due_date=date(2023, 7, 1),
    )
    db.session.add(other)
    make_user(other, "outsider@other.go.th", Role.admin)
    db.session.commit()
    _, admin_token = tokens.create_token(world.admin, "fuzz admin", NOW)
    _, owner_token = tokens.create_token(world.owner_palad, "fuzz owner", NOW)
    db.session.commit()
    steps = [s.id for m in (world.m1, world.m2) for s in m.steps] + [other_step.id]
    return Fuzz(
        admin_token=admin_token,
        owner_token=owner_token,
        ids={
            "step_id": steps,
            "step": steps,
            "plan_id": [world.plan.id, plan.id],
            "plan": [world.plan.id, plan.id],
            "measure_id": [world.m1.id, world.m2.id, measure.id],
            "measure": [world.m1.id, world.m2.id, measure.id],
            "department": [world.palad.id, world.strategy.id, dep.id],
        },
        slugs=["testorg", "otherorg"],
    )


def aim_at_real_records(case, fuzz: Fuzz) -> None:
    """Swap about half of the generated ids and slugs for real ones (chosen by the generated value)."""
    for params in (case.path_parameters, case.query):
        if not isinstance(params, dict):
            continue
        for name, value in list(params.items()):
            if name in fuzz.ids and isinstance(value, int) and value % 2 == 0:
                choices = fuzz.ids[name]
                params[name] = choices[(value // 2) % len(choices)]
            elif name in ("slug", "organization") and isinstance(value, str) and len(value) % 2 == 0:
                params[name] = fuzz.slugs[len(value) // 2 % len(fuzz.slugs)]


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _cases():
    """Every operation with valid input, and with invalid input where it takes any."""
    for path, item in document()["paths"].items():
        for method, op in item.items():
            modes = [GenerationMode.POSITIVE]
            if op.get("parameters") or op.get("requestBody"):
                modes.append(GenerationMode.NEGATIVE)
            for mode in modes:
                yield pytest.param(path, method, mode, id=f"{method.upper()} {path} {mode.value}")


@pytest.mark.parametrize("path, method, mode", list(_cases()))
def test_no_input_makes_a_server_error_and_every_answer_is_documented(api_schema, fuzz, path, method, mode):
    operation = api_schema[path][method.upper()]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case) -> None:
        aim_at_real_records(case, fuzz)
        for secret in (fuzz.admin_token, fuzz.owner_token):
            case.call_and_validate(
                headers={"Authorization": f"Bearer {secret}"},
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
            )

    run()
