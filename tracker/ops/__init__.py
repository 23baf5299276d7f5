"""Operations: logs with request ids, `/healthz`, backup and restore, evidence checks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .health import bp as health_bp
    from .logs import configure_logging, init_request_logging

    configure_logging(app.config.get("TRACKER_LOG_LEVEL", "INFO"), app.config.get("TRACKER_LOG_FORMAT", "text"))
    init_request_logging(app)
    app.register_blueprint(health_bp)
