"""ITA frameworks in the database: versions, publishing, and which one an organization uses.

A framework's content is a `spec.FrameworkSpec` (the YAML/XLSX format). Rows
are versions per (fiscal year, scope): scope "national" is the framework of
every organization, published by a national user; scope "org:<id>" is an
organization's own, allowed for a year without a national one.

Which framework an organization's year uses (`framework_for`), in order:

1. the version its scores of that year were entered under (scores are never
   moved under a changed framework),
2. the newest published national version,
3. the organization's own newest published version,
4. the file shipped in ``tracker/ita/frameworks/<year>.yaml``, loaded as the
   national version 1 the first time the year is used.

Changing a published framework (`save_framework`) updates it in place while
nobody has scores under it; once scores exist, the change becomes a new
version and the old one is retired but kept for those scores.

Like every service these flush and never commit.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..db import db
from ..errors import ServiceError
from ..journal import record
from ..orgs.models import Organization
from .models import NATIONAL, FrameworkStatus, ItaFramework, ItaIndicator, ItaScore, ItaTool
from .spec import FrameworkSpec
from .spec_files import parse_xlsx, parse_yaml
from .spec_format import as_draft_of_year, spec_to_dict

__all__ = [
    "FRAMEWORK_DIR",
    "shipped_years",
    "read_framework_file",
    "read_framework_upload",
    "load_framework_file",
    "apply_framework",
    "ensure_framework",
    "find_framework",
    "framework_for",
    "framework_available",
    "has_scores",
    "save_framework",
    "publish_framework",
    "copy_as_draft",
    "delete_draft",
    "frameworks_of_year",
    "visible_frameworks",
]

if TYPE_CHECKING:
    from ..auth.models import User

FRAMEWORK_DIR = Path(__file__).with_name("frameworks")


def org_scope(organization_id: int) -> str:
    return f"org:{organization_id}"


# -- files -----------------------------------------------------------------------------


def read_framework_file(path: str | Path) -> FrameworkSpec:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ServiceError(f"ไม่พบไฟล์ {path} (file not found)") from None
    except OSError as exc:
        raise ServiceError(f"อ่านไฟล์ {path} ไม่ได้ (cannot read the file: {exc})") from None
    return read_framework_upload(data, path.name)


def read_framework_upload(data: bytes, filename: str) -> FrameworkSpec:
    """A .yaml/.yml or .xlsx file's bytes → a checked framework (ServiceError listing every problem)."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return parse_xlsx(data, filename)
    if name.endswith((".yaml", ".yml")):
        return parse_yaml(data, filename)
    raise ServiceError("รองรับเฉพาะไฟล์ .yaml, .yml หรือ .xlsx (upload a .yaml or .xlsx framework file)")


def shipped_years() -> list[int]:
    """Fiscal years whose framework ships with the tracker."""
    return sorted(int(p.stem) for p in FRAMEWORK_DIR.glob("*.yaml") if p.stem.isdigit())


# -- finding ---------------------------------------------------------------------------


def _is_year(fiscal_year: int) -> bool:
    return 2400 <= fiscal_year <= 2800  # not a BE year (and beyond what the database can hold)


def _published(fiscal_year: int, scope: str) -> ItaFramework | None:
    return db.session.scalar(
        sa.select(ItaFramework)
        .where(
            ItaFramework.fiscal_year == fiscal_year,
            ItaFramework.scope == scope,
            ItaFramework.status == FrameworkStatus.published,
        )
        .order_by(ItaFramework.version.desc())
        .limit(1)
    )


def find_framework(fiscal_year: int) -> ItaFramework | None:
    """The newest published national framework of the year (no shipped file is loaded)."""
    if not _is_year(fiscal_year):
        return None
    return _published(fiscal_year, NATIONAL)


def _scored(organization_id: int, fiscal_year: int) -> ItaFramework | None:
    return db.session.scalar(
        sa.select(ItaFramework)
        .join(ItaIndicator, ItaIndicator.framework_id == ItaFramework.id)
        .join(ItaScore, ItaScore.indicator_id == ItaIndicator.id)
        .where(ItaScore.organization_id == organization_id, ItaFramework.fiscal_year == fiscal_year)
        .order_by(ItaFramework.id.desc())
        .limit(1)
    )


