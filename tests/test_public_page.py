"""The public progress page (/p/<org>/<fiscal year>): what citizens and assessors
see without logging in, what they never see, and how owners choose which
evidence is public.

Every internal place (journal notes, comments, a cancel reason, internal
evidence names and links, the result's note, people's names and e-mails)
carries MARKER; no public response may contain it.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, make_user, one_measure, photograph, statements_for
from tracker import clock
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans import results, services
from tracker.plans.models import Evidence, JournalEntry, Measure, Plan, PlanStatus, Step, StepStatus, Weakness
from tracker.public.models import PublishedReport

MARKER = "internal-marker-7f3a"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
LONG_URL = "https://testorg.go.th/news/" + "a" * 140


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)  # 1 Aug 2566, 10:00 in Bangkok


def upload(step_or_measure, actor, name: str, body: bytes, app) -> Evidence:
    upload_dir, limit = app.config["TRACKER_UPLOAD_DIR"], 10 * 1024 * 1024
    if isinstance(step_or_measure, Step):
        return services.add_file_evidence(step_or_measure, actor, name, io.BytesIO(body), upload_dir, limit, NOW)
    return results.add_result_file(step_or_measure, actor, name, io.BytesIO(body), upload_dir, limit, NOW)


class Shown:
    """What the fixture put where: the public items and the internal ones."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


@pytest.fixture
def shown(world, app) -> Shown:
    """Progress on the test plan, with MARKER in every internal place."""
    s1, s2, s3 = (world.step(world.m1, i) for i in (1, 2, 3))
    t1 = world.step(world.m2, 1)
    world.owner_palad.display_name = f"สมชาย {MARKER}"
    world.palad.email = f"{MARKER}@example.go.th"
    services.edit_step(s3, world.admin, NOW, assignee=world.owner_palad, note=f"มอบหมาย {MARKER}")
    services.change_status(s1, StepStatus.done, world.owner_palad, NOW, note=f"ประกาศแล้ว {MARKER}")
    services.add_comment(s1, world.owner_palad, f"ความเห็นภายใน {MARKER}", NOW)
    services.change_status(s2, StepStatus.cancelled, world.admin, NOW, cancel_reason=f"รวมกับขั้นตอนอื่น {MARKER}")
    services.change_status(t1, StepStatus.in_progress, world.owner_strategy, NOW, note=f"เริ่มแล้ว {MARKER}")

    public_file = upload(s1, world.owner_palad, "ประกาศแนวทางปฏิบัติ.pdf", PDF + b"public", app)
    internal_file = upload(s1, world.owner_palad, f"บันทึกภายใน-{MARKER}.pdf", PDF + b"internal", app)
    public_link = services.add_link_evidence(s1, world.owner_palad, "https://testorg.go.th/news/1", "ข่าวบนเว็บไซต์", NOW)
    long_link = services.add_link_evidence(s1, world.owner_palad, LONG_URL, LONG_URL, NOW)
    internal_link = services.add_link_evidence(
        s1, world.owner_palad, f"https://intranet.example/{MARKER}", f"ลิงก์ภายใน {MARKER}", NOW
    )
    for ev in (public_file, public_link, long_link):
        services.set_evidence_public(ev, world.owner_palad, True, NOW)

    results.set_result(world.m1, world.owner_palad, NOW, value="1,250", unit="ครั้ง", note=f"หมายเหตุ {MARKER}")
    result_public = results.add_result_link(
        world.m1, world.owner_palad, "https://testorg.go.th/stat", "สถิติการให้บริการ", NOW
    )
    services.set_evidence_public(result_public, world.owner_palad, True, NOW)
    result_internal = upload(world.m1, world.owner_palad, f"สรุปภายใน-{MARKER}.pdf", PDF, app)
    db.session.commit()
    return Shown(
        s1=s1,
        s2=s2,
        t1=t1,
        public_file=public_file,
        internal_file=internal_file,
        public_link=public_link,
        internal_link=internal_link,
        result_public=result_public,
        result_internal=result_internal,
    )


