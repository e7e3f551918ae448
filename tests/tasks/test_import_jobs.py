"""Import jobs in a real RQ worker (worker.py) against a real Redis server: the parse job's progress
moves on the batch row while it reads, the commit job writes a confirmed file and reports what it
wrote, and a commit that breaks half-way leaves nothing written."""

import io
import os
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Household, ImportBatch, Member, ReviewRecord
from app.services import imports, reviews
from app.tasks import imports as jobs
from app.tasks.queues import get_queue
from tests.blueprints.test_imports import snapshot
from tests.conftest import ROOT
from tests.data.make_import_sample import HOUSEHOLDS, MEMBERS, REVIEWS, write_workbook

COUNT = 2000  # households, each with its head and an official 2019 result: 6,000 rows


@pytest.fixture
def setup(app, tmp_path, monkeypatch):
    queue = f"test-imports-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.setitem(app.config, "IMPORTS_QUEUE", queue)
    yield SimpleNamespace(queue=queue, log=tmp_path / "worker.log")
    get_queue(queue).empty()


def many_households(count: int = COUNT) -> bytes:
    rows = {HOUSEHOLDS: [], MEMBERS: [], REVIEWS: []}
    for n in range(count):
        code, head = f"A-{5000 + n}", f"Lục Văn Thử {n}"
        rows[HOUSEHOLDS].append([code, head, "Tày", "99901-01", "Thôn Nà Pài", "Nông thôn"])
        rows[MEMBERS].append([code, head, "Chủ hộ", "Nam", 1960 + n % 40, "Tày", f"0061{n:08d}"])
        rows[REVIEWS].append([code, 2019, "Chính thức", 500_000 + 250 * n, None, "125/QĐ-UBND", "20/12/2019"])
    buffer = io.BytesIO()
    write_workbook(buffer, rows)
    return buffer.getvalue()


def run_worker_watching(app, setup, batch_id: int) -> tuple[int, list[tuple]]:
    """``python worker.py --burst <queue>`` in its own process, reading the batch's (status,
    rows_done, rows_total) every few milliseconds meanwhile; returns the exit code and each
    different state seen, in order."""
    env = os.environ | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": "test-secret",
        "STORAGE_DIR": app.config["STORAGE_DIR"],
    }
    query = select(ImportBatch.status, ImportBatch.rows_done, ImportBatch.rows_total).where(
        ImportBatch.id == batch_id
    )
    seen: list[tuple] = []
    with open(setup.log, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py"), "--burst", setup.queue], cwd=ROOT, env=env, stderr=log
        )
        deadline = time.monotonic() + 120
        while worker.poll() is None and time.monotonic() < deadline:
            db.session.rollback()  # a new transaction: see what the worker committed since
            state = tuple(db.session.execute(query).one())
            if not seen or seen[-1] != state:
                seen.append(state)
            time.sleep(0.005)
        worker.wait(timeout=10)
    db.session.rollback()
    seen.append(tuple(db.session.execute(query).one()))
    return worker.returncode, seen


