"""Start from the documents an agency already has: a plan from its O42 memo (.docx or pasted table)
and ITA scores from a pasted result table. A consumer of `plans` (it reads and calls, never the reverse)."""

from __future__ import annotations

from flask import Flask


def indicator_names() -> list[str]:
    """Every ITA indicator name the instance knows: a weakness is usually named after one."""
    import sqlalchemy as sa

    from ..db import db
    from ..ita.framework import FRAMEWORK_DIR, read_framework_file, shipped_years
    from ..ita.models import ItaIndicator

    names = set(db.session.scalars(sa.select(ItaIndicator.name).distinct()))
    for year in shipped_years():
        spec = read_framework_file(FRAMEWORK_DIR / f"{year}.yaml")
        names.update(i.name for t in spec.tools for i in t.indicators)
    return sorted(names)


def init_app(app: Flask) -> None:
    from .score_views import bp as scores_bp
    from .views import bp as memo_bp

    app.register_blueprint(memo_bp)
    app.register_blueprint(scores_bp)
    app.extensions.setdefault("tracker.weakness_titles", []).append(indicator_names)
