"""ITA follow-up tracker: improvement measures of Thai local governments."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from jinja2 import FileSystemBytecodeCache

from . import config, extras
from .db import db as _db
from .extensions import csrf, login_manager

#: The checkout: templates/ and migrations/ live beside the package.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=_instance_path(),
        instance_relative_config=True,
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.load(Path(app.instance_path)))
    # Compiled templates are kept between processes (a private directory in the system's
    # temporary folder, checked against each template's source): a `tracker remind` run
    # or a new worker does not compile the email and page templates again.
    app.jinja_options = {**app.jinja_options, "bytecode_cache": FileSystemBytecodeCache()}
    from .web import BoundedIntConverter

    # Before any blueprint adds its routes.
    app.url_map.converters["int"] = BoundedIntConverter
    if test_config:
        app.config.from_mapping(test_config)
        if "SQLALCHEMY_DATABASE_URI" in test_config:
            url = app.config["SQLALCHEMY_DATABASE_URI"] = config.normalize_url(test_config["SQLALCHEMY_DATABASE_URI"])
            if "SQLALCHEMY_ENGINE_OPTIONS" not in test_config:
                app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(url)

    if sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        extras.load("postgres")  # before SQLAlchemy fails with a bare "No module named 'psycopg'"
    from . import ops, security

    ops.init_app(app)  # first: request ids for everything after
    _db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    from .notify import mail

    mail.init_app(app)

    from . import models  # noqa: F401  (register every table with the metadata)
    from .db import register_sqlite_pragmas

    with app.app_context():
        register_sqlite_pragmas(_db.engine)

    from .web import register_web

    register_web(app)

    from . import memory

    memory.init_app(app)

    from .commands import register_commands

    register_commands(app)
    logging.getLogger(__name__).debug(
        "app created with %s", sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string()
    )  # render_as_string hides the password
    return app


def _instance_path() -> str:
    return config.env("INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
