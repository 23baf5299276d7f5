"""National-scale data for the benchmarks: every Thai local government in one instance.

    python benchmarks/generate.py --db sqlite:///benchmarks/.data/full.sqlite3 --scale full --reset
    python benchmarks/generate.py --db postgresql://postgres@127.0.0.1/tracker_bench --scale full --reset

At --scale full: 7,850 organizations × 3 fiscal years × 26 steps (612,300
steps), 8,000 owners, 1,000 managers and one admin per organization, status
histories as of --today (past years mostly done, the current year partly),
one journal entry or more per changed step, link evidence on some done steps,
and the outbox history of the --outbox-days before --today: every reminder and
digest the scheduler would have queued on those days, with the items that
record them. The history is computed with the app's own reminder rules, so a
pass at --today queues only what is new that day, as it would in production.

The schema is made by the app's migrations; rows go in with SQLAlchemy Core
executemany in batches (SQLite) or COPY (PostgreSQL), with explicit ids.
Everyone's password is PASSWORD. The last line printed is a JSON summary
(counts, seconds, database size, sample logins).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import cache
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tracker import clock, thaidate  # noqa: E402
from tracker.config import normalize_url  # noqa: E402
from tracker.plans import counters  # noqa: E402

PASSWORD = "bench-pass-2570"
NATIONAL_ORGS = 7850
NATIONAL_OWNERS = 8000
NATIONAL_MANAGERS = 1000
SCALES = {"full": 1.0, "medium": 0.1, "small": 0.01, "tiny": 0.001}
BATCH = 20_000
#: Organizations generated and written together (bounds memory)
CHUNK_ORGS = 200

PROVINCES = (
    "กระบี่ กาญจนบุรี กาฬสินธุ์ กำแพงเพชร ขอนแก่น จันทบุรี ฉะเชิงเทรา ชลบุรี ชัยนาท ชัยภูมิ ชุมพร เชียงราย "
    "เชียงใหม่ ตรัง ตราด ตาก นครนายก นครปฐม นครพนม นครราชสีมา นครศรีธรรมราช นครสวรรค์ นนทบุรี นราธิวาส "
    "น่าน บึงกาฬ บุรีรัมย์ ปทุมธานี ประจวบคีรีขันธ์ ปราจีนบุรี ปัตตานี พระนครศรีอยุธยา พะเยา พังงา พัทลุง "
    "พิจิตร พิษณุโลก เพชรบุรี เพชรบูรณ์ แพร่ ภูเก็ต มหาสารคาม มุกดาหาร แม่ฮ่องสอน ยโสธร ยะลา ร้อยเอ็ด "
    "ระนอง ระยอง ราชบุรี ลพบุรี ลำปาง ลำพูน เลย ศรีสะเกษ สกลนคร สงขลา สตูล สมุทรปราการ สมุทรสงคราม "
    "สมุทรสาคร สระแก้ว สระบุรี สิงห์บุรี สุโขทัย สุพรรณบุรี สุราษฎร์ธานี สุรินทร์ หนองคาย หนองบัวลำภู "
    "อ่างทอง อำนาจเจริญ อุดรธานี อุตรดิตถ์ อุทัยธานี อุบลราชธานี"
).split()
#: Kinds of local government and their rough national shares
ORG_KINDS = (
    ("องค์การบริหารส่วนตำบล", "อบต.", 0.68),
    ("เทศบาลตำบล", "ทต.", 0.285),
    ("เทศบาลเมือง", "ทม.", 0.025),
    ("เทศบาลนคร", "ทน.", 0.004),
    ("องค์การบริหารส่วนจังหวัด", "อบจ.", 0.006),
)
PLACE_A = "บ้าน หนอง โนน ดอน ห้วย นา โคก ท่า วัง บึง สระ ป่า เขา คลอง บาง ทุ่ง เมือง ลำ ห้วยทราย".split()
PLACE_B = (
    "แก้ว ใหญ่ น้อย ทอง สูง ยาว เหนือ ใต้ กลาง งาม ดี คำ เป็ด ไผ่ ม่วง จาน ขาม แดง เขียว หลวง พัฒนา "
    "สะอาด ศรี โพธิ์ ไทร ตาล มะขาม กุง บัว เรือ ช้าง เกลือ สวรรค์ ทราย"
).split()
FIRST_NAMES = "สมชาย สมศรี วันดี ประเสริฐ มาลี สุดา อนุชา กนกพร ธนพล ปิยะ วิไล สุริยา จันทร์เพ็ญ ณัฐพล ศิริพร ชัยวัฒน์".split()
LAST_NAMES = "ใจดี มั่นคง ขยันงาน รักษ์ดี ศรีสุข แก้วมณี ทองดี บุญมา พรหมสุวรรณ สุขเจริญ วงศ์ไทย ดวงแก้ว".split()

#: Measure periods as (first month, last month) counted from October = 0
PERIODS = ((3, 11), (3, 11), (0, 11), (0, 5), (9, 11), (1, 8), (6, 11), (0, 2), (2, 6))

MONDAY = 0


def _load_demo_structure() -> list[tuple[str, str, list[tuple[str, str, list[str]]]]]:
    """The demo plan's weaknesses, measures and step titles (3 weaknesses, 4 measures, 26 steps)."""
    import yaml

    spec = yaml.safe_load((ROOT / "tracker" / "demo" / "banpet-2566.yaml").read_text(encoding="utf-8"))
    out = []
    for w in spec["weaknesses"]:
        measures = [(m["title"], m.get("follow_up", ""), list(m["steps"])) for m in w["measures"]]
        out.append((w["title"], w.get("detail", ""), measures))
    return out


