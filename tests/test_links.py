"""Links in emails, calendar feeds, reports and exports point at TRACKER_BASE_URL
(scheme, host and path prefix), built from the app's URL map like
`url_for(..., _external=True)` — whatever host the current request, if any,
came in on. The app itself keeps answering under any host name."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import url_for

from tracker import links
from tracker.db import db
from tracker.notify import render, tokens
from tracker.plans.models import Evidence, EvidenceKind, StepStatus
from tracker.public.views import public_url
from tracker.reports.followup import build_report


@pytest.fixture
def base(app, monkeypatch):
    monkeypatch.setitem(app.config, "TRACKER_BASE_URL", "https://ita.banpet.go.th/tracker/")
    return "https://ita.banpet.go.th/tracker"


def test_full_addresses_come_from_the_base_url_without_a_request(app, base):
    with app.app_context():
        assert links.base_url() == base
        assert links.host() == "ita.banpet.go.th"
        assert links.external_url("plans.step", step_id=7) == f"{base}/steps/7"
        assert links.external_url("calendar.feed", token="abc") == f"{base}/calendar/abc.ics"
        assert links.external_url("public.plan", slug="banpet", fiscal_year=2566) == f"{base}/p/banpet/2566"
        assert links.external_url("plans.step", step_id=7, base="http://intranet.local:8080") == (
            "http://intranet.local:8080/steps/7"
        )


def test_during_a_request_on_another_host_links_still_use_the_base_url(app, base):
    with app.test_request_context("/my-steps", base_url="http://127.0.0.1:5000"):
        # Flask's own url_for follows the request; our links do not.
        assert url_for("plans.step", step_id=7, _external=True) == "http://127.0.0.1:5000/steps/7"
        assert links.external_url("plans.step", step_id=7) == f"{base}/steps/7"
        assert render.step_url(7) == f"{base}/steps/7"
        assert render.page_links() == {
            "home_url": f"{base}/",
            "my_steps_url": f"{base}/my-steps",
            "profile_url": f"{base}/profile",
            "notifications_url": f"{base}/profile/notifications",
        }
        assert tokens.unsubscribe_url(3) == f"{base}/unsubscribe/{tokens.unsubscribe_token(3)}"


def test_reports_and_the_public_page_link_under_the_base_url(world, base):
    step = world.step(world.m1, 1)
    step.status, step.completed_at = StepStatus.done, datetime(2023, 7, 28, 3, tzinfo=UTC)
    ev = Evidence(
        step=step,
        kind=EvidenceKind.link,
        url="https://banpet.example/prakat.pdf",
        original_name="ประกาศ",
        created_at=datetime(2023, 7, 28, 4, tzinfo=UTC),
    )
    db.session.add(ev)
    db.session.commit()
    report = build_report(world.plan, date(2023, 8, 1))
    [row] = [s for s in report.steps if s.id == step.id]
    assert [(e.name, e.url) for e in row.evidence] == [("ประกาศ", f"{base}/evidence/{ev.id}")]
    assert public_url(world.plan) == f"{base}/p/testorg/2566"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:5000", "ita.banpet.go.th", "proxy.internal:8443"])
def test_the_app_answers_under_any_host_name(client, base, host):
    response = client.get("/login", base_url=f"http://{host}")
    assert response.status_code == 200
    assert "เข้าสู่ระบบ" in response.get_data(as_text=True)
