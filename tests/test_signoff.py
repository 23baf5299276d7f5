"""Report sign-off: an admin submits a report to a chain of managers in the order
chosen; each acknowledges in turn with a comment; only the next one may act;
the chain, with names and Buddhist-Era dates, shows on the pages and in the
memo; everything is journaled; other organizations see nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import CHROMIUM, NOW, make_user, require_or_skip
from tests.report_factory import have_poppler, html_text, other_org_admin, pdf_text, readable_docx
from tracker import clock
from tracker.auth.models import Role
from tracker.db import db
from tracker.errors import PermissionDenied, ServiceError
from tracker.ita.demo import load_demo_scores
from tracker.plans.models import JournalEntry
from tracker.reports.memo import build_memo
from tracker.reports.memo_docx import memo_docx
from tracker.reports.memo_html import render_memo_html
from tracker.reports.models import ReportKind, ReportSubmission, SubmissionStatus
from tracker.reports.signoff import acknowledge, submit_report, waiting_for, withdraw
from tracker.thaidate import format_date


@pytest.fixture
def chain(world):
    """Three managers besides the world's (ปลัด): a director, a deputy mayor, the mayor."""
    director = make_user(world.org, "director@test.go.th", Role.manager, world.strategy, name="นางริกลี ปาละสานต์")
    director.position = "ผู้อำนวยการกองยุทธศาสตร์และงบประมาณ"
    world.manager.position = "ปลัดเทศบาล"
    mayor = make_user(world.org, "mayor@test.go.th", Role.manager, name="นายชวัล ธีรพาน")
    mayor.position = "นายกเทศมนตรี"
    db.session.commit()
    return director, world.manager, mayor


def submission_of(plan_id: int) -> ReportSubmission:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(ReportSubmission).where(ReportSubmission.plan_id == plan_id).order_by(ReportSubmission.id.desc())
    )


def journal(submission_id: int) -> list[tuple[str, str | None]]:
    entries = db.session.scalars(
        sa.select(JournalEntry)
        .where(JournalEntry.entity == "report_submission", JournalEntry.entity_id == submission_id)
        .order_by(JournalEntry.id)
    )
    return [(e.action, e.new_value) for e in entries]


def test_managers_acknowledge_in_the_order_the_admin_chose(world, chain, login):
    director, palad, mayor = chain
    client = login(world.admin)
    form = client.get(f"/reports/submissions/new?plan_id={world.plan.id}&kind=followup").get_data(as_text=True)
    # Every active manager is offered, numbered in account order by default.
    for user in chain:
        assert f'name="order-{user.id}"' in form
    response = client.post(
        "/reports/submissions",
        data={
            "plan_id": str(world.plan.id),
            "kind": "followup",
            "round": "6",
            "as_of": "",
            f"order-{director.id}": "1",
            f"order-{palad.id}": "๒",
            f"order-{mayor.id}": "3",
            "note": "รายงานรอบ 6 เดือน",
        },
    )
    assert response.status_code == 302
    submission = submission_of(world.plan.id)
    assert (submission.kind, submission.as_of, submission.round) == (ReportKind.followup, date(2023, 3, 31), 6)
    assert [a.user_id for a in submission.acknowledgements] == [director.id, palad.id, mayor.id]

    url = f"/reports/submissions/{submission.id}/acknowledge"
    # Not yet the mayor's turn: 403, naming whose turn it is.
    refused = login(mayor).post(url, data={"comment": "ทราบ"})
    assert refused.status_code == 403
    assert "ยังไม่ถึงลำดับของคุณ" in refused.get_data(as_text=True)
    assert "นางริกลี ปาละสานต์" in refused.get_data(as_text=True)
    # Not managers: 403.
    for user in (world.admin, world.viewer, world.owner_palad):
        assert login(user).post(url, data={"comment": "ทราบ"}).status_code == 403

    page = login(director).get("/reports/submissions").get_data(as_text=True)
    assert "รอการพิจารณาของฉัน" in page and f"/reports/submissions/{submission.id}" in page
    assert "รอการพิจารณาของฉัน" not in login(palad).get("/reports/submissions").get_data(as_text=True)

    assert login(director).post(url, data={"comment": "เพื่อโปรดทราบ/โปรดพิจารณา"}).status_code == 302
    # The director cannot act twice.
    again = login(director).post(url, data={"comment": "ทราบ"})
    assert again.status_code == 403 and "คุณพิจารณารายงานนี้แล้ว" in again.get_data(as_text=True)
    assert "รอการพิจารณาของฉัน" in login(palad).get("/reports/submissions").get_data(as_text=True)
    assert login(palad).post(url, data={"comment": "ทราบ/ดำเนินการ"}).status_code == 302
    assert login(mayor).post(url, data={"comment": "ดำเนินการตามระเบียบ"}).status_code == 302

    submission = submission_of(world.plan.id)
    assert submission.status is SubmissionStatus.acknowledged
    assert [a.comment for a in submission.acknowledgements] == [
        "เพื่อโปรดทราบ/โปรดพิจารณา",
        "ทราบ/ดำเนินการ",
        "ดำเนินการตามระเบียบ",
    ]
    assert all(a.acknowledged_at is not None for a in submission.acknowledgements)
    assert journal(submission.id) == [
        (
            "submit",
            "1. นางริกลี ปาละสานต์ (ผู้อำนวยการกองยุทธศาสตร์และงบประมาณ) → 2. ปลัด (ปลัดเทศบาล) → 3. นายชวัล ธีรพาน (นายกเทศมนตรี)",
        ),
        ("acknowledge", "เพื่อโปรดทราบ/โปรดพิจารณา"),
        ("acknowledge", "ทราบ/ดำเนินการ"),
        ("acknowledge", "ดำเนินการตามระเบียบ"),
        ("status", "acknowledged"),
    ]
    # The chain on the submission's page: names, positions, comments, BE dates.
    page = login(world.viewer).get(f"/reports/submissions/{submission.id}").get_data(as_text=True)
    today = format_date(clock.now().date(), style="full")
    for text in (
        "นางริกลี ปาละสานต์",
        "ผู้อำนวยการกองยุทธศาสตร์และงบประมาณ",
        "ดำเนินการตามระเบียบ",
        today,
        "พิจารณาครบแล้ว",
        "รอบ 6 เดือน ณ 31 มี.ค. 2566",
        f"/plans/{world.plan.id}/report?as_of=2023-03-31",
    ):
        assert text in page, text
    # Nothing is left to acknowledge.
    done = login(mayor).post(url, data={"comment": "ทราบ"})
    assert done.status_code == 400 and "ไม่ต้องพิจารณาอีก" in done.get_data(as_text=True)


