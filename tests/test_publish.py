"""Published reports: an admin renders the O43 report (or the O42 memo) now,
the file is frozen under the upload folder, the public page offers it for
download byte for byte, and a withdrawn report disappears from public view
but stays on record. Only admins publish; drafts are not published.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
import sqlalchemy as sa

from tests.conftest import CHROMIUM, NOW, make_user, one_measure, require_or_skip
from tests.report_factory import html_text
from tracker import clock
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans import services
from tracker.plans.models import JournalEntry, PlanStatus, Step, StepStatus
from tracker.public import services as publishing
from tracker.public.models import PublishedReport
from tracker.reports.models import ReportSubmission, SubmissionStatus
from tracker.reports.signoff import acknowledge, submit_report


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # 1 Aug 2566, 10:00 in Bangkok


def upload_dir(app) -> Path:
    return Path(app.config["TRACKER_UPLOAD_DIR"]).resolve()


def stored_files(app) -> set[str]:
    folder = upload_dir(app)
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def published() -> list[PublishedReport]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(PublishedReport).order_by(PublishedReport.id)))


def publish(client, plan_id: int, **form):
    data = {"kind": "followup", "format": ["xlsx"], **form}
    return client.post(f"/plans/{plan_id}/publish", data=data)


def report_url(r: PublishedReport) -> str:
    return f"/p/testorg/2566/reports/{r.id}.{r.format}"


# -- publishing ----------------------------------------------------------------------------------


def test_an_admin_publishes_the_o43_report_and_the_public_copy_never_changes(world, login, app):
    admin = login(world.admin)
    page = admin.get(f"/plans/{world.plan.id}/publish").get_data(as_text=True)
    assert "http://127.0.0.1:5000/p/testorg/2566" in page  # the link to give for O43
    assert "ยังไม่มีรายงานที่เผยแพร่" in page

    response = publish(admin, world.plan.id, as_of="01/08/2566")
    assert response.status_code == 302 and response.location.endswith(f"/plans/{world.plan.id}/publish")
    [report] = published()
    assert (report.kind, report.format, report.as_of) == ("followup", "xlsx", date(2023, 8, 1))
    assert report.title.startswith("รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน")
    assert "ข้อมูล ณ วันที่ 1 สิงหาคม 2566" in report.title
    assert (report.published_by_id, report.published_at, report.withdrawn_at) == (world.admin.id, NOW, None)
    stored = (upload_dir(app) / report.stored_name).read_bytes()
    assert report.stored_name != report.download_name and report.stored_name.endswith(".xlsx")
    assert (len(stored), hashlib.sha256(stored).hexdigest()) == (report.size, report.sha256)
    book = openpyxl.load_workbook(io.BytesIO(stored))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any("เทศบาลตำบลทดสอบ" in c for c in cells)
    entry = db.session.scalar(sa.select(JournalEntry).where(JournalEntry.entity == "published_report"))
    assert (entry.entity_id, entry.action, entry.new_value, entry.actor_id) == (
        report.id,
        "publish",
        "xlsx",
        world.admin.id,
    )

    public_page = admin.get("/p/testorg/2566").get_data(as_text=True)
    assert f'href="{report_url(report)}"' in public_page and report.title in public_page

    download = admin.get(report_url(report))
    assert download.status_code == 200 and download.data == stored
    assert download.headers["Cache-Control"] == "public, max-age=300"
    disposition = download.headers["Content-Disposition"]
    assert 'filename="O43-followup-testorg-2566-2023-08-01.xlsx"' in disposition
    assert "filename*=UTF-8''" + quote(report.download_name, safe="") in disposition

    # The plan moves on; the published copy does not.
    services.change_status(world.step(world.m1, 2), StepStatus.done, world.admin, NOW, note="คู่มือเสร็จแล้ว")
    db.session.commit()
    assert admin.get(report_url(report)).data == stored
    assert login(world.viewer).get(report_url(report)).data == stored  # anyone, logged in or not
    db.session.rollback()
    assert len(published()) == 1


def test_a_pdf_is_published_by_the_same_renderer_as_the_downloads(world, login, app):
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    admin = login(world.admin)
    response = publish(admin, world.plan.id, round="6", format=["pdf", "xlsx"], as_of="")
    assert response.status_code == 302, response.get_data(as_text=True)
    pdf, xlsx = sorted(published(), key=lambda r: r.format)
    assert (pdf.format, xlsx.format) == ("pdf", "xlsx")
    assert pdf.as_of == xlsx.as_of == date(2023, 3, 31) and "รอบ 6 เดือน" in pdf.title
    body = admin.get(report_url(pdf)).data
    assert body.startswith(b"%PDF-") and hashlib.sha256(body).hexdigest() == pdf.sha256
    assert admin.get(report_url(pdf)).headers["Content-Type"] == "application/pdf"


def test_withdrawing_hides_the_report_but_keeps_it_on_record(world, login, app):
    admin = login(world.admin)
    publish(admin, world.plan.id, as_of="01/08/2566")
    [report] = published()
    response = admin.post(f"/plans/{world.plan.id}/published/{report.id}/withdraw", data={"reason": "ข้อมูลผิด"})
    assert response.status_code == 302
    [report] = published()
    assert report.withdrawn_at == NOW
    assert (upload_dir(app) / report.stored_name).is_file()  # kept on record
    entry = db.session.scalar(
        sa.select(JournalEntry).where(JournalEntry.action == "withdraw", JournalEntry.entity == "published_report")
    )
    assert (entry.entity_id, entry.note, entry.actor_id) == (report.id, "ข้อมูลผิด", world.admin.id)

    assert admin.get(report_url(report)).status_code == 404
    assert report.title not in admin.get("/p/testorg/2566").get_data(as_text=True)
    assert "ถอนแล้ว" in admin.get(f"/plans/{world.plan.id}/publish").get_data(as_text=True)
    again = admin.post(f"/plans/{world.plan.id}/published/{report.id}/withdraw", data={})
    assert again.status_code == 400 and "ถอนการเผยแพร่แล้ว" in again.get_data(as_text=True)
    # After withdrawing, the same report may be published anew.
    assert publish(admin, world.plan.id, as_of="01/08/2566").status_code == 302
    assert [r.withdrawn_at is None for r in published()] == [False, True]


def test_refusals_leave_nothing_behind(world, login, app):
    admin = login(world.admin)
    assert publish(admin, world.plan.id, as_of="01/08/2566").status_code == 302
    files = stored_files(app)

    cases = [
        ({"as_of": "01/08/2566"}, "เผยแพร่อยู่แล้ว"),  # the same report again
        ({"as_of": "32/13/2566"}, "ไม่มีเดือนที่ 13"),  # no such date
        ({"as_of": "31/03/2566", "round": "12"}, "ไม่ตรงกับรอบ 12 เดือน"),  # date and round disagree
        ({"as_of": "01/08/2566", "format": []}, "โปรดเลือกรูปแบบไฟล์"),
        ({"as_of": "01/08/2566", "format": ["exe"]}, "ไม่ได้"),
        ({"kind": "memo", "as_of": "01/08/2566"}, "ไม่รู้จักชนิดรายงาน"),
        ({"kind": "analysis", "format": ["xlsx"]}, "ไม่ได้"),
        # The second format is a duplicate: the first one's new file goes too.
        ({"as_of": "01/08/2566", "format": ["docx", "xlsx"]}, "เผยแพร่อยู่แล้ว"),
    ]
    for form, message in cases:
        response = publish(admin, world.plan.id, **form)
        assert response.status_code == 400, form
        assert message in response.get_data(as_text=True), form
    assert len(published()) == 1
    assert stored_files(app) == files


def test_a_draft_plan_publishes_nothing(world, login, app):
    world.plan.status = PlanStatus.draft
    db.session.commit()
    files = stored_files(app)
    admin = login(world.admin)
    page = admin.get(f"/plans/{world.plan.id}/publish").get_data(as_text=True)
    assert "ยังเป็นฉบับร่าง" in page and 'name="kind"' not in page
    response = publish(admin, world.plan.id, as_of="01/08/2566")
    assert response.status_code == 400 and "ฉบับร่าง" in response.get_data(as_text=True)
    assert published() == [] and stored_files(app) == files


@pytest.mark.parametrize("role", ["manager", "owner_palad", "viewer"])
def test_only_admins_publish_and_withdraw(world, login, role):
    admin = login(world.admin)
    publish(admin, world.plan.id, as_of="01/08/2566")
    [report] = published()
    client = login(getattr(world, role))
    assert client.get(f"/plans/{world.plan.id}/publish").status_code == 403
    assert publish(client, world.plan.id, as_of="31/07/2566").status_code == 403
    assert client.post(f"/plans/{world.plan.id}/published/{report.id}/withdraw").status_code == 403
    assert [r.withdrawn_at for r in published()] == [None]


def test_reports_of_another_plan_or_organization_are_not_found_under_this_address(world, login, app):
    admin = login(world.admin)
    publish(admin, world.plan.id, as_of="01/08/2566")
    [report] = published()
    other = Organization(name="อบต.อื่น", slug="otherorg")
    dept = Department(organization=other, name="สำนักปลัด")
    measure = one_measure(other, dept)
    plan = measure.weakness.plan
    step = Step(
        measure=measure,
        order=1,
        title="ขั้นตอน",
        owner_department=dept,
        start_date=date(2023, 1, 1),
        due_date=date(2023, 3, 31),
    )
    db.session.add_all([other, step])
    outsider = make_user(other, "admin@other.go.th", Role.admin)
    db.session.commit()
    theirs = login(outsider)
    assert publish(theirs, plan.id, as_of="01/08/2566").status_code == 302
    their_report = [r for r in published() if r.plan_id == plan.id][0]

    assert theirs.get(f"/p/otherorg/2566/reports/{their_report.id}.xlsx").status_code == 200
    assert theirs.get(f"/p/testorg/2566/reports/{their_report.id}.xlsx").status_code == 404
    assert theirs.get(f"/p/otherorg/2566/reports/{report.id}.xlsx").status_code == 404
    assert theirs.get(f"/p/testorg/2566/reports/{report.id}.pdf").status_code == 404  # wrong format
    assert theirs.get(f"/p/testorg/2565/reports/{report.id}.xlsx").status_code == 404  # wrong year
    # An admin of another organization cannot publish or withdraw ours: it does not exist for them.
    assert theirs.get(f"/plans/{world.plan.id}/publish").status_code == 404
    assert theirs.post(f"/plans/{world.plan.id}/published/{report.id}/withdraw").status_code == 404
    assert theirs.post(f"/plans/{plan.id}/published/{report.id}/withdraw").status_code == 404


def test_an_acknowledged_sign_off_is_linked_to_the_published_report(world, login, app):
    submission = submit_report(
        world.plan, world.admin, NOW, kind="followup", chain=[world.manager], as_of=date(2023, 8, 1)
    )
    acknowledge(submission, world.manager, NOW, "ทราบ")
    db.session.commit()
    admin = login(world.admin)
    publish(admin, world.plan.id, as_of="01/08/2566")
    publish(admin, world.plan.id, as_of="31/07/2566")  # another date: no sign-off of its own
    linked, unlinked = published()
    assert (linked.submission_id, unlinked.submission_id) == (submission.id, None)
    assert db.session.get(ReportSubmission, submission.id).published is True
    page = admin.get(f"/plans/{world.plan.id}/publish").get_data(as_text=True)
    assert f'href="/reports/submissions/{submission.id}"' in page

    admin.post(f"/plans/{world.plan.id}/published/{linked.id}/withdraw", data={})
    db.session.rollback()
    submission = db.session.get(ReportSubmission, submission.id)
    assert submission.status is SubmissionStatus.acknowledged and submission.published is False


def test_the_report_page_and_dashboard_lead_admins_to_publishing(world, login):
    admin_page = login(world.admin).get(f"/plans/{world.plan.id}/report?as_of=2023-07-31").get_data(as_text=True)
    assert f'href="/plans/{world.plan.id}/publish?as_of=2023-07-31"' in admin_page
    assert "/publish" not in login(world.manager).get(f"/plans/{world.plan.id}/report").get_data(as_text=True)
    page = login(world.admin).get(f"/plans/{world.plan.id}/publish?as_of=2023-07-31").get_data(as_text=True)
    assert 'value="31/07/2566"' in page


# -- the O42 memo ----------------------------------------------------------------------------------


def test_the_analysis_memo_is_published_too(app, ctx, client):
    if not publishing.analysis_available():
        pytest.skip("the O42 memo builder (tracker.reports.memo) is not installed")
    from tests.report_factory import bangkok
    from tracker.demo import DEMO_PASSWORD, load_demo
    from tracker.ita.demo import load_demo_scores

    result = load_demo(bangkok(date(2022, 10, 12)))
    load_demo_scores(result.plan.organization, bangkok(date(2022, 10, 12)))
    db.session.commit()
    client.post("/login", data={"email": "admin@banpet.example", "password": DEMO_PASSWORD})
    # A memo without its date is not published (never today's date by default) …
    refused = client.post(f"/plans/{result.plan.id}/publish", data={"kind": "analysis", "format": ["docx"]})
    assert "ยังไม่ได้ระบุวันที่ของบันทึกข้อความ" in html_text(refused.get_data(as_text=True))
    assert published() == []
    # … once dated on the memo page, it is, as of that date.
    client.post(f"/plans/{result.plan.id}/memo", data={"memo_date": "12/10/2565"})
    response = client.post(f"/plans/{result.plan.id}/publish", data={"kind": "analysis", "format": ["docx"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    [report] = published()
    assert report.kind == "analysis" and report.as_of == date(2022, 10, 12)  # the memo's date
    assert report.title.startswith("รายงานการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใส")
    body = client.get(f"/p/banpet/2566/reports/{report.id}.docx").data
    assert body.startswith(b"PK") and hashlib.sha256(body).hexdigest() == report.sha256
    assert (
        "O42-analysis-banpet-2566"
        in client.get(f"/p/banpet/2566/reports/{report.id}.docx").headers["Content-Disposition"]
    )
