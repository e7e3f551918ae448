"""Poverty standards (chuẩn nghèo), versioned by period, and their indicators."""

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class PovertyStandard(db.Model):
    """Income lines and indicators of one legal standard.

    ``rule`` names the classification rule of
    :func:`app.services.classification.classify` that applies.
    """

    __tablename__ = "poverty_standards"
    __table_args__ = (
        CheckConstraint("rule IN ('income_or_deprivation','income_and_deprivation')", name="rule"),
        CheckConstraint("year_from <= year_to", name="years"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(255))
    year_from: Mapped[int]
    year_to: Mapped[int]
    rule: Mapped[str] = mapped_column(String(32))
    poor_line_rural: Mapped[int] = mapped_column(BigInteger)
    poor_line_urban: Mapped[int] = mapped_column(BigInteger)
    near_poor_line_rural: Mapped[int] = mapped_column(BigInteger)
    near_poor_line_urban: Mapped[int] = mapped_column(BigInteger)
    average_line_rural: Mapped[int | None] = mapped_column(BigInteger)
    average_line_urban: Mapped[int | None] = mapped_column(BigInteger)
    deprivation_threshold: Mapped[int] = mapped_column(default=3)
    note: Mapped[str | None] = mapped_column(Text)

    indicators: Mapped[list["Indicator"]] = relationship(
        back_populates="standard", order_by="Indicator.sort_order", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<PovertyStandard {self.code} {self.year_from}-{self.year_to}>"

    def covers(self, year: int) -> bool:
        return self.year_from <= year <= self.year_to


class Indicator(db.Model):
    """One deprivation indicator of a standard, grouped in a dimension."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("standard_id", "code", name="uq_indicators_standard_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("poverty_standards.id", ondelete="CASCADE"))
    dimension_code: Mapped[str] = mapped_column(String(32))
    dimension_name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(default=0)

    standard: Mapped[PovertyStandard] = relationship(back_populates="indicators")

    def __repr__(self) -> str:
        return f"<Indicator {self.code}>"
