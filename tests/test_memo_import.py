"""Start from the documents an agency already has (issue 16).

An officer uploads the O42 memo they wrote in Word, or pastes its measures
table, checks a preview (every step with its due date and owner, problems in
words) and confirms; the plan is the same as if it had been typed. The seed's
part 3 is rebuilt as a .docx with the seed's own cell layout (tests/memo_factory.py)
and must import as the bundled demo plan: 3 weaknesses, 4 measures, 26 steps,
the same owners, periods and due dates. Variants and hostile files get a clear
message and write nothing.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_user
from tests.memo_factory import Layout, demo_plan, memo_docx, memo_text
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans.memodraft import place_in_words
from tracker.plans.memofile import closest_department, memo_plan_spec, parse_memo_docx, parse_memo_text
from tracker.plans.memotable import split_steps
from tracker.plans.models import JournalEntry, Measure, Plan, Step, Weakness
from tracker.plans.planfile import PlanFileError, load_plan_file

DATA = Path(__file__).parent / "data"
DEMO = Path(__file__).resolve().parents[1] / "tracker" / "demo" / "banpet-2566.yaml"
BANPET = {"name": "เทศบาลตำบลบ้านเป็ด", "slug": "banpet", "province": "ขอนแก่น"}
LAYOUTS = {
    "seed layout": Layout(),
    "arabic digits": Layout(thai_digits=False),
    "1. numbering": Layout(numbering="dot"),
    "one step per paragraph": Layout(steps_per_paragraph=True),
    "header without line breaks": Layout(header_line_breaks=False),
    "empty same-as-above weakness cell": Layout(merged_weakness=False),
    "header not repeated on the next page": Layout(repeat_header=False),
    "no indicator table": Layout(with_indicator_table=False),
}


def _shape(spec):
    return [(m.owner, m.period_start, m.period_end, [(s.title, s.due) for s in m.steps]) for m in spec.measures]


def _as_demo(draft):
    demo = load_plan_file(DEMO)
    names = [d.name for d in demo.departments]
    owner_map = {o: closest_department(o, names)[0] or o for o in draft.owner_names()}
    return memo_plan_spec(draft, BANPET, draft.fiscal_year, owner_map=owner_map), demo


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
@pytest.mark.parametrize("source", ["docx", "pasted text"])
def test_the_seed_memo_reads_as_the_demo_plan(layout, source):
    draft = parse_memo_docx(memo_docx(layout)) if source == "docx" else parse_memo_text(memo_text(layout))
    assert draft.notes == []
    assert draft.fiscal_year == 2566
    spec, demo = _as_demo(draft)
    assert (len(spec.weaknesses), len(spec.measures), len(spec.steps)) == (3, 4, 26)
    assert _shape(spec) == _shape(demo)
    assert [len(w.measures) for w in spec.weaknesses] == [1, 1, 2]


def test_a_weakness_cell_splits_into_the_indicator_name_and_its_detail():
    draft = parse_memo_docx(memo_docx())
    plan = demo_plan()
    assert [w.title for w in draft.weaknesses] == [w["title"] for w in plan["weaknesses"]]
    assert draft.weaknesses[0].detail == plan["weaknesses"][0]["detail"]
    assert draft.organization_name == "เทศบาลตำบลบ้านเป็ด"


def test_the_seeds_own_pasted_table_gives_the_demo_plan():
    """tests/data/seed_measures_table.txt is the seed's part 3 as its text shows it, OCR slips and all."""
    draft = parse_memo_text((DATA / "seed_measures_table.txt").read_text(encoding="utf-8"))
    spec, demo = _as_demo(draft)
    assert (len(spec.weaknesses), len(spec.measures), len(spec.steps)) == (3, 4, 26)
    assert [(m.owner, m.period_start, m.period_end, [s.due for s in m.steps]) for m in spec.measures] == [
        (m.owner, m.period_start, m.period_end, [s.due for s in m.steps]) for m in demo.measures
    ]
    # The memo wrote "กองยุทธศาสตร์ และงบประมาณ" (wrapped); it is the existing department.
    assert "กองยุทธศาสตร์ และงบประมาณ" in draft.owner_names()
    assert spec.measures[1].owner == "กองยุทธศาสตร์และงบประมาณ"