def test_a_real_worker_parses_then_commits_with_progress(app, world, setup, login_as):
    client = login_as(world.users.staff_a)
    response = client.post(
        "/imports/",
        data={"file": (io.BytesIO(many_households()), "ca-xa.xlsx"), "csrf_token": client.csrf},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    batch = db.session.scalars(select(ImportBatch)).one()
    assert batch.status == "queued"
    households_before = db.session.scalar(select(func.count(Household.id)))

    code, seen = run_worker_watching(app, setup, batch.id)

    assert code == 0, setup.log.read_text()[-3000:]
    total = 3 * COUNT
    reading = [(done, of) for status, done, of in seen if status == "parsing"]
    assert any(0 < done < of for done, of in reading), f"the progress never showed half-way: {seen}"
    assert [done for done, _ in reading] == sorted(done for done, _ in reading), "progress went back"
    assert seen[-1] == ("ready", total, total)
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    created = {"created": COUNT, "updated": 0, "unchanged": 0}
    assert batch.counts == {"households": created, "members": created, "reviews": created}
    assert db.session.scalar(select(func.count(Household.id))) == households_before, "the preview wrote"

    assert imports.confirm(world.users.staff_a, batch)
    db.session.commit()
    jobs.dispatch(jobs.commit_import, batch.id)
    code, seen = run_worker_watching(app, setup, batch.id)

    assert code == 0, setup.log.read_text()[-3000:]
    assert any(status == "committing" for status, _, _ in seen)
    assert seen[-1] == ("committed", total, total)
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.counts == {"households": created, "members": created, "reviews": created}
    assert db.session.scalar(select(func.count(Household.id))) == households_before + COUNT
    last = db.session.scalars(select(Household).where(Household.code == f"A-{5000 + COUNT - 1}")).one()
    # 500,000 + 250 × 1,999 = 999,750 đồng: in QĐ 59/2015's rural near-poor band, no deprivation
    assert (last.status, last.members[0].citizen_id) == ("near_poor", f"0061{COUNT - 1:08d}")
    assert jobs.written_so_far(batch.id) == {"done": COUNT, "total": COUNT}


def test_a_commit_that_breaks_half_way_writes_nothing(app, world, setup, login_as, monkeypatch):
    client = login_as(world.users.staff_a)
    client.post(
        "/imports/",
        data={"file": (io.BytesIO(many_households(30)), "ca-xa.xlsx"), "csrf_token": client.csrf},
        content_type="multipart/form-data",
    )
    batch = db.session.scalars(select(ImportBatch)).one()
    assert jobs.parse_import(batch.id) == "ready"
    assert imports.confirm(world.users.staff_a, batch)
    db.session.commit()
    before = snapshot()
    written = {"n": 0}
    real = reviews._write_one  # each result, after the households and members are written

    def fail_on_the_tenth(*args, **kwargs):
        written["n"] += 1
        if written["n"] == 10:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(reviews, "_write_one", fail_on_the_tenth)

    with pytest.raises(RuntimeError):
        jobs.commit_import(batch.id)

    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert (batch.status, batch.error) == ("failed", "RuntimeError: disk full")
    assert snapshot() == before, "a failed commit left rows behind"
    assert db.session.scalar(select(func.count(Member.id)).where(Member.citizen_id.like("0061%"))) == 0
    assert (
        db.session.scalar(
            select(func.count(ReviewRecord.id)).where(ReviewRecord.decision_number == "125/QĐ-UBND")
        )
        == 0
    )


def test_the_sweep_sends_a_lost_job_again_and_releases_a_dead_one(app, world, setup):
    """Redis lost the commit job: it is enqueued again. The job stopped for good without saying so
    (its worker was killed, RQ gave up): the batch goes back to ready with the reason, not writing
    for ever. A job on its way is left alone."""
    from rq.job import Job, JobStatus

    from app.extensions import db
    from app.models import ImportBatch
    from app.services.audit import utcnow
    from app.tasks import imports as jobs

    def batch(status: str) -> ImportBatch:
        row = ImportBatch(
            user_id=world.users.staff_a.id, unit_id=world.commune_a.id, filename="x.xlsx", sha256="0" * 64,
            size=1, stored_name=f"{uuid.uuid4().hex}.xlsx", status=status, created_at=utcnow(),
        )  # fmt: skip
        db.session.add(row)
        db.session.commit()
        return row

    writing, reading = batch("committing"), batch("queued")
    connection = get_queue(setup.queue).connection
    for stale in (jobs.job_id(jobs.commit_import, writing.id), jobs.job_id(jobs.parse_import, reading.id)):
        if Job.exists(stale, connection=connection):  # an earlier test's batch of the same id
            Job.fetch(stale, connection=connection).delete()
    jobs.dispatch(jobs.parse_import, reading.id)  # on its way
    assert jobs.sweep_imports() == 1
    queued = get_queue(setup.queue).job_ids
    assert jobs.job_id(jobs.commit_import, writing.id) in queued
    assert jobs.job_id(jobs.parse_import, reading.id) in queued

    job = Job.fetch(jobs.job_id(jobs.commit_import, writing.id), connection=connection)
    job.set_status(JobStatus.FAILED)
    assert jobs.sweep_imports() == 1
    db.session.refresh(writing)
    assert (writing.status, writing.error) == ("ready", "import_write_interrupted")
    assert jobs.sweep_imports() == 0
