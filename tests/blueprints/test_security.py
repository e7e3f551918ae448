"""Security headers, the CSP and what it forbids in the markup, htmx configuration, size limits."""

import json

import pytest

from tests.blueprints.helpers import RULES, Html, build_url, csp, parse, rule_for

NO_STORE_URLS = [
    "/households",
    "/households?q=duc",
    "/households/{duc}",
    "/households/{duc}/members/{duc_member}",
    "/api/v1/households",
    "/api/v1/households/{duc}",
    "/api/v1/stats",
    "/api/v1/units",
    "/imports/",
]


def _ids(world) -> dict:
    return {"duc": world.households.duc.id, "duc_member": world.households.duc.members[0].id}


def _check_headers(response) -> None:
    policy = csp(response)
    assert policy, f"no CSP on {response.request.path}"
    everything = " ".join(" ".join(v) for v in policy.values())
    assert "'unsafe-eval'" not in everything
    assert "'unsafe-inline'" not in everything
    assert policy.get("frame-ancestors") == ["'none'"]
    assert "default-src" in policy
    for directive in ("script-src", "style-src"):
        sources = policy.get(directive, policy["default-src"])
        assert "*" not in sources and "data:" not in sources and "http:" not in sources, directive
    assert policy.get("object-src") == ["'none'"]
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    )


HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "household-results"}
HEADER_CASES = {
    "page": ("staff", "GET", "/", {}),
    "household list": ("staff", "GET", "/households", {}),
    "fragment": (
        "staff",
        "GET",
        "/households?q=duc",
        {"HX-Request": "true", "HX-Target": "household-results"},
    ),
    "member row fragment": ("staff", "GET", "/households/{duc}/members/{duc_member}", {"HX-Request": "true"}),
    "api": ("staff", "GET", "/api/v1/households", {}),
    "api detail": ("staff", "GET", "/api/v1/households/{duc}", {}),
    "api 401": (None, "GET", "/api/v1/households", {}),
    "api 404": ("staff", "GET", "/api/v1/households/999999", {}),
    "error page 404": ("staff", "GET", "/no/such/page", {}),
    "error fragment 404": ("staff", "GET", "/no/such/page", {"HX-Request": "true"}),
    "error 403": ("manager", "GET", "/admin/users", {}),
    "error 405": ("staff", "GET", "/auth/logout", {}),
    "csrf 400": ("staff", "POST", "/households/new", {}),
    "login page": (None, "GET", "/auth/login", {}),
    "login redirect": (None, "GET", "/households", {}),
    "healthz": (None, "GET", "/healthz", {}),
}


@pytest.mark.parametrize("case", HEADER_CASES.values(), ids=HEADER_CASES.keys())
def test_security_headers_everywhere(world, client, login_as, case):
    who, method, url, headers = case
    user = {"staff": world.users.staff, "manager": world.users.manager}.get(who)
    browser = login_as(user) if user else client
    response = browser.open(url.format(**_ids(world)), method=method, headers=headers)
    assert response.status_code < 500
    _check_headers(response)


@pytest.mark.parametrize("url", NO_STORE_URLS)
def test_personal_data_is_never_cached(world, login_as, url):
    client = login_as(world.users.staff)
    for headers in ({}, {"HX-Request": "true", "HX-Target": "household-results"}):
        response = client.get(url.format(**_ids(world)), headers=headers)
        assert response.status_code == 200
        directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
        assert "no-store" in directives, url
        assert "public" not in directives


#: GET routes that answer with a file, JSON or a redirect, not a page (tested where they are defined)
FILE_ENDPOINTS = (
    "static",
    "main.healthz",
    "tasks.evidence_file",
    "notifications.open_",
    "reports.download",
    "households.export",  # XLSX and CSV
    "tasks.export",
    "reviews.movements_export",
    "reviews.minutes_file",
    "reviews.round_export",
    "imports.template",  # the XLSX template
)


def _html_get_cases():
    cases = []
    for rule in RULES:
        if "GET" not in rule.methods or rule.endpoint in FILE_ENDPOINTS:
            continue
        if rule.rule.startswith("/api/"):
            continue
        cases.append(pytest.param(rule.rule, rule.endpoint, id=rule.rule))
    return cases


