"""ITA assessment data: frameworks per fiscal year, an organization's scores, context rows.

Frameworks change between years (indicators, tools, weights, levels), so
they are data, never constants in code.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from ..db import Model, UTCDateTime
from .spec import FrameworkSpec
from .spec_format import parse_framework

NATIONAL = "national"

SCORE = sa.Numeric(6, 2)


class FrameworkStatus(str, enum.Enum):
    #: Being prepared; nobody's scores use it
    draft = "draft"
    #: The year's framework for its scope (every organization, or one)
    published = "published"
    #: Replaced by a newer version; kept for the scores entered under it
    retired = "retired"


class ItaFramework(Model):
    """The assessment's structure for one fiscal year (e.g. FY 2565: 10 indicators, IIT/EIT/OIT).

    One row per version. A framework for every organization (`organization_id`
    NULL, scope "national") is published by a national user; an organization may
    load its own (scope "org:<id>") for a year nobody published. Scores stay
    attached to the version they were entered under: a published framework
    that has scores is never changed, a new version is published instead.
    """

    __tablename__ = "ita_frameworks"
    __table_args__ = (sa.UniqueConstraint("fiscal_year", "scope", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Buddhist-Era fiscal year assessed
    fiscal_year: Mapped[int] = mapped_column(index=True)
    #: "national" (for every organization) or "org:<id>" (an organization's own)
    scope: Mapped[str] = mapped_column(sa.String(32), default=NATIONAL)
    #: The organization of an "org:" framework; NULL for a national one
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    #: 1, 2, … within (fiscal_year, scope)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[FrameworkStatus] = mapped_column(
        sa.Enum(FrameworkStatus, native_enum=False, length=16), default=FrameworkStatus.published
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    #: JSON list of [level, minimum score], highest first, e.g. [["AA", 95], ["A", 85], …, ["F", 0]]
    levels_json: Mapped[str] = mapped_column(sa.Text)
    #: The whole framework as checked data (spec.spec_to_dict): rules, items, sources, notes
    spec_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tools: Mapped[list[ItaTool]] = relationship(
        back_populates="framework", order_by="ItaTool.order", cascade="all, delete-orphan"
    )
    indicators: Mapped[list[ItaIndicator]] = relationship(
        back_populates="framework", order_by="ItaIndicator.number", cascade="all, delete-orphan"
    )

    @property
    def levels(self) -> list[tuple[str, Decimal]]:
        return [(str(level), Decimal(str(minimum))) for level, minimum in json.loads(self.levels_json)]

    @property
    def spec(self) -> FrameworkSpec:
        """The checked framework (cached per loaded row; `spec_json` is written only by `framework.py`)."""
        cached = self.__dict__.get("_spec")
        if cached is None or cached[0] != self.spec_json:
            cached = (self.spec_json, parse_framework(json.loads(self.spec_json), f"framework {self.fiscal_year}"))
            self.__dict__["_spec"] = cached
        return cached[1]

    def level_of(self, score: Decimal) -> str | None:
        return self.spec.level_of(score)


class ItaTool(Model):
    """An assessment tool (IIT, EIT, OIT) and its weight in the overall score."""

    __tablename__ = "ita_tools"
    __table_args__ = (sa.UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("ita_frameworks.id", ondelete="CASCADE"), index=True)
    #: "IIT", "EIT", "OIT"
    code: Mapped[str] = mapped_column(sa.String(16))
    #: e.g. แบบวัดการรับรู้ผู้มีส่วนได้ส่วนเสียภายใน
    name: Mapped[str] = mapped_column(sa.String(200))
    #: English name, e.g. Internal Integrity and Transparency Assessment
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Weight in the overall score, e.g. 0.30
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(5, 4))
    order: Mapped[int]

    framework: Mapped[ItaFramework] = relationship(back_populates="tools")
    indicators: Mapped[list[ItaIndicator]] = relationship(back_populates="tool", order_by="ItaIndicator.number")


class ItaIndicator(Model):
    __tablename__ = "ita_indicators"
    __table_args__ = (sa.UniqueConstraint("framework_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("ita_frameworks.id", ondelete="CASCADE"), index=True)
    tool_id: Mapped[int] = mapped_column(sa.ForeignKey("ita_tools.id", ondelete="CASCADE"), index=True)
    #: 1-based indicator number within the framework
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))

    framework: Mapped[ItaFramework] = relationship(back_populates="indicators")
    tool: Mapped[ItaTool] = relationship(back_populates="indicators")


class ItaScore(Model):
    """An organization's score on one indicator of one year's framework."""

    __tablename__ = "ita_scores"
    __table_args__ = (sa.UniqueConstraint("organization_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("ita_indicators.id", ondelete="CASCADE"), index=True)
    score: Mapped[Decimal] = mapped_column(SCORE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    indicator: Mapped[ItaIndicator] = relationship()


class ItaContextScore(Model):
    """A comparison row given with the result (national or provincial overall), not computed."""

    __tablename__ = "ita_context_scores"
    __table_args__ = (sa.UniqueConstraint("organization_id", "fiscal_year", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The organization whose analysis shows this row
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    fiscal_year: Mapped[int]
    #: "national" or "province"
    scope: Mapped[str] = mapped_column(sa.String(16))
    #: e.g. ภาพรวมระดับประเทศ, ภาพรวมจังหวัดขอนแก่น
    label: Mapped[str] = mapped_column(sa.String(200))
    score: Mapped[Decimal] = mapped_column(SCORE)
    #: As published (e.g. "B"); computed from the framework when not given
    level: Mapped[str | None] = mapped_column(sa.String(8))
