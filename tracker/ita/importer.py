"""Importing ITA scores from a CSV or XLSX file (`tracker ita import FILE`, the ITA page's upload).

The format: one header row, then one row per score, for one organization
(one or more fiscal years). Columns, in any order, names as below::

    organization,fiscal_year,indicator,score,label,level
    banpet,2565,1,98.63,การปฏิบัติหน้าที่,
    banpet,2565,2,98.23,,
    …
    banpet,2565,national,87.57,ภาพรวมระดับประเทศ,A
    banpet,2565,province,92.49,ภาพรวมจังหวัดขอนแก่น,A

* ``organization``: the organization's slug (the same on every row).
* ``fiscal_year``: the Buddhist-Era year assessed (2565); its framework must
  ship with the tracker or have been loaded (``tracker ita framework FILE``).
* ``indicator``: the indicator's number in that year's framework (Thai digits
  accepted) or its exact name; or ``national`` / ``province`` for the context
  rows of the memo's table 1 (national and provincial overall results).
* ``score``: 0–100, at most two decimals.
* ``label`` (optional): for an indicator, its name as a check (it must match
  the framework); for a context row, the text shown (default ภาพรวมระดับประเทศ
  / ภาพรวมจังหวัด<province>).
* ``level`` (optional, context rows only): the level as published (A, B, …);
  computed from the framework when empty.

CSV files are UTF-8 (Excel: "CSV UTF-8"), comma-, semicolon- or
tab-separated; XLSX files are read from their first sheet. Rows are numbered as
a spreadsheet shows them (the header is row 1). Every problem is reported at
once with its row, and nothing is written when there is any. Scores already
stored and not in the file are kept; the same file twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .. import access
from ..db import db
from ..errors import PermissionDenied
from ..orgs.models import Organization
from .framework import ensure_framework, framework_available
from .scorefile import ImportProblem, ItaImportError, ScoreFile, ScoreRow
from .services import ContextInput, ScoreProblems, save_scores

if TYPE_CHECKING:
    from ..auth.models import User


__all__ = [
    "ImportResult",
    "import_scores",
]


@dataclass
class ImportResult:
    organization: Organization
    years: list[int]
    scores: int
    contexts: int
    #: One Thai line per change; empty when the file matched the database already
    changes: list[str] = field(default_factory=list)


# -- applying -----------------------------------------------------------------------------


def import_scores(
    score_file: ScoreFile,
    actor: User | None,
    now: datetime,
    *,
    into: Organization | None = None,
) -> ImportResult:
    """Check the file against the database, then save every year's scores (flushes, never commits).

    `actor` given (the web upload): only an admin, and only into the actor's
    own organization. `into` given (the demo): the rows go to that
    organization whatever slug the file names. Raises ItaImportError with
    every problem before writing anything.
    """
    problems: list[ImportProblem] = list(score_file.problems)
    if not score_file.rows:
        raise ItaImportError(problems or [ImportProblem(None, "ไม่มีแถวคะแนน (no score rows)")])
    slug = score_file.organization
    first_row = score_file.rows[0].row
    organization: Organization | None = into
    if into is None:
        organization = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
        if actor is not None:
            if not access.may_import(actor):
                raise PermissionDenied("เฉพาะผู้ดูแลระบบเท่านั้นที่นำเข้าคะแนนได้ (only administrators can import scores)")
            if organization is None or organization.id != actor.organization_id:
                # The same answer whether the slug exists or not: other organizations stay invisible.
                raise ItaImportError(
                    [
                        ImportProblem(
                            first_row,
                            f"นำเข้าได้เฉพาะคะแนนขององค์กรของคุณ (“{actor.organization.slug}”) ไม่ใช่ “{slug}” "
                            "(you can import your own organization's scores only)",
                        )
                    ]
                )
        elif organization is None:
            problems.append(ImportProblem(first_row, f"ไม่พบองค์กร “{slug}” (unknown organization slug)"))

    by_year: dict[int, list[ScoreRow]] = defaultdict(list)
    for row in score_file.rows:
        by_year[row.fiscal_year].append(row)
    plans: dict[int, tuple[dict[int, Any], dict[str, ContextInput]]] = {}
    for year, rows in sorted(by_year.items()):
        if not framework_available(year, organization):
            for row in rows:
                problems.append(
                    ImportProblem(row.row, f"ไม่มีกรอบการประเมิน ITA ของปีงบประมาณ {year} (no ITA framework for {year})")
                )
            continue
        framework = ensure_framework(year, organization)
        by_number = {i.number: i for i in framework.indicators}
        by_name = {" ".join(i.name.split()): i for i in framework.indicators}
        levels = framework.spec.grade_names
        scores: dict[int, Any] = {}
        contexts: dict[str, ContextInput] = {}
        rows_of: dict[int, int] = {}
        for row in rows:
            number, scope, name, _ = row.indicator
            if scope is not None:
                if row.level and row.level not in levels:
                    problems.append(
                        ImportProblem(
                            row.row,
                            f"ระดับ “{row.level}” ไม่มีในกรอบปี {year} ใช้ {' '.join(levels)} หรือเว้นว่าง (unknown level)",
                        )
                    )
                if not row.label and scope == "province" and organization is not None and not organization.province:
                    problems.append(
                        ImportProblem(
                            row.row, "โปรดระบุ label เช่น ภาพรวมจังหวัดขอนแก่น (a label is required for the province row)"
                        )
                    )
                contexts[scope] = ContextInput(row.label, row.score, row.level)
                continue
            indicator = by_number.get(number) if number is not None else by_name.get(name or "")
            if indicator is None:
                known = f"1–{len(by_number)}" if by_number else "-"
                problems.append(
                    ImportProblem(
                        row.row,
                        f"ไม่มีตัวชี้วัด “{number if number is not None else name}” "
                        f"ในกรอบปี {year} (ตัวชี้วัด {known}, national, province) (unknown indicator)",
                    )
                )
                continue
            if row.label and row.label != " ".join(indicator.name.split()):
                problems.append(
                    ImportProblem(
                        row.row,
                        f"ตัวชี้วัดที่ {indicator.number} ของปี {year} คือ “{indicator.name}” ไม่ใช่ “{row.label}” "
                        f"(the label does not match indicator {indicator.number})",
                    )
                )
                continue
            if indicator.number in rows_of:
                problems.append(
                    ImportProblem(
                        row.row,
                        f"ซ้ำกับแถว {rows_of[indicator.number]}: ตัวชี้วัดที่ {indicator.number} ปี {year} "
                        f"(duplicate of row {rows_of[indicator.number]})",
                    )
                )
                continue
            rows_of[indicator.number] = row.row
            scores[indicator.number] = row.score
        plans[year] = (scores, contexts)
    if problems or organization is None:
        raise ItaImportError(problems)

    changes: list[str] = []
    try:
        for year, (scores, contexts) in plans.items():
            changes += save_scores(
                organization,
                year,
                actor=actor,
                now=now,
                scores=scores,
                contexts=contexts,
                note=f"นำเข้าจาก {score_file.filename}",
            )
    except ScoreProblems as exc:  # checked above; kept so a slip still names its cause
        raise ItaImportError([ImportProblem(None, p) for p in exc.problems]) from None
    return ImportResult(
        organization=organization,
        years=sorted(plans),
        scores=sum(len(s) for s, _ in plans.values()),
        contexts=sum(len(c) for _, c in plans.values()),
        changes=changes,
    )
