"""Configurable lists: causes of poverty and support needs."""

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class CatalogueMixin:
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_vi

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code}>"


class PovertyCause(CatalogueMixin, db.Model):
    __tablename__ = "poverty_causes"


class SupportNeed(CatalogueMixin, db.Model):
    __tablename__ = "support_needs"
