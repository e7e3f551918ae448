"""Annual review records (rà soát): the only source of poverty figures."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.households import Household
from app.models.standards import Indicator, PovertyStandard
from app.models.units import AdminUnit


class ReviewKind(StrEnum):
    PRELIMINARY = "preliminary"
    OFFICIAL = "official"


class ReviewResult(StrEnum):
    POOR = "poor"
    NEAR_POOR = "near_poor"
    AVERAGE = "average"
    NOT_POOR = "not_poor"


class Criterion(StrEnum):
    INCOME = "income"
    DEPRIVATION = "deprivation"


class Transition(StrEnum):
    """Year-on-year movement of a household (DOMAIN.md §4)."""

    CONTINUING_POOR = "continuing_poor"
    CONTINUING_NEAR_POOR = "continuing_near_poor"
    POOR_TO_NEAR_POOR = "poor_to_near_poor"
    NEAR_POOR_TO_POOR = "near_poor_to_poor"
    ESCAPED_POVERTY = "escaped_poverty"
    ESCAPED_NEAR_POVERTY = "escaped_near_poverty"
    NEWLY_POOR = "newly_poor"
    FALLEN_BACK = "fallen_back"
    NEWLY_NEAR_POOR = "newly_near_poor"


review_deprivations = Table(
    "review_deprivations",
    db.metadata,
    Column("review_id", ForeignKey("review_records.id", ondelete="CASCADE"), primary_key=True),
    Column("indicator_id", ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_review_deprivations_indicator_id", "indicator_id"),
)


class ReviewRecord(db.Model):
    """One household's review result for one year and kind.

    ``unit_id`` and ``area`` are the household's village and area at the
    time, so past figures stay on the units valid then.
    """

    __tablename__ = "review_records"
    __table_args__ = (
        UniqueConstraint("household_id", "year", "kind", name="uq_review_records_household_year_kind"),
        CheckConstraint("kind IN ('preliminary','official')", name="kind"),
        CheckConstraint("result IN ('poor','near_poor','average','not_poor')", name="result"),
        CheckConstraint("income_per_month >= 0", name="income"),
        # Covers the figures' aggregate: counted from the index alone.
        Index("ix_review_records_year_kind_unit", "year", "kind", "unit_id", "result", "criterion", "area"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(16))
    standard_id: Mapped[int] = mapped_column(ForeignKey("poverty_standards.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    area: Mapped[str] = mapped_column(String(8))
    income_per_month: Mapped[int] = mapped_column(BigInteger)
    score_a: Mapped[int | None] = mapped_column(SmallInteger)
    score_b: Mapped[int | None] = mapped_column(SmallInteger)
    result: Mapped[str] = mapped_column(String(16))
    criterion: Mapped[str | None] = mapped_column(String(16))
    transition: Mapped[str | None] = mapped_column(String(32))
    decision_number: Mapped[str | None] = mapped_column(String(64))
    decision_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    household: Mapped[Household] = relationship()
    standard: Mapped[PovertyStandard] = relationship()
    unit: Mapped[AdminUnit] = relationship()
    deprivations: Mapped[list[Indicator]] = relationship(
        secondary=review_deprivations, order_by=Indicator.sort_order
    )

    def __repr__(self) -> str:
        return f"<ReviewRecord household={self.household_id} {self.year} {self.kind} {self.result}>"