STRUCTURE = _load_demo_structure()
STEPS_PER_PLAN = sum(len(steps) for _w, _d, ms in STRUCTURE for _t, _f, steps in ms)


# -- sizes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    organizations: int
    owners: int
    managers: int
    years: int = 3

    @classmethod
    def of(cls, scale: str | float) -> Sizes:
        factor = SCALES[scale] if isinstance(scale, str) and scale in SCALES else float(scale)
        orgs = max(2, round(NATIONAL_ORGS * factor))
        return cls(
            organizations=orgs,
            owners=max(orgs, round(NATIONAL_OWNERS * factor)),
            managers=max(1, round(NATIONAL_MANAGERS * factor)),
        )


# -- dates and the reminder rules (the app's defaults) -----------------------------------------------


def bangkok(day: date, hour: int, minute: int = 0) -> datetime:
    """`day` at hour:minute in Bangkok, as aware UTC (how the app stores it)."""
    return datetime.combine(day, dtime(hour, minute), thaidate.BANGKOK).astimezone(UTC)


@cache
def fire_date(trigger: date) -> date:
    return thaidate.next_business_day(trigger, include_self=True)


@cache
def due_triggers(due: date) -> tuple[tuple[date, int, str], ...]:
    """(T, rank, reason) of the default rules' triggers before and on the due date."""
    return (
        (thaidate.add_business_days(due, -7), -7, "before:7"),
        (thaidate.add_business_days(due, -1), -1, "before:1"),
        (thaidate.previous_business_day(due, include_self=True), 0, "due"),
    )


@cache
def spread(start: date, end: date, count: int) -> tuple[date, ...]:
    return tuple(thaidate.spread_due_dates(start, end, count))


@cache
def business_days(start: date, end: date) -> tuple[date, ...]:
    return tuple(thaidate.business_days_between(start, end))


def month_start(fy: int, offset: int) -> date:
    """The first day of the offset-th month of a BE fiscal year (0 = October)."""
    first, _ = thaidate.fiscal_year_bounds(fy)
    year, month = first.year + (first.month - 1 + offset) // 12, (first.month - 1 + offset) % 12 + 1
    return date(year, month, 1)


def month_end(fy: int, offset: int) -> date:
    return month_start(fy, offset + 1) - timedelta(days=1) if offset < 11 else thaidate.fiscal_year_bounds(fy)[1]


def default_today() -> date:
    """The latest business-day Monday on or before today (Bangkok): the busiest pass of a week."""
    day = clock.now().date()
    day -= timedelta(days=day.weekday())
    while not thaidate.is_business_day(day):
        day -= timedelta(days=7)
    return day


# -- the rows -------------------------------------------------------------------------------------------


TABLE_ORDER = (
    "organizations",
    "departments",
    "users",
    "plans",
    "weaknesses",
    "measures",
    "steps",
    "evidence",
    "journal_entries",
    "outbox_messages",
    "outbox_items",
)


