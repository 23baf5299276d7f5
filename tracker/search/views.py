"""/search: the header's search box lands here."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from ..plans import listing
from . import service
from .forms import SearchForm

bp = Blueprint("search", __name__)


@bp.route("/search")
@login_required
def index():
    form = SearchForm(formdata=request.args)
    valid = form.validate()
    page, _per_page = listing.page_args(request.args)
    kind = form.kind.data or None
    results = service.search(current_user, form.q.data, kind=kind, page=page) if valid and form.q.data else None
    return render_template(
        "search/index.html",
        form=form,
        results=results,
        kind=kind if valid else None,
        overview_size=service.OVERVIEW_SIZE,
        cap=service.CAP,
    ), (200 if valid else 400)
