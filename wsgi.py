"""WSGI entry point: `gunicorn wsgi:app`."""

import os

from tracker import create_app
from tracker.db import SchemaOutdated, init_migrations, prepare_database

app = create_app()
if os.environ.get("FLASK_RUN_FROM_CLI"):
    init_migrations(app)  # `flask --app wsgi db …`

# A WSGI server must not start on an old schema: stop with the message (the
# embedded SQLite default upgrades itself instead). Under `flask --app wsgi …`
# commands a server database is left alone so that `db upgrade` can still run.
if not os.environ.get("FLASK_RUN_FROM_CLI") or app.config["TRACKER_AUTO_MIGRATE"]:
    try:
        prepare_database(app)
    except SchemaOutdated as exc:
        raise SystemExit(str(exc)) from None
