"""Benchmark of the support tasks at province scale: "My tasks", the task list, the status change.

    .venv/bin/python -m bench.tasks [--households N] [--tasks N] [--db sqlite|URL] [--keep] [--reuse]

Builds the registry with about 60,000 support tasks (bench/build.py, the demo's task generator),
serves the app with gunicorn (2 workers, ``bench.floor_app:app``) on the demo's fixed day
(``APP_TODAY``), and measures with concurrent connections a supervisor's "My tasks" page with
its filters and groupings, the supervisor's inline status changes (htmx posts, each a move the
workflow allows, from the task's current version), the filtered task list of the province
manager and of a commune user, and a floor route: p50 / p95 latency and requests per second.
Goals are printed as PASS / MISS, never asserted. See bench/README.md.
"""

import argparse
import os
import random
import re
import sys
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import SupportTask, TaskType, User
from app.services import scope
from app.services import tasks as task_service
from app.services.demo import AS_OF, BLOCKED_REASONS
from bench.database import OUT_DIR, database_url
from bench.load import Request, Response, Result, Scenario
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

PAGES = ("mine", "list", "status", "floor")
GOALS = [
    ("status", "p95", "<", 100.0, "p95 < 100 ms"),
    ("mine", "p95", "<", 200.0, "p95 < 200 ms"),
    ("list", "p95", "<", 200.0, "p95 < 200 ms"),
]
#: The moves the bench makes, each allowed to a supervisor: a task goes planned → in progress,
#: then back and forth between in progress and blocked.
NEXT = {"planned": "in_progress", "in_progress": "blocked", "blocked": "in_progress"}
#: "My tasks" as a supervisor looks at it: the page's filters, groupings and sorts
MINE_VIEWS = [
    {},
    {"due": "overdue"},
    {"due": "soon"},
    {"status": "in_progress"},
    {"status": "planned"},
    {"group": "household"},
    {"group": "due"},
    {"sort": "-due"},
    {"sort": "status"},
    {"type": None},  # a type of the supervisor's tasks
]
#: The task list's filters (None: a value drawn for the user); each request adds a random page
LIST_FILTERS = [
    {},
    {"status": None},
    {"due": "overdue"},
    {"due": "soon"},
    {"type": None},
    {"unit": None},
    {"unit": None, "status": None},
    {"unit": None, "due": "overdue"},
    {"status": None, "type": None},
]
STATUSES = ("planned", "in_progress", "done", "blocked", "cancelled")
UNITS_PER_USER = 6
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
STATUS_RE = re.compile(r'class="badge badge-task-([a-z_]+)"')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.tasks", description=__doc__.split("\n\n")[0])
    common_options(parser)
    parser.add_argument("--tasks", type=int, default=60_000, help="support tasks to build (about)")
    parser.add_argument(
        "--supervisors", nargs="+", default=["supervisor.camgiang"], help="for My tasks and status changes"
    )
    parser.add_argument("--users", nargs="+", default=["manager", "staff.camgiang"], help="for the task list")
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=PAGES, help="pages to measure")
    parser.add_argument("--moving", type=int, default=200, help="tasks the status changes cycle through")
    return parser.parse_args(argv)


def tasks_database_url(spec: str, households: int, tasks: int) -> str:
    """Beside the registry bench's database, under a name of its own (this one has tasks)."""
    url = make_url(database_url(spec, households))
    if spec == "sqlite":
        url = url.set(database=str(OUT_DIR / f"tasks-{households}-{tasks}.db"))
    elif url.get_backend_name() == "postgresql":
        url = url.set(database=f"{url.database}_tasks_{tasks}")
    return url.render_as_string(hide_password=False)


# -- test data ----------------------------------------------------------------------------------


@dataclass
class TaskSample:
    """What one user's requests are drawn from: views with their page counts, tasks to move."""

    username: str
    supervisor: bool
    in_scope: int
    views: list[tuple[dict, int]] = field(default_factory=list)  # (query, pages)
    moving: list[tuple[int, str, int]] = field(default_factory=list)  # (task id, status, version)


