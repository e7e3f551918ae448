"""RQ worker entry: create_app(), an app context around every job, Worker(...).work().

Usage: ``python worker.py [--burst] [queue ...]`` (default queues: RQ_QUEUES).

RQ forks a work horse per job; what the worker loads before it starts (WeasyPrint, Pango, the
report fonts) every horse then has for free, and ``gc.freeze()`` keeps each horse's collector
from walking (and copying) the heap it inherited.
"""

import argparse
import gc
import logging

from rq import Worker

from app import create_app
from app.extensions import db
from app.services import report_generation
from app.tasks.queues import redis_client


class AppWorker(Worker):
    """Runs each job inside the application context, with a fresh DB pool after fork."""

    app = None

    def perform_job(self, job, queue, *args, **kwargs):
        with self.app.app_context():
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="GiamNgheo RQ worker")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
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
    worker.work(burst=args.burst, with_scheduler=not args.burst)


def warm_up() -> None:
    """Load the PDF machinery once, before any fork; without Pango the worker still runs the
    other jobs (a report generation then fails with the reason)."""
    try:
        report_generation.warm_up()
    except OSError as error:  # WeasyPrint could not load Pango
        logging.getLogger(__name__).warning("report PDFs unavailable: %s", error)


if __name__ == "__main__":
    main()