@dataclass
class Rows:
    by_table: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, row: dict) -> None:
        self.by_table[table].append(row)

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_table.values())


class Ids:
    def __init__(self) -> None:
        self.last: dict[str, int] = defaultdict(int)

    def next(self, table: str) -> int:
        self.last[table] += 1
        return self.last[table]


def rng_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


@dataclass
class Person:
    id: int
    email: str
    name: str
    role: str
    department_id: int | None


@dataclass
class Generator:
    sizes: Sizes
    today: date
    seed: int = 1
    outbox_days: int = 120
    ids: Ids = field(default_factory=Ids)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sample: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        from werkzeug.security import generate_password_hash

        self.rng = random.Random(self.seed)
        # One hash for everyone: hashing 17,000 passwords would take minutes and prove nothing.
        self.password_hash = generate_password_hash(PASSWORD)
        self.fy = thaidate.fiscal_year(self.today)
        self.years = [self.fy - 2, self.fy - 1, self.fy]
        self.history_start = self.today - timedelta(days=self.outbox_days)
        n = self.sizes.organizations
        # Which organizations have a manager, and how many owners each has (at least one).
        step = n / self.sizes.managers
        self.manager_orgs = {int(i * step) for i in range(self.sizes.managers)}
        self.extra_owners: dict[int, int] = defaultdict(int)
        for _ in range(self.sizes.owners - n):
            self.extra_owners[self.rng.randrange(n)] += 1
        weights = [self.rng.uniform(0.3, 3.0) for _ in PROVINCES]
        self.provinces = self.rng.choices(PROVINCES, weights, k=n)
        self.now_utc = bangkok(self.today, 8, 0)

    # -- one organization ------------------------------------------------------------------------

    def organization(self, index: int, rows: Rows) -> None:
        rng = self.rng
        kind, short, _ = rng.choices(ORG_KINDS, [k[2] for k in ORG_KINDS])[0]
        place = rng.choice(PLACE_A) + rng.choice(PLACE_B)
        org_id = self.ids.next("organizations")
        slug = f"lao{org_id:05d}"
        rows.add("organizations", dict(id=org_id, name=f"{kind}{place}", slug=slug, province=self.provinces[index]))

        is_municipality = kind.startswith("เทศบาล")
        dept_names = ["สำนักปลัด" + ("เทศบาล" if is_municipality else "องค์การบริหารส่วนตำบล"), "กองคลัง", "กองช่าง"]
        if is_municipality:
            dept_names.append("กองยุทธศาสตร์และงบประมาณ")
        depts = []
        for i, name in enumerate(dept_names):
            dept_id = self.ids.next("departments")
            rows.add(
                "departments",
                dict(
                    id=dept_id,
                    organization_id=org_id,
                    name=name,
                    email=f"d{i + 1}@{slug}.example",
                    head_id=None,
                    calendar_token=None,
                ),
            )
            depts.append(dept_id)
        mailbox = {d: f"d{i + 1}@{slug}.example" for i, d in enumerate(depts)}

        people: list[Person] = []

        def person(role: str, department_id: int | None, local: str) -> Person:
            user_id = self.ids.next("users")
            name = rng_name(rng)
            p = Person(user_id, f"{local}@{slug}.example", name, role, department_id)
            rows.add(
                "users",
                dict(
                    id=user_id,
                    organization_id=org_id,
                    email=p.email,
                    display_name=name,
                    position="",
                    password_hash=self.password_hash,
                    role=role,
                    department_id=department_id,
                    active=True,
                    thai_digits=rng.random() < 0.1,
                    digest_enabled=True,
                    digest_weekday=None,
                    calendar_token=None,
                    created_at=bangkok(thaidate.fiscal_year_bounds(self.years[0])[0], 9),
                ),
            )
            people.append(p)
            return p

        admin = person("admin", depts[-1], "admin")
        owners = [
            person("owner", depts[(index + k) % len(depts)], f"owner{k + 1}")
            for k in range(1 + self.extra_owners.get(index, 0))
        ]
        manager = person("manager", None, "manager") if index in self.manager_orgs else None
        owners_of: dict[int, list[Person]] = defaultdict(list)
        for o in owners:
            owners_of[o.department_id].append(o)  # type: ignore[index]
        if not self.sample:
            self.sample = {"organization": slug, "admin": admin.email, "owner": owners[0].email, "password": PASSWORD}
        if manager is not None and "manager" not in self.sample:
            self.sample["manager"] = manager.email
            self.sample["manager_organization"] = slug

        diligence = rng.uniform(0.75, 0.99)
        # Some organizations forget to close last year's plan; a few have not activated this year's.
        statuses = [
            "closed",
            "active" if rng.random() < 0.1 else "closed",
            "draft" if rng.random() < 0.03 else "active",
        ]
        for fy, plan_status in zip(self.years, statuses):
            self.plan(org_id, fy, plan_status, place, depts, mailbox, admin, owners_of, diligence, rows)
        if manager is not None:
            self.digest_history(org_id, manager, rows)

    def plan(self, org_id, fy, plan_status, place, depts, mailbox, admin, owners_of, diligence, rows) -> None:
        rng = self.rng
        fy_first, fy_last = thaidate.fiscal_year_bounds(fy)
        plan_id = self.ids.next("plans")
        rows.add(
            "plans",
            dict(
                id=plan_id,
                organization_id=org_id,
                fiscal_year=fy,
                status=plan_status,
                title=f"มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. {thaidate.to_thai_digits(str(fy))}",
                created_at=bangkok(fy_first - timedelta(days=20), 10),
            ),
        )
        # The plan sends reminders while active: a closed plan was closed a month after its year.
        active_until = (
            None
            if plan_status == "active"
            else (fy_first - timedelta(days=1) if plan_status == "draft" else fy_last + timedelta(days=30))
        )
        m_index = 0
        for w_order, (w_title, w_detail, measures) in enumerate(STRUCTURE, start=1):
            weakness_id = self.ids.next("weaknesses")
            rows.add("weaknesses", dict(id=weakness_id, plan_id=plan_id, order=w_order, title=w_title, detail=w_detail))
            for m_order, (m_title, follow_up, step_titles) in enumerate(measures, start=1):
                dept = depts[0] if m_index == 0 else depts[(m_index + org_id) % len(depts)]
                first, last = rng.choice(PERIODS)
                start, end = month_start(fy, first), month_end(fy, last)
                measure_id = self.ids.next("measures")
                rows.add(
                    "measures",
                    dict(
                        id=measure_id,
                        weakness_id=weakness_id,
                        order=m_order,
                        title=m_title.replace("บ้านเป็ด", place),
                        owner_department_id=dept,
                        period_start=start,
                        period_end=end,
                        follow_up=follow_up.replace("บ้านเป็ด", place),
                    ),
                )
                for s_order, (title, due) in enumerate(zip(step_titles, spread(start, end, len(step_titles))), 1):
                    self.step(
                        org_id,
                        measure_id,
                        s_order,
                        title.replace("บ้านเป็ด", place),
                        dept,
                        start,
                        due,
                        mailbox,
                        admin,
                        owners_of,
                        diligence,
                        active_until,
                        rows,
                    )
                m_index += 1

    def step(
        self,
        org_id,
        measure_id,
        order,
        title,
        dept,
        start,
        due,
        mailbox,
        admin,
        owners_of,
        diligence,
        active_until,
        rows,
    ) -> None:
        rng = self.rng
        today = self.today
        step_id = self.ids.next("steps")
        owners = owners_of.get(dept, [])
        actor = owners[0] if owners else admin
        assignee = owners[0] if owners and rng.random() < 0.05 else None
        status, completed, cancelled_on, reason = "not_started", None, None, None
        journal: list[tuple[datetime, str, str | None, str | None, str]] = []  # at, action, old, new, note
        if due < today:
            r = rng.random()
            if r < diligence:
                status = "done"
            elif r < diligence + (1 - diligence) * 0.55:
                status = "in_progress"
            elif r < diligence + (1 - diligence) * 0.9:
                status = "not_started"
            else:
                status = "cancelled"
        elif start <= today:
            r = rng.random()
            status = "done" if r < 0.1 else "in_progress" if r < 0.45 else "not_started"
        last_day = today - timedelta(days=1)
        started_on = min(start + timedelta(days=rng.randrange(0, 10)), last_day)
        if status in ("in_progress", "done") and rng.random() < 0.5 or status == "in_progress":
            journal.append(
                (bangkok(started_on, 9, rng.randrange(60)), "status", "not_started", "in_progress", "เริ่มดำเนินการแล้ว")
            )
        if status == "done":
            days = business_days(max(start, started_on), min(due, last_day)) or (min(due, last_day),)
            done_on = days[-1 - min(len(days) - 1, rng.randrange(0, 6))]
            completed = bangkok(done_on, 10 + rng.randrange(6), rng.randrange(60))
            if journal and journal[0][0] >= completed:
                journal.clear()
            old = "in_progress" if journal else "not_started"
            journal.append((completed, "status", old, "done", "ดำเนินการแล้วเสร็จ จัดเก็บเอกสารประกอบไว้แล้ว"))
        elif status == "cancelled":
            cancelled_on = min(due, last_day)
            reason = "ยกเลิกเนื่องจากได้รับการจัดสรรงบประมาณไม่เพียงพอ"
            journal.append((bangkok(cancelled_on, 11), "status", "not_started", "cancelled", reason))
        if status == "in_progress" and rng.random() < 0.2:
            at = journal[-1][0] + timedelta(days=3)
            if at < self.now_utc:
                journal.append((at, "comment", None, None, "อยู่ระหว่างรวบรวมเอกสาร คาดว่าแล้วเสร็จตามกำหนด"))
        updated = journal[-1][0] if journal else bangkok(start - timedelta(days=30), 10)
        rows.add(
            "steps",
            dict(
                id=step_id,
                measure_id=measure_id,
                order=order,
                title=title,
                owner_department_id=dept,
                assignee_id=assignee.id if assignee else None,
                start_date=start,
                due_date=due,
                status=status,
                completed_at=completed,
                completed_by_id=actor.id if completed else None,
                cancel_reason=reason,
                updated_at=updated,
            ),
        )
        for at, action, old, new, note in journal:
            rows.add(
                "journal_entries",
                dict(
                    id=self.ids.next("journal_entries"),
                    organization_id=org_id,
                    step_id=step_id,
                    entity="step",
                    entity_id=step_id,
                    action=action,
                    field="status" if action == "status" else None,
                    old_value=old,
                    new_value=new,
                    note=note,
                    actor_id=actor.id,
                    created_at=at,
                ),
            )
        if completed is not None and rng.random() < 0.25:
            ev_id = self.ids.next("evidence")
            name = f"ภาพกิจกรรมและเอกสาร ขั้นตอนที่ {order}"
            rows.add(
                "evidence",
                dict(
                    id=ev_id,
                    step_id=step_id,
                    measure_id=None,
                    kind="link",
                    url=f"https://www.example.go.th/ita/{step_id}",
                    stored_name=None,
                    original_name=name,
                    content_type=None,
                    size=0,
                    sha256=None,
                    uploaded_by_id=actor.id,
                    public=rng.random() < 0.5,
                    created_at=completed - timedelta(minutes=5),
                ),
            )
            rows.add(
                "journal_entries",
                dict(
                    id=self.ids.next("journal_entries"),
                    organization_id=org_id,
                    step_id=step_id,
                    entity="step",
                    entity_id=step_id,
                    action="evidence_add",
                    field="evidence",
                    old_value=None,
                    new_value=name,
                    note=None,
                    actor_id=actor.id,
                    created_at=completed - timedelta(minutes=5),
                ),
            )
        # Reminder history: what the daily passes gave this step before today.
        closed_on = completed.astimezone(thaidate.BANGKOK).date() if completed else cancelled_on
        recipients = [(mailbox[dept], "", None)] + [(o.email, o.name, o.id) for o in owners]
        if assignee is not None and assignee not in owners:
            recipients.append((assignee.email, assignee.name, assignee.id))
        for day, reason, trigger in self.given_reminders(due, closed_on, active_until):
            for address, name, user_id in recipients:
                self.reminder_items[(org_id, day, address)].append(
                    (step_id, title, reason, trigger, due, name, user_id)
                )

    def given_reminders(
        self, due: date, closed_on: date | None, active_until: date | None
    ) -> Iterator[tuple[date, str, date]]:
        """(fire day, reason, trigger date) of each reminder the daily passes gave a step before today.

        A step is reminded on day F while it is open at 08:00 (closed later that
        day or never) and its plan is active; of the triggers firing on F the
        latest wins, as in tracker.notify.reminders.candidate_trigger.
        """
        first, last = self.history_start, self.today - timedelta(days=1)
        if active_until is not None:
            last = min(last, active_until)
        if closed_on is not None:
            last = min(last, closed_on)
        if last < first:
            return
        by_day: dict[date, tuple[date, int, str]] = {}
        for t in due_triggers(due):
            f = fire_date(t[0])
            if first <= f <= last and f <= due and (f not in by_day or t > by_day[f]):
                by_day[f] = t
        m = due + timedelta(days=(MONDAY - due.weekday()) % 7 or 7)
        while m <= last:
            f = fire_date(m)
            if first <= f <= last:
                by_day[f] = (m, 1, "overdue")
            m += timedelta(days=7)
        for f in sorted(by_day):
            t, _rank, reason = by_day[f]
            yield f, reason, t

    def digest_history(self, org_id: int, manager: Person, rows: Rows) -> None:
        about = f"org:{org_id}"
        w = self.history_start + timedelta(days=(MONDAY - self.history_start.weekday()) % 7)
        while w < self.today:
            if fire_date(w) < self.today:
                self.message(
                    rows,
                    org_id,
                    about,
                    "digest_weekly",
                    w,
                    fire_date(w),
                    manager.email,
                    manager.name,
                    manager.id,
                    "สรุปความก้าวหน้าประจำสัปดาห์",
                    "ความก้าวหน้าของแผนและขั้นตอนที่เลยกำหนด",
                )
            w += timedelta(days=7)
        month = self.history_start.replace(day=1)
        while month <= self.today:
            f = fire_date(month)
            if self.history_start <= f < self.today:
                self.message(
                    rows,
                    org_id,
                    about,
                    "digest_monthly",
                    f,
                    f,
                    manager.email,
                    manager.name,
                    manager.id,
                    "สรุปความก้าวหน้าประจำเดือน",
                    "ขั้นตอนที่แล้วเสร็จในเดือนที่ผ่านมาและที่ครบกำหนดในเดือนนี้",
                )
            month = (month + timedelta(days=32)).replace(day=1)

    def message(self, rows, org_id, about, kind, for_date, sent_day, address, name, user_id, subject, text) -> int:
        from tracker.notify.outbox import message_id_for

        message_id = self.ids.next("outbox_messages")
        at = bangkok(sent_day, 8, 1)
        rows.add(
            "outbox_messages",
            dict(
                id=message_id,
                organization_id=org_id,
                about=about,
                kind=kind,
                for_date=for_date,
                recipient=address,
                recipient_name=name,
                user_id=user_id,
                subject=subject,
                body_text=text,
                body_html=f"<!doctype html><html><body><p>{text}</p></body></html>",
                message_id=message_id_for(about, kind, for_date, address, "bench.example"),
                status="sent",
                attempts=1,
                next_attempt_at=at,
                last_error=None,
                claimed_by="bench",
                claimed_at=at,
                sent_at=at + timedelta(seconds=2),
                created_at=at,
            ),
        )
        return message_id

    def flush_reminders(self, rows: Rows) -> None:
        """One message per (organization, day, recipient), listing its steps, with their items."""
        for (org_id, day, address), items in sorted(self.reminder_items.items()):
            lines = "\n".join(
                f"- {title[:80]} (ครบกำหนด {thaidate.format_date(due)})" for _s, title, _r, _t, due, _n, _u in items
            )
            _s, _t, _r, _tr, _d, name, user_id = items[0]
            message_id = self.message(
                rows,
                org_id,
                f"org:{org_id}",
                "reminder",
                day,
                day,
                address,
                name,
                user_id,
                f"แจ้งเตือน: ขั้นตอนที่ต้องดำเนินการ {len(items)} รายการ",
                lines,
            )
            for step_id, _title, reason, trigger, due, _n, _u in items:
                rows.add(
                    "outbox_items",
                    dict(
                        id=self.ids.next("outbox_items"),
                        message_id=message_id,
                        step_id=step_id,
                        recipient=address,
                        reason=reason,
                        trigger_date=trigger,
                        due_date=due,
                    ),
                )
        self.reminder_items.clear()

    def offices(self, rows: Rows) -> None:
        """A provincial office per province and the national department, each with its read-only user.

        Only when the app has the oversight roles (issue 6 §1); they own no plan.
        """
        from tracker.auth.models import Role

        if not hasattr(Role, "provincial"):
            return
        busiest = max(set(self.provinces), key=self.provinces.count)
        offices = [
            (f"สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด{p}", f"office{i:02d}", p, "provincial")
            for i, p in enumerate(sorted(set(self.provinces)), start=1)
        ]
        offices.append(("กรมส่งเสริมการปกครองท้องถิ่น", "dla", "", "national"))
        for name, slug, province, role in offices:
            org_id = self.ids.next("organizations")
            rows.add("organizations", dict(id=org_id, name=name, slug=slug, province=province))
            email = f"{role}@{slug}.example"
            rows.add(
                "users",
                dict(
                    id=self.ids.next("users"),
                    organization_id=org_id,
                    email=email,
                    display_name=f"{rng_name(self.rng)}",
                    position="",
                    password_hash=self.password_hash,
                    role=role,
                    department_id=None,
                    active=True,
                    thai_digits=False,
                    digest_enabled=False,
                    digest_weekday=None,
                    calendar_token=None,
                    created_at=bangkok(thaidate.fiscal_year_bounds(self.years[0])[0], 9),
                ),
            )
            if role == "national":
                self.sample["national"] = email
            elif province == busiest:
                self.sample["provincial"] = email
                self.sample["province"] = province
                self.sample["province_organizations"] = self.provinces.count(province)

    def chunks(self) -> Iterator[Rows]:
        """The rows, CHUNK_ORGS organizations at a time, in foreign-key order within each chunk."""
        self.reminder_items: dict[tuple, list] = defaultdict(list)
        for start in range(0, self.sizes.organizations, CHUNK_ORGS):
            rows = Rows()
            for index in range(start, min(start + CHUNK_ORGS, self.sizes.organizations)):
                self.organization(index, rows)
            self.flush_reminders(rows)
            yield rows
        rows = Rows()
        self.offices(rows)
        yield rows


