"""Home page, language choice, numbers in the user's locale, and error pages."""

import pytest
from sqlalchemy import insert, select

from app.extensions import db as _db
from app.models import Household, ReviewRecord, User
from app.services.audit import utcnow
from tests.blueprints.helpers import bulk_households, is_full_page, location_path, parse
from tests.factories import reference_standard


def _lang(response) -> str | None:
    html = [e for e in parse(response).roots if e.tag == "html"]
    assert len(html) == 1, "not a full page"
    return html[0].attrs.get("lang")


def _switch(client, locale: str, next_: str = "/"):
    return client.post_form("/locale", {"locale": locale, "next": next_})


# -- language --------------------------------------------------------------------------------------


def test_vietnamese_is_the_default(world, client, login_as):
    assert _lang(client.get("/auth/login")) == "vi"
    assert _lang(login_as(world.users.staff).get("/")) == "vi"


def test_anonymous_visitor_switches_language_and_back(client):
    response = _switch(client, "en", "/auth/login")
    assert response.status_code in (302, 303)
    assert location_path(response) == "/auth/login"
    assert _lang(client.get("/auth/login")) == "en"
    _switch(client, "vi", "/auth/login")
    assert _lang(client.get("/auth/login")) == "vi"


def test_unknown_locale_is_ignored(client):
    _switch(client, "fr", "/auth/login")
    assert _lang(client.get("/auth/login")) == "vi"


def test_the_switch_form_is_on_every_page(world, client, login_as):
    for browser, url in ((client, "/auth/login"), (login_as(world.users.staff), "/households")):
        forms = [f for f in parse(browser.get(url)).find_all("form") if f.attrs.get("action") == "/locale"]
        assert len(forms) == 1
        values = {b.attrs.get("value") for b in forms[0].find_all("button", name="locale")}
        assert values == {"vi", "en"}
        assert forms[0].find_all("input", name="csrf_token")


def test_logged_in_choice_persists_in_the_user_row(world, db, login_as):
    client = login_as(world.users.staff_a)
    _switch(client, "en", "/households")
    assert _lang(client.get("/households")) == "en"
    assert db.session.scalars(select(User.locale).where(User.id == world.users.staff_a.id)).one() == "en"
    # another browser, another day: the choice follows the user
    assert _lang(login_as(world.users.staff_a).get("/")) == "en"
    _switch(client, "vi")
    assert db.session.scalars(select(User.locale).where(User.id == world.users.staff_a.id)).one() == "vi"
    assert _lang(client.get("/")) == "vi"


def test_english_user_sees_english_after_login(world, db, login_as):
    world.users.manager.locale = "en"
    db.session.commit()
    assert _lang(login_as(world.users.manager).get("/households")) == "en"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/x", "/\\evil.com"])
def test_locale_switch_does_not_redirect_off_site(client, target):
    response = _switch(client, "en", target)
    location = response.headers["Location"].replace("\\", "/")
    assert not location.startswith("//") and "://" not in location, location


# -- numbers in the locale -------------------------------------------------------------------------


def test_thousands_separator_follows_the_locale(world, login_as):
    bulk_households(world.village_a1, 1483, "SO")
    client = login_as(world.users.staff)
    count = parse(client.get("/households")).by_id("household-results").find_all("span")[0].text
    assert "1.486" in count
    _switch(client, "en")
    count = parse(client.get("/households")).by_id("household-results").find_all("span")[0].text
    assert "1,486" in count


def _official_reviews(world, poor: int, others: int) -> None:
    """Add households reviewed in 2019: ``poor`` poor by income, ``others`` not poor."""
    ids = bulk_households(world.village_a2, poor + others, "RV")
    standard = reference_standard("QD59-2015")
    now = utcnow()
    rows = [
        {
            "household_id": hid,
            "year": 2019,
            "kind": "official",
            "standard_id": standard.id,
            "unit_id": world.village_a2.id,
            "area": "rural",
            "income_per_month": 500_000 if i < poor else 2_000_000,
            "result": "poor" if i < poor else "not_poor",
            "criterion": "income" if i < poor else None,
            "created_at": now,
        }
        for i, hid in enumerate(ids)
    ]
    _db.session.execute(insert(ReviewRecord), rows)
    _db.session.commit()


