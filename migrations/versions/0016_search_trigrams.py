"""search: trigram (pg_trgm) GIN indexes on the searched text columns, PostgreSQL only

Site-wide search looks for any substring (Thai has no spaces between words),
`column ILIKE '%…%'`; a GIN index with gin_trgm_ops answers that without reading
every row (a national user searching all organizations' notes). SQLite has no such
index and searches the same way without one. Where the database user may not
create the extension, the indexes are left out and search still works, only slower.
The indexes are not in the models (they are PostgreSQL-only): names end in `_trgm`,
which the schema comparison skips.

Revision ID: 0016_search_trigrams
Revises: 0015_notifications
Create Date: 2026-12-02

"""

import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_search_trigrams"
down_revision = "0015_notifications"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

#: (table, column) searched by tracker/search/service.py
COLUMNS = (
    ("plans", "title"),
    ("weaknesses", "title"),
    ("weaknesses", "detail"),
    ("measures", "title"),
    ("measures", "follow_up"),
    ("steps", "title"),
    ("steps", "cancel_reason"),
    ("journal_entries", "note"),
    ("evidence", "original_name"),
)


def _name(table: str, column: str) -> str:
    return f"ix_{table}_{column}_trgm"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm not available (%s): search works without its indexes, more slowly", exc.orig)
        return
    for table, column in COLUMNS:
        op.execute(f"CREATE INDEX IF NOT EXISTS {_name(table, column)} ON {table} USING gin ({column} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS {_name(table, column)}")
