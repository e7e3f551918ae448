"""Support tasks: what is done for a household, by whom, by when, with what result."""

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
    Integer,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.extensions import db
from app.models.catalogues import CatalogueMixin, PovertyCause
from app.models.households import Household, Member
from app.models.users import Organisation, User


class TaskStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


#: Statuses in which a task still has work to do (it can be overdue or due soon)
OPEN_STATUSES = (TaskStatus.PLANNED, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED)


class OutcomeKind(StrEnum):
    """Which outcome fields a task type asks for when it is done."""

    AMOUNT = "amount"  # money: amount in đồng and fund source
    JOB = "job"  # a job found: the employer
    CARD = "card"  # a card issued: its number
    TEXT = "text"  # a written result only


task_type_causes = Table(
    "task_type_causes",
    db.metadata,
    Column("task_type_id", ForeignKey("task_types.id", ondelete="CASCADE"), primary_key=True),
    Column("cause_id", ForeignKey("poverty_causes.id", ondelete="CASCADE"), primary_key=True),
)


class TaskType(CatalogueMixin, db.Model):
    """A kind of support (DOMAIN.md §5), editable by admins.

    ``indicator_codes`` names the deprivation indicators it addresses by code, which the
    standards share (HEALTH_INSURANCE is an indicator of QĐ 59/2015 and of NĐ 07/2021); the
    causes of poverty it addresses are rows of the causes catalogue.
    """

    __tablename__ = "task_types"
    __table_args__ = (
        CheckConstraint("outcome_kind IN ('amount','job','card','text')", name="outcome_kind"),
        CheckConstraint("default_duration_days BETWEEN 1 AND 730", name="default_duration_days"),
    )

    indicator_codes: Mapped[str] = mapped_column(String(200), default="")  # space-separated
    programme_project: Mapped[str] = mapped_column(String(200))
    default_duration_days: Mapped[int] = mapped_column(Integer, default=30)
    outcome_kind: Mapped[str] = mapped_column(String(16), default=OutcomeKind.TEXT)

    causes: Mapped[list[PovertyCause]] = relationship(
        secondary=task_type_causes, order_by=PovertyCause.sort_order
    )

    @property
    def indicators(self) -> list[str]:
        return self.indicator_codes.split()


class SupportTask(db.Model):
    """One piece of support for a household, followed by an organisation and an officer.

    ``version`` guards against lost updates: every change raises it, and a change based on an
    older version is refused (the ORM adds ``AND version = :old`` to the UPDATE).
    """

    __tablename__ = "support_tasks"
    __table_args__ = (
        CheckConstraint("status IN ('planned','in_progress','done','blocked','cancelled')", name="status"),
        CheckConstraint("outcome_amount IS NULL OR outcome_amount >= 0", name="outcome_amount"),
        CheckConstraint("start_date IS NULL OR start_date <= due_date", name="dates"),
        Index("ix_support_tasks_due", "due_date", "id"),  # a list's default order, walked page by page
        Index("ix_support_tasks_type_due", "task_type_id", "due_date", "id"),  # a list of one type
        Index("ix_support_tasks_status_due", "status", "due_date"),
        Index("ix_support_tasks_officer_status", "officer_id", "status", "due_date"),
        Index("ix_support_tasks_organisation_status", "organisation_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id"))
    title: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.PLANNED)
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    outcome_amount: Mapped[int | None] = mapped_column(BigInteger)  # đồng
    outcome_fund_source: Mapped[str | None] = mapped_column(String(200))
    outcome_employer: Mapped[str | None] = mapped_column(String(200))
    outcome_card_number: Mapped[str | None] = mapped_column(String(32))
    outcome_text: Mapped[str | None] = mapped_column(Text)
    status_reason: Mapped[str | None] = mapped_column(String(500))  # why blocked or cancelled
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    household: Mapped[Household] = relationship()
    member: Mapped[Member | None] = relationship()
    task_type: Mapped[TaskType] = relationship()
    organisation: Mapped[Organisation] = relationship()
    officer: Mapped[User | None] = relationship(foreign_keys=[officer_id])
    notes: Mapped[list["TaskNote"]] = relationship(
        back_populates="task", order_by="TaskNote.created_at", cascade="all, delete-orphan"
    )
    evidence: Mapped[list["TaskEvidence"]] = relationship(
        back_populates="task", order_by="TaskEvidence.created_at", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<SupportTask {self.id} {self.status} due {self.due_date}>"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_date < today

    def is_due_soon(self, today: date, days: int = 7) -> bool:
        return self.is_open and today <= self.due_date <= date.fromordinal(today.toordinal() + days)


class TaskNote(db.Model):
    """A progress note: append-only, with its author and time."""

    __tablename__ = "task_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("support_tasks.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    body: Mapped[str] = mapped_column(Text)

    task: Mapped[SupportTask] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class TaskEvidence(db.Model):
    """A file attached to a task, stored under STORAGE_DIR by ``stored_name`` (never the
    uploader's name), its type established from its content."""

    __tablename__ = "task_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("support_tasks.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, for display and download
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)

    task: Mapped[SupportTask] = relationship(back_populates="evidence")
    uploaded_by: Mapped[User | None] = relationship()


#: How many notes a task has: a list shows it on every row, counted in the row's own query
#: (``undefer`` it where rows are loaded), not by loading the notes.
SupportTask.note_count = column_property(
    select(func.count(TaskNote.id)).where(TaskNote.task_id == SupportTask.id).scalar_subquery(),
    deferred=True,
)