def test_the_analysis_chain_shows_in_the_memo(world, chain, login):
    director, palad, mayor = chain
    load_demo_scores(world.org, NOW)
    db.session.commit()
    submission = submit_report(
        world.plan, world.admin, NOW, kind="analysis", chain=[director, palad, mayor], as_of=date(2022, 10, 12)
    )
    acknowledge(submission, director, NOW + timedelta(days=1), "เพื่อโปรดทราบ")
    acknowledge(submission, palad, NOW + timedelta(days=2), "ทราบ/ดำเนินการ")
    db.session.commit()
    memo = build_memo(world.plan, memo_date=date(2022, 10, 12))
    assert memo.signoff is not None and memo.signoff.status is SubmissionStatus.pending
    paragraphs = [p.text for p in readable_docx(memo_docx(memo)).paragraphs]
    assert "การพิจารณาตามลำดับ (รอการพิจารณา)" in paragraphs
    # Each level as an endorsement: its comment, signature line, (name), position and date;
    # a level still to come keeps lines to be filled in on paper.
    assert "ความเห็นผู้อำนวยการกองยุทธศาสตร์และงบประมาณ เพื่อโปรดทราบ" in paragraphs
    assert "(นางริกลี ปาละสานต์)" in paragraphs and "ผู้อำนวยการกองยุทธศาสตร์และงบประมาณ" in paragraphs
    assert "๒ สิงหาคม ๒๕๖๖" in paragraphs and "๓ สิงหาคม ๒๕๖๖" in paragraphs
    waiting = paragraphs.index("(นายชวัล ธีรพาน)")
    assert paragraphs[waiting - 2].startswith("ความเห็นนายกเทศมนตรี ....")
    assert paragraphs[waiting - 1].startswith("(ลงชื่อ) ....") and paragraphs[waiting + 2].startswith("วันที่ ....")
    # The memo's author is whoever submitted it.
    assert f"({world.admin.display_name})" in paragraphs
    html = html_text(render_memo_html(memo))
    assert "ทราบ/ดำเนินการ" in html and "๓ สิงหาคม ๒๕๖๖" in html
    page = login(world.viewer).get(f"/plans/{world.plan.id}/memo").get_data(as_text=True)
    assert "(นางริกลี ปาละสานต์)" in page and f"/reports/submissions/{submission.id}" in page
    # A withdrawn submission is no longer printed.
    withdraw(submission, world.admin, NOW + timedelta(days=3), "แก้ไขตาราง")
    db.session.commit()
    assert build_memo(world.plan, memo_date=date(2022, 10, 12)).signoff is None


