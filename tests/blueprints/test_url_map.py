"""Cross-cutting rules, parametrized over the URL map: every route needs a login, every POST a
CSRF token. A new route is covered the moment it is registered; only the exemptions are listed."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.models import AuditLog
from tests.blueprints.helpers import RULES, build_url, location_path, location_query, parse, rule_for

# Public by design: static files, the login form, the health probe and the language switch.
PUBLIC = {
    ("static", "GET"),
    ("auth.login", "GET"),
    ("auth.login", "POST"),
    ("main.healthz", "GET"),
    ("main.set_locale", "POST"),
}


def _cases(predicate):
    cases = []
    for rule in RULES:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if predicate(rule, method):
                cases.append(pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}"))
    return cases


LOGIN_CASES = _cases(lambda rule, method: (rule.endpoint, method) not in PUBLIC)
POST_CASES = _cases(lambda rule, method: method == "POST")
PUBLIC_CASES = _cases(lambda rule, method: (rule.endpoint, method) in PUBLIC and rule.endpoint != "static")


def _request(client, method: str, url: str, headers: dict | None = None):
    if method == "GET":
        return client.get(url, headers=headers)
    # A valid token of the anonymous session, so that only the login check can refuse.
    return client.post_form(url, {}, headers=headers)


def test_the_url_map_read_at_collection_is_the_fixture_apps(app):
    collected = {(r.rule, r.endpoint, frozenset(r.methods)) for r in RULES}
    live = {(r.rule, r.endpoint, frozenset(r.methods)) for r in app.url_map.iter_rules()}
    assert collected == live


def test_the_parametrization_covers_the_known_areas():
    endpoints = {case.values[1] for case in LOGIN_CASES}
    for blueprint in ("main.", "households.", "admin.", "api.", "auth."):
        assert any(e.startswith(blueprint) for e in endpoints), blueprint
    assert len(POST_CASES) >= 10


@pytest.mark.parametrize(("rule_text", "endpoint", "method"), LOGIN_CASES)
def test_every_route_requires_login(app, world, client, rule_text, endpoint, method):
    url = build_url(app, world, rule_for(app, rule_text, endpoint))
    response = _request(client, method, url)
    if url.startswith("/api/"):
        assert response.status_code == 401
        assert response.is_json
        assert "error" in response.get_json()
    else:
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        assert location_path(response) == "/auth/login"
        if method == "GET":
            assert location_query(response)["next"][0].split("?")[0] == url


@pytest.mark.parametrize(("rule_text", "endpoint", "method"), LOGIN_CASES)
def test_every_route_sends_htmx_to_login_with_hx_redirect(app, world, client, rule_text, endpoint, method):
    url = build_url(app, world, rule_for(app, rule_text, endpoint))
    response = _request(client, method, url, headers={"HX-Request": "true"})
    if url.startswith("/api/"):
        assert response.status_code == 401
        assert response.is_json
    else:
        # A 302 would be followed inside the swap and paint the login page into a table cell.
        assert response.status_code not in (200, 301, 302, 303)
        assert urlsplit(response.headers.get("HX-Redirect", "")).path == "/auth/login"


@pytest.mark.parametrize(("rule_text", "endpoint", "method"), PUBLIC_CASES)
def test_public_routes_answer_without_login(app, world, client, rule_text, endpoint, method):
    url = build_url(app, world, rule_for(app, rule_text, endpoint))
    if method == "GET":
        response = client.get(url)
        assert response.status_code in (200, 503)
    else:
        response = client.post_form(url, {})
        # The login form answers 422 to an empty form, the language switch redirects home.
        assert response.status_code in (302, 422)
    assert location_path(response) != "/auth/login"


@pytest.mark.parametrize(("rule_text", "endpoint", "method"), POST_CASES)
def test_every_post_without_csrf_token_is_refused_even_for_an_admin(
    app, db, world, login_as, rule_text, endpoint, method
):
    client = login_as(world.users.admin)
    url = build_url(app, world, rule_for(app, rule_text, endpoint))
    audit_rows = db.session.scalar(select(func.count(AuditLog.id)))
    response = client.post(url, data={"locale": "en", "active": "0", "name": "x"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(func.count(AuditLog.id))) == audit_rows
    assert client.get("/").status_code == 200, "a refused POST must leave the session alone"


@pytest.mark.parametrize(("rule_text", "endpoint", "method"), POST_CASES)
def test_every_htmx_post_with_a_forged_csrf_header_is_refused(
    app, world, login_as, rule_text, endpoint, method
):
    client = login_as(world.users.admin)
    url = build_url(app, world, rule_for(app, rule_text, endpoint))
    response = client.post(url, data={}, headers={"HX-Request": "true", "X-CSRFToken": "forged.token"})
    assert response.status_code == 400
    if not url.startswith("/api/"):
        doc = parse(response)
        assert not any(e.tag == "html" for e in doc.roots), "htmx gets an alert fragment, not a page"
        assert doc.alerts()
