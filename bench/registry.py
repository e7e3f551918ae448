"""Benchmark of the household registry at district or province scale.

    .venv/bin/python -m bench.registry [--households N] [--db sqlite|URL] [--keep] [--reuse]

Builds the database through the real migrations (bench/build.py), serves the
app with gunicorn (2 workers, ``bench.floor_app:app``), logs in as the manager
and a commune user, and measures with concurrent connections the household
search, the filtered list, the household page, ``/api/v1/stats`` and a floor
route (a static page of the list's size): p50 / p95 latency, requests per
second, and throughput as a share of the floor's. Goals are printed as
PASS / MISS, never asserted. See bench/README.md.
"""

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote_plus

from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import Household, User
from app.services import scope
from app.services.demo import demo_password
from app.services.text import fold
from app.tasks.maintenance import analyze_database
from bench.build import RegistryBuilder, district_count
from bench.cpu import CpuMeter
from bench.database import (
    OUT_DIR,
    ROOT,
    bench_app,
    create_database,
    database_exists,
    database_url,
    drop_database,
    migrate,
)
from bench.load import Client, Result, Scenario, measure
from bench.server import Services

T = TypeVar("T")

PAGES = ("search", "list", "household", "stats", "floor")
HTMX_SEARCH = {"HX-Request": "true", "HX-Target": "household-results", "HX-Trigger": "q"}
# scale -> (page, measure, comparison, threshold, label)
GOALS = {
    "district": [
        ("search", "p95", "<", 100.0, "p95 < 100 ms"),
        ("list", "ratio", ">=", 0.4, "≥ 0.4 × floor"),
    ],
    "province": [
        ("search", "p95", "<", 250.0, "p95 < 250 ms"),
        ("stats", "p95", "<", 300.0, "p95 < 300 ms"),
    ],
}


def common_options(parser: argparse.ArgumentParser) -> None:
    """The options every bench has: the database, its build, the load and the server."""
    parser.add_argument("--households", type=int, default=100_000, help="8575 for district scale")
    parser.add_argument("--db", default="sqlite", help="sqlite (bench/out/) or a PostgreSQL URL")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="skip the build if the database exists (kept)")
    parser.add_argument("--requests", type=int, default=400, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per page at most")
    parser.add_argument(
        "--min-seconds", type=float, default=5.0, help="repeat a page's requests until it has run this long"
    )
    parser.add_argument("--seed", type=int, default=2019)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.registry", description=__doc__.split("\n\n")[0])
    common_options(parser)
    parser.add_argument("--users", nargs="+", default=["manager", "staff.camgiang"])
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=PAGES, help="pages to measure")
    return parser.parse_args(argv)


# -- build --------------------------------------------------------------------------------------


def build(url: str, households: int, seed: int, tasks: int = 0) -> None:
    """A fresh database at ``url``: the migrations, then ``RegistryBuilder`` (with about ``tasks``
    support tasks)."""
    began = time.perf_counter()
    create_database(url)
    app = bench_app(url)
    migrate(app)
    migrated = time.perf_counter() - began
    print(f"building {households:,} households in {district_count(households)} district(s) into {url}")
    with app.app_context():
        report = RegistryBuilder(households, tasks=tasks, seed=seed, log=print).run()
        analyzed = analyze()
        db.session.remove()
        db.engine.dispose()
    total = time.perf_counter() - began
    print(
        f"built {report.households:,} households, {report.members:,} members, {report.reviews:,} review "
        f"records, {report.units:,} units, {report.users} users"
        + (f", {report.tasks:,} support tasks, {report.notes:,} task notes" if tasks else "")
    )
    phases = {"create + migrate": migrated, **report.phases, "analyze": analyzed}
    print("build time: " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()) + f"; total {total:.1f} s")


def prepare(url: str, args: argparse.Namespace, tasks: int = 0) -> None:
    """Build the database, or with ``--reuse`` keep the one there (its migrations brought up to date)."""
    if args.reuse and database_exists(url):
        print(f"reusing {url} (migrations brought up to date, statistics refreshed)")
        app = bench_app(url)
        migrate(app)
        with app.app_context():
            analyze()
            db.session.remove()
            db.engine.dispose()
    else:
        build(url, args.households, args.seed, tasks)


def read_database(url: str, read: Callable[[Flask], T]) -> tuple[T, str]:
    """``read(app)`` inside the bench app's context (test data), and the database's dialect."""
    app = bench_app(url)
    with app.app_context():
        value = read(app)
        dialect = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()
    return value, dialect


