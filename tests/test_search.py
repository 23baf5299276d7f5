"""Site-wide search (/search): any Thai substring, digits either way, only what
the user may read, the terms marked in escaped text, never a 500."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import NOW, make_user, recorded_statements
from tracker.auth.models import Role
from tracker.db import db
from tracker.orgs.models import Department, Organization
from tracker.plans import results, services
from tracker.plans.models import Measure, Plan, Step, StepStatus, Weakness
from tracker.search import service, text

#: A progress note as officers type it: Thai, no spaces between words.
NOTE = "ได้ประสานงานกับสำนักงานที่ดินจังหวัดเพื่อขอข้อมูลแนวเขตเรียบร้อยแล้ว"


def found(user, query, kind=None, page=1) -> dict[str, list]:
    """The records found for `user`, per kind (the query normalised as the form does)."""
    res = service.search(user, text.normalise(query), kind=kind, page=page)
    return {g.kind.key: [h.record for h in g.hits] for g in res.groups if g.hits}


def other_org(slug="other", province="ขอนแก่น") -> tuple[Organization, Step, Department]:
    """Another organization whose plan has one step with the same note text as the world's."""
    org = Organization(name=f"อบต.{slug}", slug=slug, province=province)
    dept = Department(organization=org, name="สำนักปลัด")
    plan = Plan(organization=org, fiscal_year=2566, title="แผนของหน่วยงานอื่น")
    w = Weakness(plan=plan, order=1, title="ประเด็นอื่น")
    m = Measure(
        weakness=w,
        order=1,
        title="มาตรการอื่น",
        owner_department=dept,
        period_start=date(2023, 1, 1),
        period_end=date(2023, 9, 30),
    )
    step = Step(
        measure=m,
        order=1,
        title="ขั้นตอนของหน่วยงานอื่น",
        owner_department=dept,
        start_date=date(2023, 1, 1),
        due_date=date(2023, 9, 1),
    )
    db.session.add(org)
    owner = make_user(org, f"owner@{slug}.go.th", Role.owner, dept)
    db.session.flush()
    services.add_comment(step, owner, NOTE, NOW)
    db.session.commit()
    return org, step, dept


# -- the query --------------------------------------------------------------------------


def test_the_query_is_normalised_before_searching():
    assert text.normalise("  ที่ดิน \u200b  จังหวัด\n") == "ที่ดิน จังหวัด"
    # Decomposed (NFD) input and NFC data compare equal: ḗ typed as e + two marks.
    assert text.normalise("e\u0304\u0301") == "\u1e17"
    assert text.normalise("ก" * 300) == "ก" * text.MAX_LENGTH
    assert text.terms_of("ที่ดิน จังหวัด ที่ดิน") == ["ที่ดิน", "จังหวัด"]
    assert text.variants("๒.๗") == ["2.7", "๒.๗"]
    assert text.too_short("ก") and text.too_short(" ก ") and not text.too_short("กข")


def test_the_fragment_marks_every_term_and_escapes_the_rest():
    html = str(text.fragment("<b>ประชุม</b> ครั้งที่ ๒.๗ & ที่ดิน", ["2.7", "ที่ดิน"]).html)
    assert html == "&lt;b&gt;ประชุม&lt;/b&gt; ครั้งที่ <mark>๒.๗</mark> &amp; <mark>ที่ดิน</mark>"
    long = "ก" * 200 + "ที่ดิน" + "ข" * 200
    cut = str(text.fragment(long, ["ที่ดิน"], width=60).html)
    assert cut.startswith("…") and cut.endswith("…") and "<mark>ที่ดิน</mark>" in cut and len(cut) < 100


def test_a_fragment_is_never_cut_between_a_consonant_and_its_vowel_or_tone_mark():
    body = "ที่" * 100 + "ดินแดน"
    cut = str(text.fragment(body, ["ดินแดน"], width=30).html)
    first = cut.removeprefix("…")[0]
    assert first == "ท"


