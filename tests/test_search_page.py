"""The search page as a person reads it: the box in the header, results grouped
by kind with the words marked, links to each record, clear Thai messages."""

from __future__ import annotations

import re

from tests.conftest import NOW, statements_for
from tracker.db import db
from tracker.plans import services
from tracker.plans.models import JournalEntry, Step

NOTE = "ได้ประสานงานกับสำนักงานที่ดินจังหวัดเพื่อขอข้อมูลแนวเขตเรียบร้อยแล้ว"


def main_of(response) -> str:
    return response.get_data(as_text=True).split('<main id="main"', 1)[1].split("</main>", 1)[0]


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_every_page_has_the_search_box_in_the_header(world, client, login):
    login(world.viewer)
    page = client.get("/my-steps").get_data(as_text=True)
    header = page.split("<header", 1)[1].split("</header>", 1)[0]
    assert 'action="/search"' in header and 'role="search"' in header
    assert 'name="q"' in header and 'for="site-q"' in header


def test_a_thai_word_of_a_note_lists_the_step_with_the_word_marked(world, client, login):
    step = world.step(world.m1, 2)
    services.add_comment(step, world.owner_palad, NOTE, NOW)
    db.session.commit()
    login(world.viewer)
    response = client.get("/search?q=ที่ดิน")
    assert response.status_code == 200
    main = main_of(response)
    assert "บันทึกและความเห็นในขั้นตอน" in main and "1 รายการ" in plain(main)
    assert f'href="/steps/{step.id}#journal-h"' in main
    assert "ขั้นตอน 1.2 จัดทำคู่มือ" in plain(main)
    assert "สำนักงาน<mark>ที่ดิน</mark>จังหวัด" in main
    assert "บันทึกความคืบหน้า · เจ้าหน้าที่สำนักปลัด" in plain(main)
    # The header's box keeps what was searched.
    assert 'id="site-q" name="q" type="search" maxlength="100" placeholder="ค้นหา…" value="ที่ดิน"' in (
        response.get_data(as_text=True)
    )
    # Nothing else matched: no other group is shown.
    assert main.count('class="card search-group"') == 1


def test_text_from_the_data_is_escaped_not_run(world, client, login):
    step = world.step(world.m1, 1)
    services.add_comment(step, world.owner_palad, '<script>alert("x")</script><img src=x onerror=alert(1)>ที่ดิน', NOW)
    step.title = "<b>ตัวหนา</b> ที่ดิน"
    db.session.commit()
    login(world.viewer)
    main = main_of(client.get("/search?q=ที่ดิน"))
    assert "<script>alert" not in main and "<img" not in main and "<b>ตัวหนา" not in main
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;<mark>ที่ดิน</mark>" in main
    assert "&lt;b&gt;ตัวหนา&lt;/b&gt; <mark>ที่ดิน</mark>" in main
    # A query that looks like markup is shown as text too.
    response = client.get("/search?q=<script>x")
    assert "<script>x" not in main_of(response) and "&lt;script&gt;x" in main_of(response)


def test_an_empty_query_explains_what_to_type(world, client, login):
    login(world.viewer)
    for url in ("/search", "/search?q=", "/search?q=+%E2%80%8B+"):
        response = client.get(url)
        assert response.status_code == 200
        assert "พิมพ์คำที่ต้องการค้นหาอย่างน้อย 2 ตัวอักษร" in main_of(response)
        assert "search-group" not in main_of(response)


def test_a_query_of_one_character_is_refused_with_a_thai_message(world, client, login):
    login(world.viewer)
    response = client.get("/search?q=ก")
    assert response.status_code == 400
    main = main_of(response)
    assert 'id="search-q-error"' in main and "คำค้นสั้นเกินไป โปรดพิมพ์อย่างน้อย 2 ตัวอักษร" in main
    assert 'aria-invalid="true"' in main and "search-group" not in main


def test_odd_parameters_get_a_clear_message_never_a_500(world, client, login):
    login(world.viewer)
    response = client.get("/search?q=ที่ดิน&kind=users")
    assert response.status_code == 400 and "ไม่รู้จักประเภทผลการค้นหา" in main_of(response)
    response = client.get("/search?q=ที่ดิน&page=abc")
    assert response.status_code == 400 and "หน้าต้องเป็นตัวเลข: “abc”" in main_of(response)
    assert client.get("/search?q=" + "ก" * 5000).status_code == 200
    assert client.get("/search?q=%25%25%25&kind=steps&page=99999").status_code == 200


