"""Yearly targets of a unit's poverty-reduction plan (the article's 2020 targets are seeded)."""

from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.units import AdminUnit


class Target(db.Model):
    """One indicator's target for one unit and year; the actual value is always computed
    (app/services/indicators.py), never stored."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("year", "unit_id", "indicator", name="uq_targets_year_unit_id_indicator"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"))
    indicator: Mapped[str] = mapped_column(String(40))  # a key of indicators.INDICATORS
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    unit: Mapped[AdminUnit] = relationship()

    def __repr__(self) -> str:
        return f"<Target {self.year} unit {self.unit_id} {self.indicator}={self.value}>"