def test_the_analysis_cannot_be_submitted_without_scores(world, chain, login):
    director, _, _ = chain
    response = login(world.admin).post(
        "/reports/submissions", data={"plan_id": str(world.plan.id), "kind": "analysis", f"order-{director.id}": "1"}
    )
    assert response.status_code == 400
    assert "ยังไม่มีคะแนนของปีงบประมาณ 2565" in response.get_data(as_text=True)
    assert submission_of(world.plan.id) is None


def test_withdraw_and_submit_again(world, chain, login):
    director, palad, _ = chain
    submission = submit_report(
        world.plan, world.admin, NOW, kind=ReportKind.followup, chain=[palad, director], as_of=date(2023, 8, 1)
    )
    db.session.commit()
    with pytest.raises(ServiceError, match="ถอนคืนรายการเดิมก่อน"):
        submit_report(world.plan, world.admin, NOW, kind=ReportKind.followup, chain=[palad], as_of=date(2023, 8, 1))
    db.session.rollback()
    url = f"/reports/submissions/{submission.id}/withdraw"
    assert login(palad).post(url, data={"reason": "x"}).status_code == 403
    assert login(world.admin).post(url, data={"reason": "แก้ไขวันที่"}).status_code == 302
    submission = submission_of(world.plan.id)
    assert submission.status is SubmissionStatus.withdrawn
    assert journal(submission.id)[-1] == ("withdraw", "withdrawn")
    refused = login(palad).post(f"/reports/submissions/{submission.id}/acknowledge", data={"comment": "ทราบ"})
    assert refused.status_code == 400
    again = login(world.admin).post(url, data={})
    assert again.status_code == 400 and "ถอนคืนได้เฉพาะรายงานที่รอการพิจารณา" in again.get_data(as_text=True)
    assert waiting_for(palad) == []
    # Withdrawn: the same report may be submitted again.
    submit_report(world.plan, world.admin, NOW, kind=ReportKind.followup, chain=[palad], as_of=date(2023, 8, 1))
    db.session.commit()
    assert [s.id for s in waiting_for(palad)] == [submission_of(world.plan.id).id]


def test_other_organizations_and_forged_forms(world, chain, login):
    director, palad, _ = chain
    submission = submit_report(world.plan, world.admin, NOW, kind="followup", chain=[director], as_of=date(2023, 8, 1))
    db.session.commit()
    outsider = login(other_org_admin())
    assert outsider.get(f"/reports/submissions/{submission.id}").status_code == 404
    assert (
        outsider.post(f"/reports/submissions/{submission.id}/acknowledge", data={"comment": "ทราบ"}).status_code == 404
    )
    assert outsider.post(f"/reports/submissions/{submission.id}/withdraw", data={}).status_code == 404
    assert f"/reports/submissions/{submission.id}" not in outsider.get("/reports/submissions").get_data(as_text=True)
    assert (
        outsider.post(
            "/reports/submissions",
            data={"plan_id": str(world.plan.id), "kind": "followup", f"order-{director.id}": "1"},
        ).status_code
        == 400
    )
    forged = login(director).post(
        f"/reports/submissions/{submission.id}/acknowledge", data={"comment": "ทราบ", "csrf_token": "bad"}
    )
    assert forged.status_code == 400
    assert submission_of(world.plan.id).acknowledgements[0].acknowledged_at is None
    assert login(world.viewer).get("/reports/submissions/new").status_code == 403
    assert login(world.viewer).post("/reports/submissions", data={"plan_id": str(world.plan.id)}).status_code == 403