def framework_for(
    organization: Organization | int, fiscal_year: int, *, load_shipped: bool = True
) -> ItaFramework | None:
    """The framework the organization's `fiscal_year` uses (see the module docstring), or None."""
    if not _is_year(fiscal_year):
        return None
    org_id = organization if isinstance(organization, int) else organization.id
    framework = (
        _scored(org_id, fiscal_year) or _published(fiscal_year, NATIONAL) or _published(fiscal_year, org_scope(org_id))
    )
    if framework is None and load_shipped and fiscal_year in shipped_years() and not _any_national(fiscal_year):
        framework = _load_shipped(fiscal_year)
    return framework


def framework_available(fiscal_year: int, organization: Organization | int | None = None) -> bool:
    if organization is not None and framework_for(organization, fiscal_year, load_shipped=False) is not None:
        return True
    return find_framework(fiscal_year) is not None or fiscal_year in shipped_years()


def ensure_framework(fiscal_year: int, organization: Organization | int | None = None) -> ItaFramework:
    """The framework of the year (for `organization` when given); ServiceError when there is none."""
    framework = (
        framework_for(organization, fiscal_year)
        if organization is not None
        else find_framework(fiscal_year) or (_load_shipped(fiscal_year) if fiscal_year in shipped_years() else None)
    )
    if framework is None:
        raise ServiceError(
            f"ยังไม่มีกรอบการประเมิน ITA ของปีงบประมาณ {fiscal_year} "
            f"(no ITA framework for fiscal year {fiscal_year}: publish one on the ITA frameworks page, "
            "or load it with `tracker ita framework FILE`)"
        )
    return framework


def _any_national(fiscal_year: int) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.exists().where(ItaFramework.fiscal_year == fiscal_year, ItaFramework.scope == NATIONAL))
        )
    )


def _load_shipped(fiscal_year: int) -> ItaFramework:
    path = FRAMEWORK_DIR / f"{fiscal_year}.yaml"
    spec = read_framework_file(path)
    if spec.fiscal_year != fiscal_year:
        raise ServiceError(f"ไฟล์ {path.name} เป็นกรอบของปี {spec.fiscal_year} (the file is for {spec.fiscal_year})")
    # Two requests may load the same year at once: the loser finds the winner's row.
    try:
        with db.session.begin_nested():
            framework = _create(spec, NATIONAL, None, FrameworkStatus.published, None)
    except IntegrityError:
        winner = find_framework(fiscal_year)
        if winner is None:
            raise
        return winner
    return framework


def frameworks_of_year(fiscal_year: int, scope: str = NATIONAL) -> list[ItaFramework]:
    return list(
        db.session.scalars(
            sa.select(ItaFramework)
            .where(ItaFramework.fiscal_year == fiscal_year, ItaFramework.scope == scope)
            .order_by(ItaFramework.version.desc())
        )
    )


def visible_frameworks(organization_id: int | None) -> list[ItaFramework]:
    """National frameworks (every version) and, for an organization, its own; newest year first."""
    scopes = [NATIONAL] + ([org_scope(organization_id)] if organization_id is not None else [])
    return list(
        db.session.scalars(
            sa.select(ItaFramework)
            .where(ItaFramework.scope.in_(scopes))
            .order_by(ItaFramework.fiscal_year.desc(), ItaFramework.scope, ItaFramework.version.desc())
        )
    )


