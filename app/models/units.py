"""Administrative units: a tree of any depth whose units merge over time."""

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class UnitKind(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    TOWN = "town"
    COMMUNE = "commune"
    WARD = "ward"
    VILLAGE = "village"


COMMUNE_LEVEL_KINDS = (UnitKind.TOWN, UnitKind.COMMUNE, UnitKind.WARD)


class AdminUnit(db.Model):
    """One unit in one period of its life.

    A code can name two units over time (Xã Tân Tiến became Xã Tân Tú with the
    same code), so (code, valid_from) is the natural key. ``path`` is the
    materialised chain of ids from the root ("/1/2/7/"), which makes a subtree
    one indexed prefix match.
    """

    __tablename__ = "admin_units"
    __table_args__ = (
        UniqueConstraint("code", "valid_from", name="uq_admin_units_code_valid_from"),
        CheckConstraint("kind IN ('province','district','town','commune','ward','village')", name="kind"),
        Index("ix_admin_units_path", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    path: Mapped[str] = mapped_column(String(255), default="")
    depth: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(String(255))
    #: Set on every change: with the row count and the highest id it tells each process when
    #: its cached unit tree is out of date (``app.services.scope.unit_index``).
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=_utcnow, onupdate=_utcnow, server_default=func.now()
    )

    parent: Mapped["AdminUnit | None"] = relationship(
        remote_side=[id], foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list["AdminUnit"]] = relationship(
        foreign_keys=[parent_id], back_populates="parent", order_by="AdminUnit.name"
    )
    successor: Mapped["AdminUnit | None"] = relationship(remote_side=[id], foreign_keys=[successor_id])

    def __repr__(self) -> str:
        return f"<AdminUnit {self.code} {self.name!r}>"

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def is_commune_level(self) -> bool:
        return self.kind in COMMUNE_LEVEL_KINDS
