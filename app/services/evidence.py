"""Evidence files of support tasks: checked by their content, stored under STORAGE_DIR.

A file is accepted when its first bytes are those of a JPEG, PNG or PDF file, whatever its name
says, and it is at most 10 MB. It is stored under a random name (never the uploader's), written
to a temporary file first and renamed, so a half-written file is never visible, with its sha256.
"""

import hashlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from app.extensions import db
from app.models import User
from app.models.tasks import SupportTask, TaskEvidence
from app.models.users import Role
from app.services import audit
from app.services.tasks import TaskError, responsible

MAX_BYTES = 10 * 1024 * 1024
#: Leading bytes → (content type, extension)
SIGNATURES = (
    (b"\xff\xd8\xff", ("image/jpeg", "jpg")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", "png")),
    (b"%PDF-", ("application/pdf", "pdf")),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    """The content type and extension that ``head`` (the file's first bytes) shows, or None."""
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def evidence_dir() -> Path:
    return Path(current_app.config["STORAGE_DIR"]) / "evidence"


def add_evidence(
    user: User, task: SupportTask, stream: BinaryIO, filename: str, *, ip: str | None = None
) -> TaskEvidence:
    """Attach a file to a task (anyone who may add a note to it).

    :raises TaskError: empty, larger than 10 MB, or not a JPEG, PNG or PDF by its content.
    """
    if user.role == Role.MANAGER or (user.role == Role.SUPERVISOR and not responsible(user, task)):
        raise TaskError("file", "task_not_yours")
    data = stream.read(MAX_BYTES + 1)
    if not data:
        raise TaskError("file", "evidence_empty")
    if len(data) > MAX_BYTES:
        raise TaskError("file", "evidence_too_large")
    kind = sniff(data[:16])
    if kind is None:
        raise TaskError("file", "evidence_type")
    content_type, extension = kind
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    _write(evidence_dir() / stored_name, data)
    row = TaskEvidence(
        task_id=task.id,
        uploaded_by_id=user.id,
        created_at=audit.utcnow(),
        filename=_display_name(filename, extension),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        stored_name=stored_name,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "create",
        actor=user,
        ip=ip,
        obj=row,
        changes={"task_id": [None, task.id], "sha256": [None, row.sha256]},
    )
    return row


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".part")
    with open(temporary, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)


def _display_name(filename: str, extension: str) -> str:
    """The uploader's name without any path, ending with the extension its content shows."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip() or "minh-chung"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem[:200]}.{extension}"


def evidence_path(row: TaskEvidence) -> Path:
    return evidence_dir() / row.stored_name