def _element_problems(element) -> list[str]:
    if element.tag == "style":
        return ["inline <style> element"]
    if element.tag != "script":
        return []
    src = element.attrs.get("src") or ""
    if not src:
        return [f"inline <script>: {element.text[:60]!r}"]
    return [] if src.startswith("/static/") else [f"script from elsewhere: {src}"]


EVAL_ATTRIBUTES = {
    "hx-vars": lambda v: True,
    "hx-vals": lambda v: v.strip().startswith(("js:", "javascript:")),
    "hx-trigger": lambda v: "[" in v,
}


def _attribute_problems(tag: str, name: str, value: str) -> list[str]:
    plain = name.removeprefix("data-")
    if name == "style":
        return [f"style= on <{tag}>"]
    if plain.startswith("hx-on"):
        return [f"{name} on <{tag}>"]
    if name.startswith("on"):
        return [f"event handler {name}= on <{tag}>"]
    if plain in EVAL_ATTRIBUTES and EVAL_ATTRIBUTES[plain](value):
        return [f"{name}={value!r} needs eval"]
    if name in ("href", "src", "action", "formaction") and value.strip().lower().startswith("javascript:"):
        return [f"javascript: URL in {name}"]
    return []


def _markup_problems(doc: Html) -> list[str]:
    """What the CSP (no inline script or style, no eval) would break or forbid."""
    problems = []
    for element in doc.elements:
        problems += _element_problems(element)
        for name, value in element.attrs.items():
            problems += _attribute_problems(element.tag, name, value or "")
    return problems


@pytest.mark.parametrize(("rule_text", "endpoint"), _html_get_cases())
def test_rendered_pages_obey_the_csp(app, world, client, login_as, rule_text, endpoint):
    if endpoint != "auth.login":  # the login form is for anonymous users only
        client = login_as(world.users.admin)
    url = build_url(app, world, rule_for(app, rule_text, endpoint))
    for headers in ({}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Target": "household-results"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, headers, response.status_code)
        assert response.mimetype == "text/html"
        assert _markup_problems(parse(response)) == [], (url, headers)


@pytest.mark.parametrize(
    ("who", "url", "headers"),
    [
        (None, "/auth/login", {}),
        ("staff", "/no/such/page", {}),
        ("staff", "/no/such/page", {"HX-Request": "true"}),
        ("staff", "/households?q=zzzz", {"HX-Request": "true", "HX-Target": "household-results"}),
        ("staff", "/households/new", {}),
    ],
)
def test_other_rendered_markup_obeys_the_csp(world, client, login_as, who, url, headers):
    browser = login_as(world.users.staff) if who else client
    response = browser.get(url, headers=headers)
    assert _markup_problems(parse(response)) == []


def test_markup_check_is_able_to_fail():
    bad = Html(
        '<script>alert(1)</script><div style="color:red" hx-on:click="x()" onclick="y()"></div>'
        '<a href="javascript:alert(1)">x</a><script src="https://cdn.example/htmx.js"></script>'
    )
    assert len(_markup_problems(bad)) == 6


@pytest.mark.parametrize(("who", "url"), [(None, "/auth/login"), ("staff", "/"), ("staff", "/households")])
def test_htmx_is_configured_without_eval_and_without_history_cache(world, client, login_as, who, url):
    browser = login_as(world.users.staff) if who else client
    doc = parse(browser.get(url))
    metas = doc.find_all("meta", name="htmx-config")
    assert len(metas) == 1
    config = json.loads(metas[0].attrs["content"])
    assert config["allowEval"] is False
    assert config["historyCacheSize"] == 0
    assert config.get("allowScriptTags") is False
    assert config.get("selfRequestsOnly", True) is True
    scripts = [s.attrs["src"] for s in doc.find_all("script")]
    assert any(src.startswith("/static/") and "htmx" in src for src in scripts), scripts


def test_htmx_requests_carry_the_csrf_token_in_a_header(world, login_as):
    client = login_as(world.users.staff)
    body = parse(client.get("/households")).find_all("body")[0]
    headers = json.loads(body.attrs["hx-headers"])
    assert headers["X-CSRFToken"]


def test_max_content_length_is_set(app):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024


@pytest.mark.parametrize(("who", "url"), [("staff", "/households/new"), (None, "/auth/login")])
def test_a_too_large_post_answers_413(app, world, client, login_as, who, url):
    browser = login_as(world.users.staff) if who else client
    body = b"head_name=" + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = browser.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    _check_headers(response)
