"""The plan pages' GET forms: the dashboard's step filters and a department filter
(the activity page), read from the query string by `QueryForm.read`."""

from __future__ import annotations

from typing import Any

from wtforms.validators import ValidationError

from ..forms.query import ChoiceArg, NumberArg, PagedForm, QueryForm, SearchArg
from ..i18n import _l
from ..orgs.models import Department
from .listing import DUE_FILTERS, STATUS_FILTERS, StepFilters

_NO_DEPARTMENT = _l("ไม่พบหน่วยงานที่เลือก")


class _Departments:
    """A ``department`` filter: one of the organization's departments (given as
    ``departments=``), by id; any other value is "not found"."""

    department = NumberArg(message=_NO_DEPARTMENT)

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._department_ids = {d.id for d in departments}

    def validate_department(self, field: NumberArg) -> None:
        if field.data is not None and field.data not in self._department_ids:
            raise ValidationError(str(_NO_DEPARTMENT))

    @property
    def department_id(self) -> int | None:
        return self.department.data


class DepartmentFilterForm(_Departments, QueryForm):
    """A page filtered by one department (or none)."""


class StepFilterForm(_Departments, PagedForm):
    """The plan dashboard's step list: search, department, status, due date, page."""

    q = SearchArg()
    status = ChoiceArg(allowed=STATUS_FILTERS, message=_l("ไม่รู้จักสถานะ “%(value)s”"))
    due = ChoiceArg(allowed=DUE_FILTERS, message=_l("ไม่รู้จักตัวกรองวันครบกำหนด “%(value)s”"))

    @property
    def filters(self) -> StepFilters:
        return StepFilters(
            department_id=self.department_id,
            status=self.status.data or "",
            due=self.due.data or "",
            page=self.page_number,
            per_page=self.rows_per_page,
            q=self.q.data or "",
        )