@pytest.mark.parametrize(
    "cell, first, expected",
    [
        (["๑) แต่งตั้งคณะทำงาน ๒) กำหนดเนื้อหา ๓) รายงานผล"], 1, ["แต่งตั้งคณะทำงาน", "กำหนดเนื้อหา", "รายงานผล"]),
        (["1. แต่งตั้ง", "2. รายงาน"], 1, ["แต่งตั้ง", "รายงาน"]),
        (["แต่งตั้งคณะทำงาน", "รายงานผล"], 1, ["แต่งตั้งคณะทำงาน", "รายงานผล"]),
        (["- แต่งตั้ง", "- รายงาน"], 1, ["แต่งตั้ง", "รายงาน"]),
        # A year or a law's number inside a step never starts a new step.
        (["๑) จัดจ้างตาม พ.ร.บ. พ.ศ. ๒๕๖๐ ๒) ตรวจรับ ๓) รายงาน"], 1, ["จัดจ้างตาม พ.ร.บ. พ.ศ. ๒๕๖๐", "ตรวจรับ", "รายงาน"]),
        (["ขั้นตอนที่ไม่มีเลข 5) เลขกลางประโยค"], 1, ["ขั้นตอนที่ไม่มีเลข 5) เลขกลางประโยค"]),
        # A table continued on the next page goes on counting from the measure above.
        (["๒) จัดทำคู่มือ ๓) เผยแพร่"], 2, ["จัดทำคู่มือ", "เผยแพร่"]),
    ],
)
def test_steps_are_split_where_the_officer_numbered_them(cell, first, expected):
    assert split_steps(cell, first) == expected


def test_problems_are_located_in_words():
    assert (
        place_in_words(("weaknesses", 0, "measures", 0, "steps", 1, "due"))
        == "ประเด็นที่ 1 › มาตรการที่ 1 › ขั้นตอนที่ 2 › วันครบกำหนด"
    )


def test_an_unreadable_period_is_shown_beside_what_the_memo_wrote():
    text = memo_text().replace("ม.ค. - ก.ย. ๒๕๖๖", "ตลอดปีงบประมาณ", 1)
    draft = parse_memo_text(text)
    note = next(n for n in draft.notes if "ระยะเวลา" in n.place)
    assert note.place == "ประเด็นที่ 2 › มาตรการที่ 1 › ระยะเวลาดำเนินการ"
    assert note.raw == "ตลอดปีงบประมาณ"
    with pytest.raises(PlanFileError) as error:
        memo_plan_spec(draft, BANPET, 2566)
    assert any(p.place.startswith("ประเด็นที่ 2 › มาตรการที่ 1") for p in error.value.problems)


def test_two_digit_years_and_en_dashes_in_periods_are_read():
    text = memo_text(Layout(thai_digits=False)).replace("ม.ค. - ก.ย. 2566", "ม.ค.–ก.ย. 66")
    spec, demo = _as_demo(parse_memo_text(text))
    assert [(m.period_start, m.period_end) for m in spec.measures] == [
        (m.period_start, m.period_end) for m in demo.measures
    ]


def test_close_department_names_are_matched_without_spaces_or_by_prefix():
    existing = ["สำนักปลัดเทศบาล", "กองยุทธศาสตร์และงบประมาณ", "กองคลัง"]
    assert closest_department("กองยุทธศาสตร์ และงบประมาณ", existing) == ("กองยุทธศาสตร์และงบประมาณ", 1.0)
    assert closest_department("สำนักปลัด", existing)[0] == "สำนักปลัดเทศบาล"
    assert closest_department("กองช่าง", existing)[0] is None


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _docx_without_measures() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("บันทึกข้อความ เรื่อง ขออนุมัติจัดซื้อวัสดุ")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "รายการ"
    table.cell(0, 1).text = "จำนวน"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _huge_table() -> str:
    header = "\t".join(["ประเด็นที่เป็นข้อบกพร่อง", "มาตรการ", "วิธีการดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลาดำเนินการ", "การติดตามผล"])
    rows = [f"ประเด็น {i}\tมาตรการ {i}\t1) ขั้นตอน\tกองคลัง\tม.ค. - ก.ย. 2566\tรายงาน" for i in range(800)]
    return "\n".join([header] + rows)


