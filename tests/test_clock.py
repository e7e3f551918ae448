"""The application's "today": real unless APP_TODAY fixes it, and the whole app follows it."""

from datetime import date, timedelta

import pytest

from app.services import clock
from tests.conftest import make_test_app
from tests.factories import make_task


def test_parse_today():
    assert clock.parse_today("2020-03-20") == date(2020, 3, 20)
    assert clock.parse_today(" 2020-03-20 ") == date(2020, 3, 20)
    assert clock.parse_today("") is None and clock.parse_today(None) is None
    with pytest.raises(RuntimeError, match="APP_TODAY"):
        clock.parse_today("20/03/2020")


def test_today_is_the_real_date_unless_fixed(app):
    assert clock.today() == date.today()
    app.config["TODAY"] = date(2020, 3, 20)
    try:
        assert clock.today() == date(2020, 3, 20)
    finally:
        app.config["TODAY"] = None


def test_a_malformed_app_today_stops_the_app(tmp_path, redis_url):
    with pytest.raises(RuntimeError, match="APP_TODAY"):
        make_test_app(f"sqlite:///{tmp_path / 'x.db'}", redis_url, APP_TODAY="soon")


def test_overdue_tasks_and_the_banner_follow_the_fixed_day(app, world, db, login_as):
    fixed = date(2020, 3, 20)
    make_task(world.households.duc, world.organisations.a, due=fixed - timedelta(days=1))
    make_task(world.households.lan, world.organisations.a, due=fixed + timedelta(days=1))
    db.session.commit()
    client = login_as(world.users.staff)

    real = client.get("/tasks")  # by the real date both 2020 deadlines are past
    assert real.text.count("row-overdue") == 2 and "clock-banner" not in real.text
    app.config["TODAY"] = fixed
    try:
        fixed_view = client.get("/tasks")
    finally:
        app.config["TODAY"] = None
    assert fixed_view.text.count("row-overdue") == 1 and fixed_view.text.count("row-soon") == 1
    assert "20/03/2020" in fixed_view.text and "clock-banner" in fixed_view.text
