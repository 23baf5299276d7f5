"""The ITA page: everyone of the organization reads it, admins enter and import
scores and start a weakness in next year's plan from a weak indicator.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from conftest import NOW, make_user

from tracker.auth.models import Role
from tracker.db import db
from tracker.ita.analysis import analyse
from tracker.ita.demo import load_demo_scores
from tracker.ita.models import ItaScore
from tracker.ita.scores import get_scores
from tracker.ita.services import save_scores
from tracker.orgs.models import Organization
from tracker.plans.models import JournalEntry, Plan, PlanStatus, Weakness


@pytest.fixture
def seeded(world):
    load_demo_scores(world.org, NOW)
    db.session.commit()
    return world


@pytest.fixture
def other(ctx):
    """A second organization with scores of its own and an admin."""
    org = Organization(name="องค์การบริหารส่วนตำบลโนนสะอาด", slug="nonsa", province="อุดรธานี")
    db.session.add(org)
    db.session.flush()
    save_scores(org, 2565, actor=None, now=NOW, scores={n: "81.11" for n in range(1, 11)})
    admin = make_user(org, "admin@nonsa.go.th", Role.admin, name="แอดมินโนนสะอาด")
    db.session.commit()
    return org, admin


def text(response) -> str:
    return response.get_data(as_text=True)


def score_form(values: dict[int, str], **extra: str) -> dict[str, str]:
    data = {f"score-{n}": v for n, v in values.items()}
    for scope in ("national", "province"):
        data.setdefault(f"{scope}-label", "")
        data.setdefault(f"{scope}-score", "")
        data.setdefault(f"{scope}-level", "")
    data.update(extra)
    return data


SEED_2565 = {
    1: "98.63",
    2: "98.23",
    3: "98.31",
    4: "97.32",
    5: "97.88",
    6: "97.08",
    7: "94.59",
    8: "92.89",
    9: "100",
    10: "100",
}


# -- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "owner_palad", "manager", "admin"])
def test_everyone_of_the_organization_reads_the_result(seeded, login, who):
    client = login(getattr(seeded, who))
    page = text(client.get("/ita/2565"))
    assert "ผลการประเมิน ITA ปีงบประมาณ พ.ศ. 2565" in page
    for figure in (
        "97.88",
        "98.22",
        "ลดลง 0.34",
        "เพิ่มขึ้น 1.89",
        "ลดลง 3.05",
        "ภาพรวมจังหวัดขอนแก่น",
        "เพิ่มขึ้น 14.65",
        "เพิ่มขึ้น 5 ตัวชี้วัด",
        "ลดลง 3 ตัวชี้วัด",
    ):
        assert figure in page, figure
    assert 'href="/ita/"' in page  # the nav link "ผล ITA"
    # The lowest of IIT and EIT are marked; OIT (100 and 100) is said to be all equal instead.
    lowest = re.findall(r'<tr class="lowest" id="indicator-(\d+)">', page)
    assert lowest == ["4", "8"]
    assert "ทุกตัวชี้วัดในเครื่องมือนี้ได้คะแนนเท่ากัน" in page
    is_admin = who == "admin"
    assert ("บันทึกคะแนน" in page) is is_admin
    assert ("เริ่มจุดอ่อนในแผนปีถัดไป" in page) is is_admin


def test_the_index_goes_to_the_latest_year_with_scores(seeded, login):
    response = login(seeded.viewer).get("/ita/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ita/2565")


def test_a_year_without_scores_and_one_without_a_framework(world, login):
    client = login(world.viewer)
    page = client.get("/ita/2564")
    assert page.status_code == 200 and "ยังไม่มีคะแนน ITA ของปีงบประมาณ 2564" in text(page)
    assert client.get("/ita/2570").status_code == 404


def test_thai_digits_for_those_who_want_them(seeded, login):
    seeded.viewer.thai_digits = True
    db.session.commit()
    page = text(login(seeded.viewer).get("/ita/2565"))
    assert "๙๗.๘๘" in page and "ลดลง ๓.๐๕" in page


def test_logged_out_visitors_are_sent_to_the_login(app, client):
    response = client.get("/ita/2565")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_organizations_scores_are_invisible(seeded, other, login):
    org, admin = other
    page = text(login(admin).get("/ita/2565"))
    assert "81.11" in page and "97.88" not in page and "ภาพรวมจังหวัดขอนแก่น" not in page
    page = text(login(seeded.viewer).get("/ita/2565"))
    assert "97.88" in page and "81.11" not in page


# -- entering and importing ------------------------------------------------------------------


def test_an_admin_enters_scores_in_the_form(world, login):
    client = login(world.admin)
    response = client.post(
        "/ita/2565/scores",
        data=score_form(SEED_2565, **{"national-score": "87.57", "national-level": "A", "province-score": "92.49"}),
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/ita/2565")
    assert get_scores(world.org, 2565)[8] == Decimal("92.89")
    a = analyse(world.org, 2565)
    assert (a.overall, a.level) == (Decimal("97.88"), "AA")
    assert [(r.label, r.current, r.current_level) for r in a.summary[:2]] == [
        ("ภาพรวมระดับประเทศ", Decimal("87.57"), "A"),
        ("ภาพรวมจังหวัดขอนแก่น", Decimal("92.49"), "A"),
    ]
    page = text(client.get("/ita/2565"))
    assert "บันทึกคะแนนแล้ว 12 รายการ" in page and 'value="92.89"' in page
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.entity == "ita_score", JournalEntry.actor_id == world.admin.id)
        )
        == 10
    )


def test_a_form_with_mistakes_is_shown_again_and_nothing_is_saved(world, login):
    client = login(world.admin)
    response = client.post("/ita/2565/scores", data=score_form({**SEED_2565, 2: "101", 3: "abc"}))
    assert response.status_code == 400
    page = text(response)
    assert "ตัวชี้วัดที่ 2 การใช้งบประมาณ: 101 อยู่นอกช่วง 0–100" in page
    assert "ตัวชี้วัดที่ 3 การใช้อำนาจ: “abc” ไม่ใช่ตัวเลข" in page
    assert 'value="abc"' in page  # what was typed stays in the form
    # Each mistake once, at its own box.
    error = re.search(r'id="f-score-3-error" class="field-error">([^<]*)<', page)
    assert error and "“abc” ไม่ใช่ตัวเลข" in error.group(1) and page.count("“abc” ไม่ใช่ตัวเลข") == 1
    assert re.search(r'aria-describedby="f-score-2-error"[^>]*name="score-2"', page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItaScore)) == 0


@pytest.mark.parametrize("who", ["viewer", "owner_palad", "manager"])
def test_only_admins_change_anything(seeded, login, who):
    client = login(getattr(seeded, who))
    before = get_scores(seeded.org, 2565)
    assert client.post("/ita/2565/scores", data=score_form({1: "10"})).status_code == 403
    upload = {
        "file": (io.BytesIO(b"organization,fiscal_year,indicator,score\ntestorg,2565,1,10\n"), "s.csv"),
        "year": "2565",
    }
    assert client.post("/ita/import", data=upload, content_type="multipart/form-data").status_code == 403
    assert client.post("/ita/2565/indicators/8/weakness").status_code == 403
    assert get_scores(seeded.org, 2565) == before
    assert len(seeded.plan.weaknesses) == 2


def test_an_admin_imports_a_file(world, login):
    client = login(world.admin)
    body = "organization,fiscal_year,indicator,score\n" + "".join(
        f"testorg,2565,{n},{s}\n" for n, s in SEED_2565.items()
    )
    response = client.post(
        "/ita/import",
        data={"file": (io.BytesIO(body.encode()), "ita.csv"), "year": "2565"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/ita/2565")
    assert analyse(world.org, 2565).overall == Decimal("97.88")


def test_an_import_with_problems_shows_them_by_row_and_writes_nothing(world, login):
    client = login(world.admin)
    body = "organization,fiscal_year,indicator,score\ntestorg,2565,1,98.63\ntestorg,2565,12,90\ntestorg,2565,1,98\n"
    response = client.post(
        "/ita/import",
        data={"file": (io.BytesIO(body.encode()), "ita.csv"), "year": "2565"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = text(response)
    assert "แถว 3: ไม่มีตัวชี้วัด “12”" in page and "แถว 4: ซ้ำกับแถว 2" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItaScore)) == 0


def test_an_admin_cannot_import_into_another_organization(seeded, other, login):
    org, admin = other
    body = "organization,fiscal_year,indicator,score\ntestorg,2565,1,10\n"
    response = login(admin).post(
        "/ita/import",
        data={"file": (io.BytesIO(body.encode()), "x.csv"), "year": "2565"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "นำเข้าได้เฉพาะคะแนนขององค์กรของคุณ" in text(response)
    assert get_scores(seeded.org, 2565)[1] == Decimal("98.63")


# -- from a weak indicator to next year's plan --------------------------------------------------


def test_the_weakness_button_adds_a_prefilled_weakness_once(seeded, login):
    client = login(seeded.admin)
    plan = seeded.plan  # the 2566 plan; it has weaknesses 1 and 2 already
    response = client.post("/ita/2565/indicators/7/weakness")
    assert response.status_code == 302
    weakness = db.session.scalar(sa.select(Weakness).where(Weakness.title == "ประสิทธิภาพการสื่อสาร"))
    assert response.headers["Location"].endswith(f"/admin/plans/{plan.id}#weakness-{weakness.id}")
    assert (weakness.plan_id, weakness.order) == (plan.id, 3)
    assert weakness.detail == (
        "ตัวชี้วัดที่ 7 ประสิทธิภาพการสื่อสาร ได้คะแนน 94.59 ในการประเมิน ITA ปีงบประมาณ พ.ศ. 2565 "
        "(แบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายนอก ด้าน EIT) และมีคะแนนลดลง 3.80 คะแนนจากปีงบประมาณ พ.ศ. 2564"
    )
    admin_page = text(client.get(response.headers["Location"]))
    assert "เพิ่มประเด็นจุดอ่อน “ประสิทธิภาพการสื่อสาร” ในแผนปีงบประมาณ 2566 แล้ว" in admin_page
    assert f'id="weakness-{weakness.id}">ประเด็นที่ 3: ประสิทธิภาพการสื่อสาร' in admin_page

    again = client.post("/ita/2565/indicators/7/weakness")
    assert again.status_code == 302
    assert "มีประเด็น “ประสิทธิภาพการสื่อสาร” อยู่แล้ว (ประเด็นที่ 3) ไม่ได้เพิ่มซ้ำ" in text(client.get(again.headers["Location"]))
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Weakness).where(Weakness.title == "ประสิทธิภาพการสื่อสาร"))
        == 1
    )
    # The page now links to it instead of offering the button again.
    page = text(client.get("/ita/2565"))
    assert f'#weakness-{weakness.id}">มีในแผนแล้ว (ประเด็นที่ 3)' in page


def test_the_weakness_button_creates_next_years_plan_as_a_draft(other, login):
    org, admin = other
    save_scores(org, 2565, actor=None, now=NOW, scores={4: "70.00"})
    db.session.commit()
    client = login(admin)
    assert "เริ่มจุดอ่อนในแผนปีถัดไป" in text(client.get("/ita/2565"))
    response = client.post("/ita/2565/indicators/4/weakness")
    assert response.status_code == 302
    plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == org.id))
    assert (plan.fiscal_year, plan.status) == (2566, PlanStatus.draft)
    assert [w.title for w in plan.weaknesses] == ["การใช้ทรัพย์สินของราชการ"]
    assert "ได้คะแนน 70.00" in plan.weaknesses[0].detail
    assert "ซึ่งได้คะแนนน้อยที่สุดในกลุ่มเครื่องมือนี้" in plan.weaknesses[0].detail
    assert "สร้างแผนใหม่เป็นฉบับร่าง" in text(client.get(response.headers["Location"]))


def test_the_weakness_button_of_an_unknown_indicator_is_not_found(seeded, login):
    client = login(seeded.admin)
    assert client.post("/ita/2565/indicators/99/weakness").status_code == 404
    assert client.post("/ita/2570/indicators/1/weakness").status_code == 404


def test_forms_need_the_csrf_token(seeded, login):
    client = login(seeded.admin)
    response = client.post("/ita/2565/scores", data=score_form({1: "10"}, csrf_token="bad"))
    assert response.status_code == 400
    assert get_scores(seeded.org, 2565)[1] == Decimal("98.63")


def test_an_import_without_a_file_says_so_at_the_file_box(world, login):
    client = login(world.admin)
    response = client.post("/ita/import", data={"year": "2565"}, content_type="multipart/form-data")
    assert response.status_code == 400
    page = text(response)
    assert re.search(r'aria-describedby="f-file-error"', page)
    assert re.search(r'id="f-file-error" class="field-error">โปรดเลือกไฟล์ .csv หรือ .xlsx<', page)
    # From no year page (a hand-made request): the error page says the same.
    response = client.post("/ita/import", data={"year": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "โปรดเลือกไฟล์ .csv หรือ .xlsx" in text(response)
