"""The activity stream of a whole organization (/organizations/<id>/activity): who did
what to which step and when, with links, across its plans; filterable by department,
paged; the same code as the plan's stream; only organizations the reader may read."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import sqlalchemy as sa

from tests.conftest import NOW, make_user, one_step_plan
from tracker.auth.models import Role
from tracker.db import db
from tracker.follow import services as follow
from tracker.follow.activity import activity_page
from tracker.journal import record_step
from tracker.orgs.models import Department, Organization
from tracker.plans import services as plan_services
from tracker.plans.models import JournalEntry, Step, StepStatus


def other_plan(org: Organization, department: Department, year: int, title: str) -> Step:
    return one_step_plan(org, department, year, title, due=date(2024, 3, 1))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def lines(page: str) -> list[str]:
    """The stream's lines, tags removed, spaces squeezed."""
    stream = page.split('<ol class="journal activity"', 1)[1].split(">", 1)[1].split("</ol>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in stream.split("<li>")[1:]]


def test_the_organizations_stream_shows_every_plan_newest_first_with_links(world, login):
    later = other_plan(world.org, world.strategy, 2567, "ประชุมคณะทำงานปี 2567")
    elsewhere_org = Organization(name="อบต.อื่น", slug="other", province="ขอนแก่น")
    elsewhere_dept = Department(organization=elsewhere_org, name="สำนักปลัด")
    elsewhere = other_plan(elsewhere_org, elsewhere_dept, 2566, "งานขององค์กรอื่น")
    db.session.flush()
    follow.add_remark(world.step(world.m1, 1), world.manager, "เร่งรัดสำนักปลัด", NOW)
    plan_services.change_status(later, StepStatus.in_progress, world.owner_strategy, NOW + timedelta(hours=1))
    record_step(elsewhere, "remark", None, note="ไม่ควรเห็น", at=NOW + timedelta(hours=2))
    db.session.commit()

    page = text(login(world.viewer).get(f"/organizations/{world.org.id}/activity"))
    assert "<h1>ความเคลื่อนไหวขององค์กร</h1>" in page and "เทศบาลตำบลทดสอบ" in page
    assert lines(page) == [
        "1 ส.ค. 2566 11:00 น. · เจ้าหน้าที่กองยุทธ · เปลี่ยนสถานะ: ยังไม่เริ่ม → กำลังดำเนินการ · "
        "ขั้นตอน 1.1 ประชุมคณะทำงานปี 2567 (แผนปี 2567)",
        "1 ส.ค. 2566 10:00 น. · ปลัด · แสดงความเห็น · ขั้นตอน 1.1 จัดทำประกาศแนวทางปฏิบัติ (แผนปี 2566) เร่งรัดสำนักปลัด",
    ]
    assert f'href="/steps/{later.id}"' in page and f'href="/steps/{world.step(world.m1, 1).id}"' in page
    assert "ไม่ควรเห็น" not in page and "งานขององค์กรอื่น" not in page
    # The navigation leads here from every page.
    assert f'href="/organizations/{world.org.id}/activity">ความเคลื่อนไหว</a>' in page


def test_the_department_filter_is_a_form_and_a_bad_choice_is_a_clear_400(world, login):
    follow.add_remark(world.step(world.m1, 1), world.manager, "เร่งรัดสำนักปลัด", NOW)
    plan_services.change_status(world.step(world.m2, 1), StepStatus.done, world.owner_strategy, NOW)
    db.session.commit()
    client = login(world.manager)
    url = f"/organizations/{world.org.id}/activity"
    only = text(client.get(f"{url}?department={world.strategy.id}"))
    assert [line.split(" · ", 1)[1] for line in lines(only)] == [
        "เจ้าหน้าที่กองยุทธ · เปลี่ยนสถานะ: ยังไม่เริ่ม → ดำเนินการแล้ว · ขั้นตอน 2.1 กำหนดระบบที่ต้องการพัฒนา (แผนปี 2566)"
    ]
    assert f'<option selected value="{world.strategy.id}">กองยุทธศาสตร์และงบประมาณ</option>' in only
    assert f'<a class="button" href="{url}">ล้างตัวกรอง</a>' in only
    refused = client.get(f"{url}?department=999999")
    assert refused.status_code == 400 and "ไม่พบหน่วยงานที่เลือก" in text(refused)
    wrong = client.get(f"{url}?department=abc")
    assert wrong.status_code == 400 and "ไม่พบหน่วยงานที่เลือก" in text(wrong)
    assert 'class="journal activity"' not in text(wrong)  # no stream under a refused filter
    # Another organization's department is no choice here either.
    other = Department(organization=Organization(name="อบต.อื่น", slug="other2"), name="กองช่าง")
    db.session.add(other)
    db.session.commit()
    foreign = client.get(f"{url}?department={other.id}")
    assert foreign.status_code == 400 and "ไม่พบหน่วยงานที่เลือก" in text(foreign)
    assert "กองช่าง" not in text(foreign)  # another organization's department is not offered


def test_the_stream_is_paged_and_the_pages_keep_the_filter(world, login):
    step = world.step(world.m2, 2)
    for i in range(60):
        record_step(step, "remark", world.manager, note=f"บันทึกที่ {i}", at=NOW + timedelta(minutes=i))
    db.session.commit()
    client = login(world.viewer)
    url = f"/organizations/{world.org.id}/activity?department={world.strategy.id}"
    first = text(client.get(url))
    assert len(lines(first)) == 50 and "บันทึกที่ 59" in lines(first)[0]
    assert "แสดง 1–50 จาก 60 รายการ" in first and "หน้า 1 จาก 2" in first
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    assert f"department={world.strategy.id}" in following and "page=2" in following
    second = text(client.get(following))
    assert len(lines(second)) == 10 and "บันทึกที่ 0" in lines(second)[-1]


def test_only_organizations_the_reader_may_read(world, login):
    other = Organization(name="อบต.ไกล", slug="far", province="เชียงใหม่")
    provincial_office = Organization(name="สถ.จ.ขอนแก่น", slug="kk-office", province="ขอนแก่น")
    provincial = make_user(provincial_office, "kk@dla.go.th", Role.provincial)
    db.session.add(other)
    db.session.commit()
    assert login(world.admin).get(f"/organizations/{other.id}/activity").status_code == 404
    assert login(world.admin).get("/organizations/999999/activity").status_code == 404
    client = login(provincial)
    own = client.get(f"/organizations/{world.org.id}/activity")  # an organization of its province
    assert own.status_code == 200 and "<h1>ความเคลื่อนไหวขององค์กร</h1>" in text(own)
    assert "เทศบาลตำบลทดสอบ" in text(own)
    far = client.get(f"/organizations/{other.id}/activity")
    assert far.status_code == 404 and "อบต.ไกล" not in text(far)


def test_one_implementation_serves_both_scopes(world):
    later = other_plan(world.org, world.palad, 2567, "งานปีหน้า")
    follow.add_remark(world.step(world.m1, 1), world.manager, "หนึ่ง", NOW)
    follow.add_remark(later, world.manager, "สอง", NOW)
    db.session.commit()
    whole = activity_page(world.org.id)
    one_plan = activity_page(world.org.id, plan_id=world.plan.id)
    assert {e.note for e in whole.items} == {"หนึ่ง", "สอง"} and whole.total == 2
    assert [e.note for e in one_plan.items] == ["หนึ่ง"]
    assert db.session.scalar(sa.select(sa.func.count(JournalEntry.id))) == 2  # reading wrote nothing


def test_edits_of_the_plans_structure_and_follow_up_results_are_in_the_stream_with_links(world, login):
    """Besides steps: an admin's edit of a measure, a recorded follow-up result and an edit of
    the plan itself each make a line linking to their page; the department filter keeps the
    department's measure, the plan's stream keeps only its plan."""
    from tracker.plans import results, structure

    later = other_plan(world.org, world.strategy, 2567, "ประชุมคณะทำงานปี 2567")
    db.session.flush()
    structure.edit_measure(world.m1, world.admin, NOW, title="โครงการเสริมสร้างความโปร่งใส (ปรับ)")
    results.set_result(world.m2, world.admin, NOW + timedelta(hours=1), value="80", unit="ร้อยละ")
    structure.edit_plan(later.measure.weakness.plan, world.admin, NOW + timedelta(hours=2), title="แผนปี 2567 (ปรับ)")
    db.session.commit()

    client = login(world.viewer)
    page = text(client.get(f"/organizations/{world.org.id}/activity"))
    shown = [line.split(" · ", 1)[1] for line in lines(page)]
    # Newest first: the plan's edit, the result (a line per recorded field), the measure's edit.
    assert shown[0] == "ผู้ดูแล · แก้ไข ชื่อ · แผนปี 2567 (ปรับ) (แผนปี 2567)"
    assert shown[-1] == "ผู้ดูแล · แก้ไข ชื่อ · มาตรการ 1 โครงการเสริมสร้างความโปร่งใส (ปรับ) (แผนปี 2566)"
    assert shown[1:-1] and all(
        line == "ผู้ดูแล · บันทึกผลการติดตาม · มาตรการ 2 โครงการ E-Service (แผนปี 2566)" for line in shown[1:-1]
    )
    assert f'href="/measures/{world.m1.id}"' in page and f'href="/measures/{world.m2.id}"' in page
    assert f'href="/plans/{later.measure.weakness.plan.id}"' in page

    palad_only = text(client.get(f"/organizations/{world.org.id}/activity?department={world.palad.id}"))
    assert [line.split(" · ", 2)[2] for line in lines(palad_only)] == [
        "แก้ไข ชื่อ · มาตรการ 1 โครงการเสริมสร้างความโปร่งใส (ปรับ) (แผนปี 2566)"
    ]
    plan_page = text(client.get(f"/plans/{world.plan.id}/activity"))
    assert len(lines(plan_page)) == len(shown) - 1 and "แผนปี 2567 (ปรับ)" not in plan_page