def has_scores(framework: ItaFramework) -> int:
    """How many scores were entered under this version (by any organization)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ItaScore)
            .join(ItaIndicator, ItaScore.indicator_id == ItaIndicator.id)
            .where(ItaIndicator.framework_id == framework.id)
        )
        or 0
    )


# -- writing ---------------------------------------------------------------------------


def _next_version(fiscal_year: int, scope: str) -> int:
    current = db.session.scalar(
        sa.select(sa.func.max(ItaFramework.version)).where(
            ItaFramework.fiscal_year == fiscal_year, ItaFramework.scope == scope
        )
    )
    return (current or 0) + 1


def _create(
    spec: FrameworkSpec, scope: str, organization_id: int | None, status: FrameworkStatus, now: datetime | None
) -> ItaFramework:
    framework = ItaFramework(
        fiscal_year=spec.fiscal_year,
        scope=scope,
        organization_id=organization_id,
        version=_next_version(spec.fiscal_year, scope),
        status=status,
        published_at=now if status is FrameworkStatus.published else None,
    )
    db.session.add(framework)
    _write(framework, spec)
    return framework


def _write(framework: ItaFramework, spec: FrameworkSpec) -> None:
    """Make the rows say what `spec` says. Only for a version without scores."""
    framework.name = spec.name
    framework.levels_json = json.dumps([[level, str(minimum)] for level, minimum in spec.levels])
    framework.spec_json = json.dumps(spec_to_dict(spec), ensure_ascii=False)
    wanted = {i.number for i in spec.indicators}
    for gone in list(framework.indicators):
        if gone.number not in wanted:
            framework.indicators.remove(gone)
    tools = {t.code: t for t in framework.tools}
    indicators = {i.number: i for i in framework.indicators}
    for order, tspec in enumerate(spec.tools, start=1):
        tool = tools.pop(tspec.code, None)
        if tool is None:
            tool = ItaTool(framework=framework, code=tspec.code)
            db.session.add(tool)  # SQLAlchemy 2 does not cascade along the backref
        tool.name, tool.name_en, tool.weight, tool.order = tspec.name, tspec.name_en, tspec.weight, order
        for ispec in tspec.indicators:
            indicator = indicators.get(ispec.number)
            if indicator is None:
                indicator = ItaIndicator(framework=framework, number=ispec.number)
                db.session.add(indicator)
            indicator.name, indicator.tool = ispec.name, tool
    for tool in tools.values():
        framework.tools.remove(tool)
    db.session.flush()
    db.session.refresh(framework)


def _journal(framework: ItaFramework, actor: User | None, action: str, now: datetime, note: str = "") -> None:
    """Journaled under the actor's organization (a national user's office), or the framework's own;
    the command line acting for every organization leaves no entry (it has no organization)."""
    organization_id = actor.organization_id if actor is not None else framework.organization_id
    if organization_id is None:
        return
    record(
        organization_id=organization_id,
        entity="ita_framework",
        entity_id=framework.id,
        action=action,
        actor=actor,
        field="version",
        new=framework.version,
        note=f"กรอบการประเมิน ITA ปีงบประมาณ {framework.fiscal_year}" + (f" · {note}" if note else ""),
        at=now,
    )


def _check_scope(spec: FrameworkSpec, organization_id: int | None) -> None:
    if organization_id is not None and _published(spec.fiscal_year, NATIONAL) is not None:
        raise ServiceError(
            f"ปีงบประมาณ {spec.fiscal_year} มีกรอบการประเมินที่เผยแพร่สำหรับทุกหน่วยงานแล้ว ใช้กรอบนั้น "
            f"(a national framework for {spec.fiscal_year} is published; use it)"
        )


def save_framework(
    spec: FrameworkSpec,
    *,
    now: datetime,
    organization_id: int | None = None,
    publish: bool = False,
    replace: ItaFramework | None = None,
    actor: User | None = None,
) -> tuple[ItaFramework, str]:
    """Store a framework; returns (the row, what happened: "created", "updated", "new_version").

    `organization_id` None: a national framework; else the organization's own
    (refused when a national one is published for the year). `replace`: the
    version being edited — a draft or a published version without scores is
    changed in place, a published one with scores gets a new version.
    """
    scope = NATIONAL if organization_id is None else org_scope(organization_id)
    _check_scope(spec, organization_id)
    if replace is not None:
        if replace.scope != scope:
            raise ServiceError("กรอบนี้ไม่ใช่ของขอบเขตนี้ (this framework belongs to another scope)")
        if replace.fiscal_year != spec.fiscal_year:
            raise ServiceError(
                f"ไฟล์เป็นกรอบของปี {spec.fiscal_year} ไม่ใช่ {replace.fiscal_year} แก้ปีในไฟล์ หรือเพิ่มเป็นกรอบใหม่ "
                f"(the file is for {spec.fiscal_year}, not {replace.fiscal_year})"
            )
        if replace.status is FrameworkStatus.retired:
            raise ServiceError("ฉบับนี้ถูกแทนที่แล้ว แก้ไขฉบับล่าสุดแทน (this version was replaced; edit the newest)")
        if not has_scores(replace):
            _write(replace, spec)
            _journal(replace, actor, "edit", now)
            if publish:
                publish_framework(replace, now=now, actor=actor)
            return replace, "updated"
        framework = _create(spec, scope, organization_id, FrameworkStatus.draft, None)
        _journal(framework, actor, "create", now, f"ฉบับใหม่แทนฉบับที่ {replace.version} ที่มีคะแนนแล้ว")
        publish_framework(framework, now=now, actor=actor)
        return framework, "new_version"
    existing = db.session.scalar(
        sa.select(ItaFramework)
        .where(
            ItaFramework.fiscal_year == spec.fiscal_year,
            ItaFramework.scope == scope,
            ItaFramework.status == FrameworkStatus.draft,
        )
        .order_by(ItaFramework.version.desc())
        .limit(1)
    )
    if existing is not None:  # one draft per year and scope: a second upload replaces it
        _write(existing, spec)
        framework = existing
        _journal(framework, actor, "edit", now, "ฉบับร่างถูกแทนด้วยไฟล์ใหม่")
    else:
        framework = _create(spec, scope, organization_id, FrameworkStatus.draft, None)
        _journal(framework, actor, "create", now)
    if publish:
        publish_framework(framework, now=now, actor=actor)
    return framework, "created"


def publish_framework(framework: ItaFramework, *, now: datetime, actor: User | None = None) -> ItaFramework:
    """Make a draft the year's framework; the version it replaces is retired (kept for its scores)."""
    if framework.status is FrameworkStatus.retired:
        raise ServiceError("ฉบับนี้ถูกแทนที่แล้ว (this version was replaced)")
    if framework.organization_id is not None:
        _check_scope(framework.spec, framework.organization_id)
    if framework.status is FrameworkStatus.published:
        return framework
    for other in db.session.scalars(
        sa.select(ItaFramework).where(
            ItaFramework.fiscal_year == framework.fiscal_year,
            ItaFramework.scope == framework.scope,
            ItaFramework.status == FrameworkStatus.published,
            ItaFramework.id != framework.id,
        )
    ):
        if has_scores(other):
            other.status = FrameworkStatus.retired
        else:  # nobody used it: the new version simply takes its place
            db.session.delete(other)
    framework.status = FrameworkStatus.published
    framework.published_at = now
    db.session.flush()
    _journal(framework, actor, "publish", now)
    return framework


