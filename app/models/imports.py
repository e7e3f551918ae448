"""XLSX imports of households, members and review results: one row per uploaded file."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.units import AdminUnit
from app.models.users import User


class ImportStatus(StrEnum):
    QUEUED = "queued"  # checked by content, waiting for a worker to parse it
    PARSING = "parsing"
    INVALID = "invalid"  # parsed: problems listed, nothing can be written
    READY = "ready"  # parsed, valid: waiting for the user's confirmation
    COMMITTING = "committing"
    COMMITTED = "committed"
    FAILED = "failed"  # the job itself failed (not the file's content)
    CANCELLED = "cancelled"


class ImportBatch(db.Model):
    """An uploaded workbook: who brought it in, its checksum, what parsing found (``problems``)
    and, once confirmed, what the commit created, updated and left unchanged (``counts``)."""

    __tablename__ = "import_batches"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued','parsing','invalid','ready','committing','committed','failed','cancelled')",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)  # the uploader's scope
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.QUEUED)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    #: [{"sheet", "row", "column", "message"}], at most MAX_PROBLEMS; ``problem_count`` is the total
    problems: Mapped[list] = mapped_column(JSON, default=list)
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    #: per table ("households", "members", "reviews"): {"created", "updated", "unchanged"}
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    parsed_at: Mapped[datetime | None] = mapped_column(DateTime)
    committed_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()
    unit: Mapped[AdminUnit] = relationship()

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.filename!r} {self.status}>"