# -- writing ----------------------------------------------------------------------------------------


def _metadata():
    from tracker import models  # noqa: F401  (every table)
    from tracker.db import db

    return db.metadata


def reset_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def migrate(url: str) -> None:
    """Make the schema with the app's own migrations."""
    from tracker import create_app
    from tracker.db import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TRACKER_AUTO_MIGRATE": False})
    with app.app_context():
        upgrade()
        from tracker.db import db

        db.engine.dispose()


class _DefaultContext:
    """What a column default's callable is given: the row being inserted."""

    def __init__(self, row: dict):
        self.row = row

    def get_current_parameters(self) -> dict:
        return self.row


def _python_default(column, row: dict):
    default = column.default
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(_DefaultContext(row))
    return None


class Writer:
    def __init__(self, url: str):
        self.url = url
        self.engine = sa.create_engine(url)
        self.tables = _metadata().tables
        self.postgresql = self.engine.dialect.name == "postgresql"
        if not self.postgresql:

            @sa.event.listens_for(self.engine, "connect")
            def _fast(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute("PRAGMA cache_size=-200000")
                cur.close()

    def write(self, rows: Rows) -> None:
        with self.engine.begin() as conn:
            for name in TABLE_ORDER:
                data = rows.by_table.get(name)
                if not data:
                    continue
                if self.postgresql:
                    self._copy(conn, name, data)
                else:
                    table = self.tables[name]
                    for i in range(0, len(data), BATCH):
                        conn.execute(table.insert(), data[i : i + BATCH])

    def _copy(self, conn, name: str, data: list[dict]) -> None:
        # COPY bypasses SQLAlchemy's Python-side column defaults (e.g. plans.assessed_year, computed
        # from the fiscal year): apply them here as an INSERT through the table would.
        defaults = [
            c
            for c in self.tables[name].columns
            if c.name not in data[0] and c.default is not None and not c.primary_key
        ]
        if defaults:
            data = [dict(row, **{c.name: _python_default(c, row) for c in defaults}) for row in data]
        columns = list(data[0])
        cursor = conn.connection.dbapi_connection.cursor()
        quoted = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
            for row in data:
                copy.write_row([row[c] for c in columns])

    def finish(self, analyze: bool) -> None:
        with self.engine.begin() as conn:
            # The bulk inserts bypass the session hook that keeps the overview's counters.
            counters.rebuild(conn)
            if self.postgresql:
                # Explicit ids were written: move each sequence past them so the app can insert.
                for name in TABLE_ORDER:
                    conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f'COALESCE((SELECT max(id) FROM "{name}"), 0) + 1, false)'
                        )
                    )
        if analyze:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))

    def size_bytes(self) -> int:
        if self.postgresql:
            with self.engine.connect() as conn:
                return int(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar())
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return Path(sa.engine.make_url(self.url).database).stat().st_size

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {name: int(conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar()) for name in TABLE_ORDER}


