"""In-app notifications: what happened that a user should know, and whether they have seen it."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Notification(db.Model):
    """One message for one user. ``kind`` and ``params`` are rendered in the reader's language
    when shown (app/labels.py NOTIFICATIONS); ``dedupe_key`` keeps a daily job from saying the
    same thing twice; ``emailed_at`` keeps the e-mail digest from sending it twice."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    #: when the e-mail digest carried it (app/services/digest.py); never e-mailed twice
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime)
