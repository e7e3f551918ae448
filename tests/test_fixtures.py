from sqlalchemy import func, select

from app.models import Household


def test_world_builds_and_is_emptied_between_tests(world, db):
    assert db.session.scalar(select(func.count(Household.id))) == 3


def test_database_starts_empty(app, db):
    assert db.session.scalar(select(func.count(Household.id))) == 0


def test_login_as_gives_a_logged_in_client(world, login_as):
    client = login_as(world.users.staff_a)
    assert client.get("/").status_code == 200