def generate(
    url: str,
    scale: str | float = "small",
    *,
    today: date | None = None,
    seed: int = 1,
    outbox_days: int = 120,
    reset: bool = False,
    analyze: bool = True,
    progress=None,
) -> dict:
    """Fill the database at `url`; return the summary (counts, seconds, size, sample logins)."""
    url = normalize_url(url)
    today = today or default_today()
    sizes = Sizes.of(scale)
    started = time.perf_counter()
    if reset:
        reset_database(url)
    migrate(url)
    writer = Writer(url)
    if any(writer.counts()[t] for t in ("organizations", "steps")):
        raise SystemExit("the database already holds data: use --reset (it empties the database) or another one")
    gen = Generator(sizes, today, seed=seed, outbox_days=outbox_days)
    migrated = time.perf_counter()
    written = 0
    for rows in gen.chunks():
        writer.write(rows)
        written += len(rows)
        if progress:
            progress(
                f"{gen.ids.last['organizations']:>6} organizations, {written:>9} rows, "
                f"{time.perf_counter() - started:6.1f} s"
            )
    loaded = time.perf_counter()
    writer.finish(analyze)
    finished = time.perf_counter()
    summary = {
        "database": sa.engine.make_url(url).render_as_string(hide_password=True),
        "dialect": writer.engine.dialect.name,
        "scale": scale,
        "today": today.isoformat(),
        "fiscal_years": gen.years,
        "outbox_days": outbox_days,
        "seed": seed,
        "counts": writer.counts(),
        "users_by_role": _users_by_role(writer),
        "seconds": {
            "schema": round(migrated - started, 1),
            "rows": round(loaded - migrated, 1),
            "analyze": round(finished - loaded, 1),
            "total": round(finished - started, 1),
        },
        "size_bytes": writer.size_bytes(),
        "sample": gen.sample,
    }
    writer.engine.dispose()
    return summary