HOSTILE = {
    "not a docx": (b"%PDF-1.4 this is a pdf", "memo.docx", "ไม่ใช่ไฟล์ Word"),
    "a zip that is not a document": (_zip({"hello.txt": b"hi"}), "memo.docx", "ไม่มีเนื้อหาเอกสาร"),
    "a zip bomb": (_zip({"word/document.xml": b"<" + b" " * (60 * 1024 * 1024)}), "memo.docx", "ผิดปกติ"),
    "a docx with no measures table": (_docx_without_measures(), "memo.docx", "ไม่พบตารางมาตรการ"),
    "a huge table": (_huge_table().encode(), "memo.txt", "ยาวเกิน"),
    "an old .doc": (b"\xd0\xcf\x11\xe0", "memo.doc", ".docx"),
}


# -- the web pages ------------------------------------------------------------


@pytest.fixture
def banpet(app, ctx):
    org = Organization(**BANPET)
    for d in demo_plan()["departments"]:
        db.session.add(Department(organization=org, name=d["name"], email=d["email"]))
    admin = make_user(org, "admin@banpet.go.th", Role.admin, name="ผู้ดูแลแผน")
    owner = make_user(org, "owner@banpet.go.th", Role.owner, name="เจ้าหน้าที่")
    db.session.add(org)
    db.session.commit()
    return {"org": org, "admin": admin, "owner": owner}


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Organization, Department, Plan, Weakness, Measure, Step, JournalEntry)
    }


def text_of(response) -> str:
    return response.get_data(as_text=True)


