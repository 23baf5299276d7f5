"""ITA scores from a pasted table (issue 16): the officer pastes what the ITAS result page or the memo shows,
each row is mapped to the year's framework indicator by name (slips and known mislabels tolerated), the
mapping is shown for confirmation, and only then are the scores saved."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_user
from tracker.auth.models import Role
from tracker.db import db
from tracker.ita.models import ItaContextScore, ItaScore
from tracker.ita.paste import match_indicators, parse_pasted_scores
from tracker.ita.scores import get_scores
from tracker.orgs.models import Organization
from tracker.plans.models import JournalEntry

DATA = Path(__file__).parent / "data"
SEED_CSV = Path(__file__).resolve().parents[1] / "tracker" / "demo" / "banpet-ita.csv"
FRAMEWORK_2565 = [
    (1, "การปฏิบัติหน้าที่"),
    (2, "การใช้งบประมาณ"),
    (3, "การใช้อำนาจ"),
    (4, "การใช้ทรัพย์สินของราชการ"),
    (5, "การแก้ไขปัญหาการทุจริต"),
    (6, "คุณภาพการดำเนินงาน"),
    (7, "ประสิทธิภาพการสื่อสาร"),
    (8, "การปรับปรุงการทำงาน"),
    (9, "การเปิดเผยข้อมูล"),
    (10, "การป้องกันการทุจริต"),
]


def seed_scores(year: int) -> dict[int, Decimal]:
    with SEED_CSV.open(encoding="utf-8") as f:
        return {
            int(r["indicator"]): Decimal(r["score"])
            for r in csv.DictReader(f)
            if r["fiscal_year"] == str(year) and r["indicator"].isdigit()
        }


def test_the_seeds_top_scores_list_maps_despite_its_two_mislabels():
    table = parse_pasted_scores((DATA / "seed_top_scores.txt").read_text(encoding="utf-8"))
    matches = match_indicators(table.rows, FRAMEWORK_2565)
    mapped = {m.number: m.row.scores[-1] for m in matches}
    assert mapped == seed_scores(2565)
    by_label = {m.row.label: m for m in matches}
    assert by_label["การปรับปรุงหน้าที"].number == 1 and "การปฏิบัติหน้าที่" in by_label["การปรับปรุงหน้าที"].reason
    assert by_label["การใช้จ่ายเงิน"].number == 3


def test_the_memos_table_2_gives_two_years_by_its_header():
    table = parse_pasted_scores((DATA / "seed_table2.txt").read_text(encoding="utf-8"))
    assert table.years == [2564, 2565]
    matches = match_indicators(table.rows, FRAMEWORK_2565)
    assert {m.number: m.row.scores[0] for m in matches} == seed_scores(2564)
    assert {m.number: m.row.scores[1] for m in matches} == seed_scores(2565)


def test_ocr_slips_in_names_and_arabic_or_thai_digits_are_tolerated():
    text = "การปฎิบัติหน้าที่ 98.63\nการใช้งบประมาน ๙๘.๒๓\nการเปิดเผยข้อมูล\t๑๐๐\n"
    matches = match_indicators(parse_pasted_scores(text).rows, FRAMEWORK_2565)
    assert [(m.number, m.row.scores) for m in matches] == [
        (1, [Decimal("98.63")]),
        (2, [Decimal("98.23")]),
        (9, [Decimal("100")]),
    ]


def test_text_without_scores_says_what_is_expected():
    table = parse_pasted_scores("ผลการประเมินของเราดีมาก")
    assert table.rows == [] and "ไม่พบแถวคะแนน" in table.problems[0]


@pytest.fixture
def banpet(app, ctx):
    org = Organization(name="เทศบาลตำบลบ้านเป็ด", slug="banpet", province="ขอนแก่น")
    admin = make_user(org, "admin@banpet.go.th", Role.admin)
    viewer = make_user(org, "viewer@banpet.go.th", Role.viewer)
    db.session.add(org)
    db.session.commit()
    return {"org": org, "admin": admin, "viewer": viewer}


def _confirm_fields(html: str) -> dict[str, str]:
    from html import unescape

    form = html[html.index("/paste/confirm") :]
    fields = {n: unescape(v) for n, v in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', form)}
    for name, body in re.findall(r'<select[^>]*?name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body) or re.search(
            r'<option value="([^"]*)" selected', body
        )
        fields[name] = chosen.group(1) if chosen else ""
    return fields


def test_an_admin_pastes_table_2_confirms_and_both_years_are_saved(banpet, client, login):
    login(banpet["admin"])
    text = (DATA / "seed_table2.txt").read_text(encoding="utf-8")
    response = client.post("/ita/2565/paste", data={"text": text})
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "ตรวจการจับคู่" in html and db.session.scalar(sa.select(sa.func.count()).select_from(ItaScore)) == 0
    fields = _confirm_fields(html)
    fields["confirm"] = "1"
    saved = client.post("/ita/2565/paste/confirm", data=fields)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.expire_all()
    assert get_scores(banpet["org"], 2565) == seed_scores(2565)
    assert get_scores(banpet["org"], 2564) == seed_scores(2564)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == 20


def test_the_context_rows_of_table_1_are_saved_with_their_levels(banpet, client, login):
    login(banpet["admin"])
    text = "ผลการประเมิน\tปีงบประมาณ พ.ศ. ๒๕๖๔\t\tปีงบประมาณ พ.ศ. ๒๕๖๕\nภาพรวมระดับประเทศ\t๘๑.๒๕\tB\t๘๗.๕๗\tA\tเพิ่มขึ้น ๖.๓๒\n"
    fields = _confirm_fields(client.post("/ita/2565/paste", data={"text": text}).get_data(as_text=True))
    fields["confirm"] = "1"
    assert client.post("/ita/2565/paste/confirm", data=fields).status_code == 302
    rows = {(r.fiscal_year, r.scope): (r.score, r.level) for r in db.session.scalars(sa.select(ItaContextScore))}
    assert rows == {(2564, "national"): (Decimal("81.25"), "B"), (2565, "national"): (Decimal("87.57"), "A")}


def test_two_rows_on_one_indicator_are_refused_and_nothing_is_saved(banpet, client, login):
    login(banpet["admin"])
    text = "การเปิดเผยข้อมูล 100\nการป้องกันการทุจริต 99\n"
    fields = _confirm_fields(client.post("/ita/2565/paste", data={"text": text}).get_data(as_text=True))
    fields["rows-1-indicator"] = fields["rows-0-indicator"]
    fields["confirm"] = "1"
    refused = client.post("/ita/2565/paste/confirm", data=fields)
    assert refused.status_code == 400 and "เลือกตัวชี้วัดเดียวกัน" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItaScore)) == 0


def test_pasting_nothing_useful_is_a_400_with_a_message(banpet, client, login):
    login(banpet["admin"])
    response = client.post("/ita/2565/paste", data={"text": "สวัสดี"})
    assert response.status_code == 400 and "ไม่พบแถวคะแนน" in response.get_data(as_text=True)


def test_only_admins_paste_scores(banpet, client, login):
    login(banpet["viewer"])
    assert client.post("/ita/2565/paste", data={"text": "การเปิดเผยข้อมูล 100"}).status_code == 403
