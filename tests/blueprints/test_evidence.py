"""Evidence files of tasks: checked by content, at most 10 MB, stored, downloadable only in scope."""

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import TaskEvidence
from app.services import evidence
from tests.factories import make_task

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64


@pytest.fixture
def task(world, db, app, tmp_path):
    app.config["STORAGE_DIR"] = str(tmp_path / "storage")
    made = make_task(world.households.duc, world.organisations.a)
    db.session.commit()
    return made


def _upload(client, task, data: bytes, name: str, htmx=True):
    payload = {"file": (io.BytesIO(data), name), "csrf_token": client.csrf or client.refresh_csrf()}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        f"/tasks/{task.id}/evidence", data=payload, headers=headers, content_type="multipart/form-data"
    )


@pytest.mark.parametrize(
    "data,name,content_type,shown",
    [
        (PNG, "anh.png", "image/png", "anh.png"),
        (JPEG, "the bhyt.JPG", "image/jpeg", "the bhyt.jpg"),
        (PDF, "C:\\giay to\\bien ban.pdf", "application/pdf", "bien ban.pdf"),
        (PNG, "scan.pdf", "image/png", "scan.png"),
    ],  # the content decides, not the name
)
def test_a_file_is_accepted_by_its_content_and_downloads_the_same(
    app, world, db, login_as, task, data, name, content_type, shown
):
    client = login_as(world.users.supervisor_a)

    response = _upload(client, task, data, name)

    assert response.status_code == 200 and shown in response.text
    row = db.session.scalars(select(TaskEvidence)).one()
    assert (row.content_type, row.size, row.sha256) == (
        content_type,
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    stored = Path(app.config["STORAGE_DIR"]) / "evidence" / row.stored_name
    assert stored.read_bytes() == data and shown not in row.stored_name
    download = client.get(f"/tasks/{task.id}/evidence/{row.id}")
    body = download.get_data()
    download.close()  # send_file streams the stored file
    assert download.status_code == 200 and body == data
    assert download.mimetype == content_type and "attachment" in download.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "data,name,message",
    [
        (ELF, "anh.jpg", "Chỉ đính kèm được ảnh"),  # a renamed executable
        (b"MZ\x90\x00" + b"\x00" * 64, "bien-ban.pdf", "Chỉ đính kèm được ảnh"),
        (b"", "rong.png", "Hãy chọn tệp"),
        (PNG + b"\x00" * 2048, "lon.png", "tối đa 10 MB"),  # over the limit, made small below
    ],
)
def test_refused_files_leave_nothing(app, world, db, login_as, task, data, name, message, monkeypatch):
    monkeypatch.setattr(
        evidence, "MAX_BYTES", 2048
    )  # 10 MB in use; a 10 MB body leaks the test client's temp file
    response = _upload(login_as(world.users.staff), task, data, name)

    assert response.status_code == 422 and message in response.text
    assert db.session.scalars(select(TaskEvidence)).all() == []
    evidence_dir = Path(app.config["STORAGE_DIR"]) / "evidence"
    assert not evidence_dir.exists() or list(evidence_dir.iterdir()) == []


def test_files_of_another_commune_are_404(world, db, login_as, task):
    _upload(login_as(world.users.staff_a), task, PNG, "anh.png")
    row = db.session.scalars(select(TaskEvidence)).one()
    other = make_task(world.households.pao, world.organisations.a)
    db.session.commit()

    outsider = login_as(world.users.staff_b)
    assert outsider.get(f"/tasks/{task.id}/evidence/{row.id}").status_code == 404
    assert _upload(outsider, task, PNG, "x.png").status_code == 404
    # the id of a file under another task's URL
    assert login_as(world.users.staff).get(f"/tasks/{other.id}/evidence/{row.id}").status_code == 404


def test_managers_cannot_attach(world, login_as, task):
    response = _upload(login_as(world.users.manager), task, PNG, "anh.png")
    assert response.status_code == 422 and "Chỉ cán bộ hoặc tổ chức phụ trách" in response.text
