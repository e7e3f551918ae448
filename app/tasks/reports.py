"""Report jobs: generate one version, create the instances owed at each cut-off, sweep up
generations that lost their job or worker, and the daily deadline reminders and overdue marks."""

from uuid import uuid4

from rq import get_current_job

from app.extensions import db
from app.services import report_generation, reports


def generate_report(instance_id: int, version: int) -> str:
    """Generate ``version`` of the instance (see report_generation); progress in ``job.meta``.

    A failure is recorded on the instance (the last one leaves it ``failed`` with the reason)
    and re-raised, so that RQ retries it or keeps it in the failed registry.
    """
    job = get_current_job()
    owner = f"{job.id if job else 'inline'}:{uuid4().hex[:12]}"

    def progress(step: str) -> None:
        if job is not None:
            job.meta["progress"] = {"step": step, "percent": report_generation.STEPS[step]}
            job.save_meta()

    try:
        return report_generation.generate(instance_id, version, owner, progress)
    except report_generation.LeaseLost:
        db.session.rollback()
        return "taken over"
    except Exception as error:
        final = job is None or not job.retries_left
        report_generation.failed(instance_id, version, owner, error, final=final)
        raise


def schedule_reports() -> int:
    """Create the instances owed at the cut-offs that have come, and generate every one not yet
    generated (those planned ahead included). Returns how many generations were asked for."""
    reports.schedule()
    db.session.commit()
    due = reports.awaiting_generation()
    for instance in due:
        try:
            report_generation.request(instance, None)
        except reports.ReportError:  # another scheduler (or a user) started it first
            continue
        db.session.commit()
        try:
            report_generation.dispatch(instance)
        except report_generation.QueueUnavailable:
            pass  # recorded as not enqueued: the sweep sends it once Redis answers
    return len(due)


def sweep_reports() -> int:
    """Enqueue generations never enqueued or left by a dead worker (every minute, and at worker start)."""
    return report_generation.sweep()


def report_deadline_notices() -> int:
    """Remind preparers 3 days and 1 day before each deadline; mark reports overdue the day after."""
    sent = reports.remind() + reports.mark_overdue()
    db.session.commit()
    return sent
