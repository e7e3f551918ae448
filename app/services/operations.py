"""The job queue as the admin operations page shows it: queues, workers, the periodic jobs and
the failed jobs, read from Redis; and putting a failed job back in its queue.

Reads ask RQ for no registry cleanup (its workers do that: moving abandoned jobs to the failed
registry is not for a page view). Every function that talks to Redis lets
``redis.exceptions.RedisError`` through: the caller shows a message.
"""

from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

from croniter import croniter
from redis import Redis
from rq import Queue, Worker
from rq import cron as rq_cron
from rq.cron import CronScheduler
from rq.exceptions import DeserializationError, InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.results import Result

#: the time zone the cron fields are read in (the scheduler runs with TZ=Asia/Ho_Chi_Minh)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
#: failed jobs listed per queue, newest first
FAILED_LIMIT = 50


class UnknownJob(LookupError):
    """No failed job of that id in that queue (never was, expired, or already requeued)."""


@dataclass(frozen=True)
class QueueCounts:
    name: str
    queued: int
    started: int
    scheduled: int
    failed: int
    finished: int


@dataclass(frozen=True)
class WorkerState:
    name: str
    state: str  # RQ's: "busy", "idle", "suspended", "started"
    queues: tuple[str, ...]
    job_id: str | None
    job_func: str | None
    last_heartbeat: datetime | None
    successful: int
    failed: int


@dataclass(frozen=True)
class CronEntry:
    name: str
    func_name: str
    queue: str
    cron: str | None
    interval: int | None  # seconds, for an entry registered with ``interval=`` instead of a cron
    next_run: datetime | None  # aware, in Vietnam time; None for an interval entry


@dataclass(frozen=True)
class CronSchedulerState:
    name: str
    hostname: str
    pid: int
    last_heartbeat: datetime | None


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    func_name: str
    arguments: str
    failed_at: datetime | None
    error: str


@dataclass(frozen=True)
class Operations:
    queues: list[QueueCounts]
    workers: list[WorkerState]
    schedule: list[CronEntry]
    schedulers: list[CronSchedulerState]
    failed: dict[str, list[FailedJob]]  # by queue name, in the order of ``queues``


def read_operations(connection: Redis, queue_names: Sequence[str], now: datetime | None = None) -> Operations:
    """Everything the operations page shows, for the application's queues ``queue_names``.

    :raises redis.exceptions.RedisError: Redis cannot be reached.
    """
    return Operations(
        queues=[queue_counts(connection, name) for name in queue_names],
        workers=workers(connection, queue_names),
        schedule=cron_entries(now),
        schedulers=cron_schedulers(connection),
        failed={name: failed_jobs(connection, name) for name in queue_names},
    )


def queue_counts(connection: Redis, name: str) -> QueueCounts:
    queue = Queue(name, connection=connection)
    return QueueCounts(
        name=name,
        queued=queue.count,
        started=queue.started_job_registry.get_job_count(cleanup=False),
        scheduled=queue.scheduled_job_registry.get_job_count(cleanup=False),
        failed=queue.failed_job_registry.get_job_count(cleanup=False),
        finished=queue.finished_job_registry.get_job_count(cleanup=False),
    )


def workers(connection: Redis, queue_names: Iterable[str]) -> list[WorkerState]:
    """The live workers that listen to at least one of ``queue_names``, by name."""
    found: dict[str, Worker] = {}
    for name in queue_names:
        for worker in Worker.all(queue=Queue(name, connection=connection)):
            found.setdefault(worker.name, worker)
    return [_worker_state(found[name]) for name in sorted(found)]


def _worker_state(worker: Worker) -> WorkerState:
    job = None
    with suppress(NoSuchJobError):  # the job ended and expired between two reads
        job = worker.get_current_job()
    return WorkerState(
        name=worker.name,
        state=worker.get_state(),
        queues=tuple(worker.queue_names()),
        job_id=job.id if job else None,
        job_func=_func_name(job) if job else None,
        last_heartbeat=worker.last_heartbeat,
        successful=worker.successful_job_count,
        failed=worker.failed_job_count,
    )


