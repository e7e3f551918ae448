"""Households, their members, causes of poverty and support needs."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.catalogues import PovertyCause, SupportNeed
from app.models.units import AdminUnit


class Area(StrEnum):
    URBAN = "urban"
    RURAL = "rural"


class HouseholdStatus(StrEnum):
    """The registry status, derived from official review records."""

    POOR = "poor"
    NEAR_POOR = "near_poor"
    ESCAPED = "escaped"
    OTHER = "other"


class Relation(StrEnum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    OTHER = "other"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Schooling(StrEnum):
    NOT_YET = "not_yet"
    IN_SCHOOL = "in_school"
    DROPPED_OUT = "dropped_out"
    FINISHED = "finished"


ETHNICITIES = ("Tày", "Nùng", "Dao", "Kinh", "H'Mông", "Sán Chay", "Hoa", "Khác")

household_causes = Table(
    "household_causes",
    db.metadata,
    Column("household_id", ForeignKey("households.id", ondelete="CASCADE"), primary_key=True),
    Column("cause_id", ForeignKey("poverty_causes.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_household_causes_cause_id", "cause_id"),
)

household_needs = Table(
    "household_needs",
    db.metadata,
    Column("household_id", ForeignKey("households.id", ondelete="CASCADE"), primary_key=True),
    Column("need_id", ForeignKey("support_needs.id", ondelete="CASCADE"), primary_key=True),
)


class Household(db.Model):
    """A household of the registry.

    ``status``, ``status_criterion`` and ``status_year`` mirror the latest
    official review record; only ``app.services.reviews`` writes them, so a
    list filter at province scale needs no join. ``search_text`` is the
    diacritic-free text that active search matches (name, code, address,
    members' names and citizen IDs); ``app.services.households`` keeps it.
    """

    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint("area IN ('urban','rural')", name="area"),
        CheckConstraint("status IN ('poor','near_poor','escaped','other')", name="status"),
        Index("ix_households_unit_status", "unit_id", "status", "code"),
        # Active search is a substring match ("LIKE '%…%'"): on PostgreSQL trigram indexes answer
        # it without reading every row (migration 0004 creates the pg_trgm extension).
        *(
            Index(
                f"ix_households_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in ("search_text", "sort_name")
        ),
        # SQLite has no substring index; this one lets a search read the narrow index instead of
        # the wide rows, unit by unit (migration 0005).
        Index("ix_households_unit_search", "unit_id", "sort_name", "search_text").ddl_if(dialect="sqlite"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    head_name: Mapped[str] = mapped_column(String(120))
    sort_name: Mapped[str] = mapped_column(String(120), index=True)
    ethnicity: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    address: Mapped[str] = mapped_column(String(255))
    area: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=HouseholdStatus.OTHER)
    status_criterion: Mapped[str | None] = mapped_column(String(16))
    status_year: Mapped[int | None] = mapped_column(SmallInteger)
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    unit: Mapped[AdminUnit] = relationship()
    members: Mapped[list["Member"]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="Member.id"
    )
    causes: Mapped[list[PovertyCause]] = relationship(
        secondary=household_causes, order_by=PovertyCause.sort_order
    )
    needs: Mapped[list[SupportNeed]] = relationship(
        secondary=household_needs, order_by=SupportNeed.sort_order
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Household {self.code} {self.head_name!r}>"


class Member(db.Model):
    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("sex IN ('male','female')", name="sex"),
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    relation: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(8))
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    ethnicity: Mapped[str] = mapped_column(String(32))
    citizen_id: Mapped[str | None] = mapped_column(String(12), unique=True)
    occupation: Mapped[str | None] = mapped_column(String(120))
    health_insurance_card: Mapped[str | None] = mapped_column(String(20))
    schooling: Mapped[str | None] = mapped_column(String(16))
    has_disability: Mapped[bool] = mapped_column(Boolean, default=False)

    household: Mapped[Household] = relationship(back_populates="members")

    def __repr__(self) -> str:
        return f"<Member {self.id} of household {self.household_id}>"
