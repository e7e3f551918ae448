"""Change counters that the database itself keeps."""

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

#: Raised by triggers on every change to households, their causes and the causes catalogue
REGISTRY = "registry"
#: Raised by triggers on every change to the administrative units (migration 0011)
UNITS = "units"
#: Raised by triggers on every change to what the dashboard counts (migration 0014)
FIGURES = "figures"
#: Raised by triggers on every change to the review records (migration 0014)
REVIEWS = "reviews"


class DataVersion(db.Model):
    """A counter that database triggers raise on every insert, update or delete in a set of
    tables (migration 0006), whoever writes: a view, an RQ job, an import or plain SQL. What a
    process rendered from those tables is current while the counter has not moved."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
