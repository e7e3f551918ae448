"""Benchmark of the dashboard (the home page) at district and at province scale, beside the floor.

    .venv/bin/python -m bench.dashboard [--households N] [--tasks N] [--db sqlite|URL] [--keep] [--reuse]

Uses the support tasks bench's database (bench/build.py: the registry with its official reviews of
2018 and 2019 and about 60,000 support tasks; built once, ``--reuse`` keeps it), adds the article's
2020 targets to every district and commune, serves the app with gunicorn (2 workers,
``bench.floor_app:app``) on the demo's day (``APP_TODAY``), and measures with concurrent
connections each user's home page — the headline figures, every target's actual value, the
charts, the tasks, the overdue tasks by unit, the coverage, the reports and "my tasks" — as the
user first sees it and drilled into one of their units, and the user's floor route. Prints p50 /
p95 latency, requests per second and the ratio to the floor; goals as PASS / MISS, never
asserted: p95 < 150 ms at district scale, < 400 ms at province scale. See bench/README.md.
"""

import argparse
import os
import random
import sys
from decimal import Decimal

from sqlalchemy import delete, select

from app.extensions import db
from app.models import Target, User
from app.services import scope
from app.services.demo import AS_OF
from app.services.demo_reports import ARTICLE_TARGETS
from bench.load import Result, Scenario
from bench.registry import (
    code_revision,
    common_options,
    log_in,
    measure_all,
    prepare,
    print_table,
    read_database,
    run_on,
    serve_and_measure,
)
from bench.server import Services
from bench.tasks import tasks_database_url

PAGES = ("home", "drill", "floor")
#: (page, measure, comparison, threshold, label): the scenario's page names carry the scale
GOALS = [
    ("home-district", "p95", "<", 150.0, "p95 < 150 ms"),
    ("drill-district", "p95", "<", 150.0, "p95 < 150 ms"),
    ("home-province", "p95", "<", 400.0, "p95 < 400 ms"),
    ("drill-province", "p95", "<", 400.0, "p95 < 400 ms"),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.split("\n\n")[0])
    common_options(parser)
    parser.add_argument("--tasks", type=int, default=60_000, help="support tasks to build (about)")
    parser.add_argument(
        "--users",
        nargs="+",
        default=["manager", "manager.district", "staff.camgiang"],
        help="whose home pages (manager: the province once there is more than one district)",
    )
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=PAGES, help="pages to measure")
    return parser.parse_args(argv)


def add_targets() -> int:
    """The article's 2020 targets for every district and commune (replacing any 2020 targets)."""
    db.session.execute(delete(Target).where(Target.year == 2020))
    index = scope.unit_index()
    units = [u for u in index.units.values() if u.kind == "district" or u.is_commune_level]
    db.session.add_all(
        Target(year=2020, unit_id=unit.id, indicator=key, value=Decimal(value))
        for unit in units
        for key, value in ARTICLE_TARGETS.items()
    )
    db.session.commit()
    return len(units)


def sample(usernames: list[str], seed: int) -> list[tuple[str, str, list[str]]]:
    """For each user: the scale of their scope, and units to drill into (the children of their
    own unit: communes of a district, districts of a province)."""
    index = scope.unit_index()
    rng = random.Random(seed)
    found = []
    for username in usernames:
        user = db.session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            continue
        unit = index.units[user.scope_unit_id]
        scale = "province" if unit.kind == "province" else "district"
        children = [index.units[i] for i in index.children.get(unit.id, ())]
        codes = [c.code for c in children if c.is_valid_on(AS_OF)]
        found.append((username, scale, rng.sample(codes, min(6, len(codes)))))
    return found


def scenarios(username: str, scale: str, drill: list[str], args: argparse.Namespace) -> list[Scenario]:
    count = args.warmup + args.requests
    made = [Scenario(username, f"home-{scale}", ["/"] * count)]
    if drill:
        made.append(
            Scenario(username, f"drill-{scale}", [f"/?unit={drill[i % len(drill)]}" for i in range(count)])
        )
    made.append(Scenario(username, "floor", [f"/_floor/{username}"] * count))
    wanted = {"home": "home-", "drill": "drill-", "floor": "floor"}
    return [s for s in made if any(s.name.startswith(wanted[p]) for p in args.pages)]


def bench(
    services: Services, users: list[tuple[str, str, list[str]]], args: argparse.Namespace
) -> list[Result]:
    results = []
    for username, scale, drill in users:
        client, size = log_in(services, username, "/")
        print(
            f"logged in as {username} ({scale} scope): home page {size / 1024:.1f} KB; drilling into {drill}"
        )
        results += measure_all(services, client, scenarios(username, scale, drill, args), args)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = tasks_database_url(args.db, args.households, args.tasks)
    os.environ["APP_TODAY"] = AS_OF.isoformat()  # the tasks and targets are dated around the demo's day

    def run() -> None:
        prepare(url, args, tasks=args.tasks)
        (units, users), dialect = read_database(
            url, lambda _app: (add_targets(), sample(args.users, args.seed))
        )
        results, cpu = serve_and_measure(url, lambda services: bench(services, users, args), args)
        print()
        print(
            f"{args.households:,} households, ~{args.tasks:,} support tasks, 2020 targets for {units} units, "
            f"{dialect}, today {AS_OF}; app code {code_revision()}"
        )
        print(cpu)
        print_table(results, GOALS)

    return run_on(url, args, run)


if __name__ == "__main__":
    sys.exit(main())