def _preview_fields(html: str) -> dict[str, str]:
    """The form of the preview page as a browser would send it back (inputs, textareas, selected options)."""
    import re
    from html import unescape

    fields: dict[str, str] = {}
    form = html[html.index('action="/admin/plans/import-memo/preview"') :]
    for name, value in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', form):
        fields[name] = unescape(value)
    for name, value in re.findall(r'<textarea[^>]*?name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields[name] = unescape(value).lstrip("\n")
    for name, body in re.findall(r'<select[^>]*?name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body) or re.search(
            r'<option value="([^"]*)" selected', body
        )
        fields[name] = unescape(chosen.group(1)) if chosen else ""
    return fields


def test_an_admin_uploads_the_memo_checks_the_preview_and_confirms(banpet, client, login):
    login(banpet["admin"])
    before = counts()
    response = client.post(
        "/admin/plans/import-memo/",
        data={"file": (io.BytesIO(memo_docx()), "บันทึก O42.docx")},
        content_type="multipart/form-data",
    )
    html = text_of(response)
    assert response.status_code == 200, html
    assert "จะสร้างแผนใหม่: ๓ ประเด็น ๔ มาตรการ ๒๖ ขั้นตอน" in html or "จะสร้างแผนใหม่: 3 ประเด็น 4 มาตรการ 26 ขั้นตอน" in html
    # Every step with its owner and computed due date, before anything is written.
    assert "การบำรุงรักษาระบบ (System Maintenance) ให้ระบบใช้งานได้อยู่เสมอ" in html
    assert "29 ก.ย. 2566" in html or "๒๙ ก.ย. ๒๕๖๖" in html
    assert counts() == before

    fields = _preview_fields(html)
    assert fields["fiscal_year"] == "2566"
    fields["confirm"] = "1"
    response = client.post("/admin/plans/import-memo/preview", data=fields)
    assert response.status_code == 302, text_of(response)
    spec, demo = _as_demo(parse_memo_docx(memo_docx()))
    plan = db.session.scalar(sa.select(Plan).where(Plan.organization_id == banpet["org"].id))
    assert plan.fiscal_year == 2566
    steps = db.session.scalars(
        sa.select(Step)
        .join(Measure)
        .join(Weakness)
        .where(Weakness.plan_id == plan.id)
        .order_by(Weakness.order, Measure.order, Step.order)
    ).all()
    assert [(s.owner_department.name, s.due_date) for s in steps] == [
        (m.owner, s.due) for m in demo.measures for s in m.steps
    ]
    after = counts()
    assert after["Department"] == before["Department"]  # owners mapped to the existing departments
    assert (after["Weakness"], after["Measure"], after["Step"]) == (3, 4, 26)
    assert after["JournalEntry"] > before["JournalEntry"]  # the import is journaled


def test_the_officer_corrects_a_cell_in_the_preview_before_importing(banpet, client, login):
    login(banpet["admin"])
    text = memo_text().replace("ม.ค. - ก.ย. ๒๕๖๖", "ตลอดปีงบประมาณ", 1)
    html = text_of(client.post("/admin/plans/import-memo/", data={"text": text}))
    assert "ตลอดปีงบประมาณ" in html and "ช่องที่อ่านได้ไม่ครบ" in html
    assert "ประเด็นที่ 2 › มาตรการที่ 1 › ระยะเวลาดำเนินการ" in html
    before = counts()
    fields = _preview_fields(html)
    fields["confirm"] = "1"
    refused = client.post("/admin/plans/import-memo/preview", data=fields)
    assert refused.status_code == 400 and counts() == before
    assert "ต้องแก้ไข" in text_of(refused)
    fields["weaknesses-1-measures-0-period"] = "ม.ค. - ก.ย. ๒๕๖๖"
    accepted = client.post("/admin/plans/import-memo/preview", data=fields)
    assert accepted.status_code == 302
    assert counts()["Step"] == 26


def test_an_unknown_owner_is_offered_the_closest_department_or_a_new_one(banpet, client, login):
    login(banpet["admin"])
    text = memo_text().replace("สำนักปลัดเทศบาล", "สำนักปลัด")
    html = text_of(client.post("/admin/plans/import-memo/", data={"text": text}))
    assert "ใกล้เคียงกับ “สำนักปลัดเทศบาล”" in html
    assert "สร้างหน่วยงานใหม่ “สำนักปลัด”" in html
    fields = _preview_fields(html)
    assert fields["owners-0-target"] == "สำนักปลัดเทศบาล"
    fields["confirm"] = "1"
    before = counts()
    assert client.post("/admin/plans/import-memo/preview", data=fields).status_code == 302
    assert counts()["Department"] == before["Department"]
    # Choosing "new" creates it instead.
    db.session.execute(sa.delete(JournalEntry))
    db.session.commit()


def test_a_memo_about_another_organization_is_flagged(banpet, client, login):
    login(banpet["admin"])
    text = "บันทึกข้อความ ของเทศบาลตำบลหนองแสง\n" + memo_text()
    html = text_of(client.post("/admin/plans/import-memo/", data={"text": text.replace("บ้านเป็ด", "หนองแสง")}))
    assert "บันทึกนี้ระบุ “เทศบาลตำบลหนองแสง”" in html


@pytest.mark.parametrize("data, filename, message", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_uploads_get_a_clear_message_and_write_nothing(banpet, client, login, data, filename, message):
    login(banpet["admin"])
    before = counts()
    response = client.post(
        "/admin/plans/import-memo/", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert message in text_of(response)
    assert counts() == before


def test_only_admins_may_import_a_memo(banpet, client, login):
    login(banpet["owner"])
    response = client.post("/admin/plans/import-memo/", data={"text": memo_text()})
    assert response.status_code == 403
    assert counts()["Plan"] == 0


# -- the command line -----------------------------------------------------------


def test_import_plan_reads_a_docx_memo_from_the_command_line(banpet, runner, tmp_path):
    path = tmp_path / "บันทึก.docx"
    path.write_bytes(memo_docx())
    result = runner.invoke(args=["import-plan", str(path), "--org", "banpet"])
    assert result.exit_code == 0, result.output
    assert "3 ประเด็น" in result.output or "๓ ประเด็น" in result.output or "26" in result.output
    assert counts()["Step"] == 26
    again = runner.invoke(args=["import-plan", str(path), "--org", "banpet"])
    assert again.exit_code == 0 and "ไม่มีการเปลี่ยนแปลง" in again.output


def test_the_command_line_finds_the_organization_named_in_the_memo(banpet, runner, tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text(memo_text(), encoding="utf-8")
    result = runner.invoke(args=["import-plan", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "banpet" in result.output and counts()["Plan"] == 0


def test_the_command_line_refuses_a_memo_without_a_table(banpet, runner, tmp_path):
    path = tmp_path / "memo.docx"
    path.write_bytes(_docx_without_measures())
    before = counts()
    result = runner.invoke(args=["import-plan", str(path), "--org", "banpet"])
    assert result.exit_code == 1
    assert "ไม่พบตารางมาตรการ" in result.output
    assert counts() == before