def task_filter(query: dict, mine: bool) -> task_service.TaskFilter:
    """The filter the list view reads from ``query`` (app/blueprints/tasks/views.py _filter_from)."""
    return task_service.TaskFilter(
        unit_id=query.get("unit"),
        status=query.get("status"),
        type_id=query.get("type"),
        overdue=query.get("due") == "overdue",
        due_soon=query.get("due") == "soon",
        mine=mine,
    )


class Sampler:
    """Draws a user's views (filled in from their scope) and counts each one's pages once."""

    def __init__(self, user: User, mine: bool, types: list[int], rng: random.Random):
        self.user, self.mine, self.types, self.rng = user, mine, types, rng
        self.pages: dict[tuple, int] = {}
        units = [u.id for u in scope.current_units_in_scope(user, ("commune", "town", "ward"), AS_OF)]
        self.units = rng.sample(units, min(UNITS_PER_USER, len(units)))

    def view(self, template: dict) -> tuple[dict, int]:
        drawn = {"status": STATUSES, "type": self.types, "unit": self.units}
        query = {k: self.rng.choice(drawn[k]) if v is None else v for k, v in template.items()}
        key = tuple(sorted((k, v) for k, v in query.items() if k in ("unit", "status", "type", "due")))
        if key not in self.pages:
            total = task_service.search_tasks(self.user, task_filter(query, self.mine), AS_OF).total
            self.pages[key] = max(1, -(-total // task_service.TaskFilter.per_page))
        return query, self.pages[key]


def sample_user(username: str, supervisor: bool, moving: int, seed: int) -> TaskSample:
    """A supervisor's views of "My tasks" and tasks to move; another user's task list views."""
    user = db.session.scalars(select(User).where(User.username == username)).one()
    rng = random.Random(f"{seed}-{username}")
    in_scope = scope.scope_clause(SupportTask, user)
    sample = TaskSample(
        username, supervisor, db.session.scalar(select(func.count(SupportTask.id)).where(in_scope))
    )
    if supervisor:
        flt = task_service.TaskFilter(mine=True, per_page=10**9)
        mine = task_service.search_tasks(user, flt, AS_OF).items
        types = {t.task_type_id for t in mine}
        movable = [
            (t.id, t.status, t.version)
            for t in mine
            if NEXT.get(t.status) in task_service.next_statuses(user, t)
        ]
        sample.moving = rng.sample(movable, min(moving, len(movable)))
    else:
        types = set(db.session.scalars(select(SupportTask.task_type_id).where(in_scope).distinct()))
    types = sorted(types) or list(db.session.scalars(select(TaskType.id).where(TaskType.active)))
    sampler = Sampler(user, supervisor, types, rng)
    templates = MINE_VIEWS if supervisor else LIST_FILTERS
    sample.views = [sampler.view(rng.choice(templates)) for _ in range(200)]
    return sample


def sample_all(args: argparse.Namespace) -> tuple[list[TaskSample], int]:
    samples = [sample_user(u, True, args.moving, args.seed) for u in args.supervisors]
    samples += [sample_user(u, False, args.moving, args.seed) for u in args.users]
    return samples, db.session.scalar(select(func.count(SupportTask.id)))


# -- the status changes -------------------------------------------------------------------------


class StatusFeed:
    """Status changes as htmx posts them from a row of "My tasks": ``NEXT`` of each task's status,
    from the version its last answer showed, with a reason where the move asks for one (the row
    that asks for it posts it). A task is never in two requests at once, so no change is stale."""

    def __init__(self, moving: list[tuple[int, str, int]], csrf_token: str, page_url: str, seed: int):
        self.idle = deque(moving)
        self.csrf_token, self.page_url = csrf_token, page_url
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.failures: Counter = Counter()
        self.first_failure = ""

    def take(self) -> Request:
        with self.lock:
            if not self.idle:
                raise RuntimeError("no task left to move (every one failed)")
            task_id, status, version = self.idle.popleft()
            reason = self.rng.choice(BLOCKED_REASONS)
        to = NEXT[status]
        form = {"csrf_token": self.csrf_token, "version": str(version), "counters": "mine", "status": to}
        if to == "blocked":
            form["reason"] = reason
        headers = {
            "HX-Request": "true",
            "HX-Target": f"task-{task_id}",
            "HX-Current-URL": self.page_url,
            "X-CSRFToken": self.csrf_token,
        }
        return Request("POST", f"/tasks/{task_id}/status", urlencode(form), headers)

    def settle(self, request: Request, response: Response | None) -> None:
        """Back in turn with the status and version of the row the answer holds (a failed one
        holds the current row too); without a row, the task leaves the cycle."""
        task_id = int(request.path.split("/")[2])
        row = response.body.decode(errors="replace") if response else ""
        version, status = VERSION_RE.search(row), STATUS_RE.search(row)
        with self.lock:
            if response is None or response.status != 200:
                self.failures[response.status if response else "no answer"] += 1
                self.first_failure = self.first_failure or f"{request.path}: {row[:300]!r}"
            if version and status and status.group(1) in NEXT:
                self.idle.append((task_id, status.group(1), int(version.group(1))))


# -- serving and measuring --------------------------------------------------------------------


def page_of(sample: TaskSample) -> str:
    return "/tasks/mine" if sample.supervisor else "/tasks"


def scenarios(sample: TaskSample, page_url: str, csrf_token: str, args: argparse.Namespace) -> list[Scenario]:
    """The user's list (a view and a random page of it per request), the supervisor's status
    changes, and the floor."""
    count = args.warmup + args.requests
    rng = random.Random(f"{args.seed}-{sample.username}-pages")
    user = sample.username
    paths = []
    for i in range(count):
        query, pages = sample.views[i % len(sample.views)]
        paths.append(f"{page_of(sample)}?{urlencode(query | {'page': rng.randint(1, pages)})}")
    made = [Scenario(user, "mine" if sample.supervisor else "list", paths)]
    if sample.supervisor:
        feed = StatusFeed(sample.moving, csrf_token, page_url, args.seed)
        made.append(Scenario(user, "status", ["/tasks/<id>/status"] * count, feed=feed))
    made.append(Scenario(user, "floor", [f"/_floor/{user}"] * count))
    return [s for s in made if s.name in args.pages]


def bench(services: Services, samples: list[TaskSample], args: argparse.Namespace) -> list[Result]:
    results = []
    for sample in samples:
        page = page_of(sample)
        client, size = log_in(services, sample.username, page)
        csrf_token = client.csrf_token(page)
        print(
            f"logged in as {sample.username}: {sample.in_scope:,} tasks in scope, {page} {size / 1024:.1f} KB"
            + (f", {len(sample.moving)} tasks to move" if sample.supervisor else "")
        )
        wanted = scenarios(sample, services.base_url + page, csrf_token, args)
        if any(s.feed for s in wanted) and len(sample.moving) < 2 * args.concurrency:
            raise RuntimeError(f"{sample.username} has {len(sample.moving)} tasks to move; too few")
        results += measure_all(services, client, wanted, args)
        for scenario in wanted:
            if scenario.feed and scenario.feed.failures:
                failures = ", ".join(f"{k} × {n}" for k, n in scenario.feed.failures.items())
                print(f"  status changes that failed: {failures}; first: {scenario.feed.first_failure}")
    return results


def report(results: list[Result], households: int, tasks: int, dialect: str, cpu: str) -> None:
    print()
    print(
        f"{households:,} households, {tasks:,} support tasks, {dialect}, today {AS_OF}; "
        f"app code {code_revision()}"
    )
    print(cpu)
    print_table(results, GOALS)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = tasks_database_url(args.db, args.households, args.tasks)
    os.environ["APP_TODAY"] = AS_OF.isoformat()  # the tasks are dated around the demo's day

    def run() -> None:
        prepare(url, args, tasks=args.tasks)
        (samples, tasks), dialect = read_database(url, lambda _app: sample_all(args))
        results, cpu = serve_and_measure(url, lambda services: bench(services, samples, args), args)
        report(results, args.households, tasks, dialect, cpu)

    return run_on(url, args, run)


if __name__ == "__main__":
    sys.exit(main())