def hrefs(page: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', page)


# -- what the page shows ---------------------------------------------------------------


def test_without_login_the_page_shows_progress_statuses_completion_dates_and_public_evidence(client, shown):
    response = client.get("/p/testorg/2566")
    assert response.status_code == 200
    page = response.get_data(as_text=True)

    assert '<html lang="th">' in page
    assert "<title>มาตรการส่งเสริมคุณธรรมและความโปร่งใส ๒๕๖๖ · เทศบาลตำบลทดสอบ</title>" in page
    assert re.search(r'<meta name="description" content="ความคืบหน้า[^"]+ดำเนินการแล้ว 1 จาก 4 ขั้นตอน', page)
    assert '<meta property="og:title" content="มาตรการส่งเสริมคุณธรรมและความโปร่งใส ๒๕๖๖ · เทศบาลตำบลทดสอบ">' in page
    assert '<meta property="og:url" content="http://127.0.0.1:5000/p/testorg/2566">' in page
    assert response.headers["Cache-Control"] == "public, max-age=300"

    # Progress: measure 1 has 1 of 2 counted steps done (one cancelled), measure 2 none of 2.
    assert "1/4 (25%)" in page
    assert "1/2 (50%)" in page and "0/2 (0%)" in page
    assert "ข้อมูล ณ วันที่ 1 สิงหาคม 2566" in page
    # Statuses and the completion date in BE; step numbers, owners and due dates.
    for label in ("ดำเนินการแล้ว", "ยกเลิก", "กำลังดำเนินการ", "ยังไม่เริ่ม"):
        assert f">{label}</span>" in page
    assert "1 ส.ค. 2566" in page  # step 1.1 was completed on 1 Aug 2023
    assert "31 ก.ค. 2566" in page and "15 ส.ค. 2566" in page  # due dates
    assert ">1.1</td>" in page and ">2.2</td>" in page
    assert "สำนักปลัดเทศบาล" in page and "กองยุทธศาสตร์และงบประมาณ" in page
    assert "ก.ค. – ก.ย. 2566" in page  # the measure's period
    # Measure: follow-up indicator and its recorded figure.
    assert "ประกาศแนวทางปฏิบัติ" in page and "1,250 ครั้ง" in page
    # Public evidence: a file through the public route, links as they are.
    assert f'href="/p/testorg/2566/evidence/{shown.public_file.id}"' in page
    assert "ประกาศแนวทางปฏิบัติ.pdf" in page
    assert 'href="https://testorg.go.th/news/1"' in page and "ข่าวบนเว็บไซต์" in page
    assert 'href="https://testorg.go.th/stat"' in page and "สถิติการให้บริการ" in page


def test_internal_notes_people_and_evidence_never_appear(client, shown):
    pages = [client.get(url) for url in ("/p/testorg/2566", "/p/testorg")]
    for response in pages:
        assert response.status_code == 200
        assert MARKER not in response.get_data(as_text=True)
    page = pages[0].get_data(as_text=True)
    assert f'/evidence/{shown.internal_file.id}"' not in page
    assert f'/evidence/{shown.result_internal.id}"' not in page
    assert "intranet.example" not in page


def test_the_page_links_to_nothing_that_needs_a_login(client, shown):
    page = client.get("/p/testorg/2566").get_data(as_text=True)
    for href in hrefs(page):
        assert (
            href.startswith("#")
            or href.startswith("/p/testorg")
            or href == "http://127.0.0.1:5000/p/testorg/2566"
            or href.startswith("https://testorg.go.th/")
        ), href
    assert "/login" not in page and "csrf_token" not in page


def test_the_organization_page_lists_public_plans_by_year_and_drafts_are_not_public(client, world, shown):
    db.session.add(Plan(organization=world.org, fiscal_year=2567, title="ร่างแผน ๒๕๖๗", status=PlanStatus.draft))
    db.session.add(Plan(organization=world.org, fiscal_year=2565, title="แผน ๒๕๖๕", status=PlanStatus.closed))
    db.session.commit()

    listing = client.get("/p/testorg")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert 'href="/p/testorg/2566"' in page and 'href="/p/testorg/2565"' in page
    assert "2567" not in page and "ร่างแผน" not in page
    assert listing.headers["Cache-Control"] == "public, max-age=300"

    closed = client.get("/p/testorg/2565")
    assert closed.status_code == 200 and "ปิดแล้ว" in closed.get_data(as_text=True)
    assert 'href="/p/testorg/2565"' in client.get("/p/testorg/2566").get_data(as_text=True)  # other years

    draft = client.get("/p/testorg/2567")
    assert draft.status_code == 404
    text = draft.get_data(as_text=True)
    assert '<html lang="th">' in text and "ยังไม่ได้เผยแพร่แผนปีงบประมาณ พ.ศ. 2567" in text


def test_a_draft_plan_its_evidence_and_its_reports_are_not_found(client, world, shown):
    world.plan.status = PlanStatus.draft
    db.session.commit()
    assert client.get("/p/testorg/2566").status_code == 404
    assert client.get(f"/p/testorg/2566/evidence/{shown.public_file.id}").status_code == 404
    assert 'href="/p/testorg/2566"' not in client.get("/p/testorg").get_data(as_text=True)


@pytest.mark.parametrize(
    "url, message",
    [
        ("/p/nosuchorg/2566", "ไม่พบหน่วยงาน"),
        ("/p/testorg/2570", "ยังไม่ได้เผยแพร่แผนปีงบประมาณ พ.ศ. 2570"),
        ("/p/testorg/abcd", "ปีงบประมาณ “abcd” ไม่ถูกต้อง"),
        ("/p/testorg/99999999999999999999", "ไม่ถูกต้อง"),
        ("/p/testorg/2566/evidence/99999", "ไม่พบหลักฐานนี้"),
        ("/p/testorg/2566/evidence/99999999999", "ไม่พบหน้าที่ต้องการ"),
        ("/p/testorg/2566/reports/99999.pdf", "ไม่พบรายงานนี้"),
        ("/p/" + "x" * 300 + "/2566", "ไม่พบหน่วยงาน"),
    ],
)
def test_unknown_organizations_years_and_records_get_a_thai_404_page(client, world, url, message):
    response = client.get(url)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '<html lang="th">' in page and message in page


def test_thai_digits_and_capitals_in_the_address_lead_to_the_canonical_one(client, world):
    response = client.get("/p/testorg/" + quote("๒๕๖๖"))
    assert response.status_code == 301 and response.location.endswith("/p/testorg/2566")
    response = client.get("/p/TestOrg/2566")
    assert response.status_code == 301 and response.location.endswith("/p/testorg/2566")
    assert client.get("/p/TESTORG").location.endswith("/p/testorg")


# -- public evidence ---------------------------------------------------------------------


def test_public_files_download_and_links_open_through_the_public_route(client, shown):
    response = client.get(f"/p/testorg/2566/evidence/{shown.public_file.id}")
    assert response.status_code == 200
    assert response.data == PDF + b"public"
    assert hashlib.sha256(response.data).hexdigest() == shown.public_file.sha256
    assert response.headers["Cache-Control"] == "public, max-age=300"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" + quote("ประกาศแนวทางปฏิบัติ.pdf") in disposition

    link = client.get(f"/p/testorg/2566/evidence/{shown.public_link.id}")
    assert link.status_code == 302 and link.location == "https://testorg.go.th/news/1"
    result = client.get(f"/p/testorg/2566/evidence/{shown.result_public.id}")
    assert result.status_code == 302 and result.location == "https://testorg.go.th/stat"


def test_internal_evidence_is_not_found_and_turning_it_internal_again_hides_it(client, world, shown):
    for ev in (shown.internal_file, shown.internal_link, shown.result_internal):
        assert client.get(f"/p/testorg/2566/evidence/{ev.id}").status_code == 404
    services.set_evidence_public(shown.public_file, world.admin, False, NOW)
    db.session.commit()
    assert client.get(f"/p/testorg/2566/evidence/{shown.public_file.id}").status_code == 404
    assert "ประกาศแนวทางปฏิบัติ.pdf" not in client.get("/p/testorg/2566").get_data(as_text=True)


def test_evidence_of_another_plan_or_organization_is_not_found_under_this_address(client, world, app):
    other = Organization(name="อบต.อื่น", slug="otherorg", province="ขอนแก่น")
    dept = Department(organization=other, name="สำนักปลัด")
    m = one_measure(other, dept)
    step = Step(
        measure=m,
        order=1,
        title="ขั้นตอน",
        owner_department=dept,
        start_date=date(2023, 1, 1),
        due_date=date(2023, 3, 31),
    )
    db.session.add_all([other, step])
    outsider = make_user(other, "admin@other.go.th", Role.admin)
    db.session.flush()
    theirs = upload(step, outsider, "ของหน่วยงานอื่น.pdf", PDF, app)
    services.set_evidence_public(theirs, outsider, True, NOW)
    # The same organization's plan of another year.
    old_plan = Plan(organization=world.org, fiscal_year=2565, title="แผน ๒๕๖๕", status=PlanStatus.closed)
    old_m = Measure(
        weakness=Weakness(plan=old_plan, order=1, title="ประเด็น"),
        order=1,
        title="มาตรการ",
        owner_department=world.palad,
        period_start=date(2022, 1, 1),
        period_end=date(2022, 9, 30),
    )
    old_step = Step(
        measure=old_m,
        order=1,
        title="ขั้นตอนปีก่อน",
        owner_department=world.palad,
        start_date=date(2022, 1, 1),
        due_date=date(2022, 3, 31),
    )
    db.session.add(old_step)
    db.session.flush()
    last_year = upload(old_step, world.admin, "ปีก่อน.pdf", PDF, app)
    services.set_evidence_public(last_year, world.admin, True, NOW)
    db.session.commit()

    assert client.get(f"/p/otherorg/2566/evidence/{theirs.id}").status_code == 200
    assert client.get(f"/p/testorg/2566/evidence/{theirs.id}").status_code == 404
    assert client.get(f"/p/testorg/2565/evidence/{last_year.id}").status_code == 200
    assert client.get(f"/p/testorg/2566/evidence/{last_year.id}").status_code == 404


# -- speed -----------------------------------------------------------------------------------


def test_the_page_runs_the_same_number_of_queries_for_a_bigger_plan(client, world, shown, app):
    def queries_for(url: str) -> int:
        return statements_for(client, url)

    before = queries_for("/p/testorg/2566")
    assert before <= 12
    for w_order in range(3, 7):
        weakness = Weakness(plan=world.plan, order=w_order, title=f"ประเด็น {w_order}")
        for m_order in (1, 2, 3):
            m = Measure(
                weakness=weakness,
                order=m_order,
                title=f"มาตรการ {w_order}.{m_order}",
                owner_department=world.strategy,
                period_start=date(2023, 1, 1),
                period_end=date(2023, 9, 30),
                follow_up="จำนวนผู้ใช้บริการ",
            )
            db.session.add_all(
                Step(
                    measure=m,
                    order=o,
                    title=f"ขั้นตอน {w_order}.{m_order}.{o}",
                    owner_department=world.strategy,
                    start_date=date(2023, 1, 1),
                    due_date=date(2023, 9, 29),
                )
                for o in range(1, 8)
            )
    db.session.flush()
    for m in world.plan.measures[2:]:
        results.set_result(m, world.admin, NOW, value="10", unit="ราย")
        ev = results.add_result_link(m, world.admin, "https://testorg.go.th/r", "ผล", NOW)
        services.set_evidence_public(ev, world.admin, True, NOW)
        for step in m.steps:
            services.change_status(step, StepStatus.done, world.admin, NOW, note="เสร็จ")
            ev = services.add_link_evidence(step, world.admin, "https://testorg.go.th/d", "เอกสาร", NOW)
            services.set_evidence_public(ev, world.admin, True, NOW)
    for i in range(5):
        db.session.add(
            PublishedReport(
                organization_id=world.org.id,
                plan_id=world.plan.id,
                kind="followup",
                as_of=date(2023, 3, 31 - i),
                format="pdf",
                title=f"รายงาน {i}",
                stored_name=f"q{i}.pdf",
                download_name="r.pdf",
                size=10,
                sha256="0" * 64,
            )
        )
    db.session.commit()
    page = client.get("/p/testorg/2566").get_data(as_text=True)
    assert "มาตรการ 6.3" in page and "รายงาน 4" in page
    assert queries_for("/p/testorg/2566") == before


# -- owners choose public or internal --------------------------------------------------------


def test_an_owner_publishes_and_withdraws_evidence_of_its_step_and_it_is_journaled(world, login, app):
    step = world.step(world.m1, 1)
    ev = services.add_link_evidence(step, world.owner_palad, "https://testorg.go.th/news/2", "ภาพกิจกรรม", NOW)
    db.session.commit()
    assert ev.public is False  # internal unless chosen

    client = login(world.owner_palad)
    response = client.post(f"/evidence/{ev.id}/public", data={"public": "1"})
    assert response.status_code == 302 and response.location.endswith(f"/steps/{step.id}")
    db.session.rollback()
    assert db.session.get(Evidence, ev.id).public is True
    entry = db.session.scalar(sa.select(JournalEntry).where(JournalEntry.action == "evidence_public"))
    assert (entry.entity, entry.entity_id, entry.step_id, entry.field) == ("evidence", ev.id, step.id, "public")
    assert (entry.old_value, entry.new_value, entry.actor_id) == ("internal", "public", world.owner_palad.id)
    page = client.get(f"/steps/{step.id}").get_data(as_text=True)
    assert "เปลี่ยนการเผยแพร่หลักฐาน" in page and "“ภาพกิจกรรม” ภายในหน่วยงาน → เผยแพร่ต่อสาธารณะ" in page
    assert "เลิกเผยแพร่" in page
    assert "ภาพกิจกรรม" in client.get("/p/testorg/2566").get_data(as_text=True)

    admin = login(world.admin)
    assert admin.post(f"/evidence/{ev.id}/public", data={"public": "0"}).status_code == 302
    db.session.rollback()
    assert db.session.get(Evidence, ev.id).public is False
    entries = list(
        db.session.scalars(
            sa.select(JournalEntry).where(JournalEntry.action == "evidence_public").order_by(JournalEntry.id)
        )
    )
    assert [(e.old_value, e.new_value) for e in entries] == [("internal", "public"), ("public", "internal")]
    # The same value again changes nothing and journals nothing.
    assert admin.post(f"/evidence/{ev.id}/public", data={"public": "0"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).where(JournalEntry.action == "evidence_public")) == 2


@pytest.mark.parametrize("role", ["owner_strategy", "manager", "viewer"])
def test_others_may_not_change_whether_evidence_is_public(world, login, role):
    step = world.step(world.m1, 1)
    ev = services.add_link_evidence(step, world.owner_palad, "https://testorg.go.th/news/2", "ภาพกิจกรรม", NOW)
    db.session.commit()
    response = login(getattr(world, role)).post(f"/evidence/{ev.id}/public", data={"public": "1"})
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.get(Evidence, ev.id).public is False
    assert db.session.scalar(sa.select(sa.func.count()).where(JournalEntry.action == "evidence_public")) == 0


def test_another_organization_gets_404_and_a_forged_value_400(world, login):
    step = world.step(world.m1, 1)
    ev = services.add_link_evidence(step, world.owner_palad, "https://testorg.go.th/news/2", "ภาพกิจกรรม", NOW)
    other = Organization(name="อบต.อื่น", slug="otherorg")
    db.session.add(other)
    outsider = make_user(other, "admin@other.go.th", Role.admin)
    db.session.commit()
    assert login(outsider).post(f"/evidence/{ev.id}/public", data={"public": "1"}).status_code == 404
    assert login(world.owner_palad).post(f"/evidence/{ev.id}/public", data={"public": "yes"}).status_code == 400


def test_the_upload_and_link_forms_offer_public_and_default_to_internal(world, login):
    step = world.step(world.m1, 1)
    client = login(world.owner_palad)
    page = client.get(f"/steps/{step.id}").get_data(as_text=True)
    # The step page's one update form carries one "public" box, for its files and links, unticked.
    boxes = re.findall(r"<input[^>]*\bname=\"public\"[^>]*>", page)
    assert len(boxes) == 1 and 'type="checkbox"' in boxes[0] and "checked" not in boxes[0]
    assert "เผยแพร่ต่อสาธารณะ" in page

    client.post(f"/steps/{step.id}/evidence", data={"kind": "link", "url": "https://a.go.th/1", "title": "ภายใน"})
    client.post(
        f"/steps/{step.id}/evidence",
        data={"kind": "link", "url": "https://a.go.th/2", "title": "สาธารณะ", "public": "1"},
    )
    client.post(
        f"/steps/{step.id}/evidence",
        content_type="multipart/form-data",
        data={"kind": "file", "file": (io.BytesIO(PDF), "ประกาศ.pdf"), "public": "1"},
    )
    db.session.rollback()
    shown = {
        e.original_name: e.public for e in db.session.scalars(sa.select(Evidence).where(Evidence.step_id == step.id))
    }
    assert shown == {"ภายใน": False, "สาธารณะ": True, "ประกาศ.pdf": True}
    page = client.get("/p/testorg/2566").get_data(as_text=True)
    assert "สาธารณะ" in page and "ประกาศ.pdf" in page and 'href="https://a.go.th/1"' not in page


def test_follow_up_result_evidence_can_be_public_too(world, login):
    client = login(world.owner_palad)
    response = client.post(
        f"/measures/{world.m1.id}/result/evidence",
        data={"kind": "link", "url": "https://a.go.th/stat", "title": "สถิติ", "public": "1"},
    )
    assert response.status_code == 302
    ev = results.add_result_link(world.m1, world.owner_palad, "https://a.go.th/in", "ภายใน", NOW)
    db.session.commit()
    page = client.get(f"/measures/{world.m1.id}/result").get_data(as_text=True)
    assert "เผยแพร่ต่อสาธารณะ" in page and "เผยแพร่" in page

    response = client.post(f"/evidence/{ev.id}/public", data={"public": "1"})
    assert response.status_code == 302 and response.location.endswith(f"/measures/{world.m1.id}/result")
    public_page = client.get("/p/testorg/2566").get_data(as_text=True)
    assert 'href="https://a.go.th/stat"' in public_page and 'href="https://a.go.th/in"' in public_page
    # The result belongs to the measure's department: another owner may not.
    assert login(world.owner_strategy).post(f"/evidence/{ev.id}/public", data={"public": "0"}).status_code == 403


def test_the_dashboard_links_the_public_page_for_everyone(world, login):
    page = login(world.viewer).get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert 'href="/p/testorg/2566">หน้าสาธารณะ</a>' in page
    assert "/publish" not in page  # publishing is for admins
    assert f'href="/plans/{world.plan.id}/publish"' in login(world.admin).get(f"/plans/{world.plan.id}").get_data(
        as_text=True
    )
    world.plan.status = PlanStatus.draft
    db.session.commit()
    assert "หน้าสาธารณะ" not in login(world.viewer).get(f"/plans/{world.plan.id}").get_data(as_text=True)


# -- a real browser on a phone ------------------------------------------------------------------


def test_on_a_phone_the_public_page_fits_360_px_and_hides_internal_notes(browser_page, shown, artifacts_dir):
    page = browser_page(phone=True, enforce_csp=True)
    response = page.goto("/p/testorg/2566")
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling at 360 px"
    assert MARKER not in page.content()
    assert "1/4 (25%)" in page.locator(".big").inner_text()
    photograph(page, artifacts_dir / "public-page-phone.png", full_page=True)
    # Printing: no skip link, the evidence addresses are written out.
    page.emulate_media(media="print")
    assert page.locator(".skip").evaluate("e => getComputedStyle(e).display") == "none"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    desktop = browser_page(enforce_csp=True)
    desktop.goto("/p/testorg/2566")
    photograph(desktop, artifacts_dir / "public-page-desktop.png", full_page=True)
