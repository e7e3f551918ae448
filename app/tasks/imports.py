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
from rq.job import Job

from app.services import imports
from app.tasks.queues import enqueue, redis_client


def parse_import(batch_id: int) -> str:
    """Check a queued batch: invalid with its problems, or ready with its planned counts."""
    job = get_current_job()
    try:
        return imports.parse(batch_id)
    except Exception as error:
        imports.attempt_failed(batch_id, error, final=job is None or not job.retries_left)
        raise


def commit_import(batch_id: int) -> str:
    """Check a confirmed batch again and write it in one transaction (or write nothing)."""
    job = get_current_job()

    def written(done: int, total: int) -> None:
        if job is not None:
            job.meta["written"] = {"done": done, "total": total}
            job.save_meta()

    try:
        return imports.commit(batch_id, written)
    except Exception as error:
        imports.attempt_failed(batch_id, error, final=job is None or not job.retries_left)
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