def copy_as_draft(
    source: ItaFramework,
    fiscal_year: int,
    *,
    now: datetime,
    organization_id: int | None = None,
    actor: User | None = None,
) -> ItaFramework:
    """Start `fiscal_year` from another year's framework: a draft to check and edit, then publish."""
    if not 2500 <= fiscal_year <= 2700:
        raise ServiceError(f"ปีงบประมาณ {fiscal_year} ไม่ถูกต้อง (not a Buddhist-Era year)")
    spec = as_draft_of_year(source.spec, fiscal_year)
    framework, _ = save_framework(spec, now=now, organization_id=organization_id, actor=actor)
    return framework


def delete_draft(framework: ItaFramework, *, now: datetime | None = None, actor: User | None = None) -> None:
    if framework.status is not FrameworkStatus.draft:
        raise ServiceError("ลบได้เฉพาะฉบับร่าง (only a draft can be deleted)")
    if now is not None:
        _journal(framework, actor, "delete", now)
    db.session.delete(framework)
    db.session.flush()


# -- the command line's loader -------------------------------------------------------------


def apply_framework(spec: FrameworkSpec, now: datetime | None = None) -> ItaFramework:
    """Publish `spec` as the year's national framework (a new version if the current one has scores)."""
    from ..clock import utcnow

    now = now or utcnow()
    current = find_framework(spec.fiscal_year)
    if current is None:
        framework, _ = save_framework(spec, now=now, publish=True)
    else:
        framework, _ = save_framework(spec, now=now, replace=current, publish=True)
    return framework


def load_framework_file(path: str | Path) -> ItaFramework:
    """Load (or update) a national framework from a YAML or XLSX file."""
    return apply_framework(read_framework_file(path))