def test_nothing_found_says_so(world, client, login):
    login(world.viewer)
    main = main_of(client.get("/search?q=ไม่มีคำนี้แน่นอน"))
    assert "ไม่พบ “ไม่มีคำนี้แน่นอน” ในสิ่งที่คุณดูได้" in main


def test_a_long_list_shows_a_few_per_kind_and_pages_through_one_kind(world, client, login, monkeypatch):
    from tracker.search import service

    monkeypatch.setattr(service, "PER_PAGE", 3)
    steps = db.session.scalars(db.select(Step)).all()
    for step in steps:
        step.title = f"{step.title} งานสารบรรณ"
    world.m1.title = "มาตรการงานสารบรรณ"
    db.session.commit()
    login(world.viewer)
    main = main_of(client.get("/search?q=สารบรรณ"))
    text = plain(main)
    assert "ขั้นตอน 5 รายการ" in text and "มาตรการ 1 รายการ" in text
    assert main.count('href="/steps/') == service.OVERVIEW_SIZE == 5
    # Five steps fill the overview exactly: no "all" link for them.
    assert "kind=steps" not in main
    monkeypatch.setattr(service, "OVERVIEW_SIZE", 2)
    main = main_of(client.get("/search?q=สารบรรณ"))
    assert main.count('href="/steps/') == 2
    assert 'href="/search?q=%E0%B8%AA%E0%B8%B2%E0%B8%A3%E0%B8%9A%E0%B8%A3%E0%B8%A3%E0%B8%93&amp;kind=steps"' in main
    assert "ดูขั้นตอนทั้งหมดที่พบ" in plain(main)
    first = main_of(client.get("/search?q=สารบรรณ&kind=steps"))
    assert "ผลการค้นหาทุกประเภท" in first and first.count('href="/steps/') == 3
    assert "หน้า 1 จาก 2" in plain(first) and 'id="g-measures"' not in first  # only the kind asked for
    second = main_of(client.get("/search?q=สารบรรณ&kind=steps&page=2"))
    assert second.count('href="/steps/') == 2 and "หน้า 2 จาก 2" in plain(second)
    assert db.session.scalar(db.select(db.func.count(JournalEntry.id))) == 0  # searching writes nothing


def test_the_english_interface_shows_the_results_in_english_and_the_data_as_it_is(world, client, login):
    step = world.step(world.m1, 2)
    services.add_comment(step, world.owner_palad, NOTE, NOW)
    db.session.commit()
    login(world.viewer)
    client.get("/search?lang=en")  # the welcome message goes with the first page
    text = plain(main_of(client.get("/search?q=ที่ดิน&lang=en")))
    assert "Notes and remarks on steps 1 found" in text
    assert "Results for “ที่ดิน”" in text
    # Thai left on the page is the data: the step's title, the note, the person's name.
    leftover = re.sub("ได้ประสานงานกับสำนักงาน|จังหวัดเพื่อขอข้อมูลแนวเขตเรียบร้อยแล้ว", "", text)
    for piece in ("ที่ดิน", "จัดทำคู่มือ", "เจ้าหน้าที่สำนักปลัด"):
        leftover = leftover.replace(piece, "")
    assert not re.search("[\u0e00-\u0e7f]", leftover), leftover


def test_the_page_reads_as_many_statements_for_thirty_results_as_for_three(world, client, login):

    def statements_of(url: str) -> int:
        return statements_for(client, url)

    def add_round(actor) -> None:
        for m in (world.m1, world.m2):
            for s in m.steps:
                services.add_comment(s, actor, NOTE, NOW)
                services.add_link_evidence(s, actor, "https://a.go.th/z", f"หนังสือที่ดิน {s.id}", NOW)

    world.step(world.m1, 1).title = "สำรวจที่ดินสาธารณะ"
    add_round(world.admin)
    db.session.commit()
    login(world.manager)
    client.get("/search")  # the welcome message goes with the first page
    few = statements_of("/search?q=ที่ดิน")
    few_kind = statements_of("/search?q=ที่ดิน&kind=notes")
    for _ in range(5):
        add_round(world.admin)
    db.session.commit()
    assert statements_of("/search?q=ที่ดิน") == few
    assert statements_of("/search?q=ที่ดิน&kind=notes") == few_kind
    assert main_of(client.get("/search?q=ที่ดิน&kind=notes")).count('href="/steps/') == 20
