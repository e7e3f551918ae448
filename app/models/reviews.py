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


class RoundType(StrEnum):
    PERIODIC = "periodic"  # rà soát định kỳ, 1 September – 14 December
    REGULAR = "regular"  # rà soát thường xuyên, monthly, for the households that ask


class RoundStage(StrEnum):
    OPEN = "open"  # entries being recorded
    PRELIMINARY = "preliminary"  # preliminary results published (kind "preliminary" records)
    OFFICIAL = "official"  # recognised by the commune chairman's decision (kind "official" records)


class RequestOutcome(StrEnum):
    PENDING = "pending"
    REVIEWED = "reviewed"  # the household was reviewed in the round
    REFUSED = "refused"  # answered in writing without a review


class ReviewRound(db.Model):
    """One review of one commune: the periodic review of a year, or a month's regular review.

    Entries are recorded while ``stage`` is open; publishing the preliminary results writes them
    as preliminary review records; recognition (which needs the procedure checklist complete and
    the decision's number and date) writes them as official records and moves the households'
    status. ``month`` is 0 for a periodic review.
    """

    __tablename__ = "review_rounds"
    __table_args__ = (
        UniqueConstraint(
            "unit_id", "year", "round_type", "month", name="uq_review_rounds_unit_year_type_month"
        ),
        CheckConstraint("round_type IN ('periodic','regular')", name="round_type"),
        CheckConstraint("stage IN ('open','preliminary','official')", name="stage"),
        CheckConstraint("month BETWEEN 0 AND 12", name="month"),
        CheckConstraint(
            "posting_from IS NULL OR posting_to IS NULL OR posting_from <= posting_to", name="posting"
        ),
        Index("ix_review_rounds_year_type_stage", "year", "round_type", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    round_type: Mapped[str] = mapped_column(String(16))
    month: Mapped[int] = mapped_column(SmallInteger, default=0)
    standard_id: Mapped[int] = mapped_column(ForeignKey("poverty_standards.id"))
    stage: Mapped[str] = mapped_column(String(16), default=RoundStage.OPEN)
    posting_from: Mapped[date | None] = mapped_column(Date)
    posting_to: Mapped[date | None] = mapped_column(Date)
    decision_number: Mapped[str | None] = mapped_column(String(64))
    decision_date: Mapped[date | None] = mapped_column(Date)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    preliminary_at: Mapped[datetime | None] = mapped_column(DateTime)
    recognised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recognised_at: Mapped[datetime | None] = mapped_column(DateTime)

    unit: Mapped[AdminUnit] = relationship()
    standard: Mapped[PovertyStandard] = relationship()

    def __repr__(self) -> str:
        return f"<ReviewRound unit={self.unit_id} {self.year} {self.round_type} {self.month} {self.stage}>"

    @property
    def is_open(self) -> bool:
        return self.stage == RoundStage.OPEN


review_entry_deprivations = Table(
    "review_entry_deprivations",
    db.metadata,
    Column("entry_id", ForeignKey("review_entries.id", ondelete="CASCADE"), primary_key=True),
    Column("indicator_id", ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True),
)


class ReviewEntry(db.Model):
    """A household's figures as recorded in a round (Phiếu A/B): the result the classification
    gives (``computed_*``) and the result kept, which differs only with a written reason."""

    __tablename__ = "review_entries"
    __table_args__ = (
        UniqueConstraint("round_id", "household_id", name="uq_review_entries_round_household"),
        CheckConstraint("income_per_month >= 0", name="income"),
        CheckConstraint("result IN ('poor','near_poor','average','not_poor')", name="result"),
        CheckConstraint(
            "result = computed_result OR override_reason IS NOT NULL", name="override_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"))
    area: Mapped[str] = mapped_column(String(8))
    income_per_month: Mapped[int] = mapped_column(BigInteger)
    computed_result: Mapped[str] = mapped_column(String(16))
    computed_criterion: Mapped[str | None] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(16))
    criterion: Mapped[str | None] = mapped_column(String(16))
    override_reason: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)

    round: Mapped[ReviewRound] = relationship()
    household: Mapped[Household] = relationship()
    unit: Mapped[AdminUnit] = relationship()
    deprivations: Mapped[list[Indicator]] = relationship(
        secondary=review_entry_deprivations, order_by=Indicator.sort_order
    )

    def __repr__(self) -> str:
        return f"<ReviewEntry round={self.round_id} household={self.household_id} {self.result}>"

    @property
    def overridden(self) -> bool:
        return self.result != self.computed_result


class VillageMeeting(db.Model):
    """The village meeting (họp dân) of a round: agreement of at least half of those present,
    and two signed minutes (``minutes`` files) attached."""

    __tablename__ = "village_meetings"
    __table_args__ = (
        UniqueConstraint("round_id", "village_id", name="uq_village_meetings_round_village"),
        CheckConstraint("attendees > 0 AND agreeing >= 0 AND agreeing <= attendees", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"))
    held_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[int]
    agreeing: Mapped[int]

    village: Mapped[AdminUnit] = relationship()
    minutes: Mapped[list["MeetingMinutes"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingMinutes.id"
    )

    @property
    def agreed(self) -> bool:
        return self.agreeing * 2 >= self.attendees


class MeetingMinutes(db.Model):
    """A signed minutes file of a village meeting (PDF or a scan), stored like task evidence."""

    __tablename__ = "meeting_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("village_meetings.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)

    meeting: Mapped[VillageMeeting] = relationship(back_populates="minutes")


class ReviewRequest(db.Model):
    """A household's written request to be reviewed (Mẫu số 01), and what became of it."""

    __tablename__ = "review_requests"
    __table_args__ = (
        CheckConstraint("outcome IN ('pending','reviewed','refused')", name="outcome"),
        CheckConstraint("outcome = 'pending' OR processed_on IS NOT NULL", name="processed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16), default=RequestOutcome.PENDING)
    processed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))

    household: Mapped[Household] = relationship()