# -- what is found ------------------------------------------------------------------------


def test_a_thai_word_inside_a_note_without_spaces_finds_the_note_and_its_step(world):
    step = world.step(world.m1, 2)
    entry = services.add_comment(step, world.owner_palad, NOTE, NOW)
    db.session.commit()
    hits = found(world.viewer, "ที่ดิน")
    assert hits == {"notes": [entry]}
    assert found(world.viewer, "ประสานงานกับสำนัก") == {"notes": [entry]}
    assert found(world.viewer, "ที่ดินจังหวัด") == {"notes": [entry]}
    # Every term must be there (anywhere in the note), not only one of them.
    assert found(world.viewer, "แนวเขต ที่ดิน") == {"notes": [entry]}
    assert found(world.viewer, "แนวเขต ทะเล") == {}


def test_a_managers_remark_and_a_cancelled_steps_reason_are_found(world):
    from tracker.follow.services import add_remark

    step = world.step(world.m2, 2)
    remark = add_remark(step, world.manager, "ให้ประสานสำนักงานที่ดินก่อนสิ้นเดือน", NOW)
    other = world.step(world.m1, 3)
    services.change_status(other, StepStatus.cancelled, world.admin, NOW, cancel_reason="รอผลการรังวัดที่ดิน")
    db.session.commit()
    hits = found(world.viewer, "ที่ดิน")
    assert hits["notes"] == [remark]
    assert hits["steps"] == [other]
    group = service.search(world.viewer, "ที่ดิน", kind="steps").groups[0]
    assert str(group.hits[0].snippet) == "รอผลการรังวัด<mark>ที่ดิน</mark>"


def test_each_kind_of_record_is_found_by_its_text(world):
    step = world.step(world.m2, 1)
    world.plan.weaknesses[0].detail = "ผลคะแนนตัวชี้วัดพัสดุต่ำกว่าเกณฑ์"
    services.add_link_evidence(step, world.owner_strategy, "https://a.go.th/x", "ภาพถ่ายพัสดุคงคลัง", NOW)
    result_ev = results.add_result_link(world.m1, world.owner_palad, "https://a.go.th/y", "สถิติพัสดุประจำปี", NOW)
    world.step(world.m1, 3).title = "ตรวจนับพัสดุประจำปี"
    world.m2.follow_up = "จำนวนพัสดุที่ตรวจแล้ว"
    db.session.commit()
    hits = found(world.admin, "พัสดุ")
    assert hits["steps"] == [world.step(world.m1, 3)]
    assert hits["weaknesses"] == [world.plan.weaknesses[0]]
    assert hits["measures"] == [world.m2]
    assert {e.original_name for e in hits["evidence"]} == {"ภาพถ่ายพัสดุคงคลัง", "สถิติพัสดุประจำปี"}
    assert result_ev in hits["evidence"]
    assert found(world.admin, "ส่งเสริมคุณธรรม") == {"plans": [world.plan]}


def test_thai_and_arabic_digits_find_each_other(world):
    step = world.step(world.m1, 1)
    entry = services.add_comment(step, world.owner_palad, "ดำเนินการตามข้อ 2.7 ของประกาศ", NOW)
    db.session.commit()
    assert found(world.viewer, "๒.๗")["notes"] == [entry]
    # The plan's title is written with Thai digits (๒๕๖๖): Arabic ones find it.
    assert found(world.viewer, "2566") == {"plans": [world.plan]}
    assert found(world.viewer, "๒๕๖๖") == {"plans": [world.plan]}


def test_a_step_number_finds_that_step(world):
    # Weakness 2 has one measure: its first step is numbered 2.1.
    hits = found(world.viewer, "๒.๑")
    assert hits["steps"] == [world.step(world.m2, 1)]


