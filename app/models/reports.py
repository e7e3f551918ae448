"""Periodic compliance reports (NĐ 09/2019): definitions as data, their instances, versions and files."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.units import AdminUnit
from app.models.users import User


class ReportStatus(StrEnum):
    """scheduled → generating → draft → submitted → approved | returned → (generating →) draft …;
    a generation that fails for good leaves ``failed`` with a readable reason and a retry."""

    SCHEDULED = "scheduled"
    GENERATING = "generating"
    FAILED = "failed"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class ReportDefinition(db.Model):
    """One periodic report as NĐ 09/2019 Art. 7 defines it: name, content, who reports to whom and
    how, the data cut-off, the deadline, the frequency, the outline. Edited by admins.

    ``builder`` names the function that freezes its figures (app/services/report_content.py);
    ``sections`` name its numbered sections, in the builder's order.
    The cut-off follows the 15th-to-14th rule of its frequency unless ``cutoff_month`` and
    ``cutoff_day`` fix it in the year (the preliminary review result stops in November).
    """

    __tablename__ = "report_definitions"
    __table_args__ = (
        CheckConstraint("frequency IN ('monthly','quarterly','semiannual','annual')", name="frequency"),
        CheckConstraint("(cutoff_month IS NULL) = (cutoff_day IS NULL)", name="cutoff_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")  # what it reports, in a sentence or two
    legal_basis: Mapped[str] = mapped_column(String(200), default="")
    frequency: Mapped[str] = mapped_column(String(16))
    builder: Mapped[str] = mapped_column(String(40))
    sections: Mapped[list] = mapped_column(JSON, default=list)  # the outline: section titles, in order
    sent_by: Mapped[str] = mapped_column(String(200), default="")  # how it is sent
    procedure: Mapped[str] = mapped_column(Text, default="")  # who prepares, checks, signs and sends it
    recipients: Mapped[list] = mapped_column(JSON, default=list)  # "Nơi nhận" lines of the document
    cutoff_month: Mapped[int | None] = mapped_column(Integer)
    cutoff_day: Mapped[int | None] = mapped_column(Integer)
    #: the first period scheduled: nothing is owed for periods ending before it
    starts_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    deadlines: Mapped[list["ReportDeadline"]] = relationship(
        back_populates="definition", cascade="all, delete-orphan", order_by="ReportDeadline.id"
    )

    def __repr__(self) -> str:
        return f"<ReportDefinition {self.code} {self.frequency}>"


class ReportDeadline(db.Model):
    """Who owes the report and by when: the units of ``level`` (a unit kind) report to the unit of
    ``receiving_level`` above them, ``working_days`` after the cut-off, or on a fixed day of the
    year (``fixed_month``/``fixed_day``), rolled forward past weekends and holidays. A report
    aggregated through several levels has one row per level, each with its own deadline."""

    __tablename__ = "report_deadlines"
    __table_args__ = (
        UniqueConstraint("definition_id", "level", name="uq_report_deadlines_definition_id_level"),
        CheckConstraint(
            "(working_days IS NOT NULL AND working_days >= 1 AND fixed_month IS NULL)"
            " OR (working_days IS NULL AND fixed_month IS NOT NULL AND fixed_day IS NOT NULL)",
            name="rule",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("report_definitions.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(16))  # commune | district | province
    receiving_level: Mapped[str] = mapped_column(String(16))
    working_days: Mapped[int | None] = mapped_column(Integer)
    fixed_month: Mapped[int | None] = mapped_column(Integer)
    fixed_day: Mapped[int | None] = mapped_column(Integer)

    definition: Mapped[ReportDefinition] = relationship(back_populates="deadlines")


class Holiday(db.Model):
    """A public holiday: deadlines that fall on one roll forward (configurable, seeded per year)."""

    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(120))


class ReportInstance(db.Model):
    """One report owed by one unit for one period: unique per definition, period and unit.

    ``version`` counts generations: each one freezes a new snapshot into a ``ReportVersion`` with
    its own files. While ``generating``, ``lease_owner``/``lease_until`` name the job execution
    that holds the work (renewed as it goes; an expired lease means its worker died), and
    ``enqueued_at`` stays empty until the job is in Redis (Redis down: a sweep enqueues it later).
    """

    __tablename__ = "report_instances"
    __table_args__ = (
        UniqueConstraint(
            "definition_id", "period", "unit_id", name="uq_report_instances_definition_id_period_unit_id"
        ),
        CheckConstraint(
            "status IN ('scheduled','generating','failed','draft','submitted','returned','approved')",
            name="status",
        ),
        Index("ix_report_instances_status_deadline", "status", "deadline"),
        Index("ix_report_instances_unit_period", "unit_id", "period"),
        Index("ix_report_instances_receiving_status", "receiving_unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("report_definitions.id"))
    period: Mapped[str] = mapped_column(String(16))  # report_calendar key: 2020-03, 2020-Q1, 2020-H1, 2020
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"))  # the submitting unit
    receiving_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    period_start: Mapped[date] = mapped_column(Date)
    cut_off: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.SCHEDULED)
    version: Mapped[int] = mapped_column(Integer, default=0)
    commentary: Mapped[str | None] = mapped_column(Text)
    first_submitted_at: Mapped[datetime | None] = mapped_column(DateTime)  # on time = this by the deadline
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    overdue_on: Mapped[date | None] = mapped_column(
        Date
    )  # marked by the daily job the day after the deadline
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the scheduler
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))  # why the last generation failed
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    definition: Mapped[ReportDefinition] = relationship()
    unit: Mapped[AdminUnit] = relationship(foreign_keys=[unit_id])
    receiving_unit: Mapped[AdminUnit | None] = relationship(foreign_keys=[receiving_unit_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    versions: Mapped[list["ReportVersion"]] = relationship(
        back_populates="instance", order_by="ReportVersion.number", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<ReportInstance {self.id} {self.period} unit {self.unit_id} {self.status} v{self.version}>"

    @property
    def job_id(self) -> str:
        """One RQ job id per instance version: a second trigger of the same version is the same job."""
        return f"report-{self.id}-v{self.version}"


class ReportVersion(db.Model):
    """One generation of an instance: the frozen snapshot, its PDF and XLSX (stored under
    STORAGE_DIR by name, with their sha256), and what happened to it. Never rewritten."""

    __tablename__ = "report_versions"
    __table_args__ = (
        UniqueConstraint("instance_id", "number", name="uq_report_versions_instance_id_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("report_instances.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict] = mapped_column(JSON)
    pdf_name: Mapped[str] = mapped_column(String(120), unique=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(Integer)
    xlsx_name: Mapped[str] = mapped_column(String(120), unique=True)
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    generated_at: Mapped[datetime] = mapped_column(DateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the scheduler
    commentary: Mapped[str | None] = mapped_column(Text)  # as submitted with this version
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision: Mapped[str | None] = mapped_column(String(16))  # approved | returned
    decision_comment: Mapped[str | None] = mapped_column(Text)

    instance: Mapped[ReportInstance] = relationship(back_populates="versions")
    requested_by: Mapped[User | None] = relationship()
