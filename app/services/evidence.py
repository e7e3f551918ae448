"""Evidence files of support tasks (and other scans: a review meeting's minutes): checked by their
content, stored under STORAGE_DIR.

A file is accepted when its first bytes are those of a JPEG, PNG or PDF file, whatever its name
says, and it is at most 10 MB. It is stored under a random name (never the uploader's), written
to a temporary file first and renamed, so a half-written file is never visible, with its sha256.
"""

import hashlib
import os
import secrets
from dataclasses import asdict, dataclass
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


class FileRefused(ValueError):
    """An upload that is not kept; the message is a key of ``app.labels.MESSAGES``."""


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    filename: str  # the uploader's name without a path, ending with the extension its content shows
    content_type: str
    size: int
    sha256: str

    def columns(self) -> dict:
        """The columns a model of a stored file (task evidence, minutes) shares with this."""
        return asdict(self)


def storage_dir(kind: str) -> Path:
    """Where files of one kind (``evidence``, ``minutes``) are kept under STORAGE_DIR."""
    return Path(current_app.config["STORAGE_DIR"]) / kind


def evidence_dir() -> Path:
    return storage_dir("evidence")


def store(directory: Path, stream: BinaryIO, filename: str, *, default_name: str) -> StoredFile:
    """Keep an uploaded scan or document under a random name in ``directory``.

    :raises FileRefused: empty, larger than 10 MB, or not a JPEG, PNG or PDF by its content.
    """
    data = stream.read(MAX_BYTES + 1)
    if not data:
        raise FileRefused("evidence_empty")
    if len(data) > MAX_BYTES:
        raise FileRefused("evidence_too_large")
    kind = sniff(data[:16])
    if kind is None:
        raise FileRefused("evidence_type")
    content_type, extension = kind
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    write_file(directory / stored_name, data)
    return StoredFile(
        stored_name=stored_name,
        filename=display_name(filename, extension, default_name),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def add_evidence(
    user: User, task: SupportTask, stream: BinaryIO, filename: str, *, ip: str | None = None
) -> TaskEvidence:
    """Attach a file to a task (anyone who may add a note to it).

    :raises TaskError: empty, larger than 10 MB, or not a JPEG, PNG or PDF by its content.
    """
    if user.role == Role.MANAGER or (user.role == Role.SUPERVISOR and not responsible(user, task)):
        raise TaskError("file", "task_not_yours")
    try:
        stored = store(evidence_dir(), stream, filename, default_name="minh-chung")
    except FileRefused as refused:
        raise TaskError("file", str(refused)) from None
    row = TaskEvidence(
        task_id=task.id,
        uploaded_by_id=user.id,
        created_at=audit.utcnow(),
        **stored.columns(),
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


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary name, fsync and rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".part")
    with open(temporary, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)


def display_name(filename: str, extension: str, default_name: str) -> str:
    """The uploader's name without any path, ending with the extension its content shows."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip() or default_name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem[:200]}.{extension}"


def evidence_path(row: TaskEvidence) -> Path:
    return evidence_dir() / row.stored_name
