"""Responsibility: which organisation and officer follow a household."""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.households import Household
from app.models.users import Organisation, User


class Assignment(db.Model):
    """One period of responsibility; ``end_date`` is NULL while it is active.

    A partial unique index keeps one active assignment per household.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        Index(
            "uq_assignments_active_household",
            "household_id",
            unique=True,
            sqlite_where=text("end_date IS NULL"),
            postgresql_where=text("end_date IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    handover_reason: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    household: Mapped[Household] = relationship()
    organisation: Mapped[Organisation] = relationship()
    officer: Mapped[User | None] = relationship(foreign_keys=[officer_id])

    def __repr__(self) -> str:
        return f"<Assignment household={self.household_id} officer={self.officer_id}>"
