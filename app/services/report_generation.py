"""Generating a report: exactly once per version, however often it is triggered or interrupted.

- **Trigger** (``request``): a compare-and-set on the instance's status and version moves it to
  ``generating`` with the next version; of simultaneous triggers one wins, the others find it
  generating. The job id is the instance's ``job_id`` (one per version), enqueued after the
  commit (``dispatch``); when Redis is down the row keeps ``enqueued_at`` empty and the sweep
  enqueues it once Redis is back: the request is never lost.
- **Lease**: an execution works only while it holds the lease in the database (owner and expiry,
  renewed at every step); the rows are written only if it still holds it at the end. A worker
  killed mid-way leaves a lease that runs out; the sweep (every minute, and when a worker starts)
  then enqueues the version again.
- **Files**: written to a temporary name, flushed to disk and renamed onto the version's own
  name, so a reader never sees half a file and a repeated run replaces rather than adds;
  leftovers of a killed run are removed by the next. Each version's sha256 is stored with it.
- **Failure**: every attempt is counted; RQ retries with backoff; the last failure leaves the
  instance ``failed`` with a readable reason, and the job re-raises so RQ keeps it as failed.
"""

import hashlib
import os
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import func, or_, select, update

from app.extensions import db
from app.models import ReportInstance, ReportVersion, User
from app.models.reports import ReportStatus as R
from app.services import audit, report_content, report_document, reports
from app.tasks.queues import redis_client

#: what a job tells the page as it goes (job.meta["progress"]): step → percent done
STEPS = {"queued": 0, "snapshot": 10, "pdf": 35, "xlsx": 75, "store": 90, "done": 100}
#: RQ job states in which the job will still run by itself
PENDING = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)

Progress = Callable[[str], None]


class GenerationBusy(reports.ReportError):
    def __init__(self):
        super().__init__("report_generating")


class QueueUnavailable(Exception):
    """Redis could not be reached: the generation is recorded and will be enqueued later."""


def storage_dir() -> Path:
    path = Path(current_app.config["STORAGE_DIR"]) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_stem(instance_id: int, version: int) -> str:
    return f"report-{instance_id}-v{version}"


# -- triggering --------------------------------------------------------------------------------