def _figures(response) -> dict[str, str]:
    return {e.attrs["data-figure"]: e.text for e in parse(response).elements if "data-figure" in e.attrs}


def test_rates_render_with_the_locales_decimal_comma(world, login_as):
    # 3 world households (2 poor) + 72 more (11 poor): 13 of 75 = 17.33 %
    _official_reviews(world, poor=11, others=61)
    client = login_as(world.users.staff)
    figures = {
        e.attrs["data-figure"]: e.text for e in parse(client.get("/")).elements if "data-figure" in e.attrs
    }
    assert figures["households"] == "75"
    assert figures["poor"] == "13"
    assert figures["poor_rate"] == "17,33 %"
    assert client.get("/api/v1/stats").get_json()["poor_rate"] == 17.33
    _switch(client, "en")
    figures = {
        e.attrs["data-figure"]: e.text for e in parse(client.get("/")).elements if "data-figure" in e.attrs
    }
    assert figures["poor_rate"] == "17.33 %"


def test_big_counts_on_the_home_page(world, login_as):
    _official_reviews(world, poor=258, others=1225)
    figures = _figures(login_as(world.users.staff).get("/"))
    assert figures["households"] == "1.486"
    assert figures["poor"] == "260"
    assert figures["poor_rate"] == "17,50 %"


def test_home_page_without_reviews_shows_an_empty_state(world, db, login_as):
    db.session.execute(ReviewRecord.__table__.delete())
    db.session.commit()
    doc = parse(login_as(world.users.staff).get("/"))
    assert not [e for e in doc.elements if "data-figure" in e.attrs]
    assert [e for e in doc.elements if "empty" in (e.attrs.get("class") or "").split()]


# -- errors ----------------------------------------------------------------------------------------


def test_unknown_url_is_a_vietnamese_404_page(world, client, login_as):
    for browser in (client, login_as(world.users.staff)):
        response = browser.get("/khong/co/trang/nay")
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        assert _lang(response) == "vi"
        assert "404" in response.get_data(as_text=True)


def test_the_404_message_is_translated(world, login_as):
    client = login_as(world.users.staff)
    vietnamese = parse(client.get("/khong/co")).find_all("h1")[0].text
    _switch(client, "en")
    english = parse(client.get("/khong/co")).find_all("h1")[0].text
    assert vietnamese and english and vietnamese != english


def test_htmx_request_to_an_unknown_url_gets_an_alert_fragment(world, login_as):
    response = login_as(world.users.staff).htmx_get("/khong/co/trang/nay", target="household-results")
    assert response.status_code == 404
    assert not is_full_page(response)
    roots = parse(response).roots
    assert roots and roots[0].attrs.get("role") == "alert"


def test_unknown_api_url_is_json(world, login_as):
    response = login_as(world.users.staff).get("/api/v1/khong-co")
    assert response.status_code == 404
    assert response.is_json


@pytest.mark.parametrize("htmx", [False, True])
def test_wrong_method_is_405(world, login_as, htmx):
    client = login_as(world.users.staff)
    response = client.htmx_get("/auth/logout") if htmx else client.get("/auth/logout")
    assert response.status_code == 405
    assert is_full_page(response) is not htmx
    assert "POST" in response.headers.get("Allow", "")


def test_405_on_the_api_is_json(world, login_as):
    response = login_as(world.users.staff).post_form("/api/v1/households", {})
    assert response.status_code == 405
    assert response.is_json


def test_403_page_and_fragment(world, login_as):
    client = login_as(world.users.manager)
    page = client.get("/households/new")
    assert page.status_code == 403 and is_full_page(page)
    fragment = client.htmx_get("/households/new")
    assert fragment.status_code == 403 and not is_full_page(fragment)
    assert parse(fragment).alerts()


def test_error_pages_keep_the_users_language(world, login_as):
    client = login_as(world.users.staff)
    _switch(client, "en")
    assert _lang(client.get("/khong/co")) == "en"


def test_no_household_row_was_created_by_the_error_tests(db, world):
    assert db.session.scalars(select(Household.code)).all() == ["A-0001", "A-0002", "B-0001"]