def analyze() -> float:
    """The statistics the app keeps: PostgreSQL: VACUUM ANALYZE, as autovacuum does soon after a
    bulk load (statistics, and the visibility map that index-only scans need); SQLite: the app's
    nightly ``analyze_database`` job (app/tasks/maintenance.py), as the demo seed also runs it."""
    began = time.perf_counter()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        analyze_database()
    return time.perf_counter() - began


# -- test data ----------------------------------------------------------------------------------


@dataclass
class Sample:
    """What one user's requests are drawn from: households in scope and the poor list's pages."""

    username: str
    household_ids: list[int]
    head_names: list[str]
    poor_pages: int


def sample_user(username: str, per_page: int) -> Sample:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    rows = db.session.execute(
        select(Household.id, Household.head_name).where(scope.scope_clause(Household, user))
    ).all()
    poor = db.session.scalar(
        select(func.count(Household.id)).where(
            scope.scope_clause(Household, user), Household.status == "poor"
        )
    )
    return Sample(username, [r.id for r in rows], [r.head_name for r in rows], max(1, -(-poor // per_page)))


def fragment(name: str, rng: random.Random) -> str:
    """What someone types into active search: a word, two words, or a word and a half."""
    words = fold(name).split(" ")
    roll = rng.random()
    if roll < 0.35 or len(words) < 2:
        return rng.choice(words)
    i = rng.randrange(len(words) - 1)
    if roll < 0.7:
        return f"{words[i]} {words[i + 1]}"
    nxt = words[i + 1]
    return f"{words[i]} {nxt[: max(1, len(nxt) - rng.randint(0, 2))]}"


def scenarios(sample: Sample, count: int, seed: int) -> list[Scenario]:
    rng = random.Random(f"{seed}-{sample.username}")
    user = sample.username
    searches = [
        f"/households?q={quote_plus(fragment(rng.choice(sample.head_names), rng))}" for _ in range(count)
    ]
    return [
        Scenario(user, "search", searches, dict(HTMX_SEARCH, **{"HX-Current-URL": "/households"})),
        Scenario(
            user,
            "list",
            [f"/households?status=poor&page={rng.randint(1, sample.poor_pages)}" for _ in range(count)],
        ),
        Scenario(
            user, "household", [f"/households/{rng.choice(sample.household_ids)}" for _ in range(count)]
        ),
        Scenario(user, "stats", ["/api/v1/stats"] * count),
        Scenario(user, "floor", [f"/_floor/{user}"] * count),
    ]


# -- serving and measuring --------------------------------------------------------------------


def write_floor(client: Client, username: str, floor_dir: Path, path: str = "/households") -> int:
    """The user's full page at ``path``, pre-rendered, as the floor template; returns its size."""
    page = client.request("GET", path)
    if page.status != 200:
        raise RuntimeError(f"{path} for {username}: HTTP {page.status}")
    body = page.body.decode()
    if "{% endraw %}" in body:
        raise RuntimeError("the page contains {% endraw %}; cannot wrap it as a raw template")
    target = floor_dir / "bench_floor" / f"{username}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("{% raw %}" + body + "{% endraw %}", encoding="utf-8")
    return len(page.body)


def log_in(services: Services, username: str, floor_path: str = "/households") -> tuple[Client, int]:
    """A client logged in as ``username`` (the demo password), and the size of the floor page it
    wrote: that user's page at ``floor_path``."""
    client = Client(services.base_url)
    client.login(username, demo_password())
    return client, write_floor(client, username, services.floor_dir, floor_path)


def bench(services: Services, samples: list[Sample], args: argparse.Namespace) -> list[Result]:
    results = []
    for sample in samples:
        client, size = log_in(services, sample.username)
        print(
            f"logged in as {sample.username}: {len(sample.household_ids):,} households in scope, "
            f"/households {size / 1024:.1f} KB"
        )
        made = scenarios(sample, args.warmup + args.requests, args.seed)
        results += measure_all(services, client, [s for s in made if s.name in args.pages], args)
    return results


def measure_all(
    services: Services, client: Client, wanted: list[Scenario], args: argparse.Namespace
) -> list[Result]:
    """Each scenario in turn, with the logged-in ``client``'s cookies and the load options."""
    results = []
    for scenario in wanted:
        result = measure(
            services.base_url,
            client.cookies,
            scenario,
            warmup=args.warmup,
            concurrency=args.concurrency,
            time_limit=args.time_limit,
            min_seconds=args.min_seconds,
        )
        print(f"  {scenario.name:<10} {result.count} requests, p95 {result.percentile(0.95):.0f} ms")
        results.append(result)
    return results


# -- report ---------------------------------------------------------------------------------------


def scale_of(households: int) -> str:
    return "district" if households < 50_000 else "province"


def verdict(result: Result, ratio: float, goals: list[tuple]) -> str:
    marks = []
    for page, measure_name, comparison, threshold, label in goals:
        if page != result.scenario.name:
            continue
        value = result.percentile(0.95) if measure_name == "p95" else ratio
        ok = value < threshold if comparison == "<" else value >= threshold
        marks.append(f"{'PASS' if ok and not result.errors else 'MISS'} {label}")
    return "; ".join(marks)


def code_revision() -> str:
    """The commit measured, and whether app/ had uncommitted changes (others edit it meanwhile)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "app", "migrations"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return head + (" + uncommitted changes in app/ or migrations/" if dirty else "")


def report(results: list[Result], households: int, dialect: str, cpu: str) -> None:
    scale = scale_of(households)
    print()
    print(f"{households:,} households, {dialect}, goals of {scale} scale; app code {code_revision()}")
    cache = os.environ.get("PAGE_CACHE_SIZE", "512 (default)")
    print(f"page cache per worker: PAGE_CACHE_SIZE={cache}" + (" (off)" if cache.strip() == "0" else ""))
    print(cpu)
    print_table(results, GOALS[scale])


def print_table(results: list[Result], goals: list[tuple]) -> None:
    """p50 / p95, requests per second, the share of the user's floor, body size and goals; then the
    HTTP statuses of the requests that failed."""
    floors = {r.scenario.user: r.rps for r in results if r.scenario.name == "floor"}
    header = f"{'user':<20}{'page':<10}{'n':>5}{'err':>5}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}{'× floor':>9}"
    print(header + f"{'KB':>7}  goal")
    print("-" * (len(header) + 30))
    for result in results:
        ratio = result.rps / floors.get(result.scenario.user, math.nan)
        print(
            f"{result.scenario.user:<20}{result.scenario.name:<10}{result.count:>5}{result.errors:>5}"
            f"{result.percentile(0.5):>9.1f}{result.percentile(0.95):>9.1f}{result.rps:>8.1f}"
            f"{ratio:>9.2f}{result.mean_kb:>7.1f}  {verdict(result, ratio, goals)}"
        )
    for result in results:
        failed = {status: n for status, n in result.statuses.items() if status != 200}
        lost = result.errors - sum(failed.values())
        if failed or lost:
            statuses = ", ".join(f"HTTP {status} × {n}" for status, n in sorted(failed.items()))
            print(
                f"errors of {result.scenario.user} {result.scenario.name}: {statuses}"
                + (f"{', ' if statuses else ''}{lost} connection failures" if lost else "")
            )


def pg_database(url: str) -> str | None:
    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "postgresql" else None


def serve_and_measure(
    url: str, run: Callable[[Services], list[Result]], args: argparse.Namespace
) -> tuple[list[Result], str]:
    """Start Redis and gunicorn, ``run(services)``, stop them (also on Ctrl-C and errors); the
    results and what the CPU did meanwhile."""
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as floor_dir:
        meter = CpuMeter(pg_database(url))
        with Services(
            url, workers=args.workers, floor_dir=Path(floor_dir), log_dir=OUT_DIR / "logs"
        ) as services:
            services.start_redis()
            services.start_gunicorn()
            print(f"gunicorn -w {args.workers} on {services.base_url}, redis {services.redis_url}")
            results = run(services)
            meter.mark_backends()
        return results, meter.summary()


def run_on(url: str, args: argparse.Namespace, run: Callable[[], None]) -> int:
    """``run()`` a bench on the database ``url``, which is dropped afterwards unless ``--keep`` or
    ``--reuse``; the exit status (130 on Ctrl-C)."""
    try:
        run()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if not (args.keep or args.reuse):
            drop_database(url)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = database_url(args.db, args.households)

    def run() -> None:
        prepare(url, args)
        samples, dialect = read_database(
            url, lambda app: [sample_user(u, app.config["HOUSEHOLDS_PER_PAGE"]) for u in args.users]
        )
        results, cpu = serve_and_measure(url, lambda services: bench(services, samples, args), args)
        report(results, args.households, dialect, cpu)

    return run_on(url, args, run)


if __name__ == "__main__":
    sys.exit(main())
