"""The province overview's GET form: fiscal year, search, filter, province, sort order, page."""

from __future__ import annotations

from typing import Any

from wtforms.validators import ValidationError

from .. import thaidate
from ..forms.query import ChoiceArg, NumberArg, QueryForm, SearchArg
from ..i18n import _l
from .services import MAX_TEXT, SHOW_FILTERS, SORTS, OverviewQuery

_YEAR = _l("ปีงบประมาณต้องเป็นปี พ.ศ. เช่น 2566: “%(value)s”")


class OverviewForm(QueryForm):
    """Unknown values are refused with a message (HTTP 400), never guessed."""

    year = NumberArg(message=_YEAR)
    q = SearchArg(limit=MAX_TEXT)
    show = ChoiceArg(allowed=SHOW_FILTERS, message=_l("ไม่รู้จักตัวกรอง “%(value)s”"))
    province = SearchArg(limit=MAX_TEXT)
    #: A column of SORTS, "-" first for descending
    sort = ChoiceArg(allowed=lambda: [*SORTS, *(f"-{s}" for s in SORTS)], message=_l("เรียงตาม “%(value)s” ไม่ได้"))
    page = NumberArg(message=_l("หน้าต้องเป็นตัวเลข: “%(value)s”"))

    def validate_year(self, field: NumberArg) -> None:
        year = field.data
        if year is not None and not thaidate.MIN_BE_YEAR <= year <= thaidate.MAX_BE_YEAR:
            raise ValidationError(str(_YEAR) % {"value": str(year)[:20]})

    def query(self, default_year: int) -> OverviewQuery:
        """The overview's choices, defaults filled in."""
        sort: Any = self.sort.data or "name"
        return OverviewQuery(
            fiscal_year=self.year.data or default_year,
            q=self.q.data or "",
            show=self.show.data or "",
            province=self.province.data or "",
            sort=sort.lstrip("-"),
            descending=sort.startswith("-"),
            page=max(self.page.data or 1, 1),
        )