def _users_by_role(writer: Writer) -> dict[str, int]:
    with writer.engine.connect() as conn:
        return {role: n for role, n in conn.execute(sa.text("SELECT role, count(*) FROM users GROUP BY role"))}


def database_url(db: str, scale: str) -> str:
    """--db sqlite | postgresql | a URL: the short names pick the benchmarks' own databases."""
    if db == "sqlite":
        return f"sqlite:///{HERE / '.data' / f'{scale}.sqlite3'}"
    if db in ("postgresql", "postgres"):
        return os.environ.get("BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1/tracker_bench")
    return db


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql, or a database URL")
    parser.add_argument("--scale", default="small", help="full, medium, small, tiny, or a factor of full")
    parser.add_argument("--today", type=date.fromisoformat, help="the day the data is as of (default: latest Monday)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--outbox-days", type=int, default=120, help="days of reminder and digest history")
    parser.add_argument("--reset", action="store_true", help="empty the database first")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false", help="skip ANALYZE at the end")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    os.environ.setdefault("TRACKER_INSTANCE_PATH", str(HERE / ".data" / "instance"))
    url = database_url(args.db, args.scale)
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    summary = generate(
        url,
        args.scale,
        today=args.today,
        seed=args.seed,
        outbox_days=args.outbox_days,
        reset=args.reset,
        analyze=args.analyze,
        progress=progress,
    )
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
