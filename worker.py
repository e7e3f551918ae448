"""RQ worker entry: create_app(), an app context around every job, SimpleWorker(...).work().

Usage: ``python worker.py [--burst] [--max-jobs N] [queue ...]`` (default queues: RQ_QUEUES).

Jobs run in the worker's own process (RQ's ``SimpleWorker``), not in a work horse forked per job:
the worker warms up once (WeasyPrint, Pango, the report fonts, each kind of report built and
printed), then every job finds those caches, its database connection and the page cache warm. A
forked horse paid ~80 ms per report for the fork, a new connection with a cold page cache and
copy-on-write faults on the inherited heap (bench/reports.py; a report's PDF takes 0.4–1.2 s).
What the fork gave is kept otherwise: a job past its timeout is stopped by SIGALRM (RQ's death
penalty); a worker that dies mid-generation leaves a lease that runs out, and the next worker's
sweep (at its start, and every minute) generates the report again; run.py restarts a worker that
exits. ``gc.freeze()`` keeps the collector from walking the warm heap on every collection.
"""

import argparse
import gc
import logging

from rq import SimpleWorker

from app import create_app
from app.extensions import db
from app.services import report_generation
from app.tasks.queues import redis_client


class AppWorker(SimpleWorker):
    """Runs each job inside the application context, in this process; the session ends with it."""

    app = None

    def perform_job(self, job, queue, *args, **kwargs):
        with self.app.app_context():
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="GiamNgheo RQ worker")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument(
        "--max-jobs",
        type=int,
        default=None,
        help="exit after this many jobs (its supervisor starts it again: what the jobs left in memory goes)",
    )
    parser.add_argument("queues", nargs="*")
    args = parser.parse_args(argv)
    app = create_app()
    AppWorker.app = app
    with app.app_context():
        worker = AppWorker(args.queues or list(app.config["RQ_QUEUES"]), connection=redis_client())
        # a worker that died mid-generation left a lease that has run out: hand its work on now
        report_generation.sweep()
        warm_up()
        db.session.remove()
    gc.freeze()
    worker.work(burst=args.burst, with_scheduler=not args.burst, max_jobs=args.max_jobs)


def warm_up() -> None:
    """Load the PDF machinery once, before the first job; without Pango the worker still runs
    the other jobs (a report generation then fails with the reason)."""
    try:
        report_generation.warm_up()
    except OSError as error:  # WeasyPrint could not load Pango
        logging.getLogger(__name__).warning("report PDFs unavailable: %s", error)


if __name__ == "__main__":
    main()