@cache
def _registrations() -> tuple[dict, ...]:
    """The ``cron.register`` calls of app.tasks.schedule, as rq.cron keeps them.

    rq.cron holds them in module state only, until a scheduler process loads (and clears) them;
    importing the schedule module fills it once per process, and the copy taken here stays.
    """
    import app.tasks.schedule  # noqa: F401  (registers on import)

    unique: dict[str, dict] = {}
    for data in rq_cron._job_data_registry:
        func = data["func"]
        unique.setdefault(data["name"] or f"{func.__module__}.{func.__name__}", data)
    return tuple(unique.values())


def cron_entries(now: datetime | None = None) -> list[CronEntry]:
    """The periodic jobs app.tasks.schedule declares, each with its next run after ``now``
    (default: the current time), its cron fields read in Vietnam time; soonest first."""
    start = (now or datetime.now(UTC)).astimezone(VIETNAM)
    entries = []
    for data in _registrations():
        func = data["func"]
        func_name = f"{func.__module__}.{func.__name__}"
        cron = data["cron"]
        entries.append(
            CronEntry(
                name=data["name"] or func_name,
                func_name=func_name,
                queue=data["queue_name"],
                cron=cron,
                interval=data["interval"],
                next_run=croniter(cron, start).get_next(datetime) if cron else None,
            )
        )
    return sorted(entries, key=lambda e: (e.next_run is None, e.next_run or start, e.name))


def cron_schedulers(connection: Redis) -> list[CronSchedulerState]:
    """The ``rq cron`` processes alive now (their record in Redis lapses two minutes after the
    last heartbeat); none means the periodic jobs are not being enqueued."""
    return [
        CronSchedulerState(
            name=scheduler.name,
            hostname=scheduler.hostname,
            pid=scheduler.pid,
            last_heartbeat=scheduler.last_heartbeat,
        )
        for scheduler in CronScheduler.all(connection, cleanup=False)
    ]


def failed_jobs(connection: Redis, queue_name: str, limit: int = FAILED_LIMIT) -> list[FailedJob]:
    """The newest ``limit`` failed jobs of a queue (the count is in ``queue_counts``)."""
    registry = FailedJobRegistry(queue_name, connection=connection)
    ids = registry.get_job_ids(0, limit - 1, desc=True, cleanup=False)
    jobs = [job for job in Job.fetch_many(ids, connection=connection) if job is not None]
    return [_failed_job(job, queue_name) for job in jobs]


def _failed_job(job: Job, queue_name: str) -> FailedJob:
    result = job.latest_result()
    failed = result if result is not None and result.type == Result.Type.FAILED else None
    return FailedJob(
        id=job.id,
        queue=queue_name,
        func_name=_func_name(job),
        arguments=_arguments(job),
        failed_at=job.ended_at or (failed.created_at if failed else None),
        error=_last_line(failed.exc_string if failed else None),
    )


def _func_name(job: Job) -> str:
    try:
        return job.func_name or "?"
    except DeserializationError:
        return "?"


def _arguments(job: Job) -> str:
    """The job's arguments, ids only: anything but an integer shows as "…" (a job takes ids, so
    anything else is unexpected, and it could be personal data)."""
    try:
        args, kwargs = job.args, job.kwargs
    except DeserializationError:
        return "?"
    shown = [_id(value) for value in args] + [f"{key}={_id(value)}" for key, value in kwargs.items()]
    return ", ".join(shown)


def _id(value: object) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "…"


def _last_line(exc_string: str | None) -> str:
    lines = (exc_string or "").strip().splitlines()
    return lines[-1].strip() if lines else ""


def requeue_failed(connection: Redis, queue_name: str, job_id: str) -> Job:
    """Put the failed job ``job_id`` of ``queue_name`` back at the end of that queue.

    :raises UnknownJob: no such failed job in that queue.
    :raises redis.exceptions.RedisError: Redis cannot be reached.
    """
    if job_id not in FailedJobRegistry(queue_name, connection=connection):
        raise UnknownJob(job_id)
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError as error:
        raise UnknownJob(job_id) from error
    if job.origin != queue_name:
        raise UnknownJob(job_id)
    try:
        return job.requeue()
    except InvalidJobOperation as error:  # requeued by someone else a moment ago
        raise UnknownJob(job_id) from error
