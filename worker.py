"""RQ worker entry: create_app(), an app context around every job, Worker(...).work()."""

import sys

from rq import Worker

from app import create_app
from app.extensions import db
from app.tasks.queues import redis_client


class AppWorker(Worker):
    """Runs each job inside the application context, with a fresh DB pool after fork."""

    app = None

    def perform_job(self, job, queue):
        with self.app.app_context():
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


def main(argv: list[str]) -> None:
    app = create_app()
    AppWorker.app = app
    queues = argv or list(app.config["RQ_QUEUES"])
    with app.app_context():
        worker = AppWorker(queues, connection=redis_client())
    worker.work(with_scheduler=True)


if __name__ == "__main__":
    main(sys.argv[1:])
