"""The outbox: every email is first a row with a unique key, then delivered.

Queueing is idempotent: `enqueue` inserts with ON CONFLICT DO NOTHING on the
key (about, kind, for_date, recipient, channel), so any number of schedulers computing
the same day create each message once. Delivery lives in `delivery.py`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.dialects import postgresql, sqlite

from ..bulk import among, insert_rows
from ..clock import utcnow
from ..db import db, table_of
from .models import OutboxItem, OutboxMessage, OutboxStatus


class ItemSpec(NamedTuple):
    """One reason a step is in a message (see OutboxItem); a named tuple, made thousands
    of times a pass."""

    step_id: int
    reason: str
    trigger_date: date
    due_date: date


def _insert(table):
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {dialect}")


def message_id_for(about: str, kind: str, for_date: date, recipient: str, domain: str, channel: str = "email") -> str:
    """A Message-ID fixed by the key: the same message always has the same id."""
    key = f"{about}|{kind}|{for_date.isoformat()}|{recipient}"
    if channel != "email":  # email ids stay what they were before LINE existed
        key += f"|{channel}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    prefix = kind if channel == "email" else f"{channel}.{kind}"
    return f"<{prefix}.{for_date.strftime('%Y%m%d')}.{digest}@{domain}>"


def enqueue(
    *,
    organization_id: int | None,
    about: str,
    kind: str,
    for_date: date,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str,
    recipient_name: str = "",
    user_id: int | None = None,
    items: list[ItemSpec] | tuple[ItemSpec, ...] = (),
    domain: str = "tracker.local",
    now: datetime | None = None,
    channel: str = "email",
    line_to: str | None = None,
    line_messages: str | None = None,
) -> OutboxMessage | None:
    """Queue one message; None when a message with this key already exists.

    Items are recorded only with the message that won the insert, so a
    reminder is never counted as given by a message that was not created.
    Flushes; the caller commits.
    """
    recipient = recipient.strip().lower()
    now = now or utcnow()
    values = dict(
        organization_id=organization_id,
        about=about,
        kind=kind,
        for_date=for_date,
        recipient=recipient,
        recipient_name=recipient_name,
        user_id=user_id,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        message_id=message_id_for(about, kind, for_date, recipient, domain, channel),
        status=OutboxStatus.pending,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        channel=channel,
        line_to=line_to,
        line_messages=line_messages,
    )
    stmt = (
        _insert(OutboxMessage.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(KEY))
        .returning(OutboxMessage.__table__.c.id)
    )
    new_id = db.session.execute(stmt).scalar()
    if new_id is None:
        return None
    if items:
        item_stmt = _insert(OutboxItem.__table__).on_conflict_do_nothing(index_elements=list(ITEM_KEY))
        db.session.execute(
            item_stmt,
            [
                dict(
                    message_id=new_id,
                    recipient=recipient,
                    step_id=i.step_id,
                    reason=i.reason,
                    trigger_date=i.trigger_date,
                    due_date=i.due_date,
                )
                for i in items
            ],
        )
    return db.session.get(OutboxMessage, new_id)


#: Messages per batch in `enqueue_many`
ENQUEUE_BATCH = 500
KEY = ("about", "kind", "for_date", "recipient", "channel")
#: The unique index of outbox items: a reason is given once per recipient, step and day
ITEM_KEY = ("recipient", "step_id", "reason", "trigger_date", "due_date")


@dataclass(frozen=True, slots=True)
class Queued:
    """A message a pass created, as the pass knows it without reading it back."""

    id: int
    kind: str
    for_date: date
    recipient: str
    subject: str
    channel: str = "email"


#: Messages read back per statement by `load_queued`
ITEM_BATCH = 5000


def enqueue_stream(
    messages: Iterable[dict], *, domain: str = "tracker.local", now: datetime | None = None
) -> list[Queued]:
    """`enqueue` for many messages, taken from an iterable ENQUEUE_BATCH at a time:
    each dict holds enqueue's keyword arguments.

    A few statements per batch instead of three per message (a national
    Monday queues thousands), and only one batch of bodies is in memory at
    once: a generator that renders as it is taken keeps a whole country's pass
    small. Same rules as `enqueue`: a key that exists already is skipped, and
    items are recorded only with the message that won its insert. Returns the
    created messages, in the order given, as `Queued` records (nothing is read
    back). Flushes; the caller commits.
    """
    now = now or utcnow()
    # Every new row starts the same way: bound once per statement, not per row.
    constants = dict(status=OutboxStatus.pending, attempts=0, next_attempt_at=now, created_at=now)
    queued: list[Queued] = []
    seen: set[tuple] = set()
    for batch in _batches(messages, ENQUEUE_BATCH):
        values = [_row_values(m, domain) for m in batch]
        created = {
            tuple(row[1:]): row[0]
            for row in insert_rows(
                table_of(OutboxMessage), values, conflict=KEY, returning=("id", *KEY), constants=constants
            )
        }
        items: list[dict] = []
        for m, v in zip(batch, values):
            key = tuple(v[k] for k in KEY)
            new_id = created.pop(key, None)  # pop: a key given twice wins once
            if new_id is None or key in seen:
                continue
            seen.add(key)
            queued.append(Queued(new_id, v["kind"], v["for_date"], v["recipient"], v["subject"], v["channel"]))
            items += [
                dict(
                    message_id=new_id,
                    recipient=v["recipient"],
                    step_id=i.step_id,
                    reason=i.reason,
                    trigger_date=i.trigger_date,
                    due_date=i.due_date,
                )
                for i in m.get("items", ())
            ]
        insert_rows(table_of(OutboxItem), items, conflict=ITEM_KEY)
    return queued


def _batches(iterable: Iterable, size: int) -> Iterator[list]:
    batch = []
    for x in iterable:
        batch.append(x)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _row_values(m: dict, domain: str) -> dict:
    """The columns of a new message that differ from row to row."""
    recipient = m["recipient"].strip().lower()
    channel = m.get("channel", "email")
    return dict(
        organization_id=m.get("organization_id"),
        about=m["about"],
        kind=m["kind"],
        for_date=m["for_date"],
        recipient=recipient,
        recipient_name=m.get("recipient_name", ""),
        user_id=m.get("user_id"),
        subject=m["subject"],
        body_text=m["body_text"],
        body_html=m["body_html"],
        message_id=message_id_for(m["about"], m["kind"], m["for_date"], recipient, domain, channel),
        channel=channel,
        line_to=m.get("line_to"),
        line_messages=m.get("line_messages"),
    )


def load_queued(queued: list[Queued]) -> list[OutboxMessage]:
    """The rows of `queued`, in its order, bodies left in the database until read."""
    ids = [q.id for q in queued]
    by_id: dict[int, OutboxMessage] = {}
    # The bodies stay in the database until something reads them: a national
    # pass holds thousands of messages of several kilobytes.
    lazy_bodies = (sa.orm.defer(OutboxMessage.body_text), sa.orm.defer(OutboxMessage.body_html))
    for start in range(0, len(ids), ITEM_BATCH):
        by_id.update(
            (m.id, m)
            for m in db.session.scalars(
                sa.select(OutboxMessage)
                .where(among(OutboxMessage.id, ids[start : start + ITEM_BATCH]))
                .options(*lazy_bodies)
            )
        )
    return [by_id[i] for i in ids]


def enqueue_many(
    messages: list[dict], *, domain: str = "tracker.local", now: datetime | None = None
) -> list[OutboxMessage]:
    """`enqueue_stream`, returning the created messages as rows (bodies loaded on access)."""
    return load_queued(enqueue_stream(messages, domain=domain, now=now))
