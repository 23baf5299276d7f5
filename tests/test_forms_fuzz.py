"""Every form of the main pages, filled with hostile values, as an admin and as
an owner: never a server error. (Access and validation have their own tests;
this one only proves that bad input cannot reach a 500.)
"""

from __future__ import annotations

import itertools
from html.parser import HTMLParser

import pytest

from tests.conftest import NOW
from tracker.db import db
from tracker.demo import load_demo

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999",
    "2566-99-99",
    "31/02/2566",
    "๓๑ ก.พ. ๒๕๖๖",
    "NaN",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "' OR 1=1 --",
    "ก" * 5000,
    "\x00",
    "../../etc/passwd",
    "javascript:alert(1)",
    "2023-08-01T08:00",
    "done",
    "cancelled",
    "admin",
]


class Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and a.get("name"):
            if a.get("type") not in ("file", "submit", "button"):
                self._form["fields"].setdefault(a["name"], a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def pages(demo_plan):
    step = demo_plan.measures[1].steps[0]
    measure = demo_plan.measures[1]
    return [
        "/",
        f"/plans/{demo_plan.id}",
        f"/measures/{measure.id}",
        f"/steps/{step.id}",
        "/my-steps",
        "/profile",
        f"/plans/{demo_plan.id}/report",
        f"/measures/{measure.id}/result",
        "/ita/2565",
        "/admin/",
        f"/admin/plans/{demo_plan.id}",
        f"/admin/measures/{measure.id}",
        f"/admin/steps/{step.id}",
        f"/admin/weaknesses/{measure.weakness_id}",
        f"/admin/measures/{measure.id}/steps/new",
        "/admin/users/new",
        "/admin/departments/new",
        "/admin/notifications",
        "/profile/notifications",
        "/admin/plans/import-memo/",
        "/ita/2565/paste",
        "/ita/frameworks/",
        "/admin/documents",
        "/admin/outbox",
    ]


@pytest.mark.parametrize("who", ["admin@banpet.example", "strategy.owner@banpet.example"])
def test_hostile_form_values_never_cause_a_server_error(app, ctx, client, who):
    from tracker.auth.models import User
    from tracker.demo import DEMO_PASSWORD

    plan = load_demo(NOW).plan
    db.session.commit()
    user = db.session.scalar(db.select(User).where(User.email == who))
    assert client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD}).status_code == 302
    checked = 0
    for url in pages(plan):
        page = client.get(url)
        assert page.status_code < 500, f"GET {url}: {page.status_code}"
        if page.status_code != 200:
            continue
        parser = Forms()
        parser.feed(page.get_data(as_text=True))
        for form in parser.forms:
            if form["method"] != "post" or "logout" in form["action"] or "delete" in form["action"]:
                continue
            names = [n for n in form["fields"] if n != "csrf_token"]
            for value in itertools.islice(itertools.cycle(HOSTILE), 0, len(HOSTILE)):
                data = {n: value for n in names}
                data["csrf_token"] = form["fields"].get("csrf_token") or client.csrf_token()
                response = client.post(form["action"] or url, data=data)
                assert response.status_code < 500, (
                    f"POST {form['action'] or url} with {value!r}: {response.status_code}"
                )
                checked += 1
            db.session.rollback()
    assert checked > 100


@pytest.mark.parametrize(
    "url",
    [
        "/steps/99999999999999999999",
        "/plans/2147483648",
        "/ita/99999999999999999999",
        "/admin/users/9223372036854775808",
        "/evidence/0",
    ],
)
def test_numbers_beyond_what_the_database_holds_are_not_found(client, world, login, url):
    login(world.admin)
    assert client.get(url).status_code == 404


def test_a_nul_character_in_a_form_is_refused_with_a_message(client, world, login):
    login(world.owner_palad)
    step = world.step(world.m1, 1)
    response = client.post(f"/steps/{step.id}/comment", data={"comment": "ประกาศ\x00แล้ว"})
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert step.journal == []