def test_percent_underscore_and_backslash_are_plain_characters(world):
    m = world.m1
    m.steps[0].title = "ลดเวลารอคอยลง 50% ภายในปี"
    m.steps[1].title = "ลดค่าใช้จ่าย 500 บาท"
    m.steps[2].title = "แก้ไฟล์ แบบ_ฟอร์ม\\ใหม่"
    world.m2.steps[0].title = "แก้ไฟล์ แบบxฟอร์ม ใหม่"
    db.session.commit()
    assert found(world.viewer, "0%")["steps"] == [m.steps[0]]
    assert found(world.viewer, "แบบ_ฟอร์ม")["steps"] == [m.steps[2]]
    assert found(world.viewer, "ฟอร์ม\\ใหม่")["steps"] == [m.steps[2]]
    assert found(world.viewer, "%%") == {}
    assert found(world.viewer, "__") == {}


def test_a_query_too_short_or_empty_finds_nothing(world):
    assert found(world.viewer, "ก") == {}
    assert found(world.viewer, "   ") == {}


# -- who finds what ----------------------------------------------------------------------


def test_members_find_only_their_own_organization(world):
    services.add_comment(world.step(world.m1, 1), world.owner_palad, NOTE, NOW)
    db.session.commit()
    org, other_step, _ = other_org()
    mine = found(world.owner_strategy, "ที่ดิน")["notes"]
    assert [e.step_id for e in mine] == [world.step(world.m1, 1).id]
    theirs = found(_owner_of(org), "ที่ดิน")["notes"]
    assert [e.step_id for e in theirs] == [other_step.id]
    # Nothing else of the other organization either: its plan, measure, step by their own words.
    assert found(world.admin, "หน่วยงานอื่น") == {}
    assert found(world.admin, "มาตรการอื่น") == {}


def _owner_of(org):
    from tracker.auth.models import User

    return db.session.scalar(sa.select(User).where(User.organization_id == org.id))


def test_an_owner_finds_other_departments_steps_that_the_rules_let_them_read(world, client, login):
    # Members read their whole organization (tracker/access.py); owners only change their own department's steps.
    entry = services.add_comment(world.step(world.m2, 2), world.owner_strategy, NOTE, NOW)
    db.session.commit()
    assert found(world.owner_palad, "ที่ดิน") == {"notes": [entry]}
    login(world.owner_palad)
    page = client.get("/search?q=ที่ดิน").get_data(as_text=True)
    links = set(re.findall(r'href="(/steps/\d+)[#"]', page))
    assert links == {f"/steps/{world.step(world.m2, 2).id}"}
    assert all(client.get(link).status_code == 200 for link in links)


def test_oversight_users_find_what_their_scope_reads(world):
    services.add_comment(world.step(world.m1, 1), world.owner_palad, NOTE, NOW)
    same_province, near_step, _ = other_org("near", "ขอนแก่น")
    far, far_step, _ = other_org("far", "เชียงใหม่")
    office = Organization(name="สำนักงานจังหวัดขอนแก่น", slug="office-kk", province="ขอนแก่น")
    national_office = Organization(name="กรม", slug="office-n", province="")
    db.session.add_all([office, national_office])
    provincial = make_user(office, "p@office.go.th", Role.provincial)
    national = make_user(national_office, "n@office.go.th", Role.national)
    db.session.commit()
    steps_of = lambda user: {e.step_id for e in found(user, "ที่ดิน").get("notes", [])}  # noqa: E731
    assert steps_of(provincial) == {world.step(world.m1, 1).id, near_step.id}
    assert steps_of(national) == {world.step(world.m1, 1).id, near_step.id, far_step.id}
    assert far_step.id not in steps_of(world.admin)


def test_a_visitor_who_is_not_logged_in_gets_the_login_page_and_nothing_else(world, client):
    services.add_comment(world.step(world.m1, 1), world.owner_palad, NOTE, NOW)
    db.session.commit()
    response = client.get("/search?q=ที่ดิน")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get("/search?q=ที่ดิน", follow_redirects=True).get_data(as_text=True)
    assert "ประสานงาน" not in page and "/steps/" not in page


