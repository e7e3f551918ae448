"""Housekeeping jobs."""

from app.extensions import db
from app.services import auth


def purge_sessions() -> int:
    """Delete login sessions that expired or were revoked over a day ago."""
    removed = auth.purge_sessions()
    db.session.commit()
    return removed