@pytest.mark.parametrize(
    "orders, message",
    [
        ({}, "อย่างน้อย 1 คน"),
        ({"director": "1", "mayor": "1"}, "ลำดับซ้ำกัน"),
        ({"director": "หนึ่ง"}, "ต้องเป็นเลข"),
        ({"director": "0"}, "ต้องเป็นเลข"),
    ],
)
def test_a_bad_chain_is_refused_with_the_form_again(world, chain, login, orders, message):
    director, _, mayor = chain
    people = {"director": director, "mayor": mayor}
    data = {"plan_id": str(world.plan.id), "kind": "followup", "as_of": "1/8/2566"}
    data.update({f"order-{people[k].id}": v for k, v in orders.items()})
    response = login(world.admin).post("/reports/submissions", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and 'value="1/8/2566"' in body
    assert submission_of(world.plan.id) is None


def test_the_service_checks_the_chain(world, chain):
    director, palad, mayor = chain
    outsider = other_org_admin()
    other_manager = make_user(outsider.organization, "boss@other.go.th", Role.manager)
    db.session.commit()
    for people, message in (
        ([world.viewer], "ไม่ใช่ผู้บริหารขององค์กรนี้"),
        ([other_manager], "ไม่ใช่ผู้บริหารขององค์กรนี้"),
        ([director, director], "มากกว่าหนึ่งครั้ง"),
    ):
        with pytest.raises(ServiceError, match=message):
            submit_report(world.plan, world.admin, NOW, kind="followup", chain=people, as_of=date(2023, 8, 1))
        db.session.rollback()
    mayor.active = False
    db.session.commit()
    with pytest.raises(ServiceError, match="ถูกปิดการใช้งาน"):
        submit_report(world.plan, world.admin, NOW, kind="followup", chain=[mayor], as_of=date(2023, 8, 1))
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        submit_report(world.plan, world.manager, NOW, kind="followup", chain=[director], as_of=date(2023, 8, 1))
    with pytest.raises(ServiceError, match="รอบรายงาน"):
        submit_report(world.plan, world.admin, NOW, kind="analysis", chain=[director], as_of=date(2023, 8, 1), round_=6)
    db.session.rollback()
    submission = submit_report(
        world.plan, world.admin, NOW, kind="followup", chain=[director, palad], as_of=date(2023, 8, 1)
    )
    with pytest.raises(ServiceError, match="โปรดเขียนความเห็น"):
        acknowledge(submission, director, NOW, "   ")
    with pytest.raises(PermissionDenied, match="ไม่อยู่ในลำดับผู้พิจารณา"):
        acknowledge(submission, mayor, NOW, "ทราบ")


def test_the_followup_report_carries_its_chain(world, chain, login, runner, tmp_path, app):
    director, palad, _ = chain
    submission = submit_report(
        world.plan, world.admin, NOW, kind="followup", chain=[director, palad], as_of=date(2023, 3, 31), round_=6
    )
    acknowledge(submission, director, NOW, "ทราบ/ดำเนินการ")
    db.session.commit()
    client = login(world.viewer)
    page = client.get(f"/plans/{world.plan.id}/report?round=6&thai_digits=0").get_data(as_text=True)
    for text in ("การพิจารณาตามลำดับ (รอการพิจารณา)", "นางริกลี ปาละสานต์", "ทราบ/ดำเนินการ", "1 สิงหาคม 2566"):
        assert text in page, text
    # Another date is another report: not submitted, no chain.
    assert "การพิจารณาตามลำดับ" not in client.get(f"/plans/{world.plan.id}/report?as_of=2023-08-01").get_data(
        as_text=True
    )
    document = readable_docx(client.get(f"/plans/{world.plan.id}/report.docx?round=6&thai_digits=1").data)
    assert "การพิจารณาตามลำดับ (รอการพิจารณา)" in [p.text for p in document.paragraphs]
    rows = [[c.text for c in r.cells] for r in document.tables[-1].rows]
    assert rows == [
        ["ลำดับ", "ผู้พิจารณา", "ความเห็น", "วันที่"],
        ["๑", "นางริกลี ปาละสานต์\nผู้อำนวยการกองยุทธศาสตร์และงบประมาณ", "ทราบ/ดำเนินการ", "๑ สิงหาคม ๒๕๖๖"],
        ["๒", "ปลัด\nปลัดเทศบาล", "รอการพิจารณา", "–"],
    ]
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    require_or_skip(have_poppler(), "pdftotext not found: apt-get install poppler-utils")
    pytest.importorskip("playwright.sync_api")
    app.config["TRACKER_CHROMIUM"] = CHROMIUM
    out = tmp_path / "o43.pdf"
    result = runner.invoke(
        args=[
            "report",
            "--org",
            "testorg",
            "--year",
            "2566",
            "--round",
            "6",
            "--format",
            "pdf",
            "--arabic-digits",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(out, layout=False)
    assert "การพิจารณาตามลำดับ (รอการพิจารณา)" in text and "ทราบ/ดำเนินการ" in text and "1 สิงหาคม 2566" in text
