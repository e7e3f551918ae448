"""Configuration: one typed environment read per line."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'giamngheo.db'}"
    )
    REDIS_URL: str = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    STORAGE_DIR: str = os.environ.get("STORAGE_DIR", str(BASE_DIR / "var" / "storage"))
    SESSION_COOKIE_SECURE: bool = _env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_LIFETIME_HOURS", "8")))
    MAX_CONTENT_LENGTH: int = int(os.environ.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024)))
    LOGIN_MAX_FAILURES: int = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCK_MINUTES: int = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))
    #: the queue report generations go to (a worker listens to RQ_QUEUES)
    REPORTS_QUEUE: str = os.environ.get("REPORTS_QUEUE", "reports")
    #: the queue XLSX imports are parsed and committed in
    IMPORTS_QUEUE: str = os.environ.get("IMPORTS_QUEUE", "imports")
    RQ_QUEUES: tuple[str, ...] = tuple(dict.fromkeys(("default", REPORTS_QUEUE, IMPORTS_QUEUE)))
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    HOUSEHOLDS_PER_PAGE = 25
    #: active search counts at most this many matches ("more than 1,000"); see search_households
    SEARCH_COUNT_LIMIT = 1000
    #: a fixed "today" (ISO date) for a demo snapshot; empty: the real date (app/services/clock.py)
    APP_TODAY: str | None = os.environ.get("APP_TODAY") or None
    #: rendered list pages kept per process (app/pagecache.py); 0 turns the cache off
    PAGE_CACHE_SIZE: int = int(os.environ.get("PAGE_CACHE_SIZE", "512"))

    #: the address pages are served at, for links in e-mails (the e-mail digest)
    APP_BASE_URL: str = os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000")
    #: the daily e-mail digest of unread notifications (app/services/digest.py); off when empty
    SMTP_HOST: str | None = os.environ.get("SMTP_HOST") or None
    SMTP_PORT: int = int(os.environ.get("SMTP_PORT", "587"))
    #: "starttls" (upgrade a plain connection), "ssl" (TLS from the start, port 465) or "none"
    SMTP_SECURITY: str = os.environ.get("SMTP_SECURITY", "starttls").strip().lower()
    SMTP_USERNAME: str | None = os.environ.get("SMTP_USERNAME") or None
    SMTP_PASSWORD: str | None = os.environ.get("SMTP_PASSWORD") or None
    SMTP_FROM: str = os.environ.get("SMTP_FROM", "GiamNgheo <no-reply@localhost>")
    SMTP_TIMEOUT: float = float(os.environ.get("SMTP_TIMEOUT", "30"))

    #: a report generation's hold on its instance (renewed at every step); a dead worker's lease
    #: runs out after this many seconds and the sweep hands the work to another worker
    REPORT_LEASE_SECONDS: int = int(os.environ.get("REPORT_LEASE_SECONDS", "120"))
    #: a pause between generation steps, in seconds (0 in use; tests set it to kill a worker mid-way)
    REPORT_STEP_PAUSE: float = float(os.environ.get("REPORT_STEP_PAUSE", "0"))
    #: a report's sections read side by side in this many threads (0 or 1: in turn)
    REPORT_SECTION_THREADS: int = int(os.environ.get("REPORT_SECTION_THREADS", "4"))

    #: hide_parameters: a failed statement's error (in a log, a failed job) never carries its values —
    #: citizen IDs, names — only the SQL
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "giamngheo_session"
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    #: in turn, in the test's session: a test's data is flushed, not committed, and other sessions
    #: would not see it (tests/tasks and the real workers read side by side)
    REPORT_SECTION_THREADS = 0
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = True
    SMTP_HOST = None  # tests that send mail start their own SMTP server and name it
