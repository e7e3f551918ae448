"""Writing the append-only audit log."""

import re
from datetime import UTC, date, datetime
from typing import Any

from app.extensions import db
from app.models import AuditLog

# Any run of exactly 12 ASCII digits, even glued to letters ("CCCD001203045678").
_CITIZEN_ID = re.compile(r"(?<![0-9])([0-9]{3})[0-9]{6}([0-9]{3})(?![0-9])")


def mask_citizen_id(value: str | None) -> str | None:
    """Keep the first and last three digits of a 12-digit citizen ID: ``001******789``."""
    if not value:
        return value
    return _CITIZEN_ID.sub(r"\1******\2", value)


def _mask(value: Any) -> Any:
    """JSON-ready copy of ``value`` with citizen IDs masked and dates as ISO text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, str):
        return mask_citizen_id(value)
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return value


def utcnow() -> datetime:
    """Naive UTC, the form every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def record(
    action: str,
    *,
    actor=None,
    actor_name: str | None = None,
    ip: str | None = None,
    obj=None,
    object_type: str | None = None,
    object_id: int | None = None,
    changes: dict | None = None,
) -> AuditLog:
    """Add one audit row (flushed by the caller's commit); citizen IDs are masked."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
    row = AuditLog(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name or getattr(actor, "username", None),
        ip=ip,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=_mask(changes) if changes else None,
    )
    db.session.add(row)
    return row


def diff(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for the fields that changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}
