"""The bench builder (bench/build.py) makes a registry the app would have made: a tiny one here."""

from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.models import (
    AdminUnit,
    Assignment,
    Household,
    Member,
    PovertyStandard,
    ReviewRecord,
    SupportTask,
    Target,
    TaskNote,
    User,
    review_deprivations,
)
from app.services import tasks as task_service
from app.services.classification import Lines, classify
from app.services.demo import AS_OF
from app.services.demo_reports import ARTICLE_TARGETS
from app.services.households import rebuild_search_text
from app.services.reviews import status_from
from bench import dashboard as dashboard_bench
from bench.build import RegistryBuilder
from bench.load import Response
from bench.tasks import StatusFeed

HOUSEHOLDS = 300
TASKS = 150  # of the ~210 the demo's generator would give 300 households


@pytest.fixture
def built(db):
    report = RegistryBuilder(HOUSEHOLDS, tasks=TASKS, districts=2, seed=7).run()
    return report, db


def test_counts(built):
    report, db = built
    households = db.session.scalar(select(func.count(Household.id)))
    members = db.session.scalar(select(func.count(Member.id)))
    assert households == report.households == HOUSEHOLDS
    assert members == report.members
    assert 3.5 * HOUSEHOLDS <= members <= 4.5 * HOUSEHOLDS
    per_household = Counter(db.session.scalars(select(ReviewRecord.household_id)))
    assert len(per_household) == HOUSEHOLDS and set(per_household.values()) == {2}
    years = Counter(db.session.execute(select(ReviewRecord.year, ReviewRecord.kind)).all())
    assert years == {(2018, "official"): HOUSEHOLDS, (2019, "official"): HOUSEHOLDS}
    districts = db.session.scalars(select(AdminUnit.name).where(AdminUnit.kind == "district")).all()
    assert len(districts) == 2
    ids = [c for c in db.session.scalars(select(Member.citizen_id)) if c]
    assert len(ids) == len(set(ids))


def test_every_review_classifies_to_its_result(built):
    _, db = built
    standard = db.session.scalars(select(PovertyStandard).where(PovertyStandard.code == "QD59-2015")).one()
    lines = Lines.of(standard)
    deprived = dict(
        db.session.execute(
            select(review_deprivations.c.review_id, func.count()).group_by(review_deprivations.c.review_id)
        ).all()
    )
    reviews = db.session.scalars(select(ReviewRecord)).all()
    for review in reviews:
        verdict = classify(lines, review.area, review.income_per_month, deprived.get(review.id, 0))
        assert (verdict.result, verdict.criterion) == (review.result, review.criterion), review
    results = Counter(r.result for r in reviews if r.year == 2019)
    assert 0.1 < results["poor"] / HOUSEHOLDS < 0.25 and results["near_poor"] > 0


def test_status_and_search_text_as_the_app_keeps_them(built):
    _, db = built
    households = db.session.scalars(select(Household).options(selectinload(Household.members))).all()
    official: dict[int, list] = {}
    for r in db.session.scalars(select(ReviewRecord)):
        official.setdefault(r.household_id, []).append((r.year, r.result, r.criterion))
    for household in households:
        assert (household.status, household.status_criterion, household.status_year) == status_from(
            official[household.id]
        )
        expected = SimpleNamespace(
            code=household.code,
            head_name=household.head_name,
            address=household.address,
            members=household.members,
        )
        rebuild_search_text(expected)
        assert (household.search_text, household.sort_name) == (expected.search_text, expected.sort_name)
        assert household.members[0].relation == "head"


def test_managers_scope(built):
    _, db = built
    by_name = {u.username: u for u in db.session.scalars(select(User))}
    assert by_name["manager"].scope_unit.kind == "province"
    assert by_name["manager.district"].scope_unit.code == "063"
    assert by_name["staff.camgiang"].scope_unit.code == "02008"


