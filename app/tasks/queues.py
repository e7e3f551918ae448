"""Redis and RQ: the shared client, and the one helper that enqueues jobs."""

from collections.abc import Callable

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry

DEFAULT_TIMEOUT = 600
RESULT_TTL = 24 * 3600
FAILURE_TTL = 7 * 24 * 3600


def init_redis(app: Flask) -> None:
    """Create the client lazily bound to REDIS_URL; no connection is made here."""
    app.extensions["redis"] = Redis.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
    )


def redis_client() -> Redis:
    return current_app.extensions["redis"]


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_client())


def enqueue(func: Callable, *args, queue: str = "default", job_id: str | None = None, **kwargs):
    """Enqueue ``func`` (a function object, never a dotted string) with ids as arguments.

    Applies the house timeouts, TTLs and three retries with backoff.
    :raises redis.exceptions.ConnectionError: when Redis is down; callers show a message.
    """
    return get_queue(queue).enqueue(
        func,
        args=args,
        job_id=job_id,
        job_timeout=DEFAULT_TIMEOUT,
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
        retry=Retry(max=3, interval=[10, 60, 300]),
        kwargs=kwargs,
    )