# -- the cost ------------------------------------------------------------------------------


def test_the_number_of_statements_does_not_grow_with_the_results(world):
    def statements_for(query: str) -> tuple[int, int]:
        db.session.expire_all()
        with recorded_statements() as seen:
            res = service.search(world.admin, query)
            for g in res.groups:  # what the page reads of each hit
                for h in g.hits:
                    r = h.record
                    step = getattr(r, "step", None) if not isinstance(r, Step) else r
                    if step is not None:
                        _ = (step.number, step.measure.weakness.plan.organization.name)
        return len(seen), res.total

    # One of each kind first: a kind without a hit loads nothing alongside.
    services.add_comment(world.step(world.m1, 1), world.owner_palad, f"ครั้งที่หนึ่ง {NOTE}", NOW)
    services.add_link_evidence(world.step(world.m1, 1), world.admin, "https://a.go.th/0", "แผนที่ดิน", NOW)
    db.session.commit()
    few, one = statements_for("ที่ดิน")
    for m in (world.m1, world.m2):
        for s in m.steps:
            services.add_comment(s, world.admin, NOTE, NOW)
            services.add_link_evidence(s, world.admin, "https://a.go.th/z", f"หนังสือที่ดิน {s.id}", NOW)
    db.session.commit()
    many, more = statements_for("ที่ดิน")
    assert more > one + 8
    assert many == few


def test_results_are_capped_and_paged(world, monkeypatch):
    monkeypatch.setattr(service, "CAP", 7)
    monkeypatch.setattr(service, "PER_PAGE", 3)
    for m in (world.m1, world.m2):
        for s in m.steps:
            s.title = f"{s.title} งานสารบรรณ"
    for i in range(4, 8):
        db.session.add(
            Step(
                measure=world.m1,
                order=i,
                title=f"งานสารบรรณ {i}",
                owner_department=world.palad,
                start_date=date(2023, 7, 1),
                due_date=date(2023, 9, 1),
            )
        )
    db.session.commit()
    first = service.search(world.viewer, "สารบรรณ").groups[0]
    assert (first.kind.key, first.total, first.capped, len(first.hits)) == ("steps", 7, True, service.OVERVIEW_SIZE)
    pages = [service.search(world.viewer, "สารบรรณ", kind="steps", page=p).groups[0] for p in (1, 2, 3, 9)]
    assert [len(g.hits) for g in pages] == [3, 3, 1, 1]
    assert pages[3].page.page == 3  # past the end: the last page
    seen = [h.record.id for g in pages[:3] for h in g.hits]
    assert len(set(seen)) == 7


def test_on_postgresql_the_trigram_indexes_serve_the_substring_search(world):
    """Migration 0016: `ILIKE '%…%'` with the escape clause can use the GIN trigram
    indexes (shown with sequential scans discouraged: the test tables are tiny)."""
    from sqlalchemy.dialects import postgresql

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite searches the same way without an index")
    if not db.session.scalar(sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")):
        pytest.skip("pg_trgm could not be created by this database user")
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    from tracker.plans.models import Evidence, JournalEntry

    cases = [
        (JournalEntry, [JournalEntry.note], "ix_journal_entries_note_trgm"),
        (Step, [Step.title, Step.cancel_reason], "ix_steps_title_trgm"),
        (Evidence, [Evidence.original_name], "ix_evidence_original_name_trgm"),
    ]
    for model, columns, index in cases:
        # The search's own condition (escaped ILIKE per term, digits either way) on its table;
        # which join order a query takes is the planner's choice, by the data it has.
        stmt = sa.select(model.id).where(service._matching(columns, ["ที่ดิน", "50%"]))
        sql = stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        plan = "\n".join(db.session.scalars(sa.text(f"EXPLAIN {sql}")))
        assert index in plan, plan
    db.session.rollback()