def test_tasks_counts_and_statuses(built):
    report, db = built
    statuses = Counter(db.session.scalars(select(SupportTask.status)))
    assert sum(statuses.values()) == report.tasks
    assert 0.7 * TASKS <= report.tasks <= 1.3 * TASKS
    assert set(statuses) == {"planned", "in_progress", "done", "blocked", "cancelled"}
    assert db.session.scalar(select(func.count(TaskNote.id))) == report.notes > 0
    open_tasks = [t for t in db.session.scalars(select(SupportTask)) if t.is_open]
    assert any(t.is_overdue(AS_OF) for t in open_tasks)
    assert any(t.is_due_soon(AS_OF) for t in open_tasks)
    assert any(t.due_date > AS_OF + timedelta(days=7) for t in open_tasks)


def test_every_task_is_its_households_officers(built):
    _, db = built
    followed = {
        a.household_id: a for a in db.session.scalars(select(Assignment).where(Assignment.end_date.is_(None)))
    }
    units = {u.id: u for u in db.session.scalars(select(AdminUnit))}
    for task in db.session.scalars(select(SupportTask)):
        assignment = followed[task.household_id]
        assert (task.officer_id, task.organisation_id) == (assignment.officer_id, assignment.organisation_id)
        assert task.officer.role == "supervisor"
        assert task.officer.scope_unit_id == units[task.household.unit_id].parent_id
        assert task.household.status in ("poor", "near_poor")
        assert task.member_id is None or task.member.household_id == task.household_id
        assert all(note.created_at >= task.created_at for note in task.notes)


def test_supervisor_has_my_tasks(built):
    _, db = built
    supervisor = db.session.scalars(select(User).where(User.username == "supervisor.camgiang")).one()
    assert supervisor.role == "supervisor"
    page = task_service.search_tasks(supervisor, task_service.TaskFilter(mine=True), AS_OF)
    assert page.total > 0


def _row(task_id: int, status: str, version: int) -> Response:
    body = (
        f'<tr id="task-{task_id}"><td><span class="badge badge-task-{status}">x</span></td>'
        f'<td><input type="hidden" name="version" value="{version}"></td></tr>'
    )
    return Response(200, body.encode(), None)


def test_status_feed_moves_each_task_from_its_last_version():
    feed = StatusFeed([(1, "planned", 3), (2, "blocked", 1)], "token", "http://x/tasks/mine", seed=1)
    first, second = feed.take(), feed.take()
    assert (first.method, first.path) == ("POST", "/tasks/1/status")
    assert "version=3" in first.body and "status=in_progress" in first.body and "reason" not in first.body
    assert first.headers["HX-Target"] == "task-1" and first.headers["X-CSRFToken"] == "token"
    feed.settle(first, _row(1, "in_progress", 4))
    feed.settle(second, Response(409, b"", None))  # no row: the task leaves the cycle
    third = feed.take()
    assert third.path == "/tasks/1/status"
    assert "version=4" in third.body and "status=blocked" in third.body and "reason=" in third.body
    assert feed.failures == {409: 1} and not feed.idle


def test_the_dashboard_bench_sets_targets_and_draws_its_scenarios(built):
    """bench/dashboard.py: the article's targets on every district and commune, each user's scale
    and the units to drill into, and scenario names that the goals name (no server)."""
    _, db = built
    units = dashboard_bench.add_targets()
    assert db.session.scalar(select(func.count(Target.id))) == units * len(ARTICLE_TARGETS)
    assert units == db.session.scalar(
        select(func.count(AdminUnit.id)).where(AdminUnit.kind.in_(("district", "commune", "town", "ward")))
    )
    users = {
        name: (scale, drill)
        for name, scale, drill in dashboard_bench.sample(["manager", "staff.camgiang"], 7)
    }
    assert users["manager"][0] == "province" and len(users["manager"][1]) == 2  # the two districts
    assert users["staff.camgiang"][0] == "district" and users["staff.camgiang"][1]  # its villages
    args = SimpleNamespace(warmup=2, requests=3, pages=["home", "drill", "floor"])
    made = dashboard_bench.scenarios("manager", "province", users["manager"][1], args)
    assert [s.name for s in made] == ["home-province", "drill-province", "floor"]
    assert all(len(s.paths) == 5 for s in made)
    assert {s.name for s in made} - {"floor"} <= {goal[0] for goal in dashboard_bench.GOALS}
    assert [s.name for s in dashboard_bench.scenarios("x", "district", [], args)] == [
        "home-district",
        "floor",
    ]