def request(
    instance: ReportInstance, user: User | None, *, version: int | None = None, ip: str | None = None
) -> None:
    """Move ``instance`` to ``generating`` for its next version (a failed one retries its own).

    :param version: the version the user's page showed; None for the scheduler.
    :raises GenerationBusy: it is already being generated.
    :raises reports.StaleReport: it changed since ``version``.
    :raises reports.ReportError: the user may not generate it now (e.g. approved and locked).
    """
    if instance.status == R.GENERATING:
        raise GenerationBusy()
    if user is not None:
        reports.check_allowed(user, "generate", instance, version)
    elif instance.status not in reports.GENERATABLE:
        raise reports.ReportError("report_action_not_allowed")
    seen_status, seen_version = instance.status, instance.version
    target = seen_version if seen_status == R.FAILED else seen_version + 1
    now = audit.utcnow()
    won = db.session.execute(
        update(ReportInstance)
        .where(
            ReportInstance.id == instance.id,
            ReportInstance.status == seen_status,
            ReportInstance.version == seen_version,
        )
        .values(
            status=R.GENERATING,
            version=target,
            enqueued_at=None,
            lease_owner=None,
            lease_until=None,
            attempts=0,
            error=None,
            requested_by_id=user.id if user else None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:  # someone else's trigger (or another change) came first
        db.session.rollback()
        raise GenerationBusy()
    db.session.refresh(instance)
    audit.record(
        "generate",
        actor=user,
        actor_name=None if user else "scheduler",
        ip=ip,
        obj=instance,
        changes={"status": [seen_status, R.GENERATING], "version": [seen_version, target]},
    )


def dispatch(instance: ReportInstance) -> None:
    """Enqueue the generation of the instance's current version (after ``request`` committed),
    and note that it is in Redis. Enqueuing twice under the same job id is harmless: a job
    already waiting is left alone.

    :raises QueueUnavailable: Redis is down; the sweep will enqueue it later (nothing is lost).
    """
    from app.tasks.reports import generate_report  # jobs import services, not the other way round

    try:
        _enqueue(generate_report, instance.id, instance.version, instance.job_id)
    except RedisError as error:
        raise QueueUnavailable() from error
    db.session.execute(
        update(ReportInstance)
        .where(ReportInstance.id == instance.id, ReportInstance.version == instance.version)
        .values(enqueued_at=audit.utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _enqueue(func, instance_id: int, version: int, job_id: str) -> None:
    from app.tasks.queues import enqueue

    connection = redis_client()
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        job = None
    if job is not None:
        if job.get_status() in PENDING:
            return
        job.delete()  # finished, failed or abandoned by a dead worker: start it afresh
    enqueue(func, instance_id, version, job_id=job_id, queue=current_app.config["REPORTS_QUEUE"])


def sweep(now: datetime | None = None) -> int:
    """Enqueue every generation that is not on its way: never enqueued (Redis was down), or whose
    lease ran out (its worker died), or whose job Redis no longer has. Returns how many."""
    now = now or audit.utcnow()
    stale_before = now - timedelta(seconds=current_app.config["REPORT_LEASE_SECONDS"])
    candidates = db.session.scalars(
        select(ReportInstance).where(
            ReportInstance.status == R.GENERATING,
            or_(
                ReportInstance.enqueued_at.is_(None),
                ReportInstance.lease_until < now,
                ReportInstance.enqueued_at < stale_before,
            ),
        )
    ).all()
    sent = 0
    for instance in candidates:
        if instance.enqueued_at is not None and instance.lease_until is None and _job_alive(instance):
            continue  # waiting in the queue, or running without a lease yet
        if instance.lease_until is not None and instance.lease_until >= now:
            continue
        db.session.execute(
            update(ReportInstance)
            .where(ReportInstance.id == instance.id, ReportInstance.version == instance.version)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        try:
            dispatch(instance)
        except QueueUnavailable:
            break
        sent += 1
    return sent


def _job_alive(instance: ReportInstance) -> bool:
    try:
        status = Job.fetch(instance.job_id, connection=redis_client()).get_status()
    except NoSuchJobError:
        return False
    return status in PENDING or status == JobStatus.STARTED


# -- the work ----------------------------------------------------------------------------------


def _lease(instance_id: int, version: int, owner: str, *, take: bool) -> bool:
    """Take (when free or run out) or renew (when ours) the lease of this version; commits."""
    now = audit.utcnow()
    until = now + timedelta(seconds=current_app.config["REPORT_LEASE_SECONDS"])
    conditions = [
        ReportInstance.id == instance_id,
        ReportInstance.version == version,
        ReportInstance.status == R.GENERATING,
    ]
    if take:
        conditions.append(
            or_(
                ReportInstance.lease_until.is_(None),
                ReportInstance.lease_until < now,
                ReportInstance.lease_owner == owner,
            )
        )
        values = {"lease_owner": owner, "lease_until": until, "attempts": ReportInstance.attempts + 1}
    else:
        conditions.append(ReportInstance.lease_owner == owner)
        values = {"lease_until": until}
    held = db.session.execute(
        update(ReportInstance)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(held)


class LeaseLost(Exception):
    """Another execution took the work over (this one was presumed dead): stop, write nothing."""


def _write(path: Path, data: bytes, owner: str) -> str:
    """Write ``data`` to ``path`` through a temporary file and a rename; returns its sha256."""
    temporary = path.with_name(f"{path.name}.{owner.rsplit(':', 1)[-1]}.tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    _pause()
    os.replace(temporary, path)
    return hashlib.sha256(data).hexdigest()


def _remove_leftovers(stem: str) -> None:
    for leftover in storage_dir().glob(f"{stem}.*.tmp"):
        leftover.unlink(missing_ok=True)


def _pause() -> None:
    pause = current_app.config["REPORT_STEP_PAUSE"]
    if pause:
        time.sleep(pause)


def generate(
    instance_id: int,
    version: int,
    owner: str,
    progress: Progress = lambda step: None,
    *,
    issued_on: date | None = None,
) -> str:
    """Generate ``version`` of the instance: freeze the snapshot, render the PDF and XLSX, store
    them, record the version and move the instance to draft. Returns what happened: "done",
    "superseded" (the instance moved on), "busy" (another execution holds the lease).

    :raises LeaseLost: another execution took over; nothing was recorded by this one.
    """
    if not _lease(instance_id, version, owner, take=True):
        instance = db.session.get(ReportInstance, instance_id)
        if instance is None or instance.status != R.GENERATING or instance.version != version:
            return "superseded"
        return "busy"
    stem = file_stem(instance_id, version)
    _remove_leftovers(stem)
    renewed = time.monotonic()
    renew_every = current_app.config["REPORT_LEASE_SECONDS"] / 4

    def step(name: str) -> None:
        """Report progress, and renew the lease once a quarter of it has gone (a step takes well
        under a second, a lease lasts minutes: a commit per step would cost more than it guards)."""
        nonlocal renewed
        progress(name)
        _pause()
        if time.monotonic() - renewed >= renew_every:
            if not _lease(instance_id, version, owner, take=False):
                raise LeaseLost(stem)
            renewed = time.monotonic()

    step("snapshot")
    instance = db.session.get(ReportInstance, instance_id)
    snapshot = report_content.build(instance, issued_on=issued_on)
    step("pdf")
    pdf = report_document.render_pdf(snapshot)
    step("xlsx")
    xlsx = report_document.render_xlsx(snapshot)
    step("store")
    directory = storage_dir()
    pdf_sha = _write(directory / f"{stem}.pdf", pdf, owner)
    xlsx_sha = _write(directory / f"{stem}.xlsx", xlsx, owner)
    _record(instance_id, version, owner, snapshot, pdf_sha, len(pdf), xlsx_sha, stem)
    progress("done")
    return "done"


def warm_up() -> None:
    """Load, in a worker before its first job, what every generation needs: WeasyPrint with the
    report's fonts, and the queries, templates, layout and spreadsheet code of each kind of report
    (one snapshot of each definition is built and printed to PDF and XLSX; nothing is stored).
    The first report then costs what the others do (worker.py runs jobs in its own process)."""
    report_document.warm_up()
    latest = select(func.max(ReportInstance.id)).group_by(ReportInstance.definition_id)
    for instance in db.session.scalars(select(ReportInstance).where(ReportInstance.id.in_(latest))):
        snapshot = report_content.build(instance)
        report_document.pdf_from_html(report_document.render_html(snapshot))
        report_document.render_xlsx(snapshot)
    db.session.rollback()


def _record(
    instance_id: int,
    version: int,
    owner: str,
    snapshot: dict,
    pdf_sha: str,
    pdf_size: int,
    xlsx_sha: str,
    stem: str,
) -> None:
    """In one transaction: the instance to draft (only if this execution still holds the lease)
    and its version row with the files' checksums; then the preparers are told."""
    now = audit.utcnow()
    held = db.session.execute(
        update(ReportInstance)
        .where(
            ReportInstance.id == instance_id,
            ReportInstance.version == version,
            ReportInstance.lease_owner == owner,
            ReportInstance.status == R.GENERATING,
        )
        .values(status=R.DRAFT, lease_owner=None, lease_until=None, error=None, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not held:
        db.session.rollback()
        raise LeaseLost(stem)
    instance = db.session.get(ReportInstance, instance_id)
    db.session.refresh(instance)
    db.session.add(
        ReportVersion(
            instance_id=instance_id,
            number=version,
            snapshot=snapshot,
            pdf_name=f"{stem}.pdf",
            pdf_sha256=pdf_sha,
            pdf_size=pdf_size,
            xlsx_name=f"{stem}.xlsx",
            xlsx_sha256=xlsx_sha,
            generated_at=now,
            requested_by_id=instance.requested_by_id,
        )
    )
    reports.generated(instance)
    db.session.commit()


def failed(instance_id: int, version: int, owner: str, error: BaseException, *, final: bool) -> None:
    """Note a failed attempt: release the lease for the retry, or, after the last one, leave the
    instance ``failed`` with a readable reason (and tell the preparers)."""
    db.session.rollback()
    reason = f"{type(error).__name__}: {error}"[:500]
    values = {"lease_owner": None, "lease_until": None, "error": reason, "updated_at": audit.utcnow()}
    if final:
        values["status"] = R.FAILED
    changed = db.session.execute(
        update(ReportInstance)
        .where(
            ReportInstance.id == instance_id,
            ReportInstance.version == version,
            ReportInstance.status == R.GENERATING,
            or_(ReportInstance.lease_owner == owner, ReportInstance.lease_owner.is_(None)),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed and final:
        instance = db.session.get(ReportInstance, instance_id)
        reports.notify_about(instance, "report_failed", reports.preparers(instance))
    db.session.commit()
