"""Import jobs: parse an uploaded workbook for its preview, and write a confirmed one.

Both are enqueued after the batch row is committed, with the batch's id (one job id per batch and
step, so enqueuing twice replaces rather than doubles); the state a user sees is the batch row.
A failure is recorded on the batch (the last attempt leaves it ``failed`` with the reason) and
re-raised, so that RQ retries it or keeps it in the failed registry.
"""

from collections.abc import Callable

from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from app.extensions import db
from app.models.imports import ImportStatus as S
from app.services import imports
from app.tasks.queues import enqueue, redis_client


class _RowProgress:
    """Commits ``rows_done`` / ``rows_total`` at the start and every PROGRESS_EVERY rows read, so
    the page polling the batch sees the reading move (nothing else is pending then)."""

    def __init__(self, batch_id: int) -> None:
        self.batch_id, self.next_at = batch_id, 0

    def __call__(self, done: int, total: int) -> None:
        if done >= self.next_at:
            imports.note_progress(self.batch_id, done, total)
            db.session.commit()
            self.next_at = done + imports.PROGRESS_EVERY


def parse(batch_id: int) -> str:
    """Check a queued batch and leave it invalid (with its problems) or ready (with what it would
    create, update and leave unchanged). Writes nothing but the batch."""
    batch = imports.start(batch_id, (S.QUEUED, S.PARSING), S.PARSING)
    if batch is None:
        return "skipped"
    db.session.commit()
    checked = imports.evaluate(batch, _RowProgress(batch_id))
    imports.record_check(batch, checked, {} if checked.problems else imports.plan(checked).counts)
    db.session.commit()
    return batch.status


def commit(batch_id: int, written: imports.Written = lambda done, total: None) -> str:
    """Check a confirmed batch again and write it, all in one transaction; a file that is no
    longer valid goes back to invalid with its problems, and nothing is written."""
    batch = imports.start(batch_id, (S.COMMITTING,), S.COMMITTING)
    if batch is None:
        return "skipped"
    db.session.commit()
    checked = imports.evaluate(batch, _RowProgress(batch_id))
    if checked.problems:
        imports.record_check(batch, checked, {})
    else:
        imports.write(batch, checked, written)
    db.session.commit()
    return batch.status


def _failed(batch_id: int, error: BaseException) -> None:
    """Roll back whatever the attempt wrote and note it on the batch (RQ retries, or keeps it)."""
    job = get_current_job()
    db.session.rollback()
    imports.note_failure(batch_id, error, final=job is None or not job.retries_left)
    db.session.commit()


def parse_import(batch_id: int) -> str:
    """The parse job: check a queued batch for its preview."""
    try:
        return parse(batch_id)
    except Exception as error:
        _failed(batch_id, error)
        raise


def commit_import(batch_id: int) -> str:
    """The commit job: check a confirmed batch again and write it in one transaction (or nothing)."""
    job = get_current_job()

    def written(done: int, total: int) -> None:
        if job is not None:
            job.meta["written"] = {"done": done, "total": total}
            job.save_meta()

    try:
        return commit(batch_id, written)
    except Exception as error:
        _failed(batch_id, error)
        raise


def job_id(func: Callable, batch_id: int) -> str:
    return f"import-{batch_id}-{func.__name__}"


def dispatch(func: Callable, batch_id: int) -> None:
    """Enqueue ``parse_import`` or ``commit_import`` for a committed batch.

    :raises redis.exceptions.RedisError: the queue cannot be reached.
    """
    enqueue(func, batch_id, queue=current_app.config["IMPORTS_QUEUE"], job_id=job_id(func, batch_id))


def written_so_far(batch_id: int) -> dict | None:
    """What the commit job has written (``{"done", "total"}`` review results), if Redis knows."""
    try:
        job = Job.fetch(job_id(commit_import, batch_id), connection=redis_client())
    except (NoSuchJobError, RedisError):
        return None
    return job.meta.get("written")


#: RQ states of a job that will still run (or is running)
_ON_ITS_WAY = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


def _job_status(func: Callable, batch_id: int) -> JobStatus | None:
    try:
        return Job.fetch(job_id(func, batch_id), connection=redis_client()).get_status()
    except NoSuchJobError:
        return None


def sweep_imports() -> int:
    """Every minute (app/tasks/schedule.py): the batches whose job will never come back — Redis
    lost it, or its worker was killed and RQ gave up on it — instead of waiting for ever. A job
    Redis no longer has is enqueued again (both jobs are safe to run again); one that stopped for
    good leaves the batch ``failed`` (reading) or back to ``ready`` (writing: nothing was written,
    the transaction died with the worker) with the reason. Returns how many batches it moved."""
    moved = 0
    for batch in imports.in_progress():
        func = commit_import if batch.status == S.COMMITTING else parse_import
        status = _job_status(func, batch.id)
        if status in _ON_ITS_WAY:
            continue
        if status is None:
            dispatch(func, batch.id)
        else:
            imports.interrupted(batch)
            db.session.commit()
        moved += 1
    return moved
