"""Household views: list page vs fragment, active search, filters, sorting, pagination, the detail
page, create and edit with optimistic locking, role checks, and members edited inline."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import func, select, text

from app.models import AuditLog, Household, Member
from app.services import households as registry
from app.services.households import rebuild_search_text
from tests.blueprints.helpers import (
    TWELVE_DIGITS,
    add_member,
    browser_form,
    bulk_households,
    is_full_page,
    parse,
)
from tests.factories import make_organisation

CITIZEN_ID = "001203004567"
MASKED = "001******567"


def _codes(response) -> list[str]:
    """Household codes of the result table, in order."""
    results = parse(response).by_id("household-results")
    codes = []
    for tbody in results.find_all("tbody"):
        for row in tbody.find_all("tr"):
            codes.append(row.find_all("a")[0].text)  # the first link: the code (staff also get a checkbox)
    return codes


def _household_form(world, **changes) -> dict:
    data = {
        "head_name": "Triệu Thị Mai",
        "head_sex": "female",
        "head_birth_year": "1980",
        "ethnicity": "Dao",
        "unit_id": str(world.village_a1.id),
        "address": "Thôn Nà Pài, nhà số 12",
        "area": "rural",
        "phone": "0912345678",
        "notes": "",
        "code": "",
    }
    data.update(changes)
    return data


def _edit_form(world, household, version: str, **changes) -> dict:
    data = {
        "version": version,
        "code": household.code,
        "head_name": household.head_name,
        "ethnicity": household.ethnicity,
        "unit_id": str(household.unit_id),
        "address": household.address,
        "area": household.area,
        "phone": "",
        "notes": "",
    }
    data.update(changes)
    return data


def _member_form(**changes) -> dict:
    data = {
        "full_name": "Nguyễn Thị Hoa",
        "relation": "child",
        "sex": "female",
        "birth_year": "2010",
        "ethnicity": "Tày",
        "citizen_id": "",
        "occupation": "Học sinh",
        "health_insurance_card": "",
        "schooling": "in_school",
    }
    data.update(changes)
    return data


def _count(db, model) -> int:
    return db.session.scalar(select(func.count(model.id)))


# -- list: page or fragment ------------------------------------------------------------------------


def test_list_is_a_full_page(world, login_as):
    response = login_as(world.users.staff).get("/households")
    assert response.status_code == 200
    assert is_full_page(response)
    assert parse(response).has_id("household-results")
    assert "HX-Request" in response.headers.get("Vary", "")
    assert _codes(response) == ["A-0001", "A-0002", "B-0001"]


def test_active_search_gets_only_the_results_fragment(world, login_as):
    response = login_as(world.users.staff).htmx_get("/households?q=lan", target="household-results")
    assert response.status_code == 200
    assert not is_full_page(response)
    roots = parse(response).roots
    assert [r.id for r in roots] == ["household-results"]
    assert "HX-Request" in response.headers.get("Vary", "")
    assert _codes(response) == ["A-0002"]


@pytest.mark.parametrize(
    "headers",
    [
        {"HX-Request": "true", "HX-Boosted": "true"},
        {"HX-Request": "true", "HX-Target": "household-results", "HX-Boosted": "true"},
        {"HX-Request": "true", "HX-History-Restore-Request": "true"},
        {"HX-Request": "true", "HX-Target": "main"},
    ],
    ids=["boosted", "boosted-with-target", "history-restore", "other-target"],
)
def test_boosted_history_restore_and_other_targets_get_the_full_page(world, login_as, headers):
    response = login_as(world.users.staff).get("/households?q=lan", headers=headers)
    assert response.status_code == 200
    assert is_full_page(response)
    assert "HX-Request" in response.headers.get("Vary", "")
    assert _codes(response) == ["A-0002"]


# -- search, filters, sort, pagination ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("nguyen van duc", ["A-0001"]),
        ("NGUYỄN  văn   ĐỨC", ["A-0001"]),
        ("duc", ["A-0001"]),
        ("giang seo pao", ["B-0001"]),
        ("hoang lan", ["A-0002"]),
        ("a-0002", ["A-0002"]),
        ("khong ton tai", []),
        ("nguyen pao", []),
    ],
)
def test_search_ignores_accents_and_case(world, login_as, query, codes):
    response = login_as(world.users.staff).get("/households", query_string={"q": query})
    assert _codes(response) == codes


def test_search_finds_a_member_by_citizen_id(world, db, login_as):
    add_member(world.households.lan, "Hoàng Văn Tú", CITIZEN_ID)
    rebuild_search_text(world.households.lan)  # the service keeps it; the factory member needs it
    db.session.commit()
    response = login_as(world.users.staff).get("/households", query_string={"q": CITIZEN_ID})
    assert _codes(response) == ["A-0002"]


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        ({"status": "poor"}, ["A-0001", "B-0001"]),
        ({"status": "near_poor"}, ["A-0002"]),
        ({"criterion": "deprivation"}, ["B-0001"]),
        ({"criterion": "income"}, ["A-0001"]),
        ({"area": "urban"}, []),
        ({"unit": "{commune_b}"}, ["B-0001"]),
        ({"unit": "{village_a2}"}, ["A-0002"]),
        ({"unit": "{commune_a}", "status": "poor"}, ["A-0001"]),
        ({"status": "not-a-status"}, ["A-0001", "A-0002", "B-0001"]),
    ],
)
def test_filters_come_from_the_query_string(world, login_as, args, codes):
    ids = {
        "commune_a": world.commune_a.id,
        "commune_b": world.commune_b.id,
        "village_a2": world.village_a2.id,
    }
    query = {k: v.format(**ids) for k, v in args.items()}
    client = login_as(world.users.staff)
    assert _codes(client.get("/households", query_string=query)) == codes
    fragment = client.htmx_get("/households?" + urlencode(query), "household-results")
    assert _codes(fragment) == codes


@pytest.mark.parametrize(
    ("sort", "codes"),
    [
        ("code", ["A-0001", "A-0002", "B-0001"]),
        ("-code", ["B-0001", "A-0002", "A-0001"]),
        ("name", ["B-0001", "A-0002", "A-0001"]),
        ("-name", ["A-0001", "A-0002", "B-0001"]),
    ],
)
def test_sort_comes_from_the_query_string(world, login_as, sort, codes):
    response = login_as(world.users.staff).get("/households", query_string={"sort": sort})
    assert _codes(response) == codes


def test_sort_links_in_the_table_head_change_the_order(world, login_as):
    client = login_as(world.users.staff)
    first = client.get("/households?sort=code")
    head_links = parse(first).by_id("household-results").find_all("thead")[0].find_all("a")
    orders = {tuple(_codes(first))}
    for link in head_links:
        assert link.attrs["href"] == link.attrs["hx-get"]
        orders.add(tuple(_codes(client.get(link.attrs["href"]))))
    # code ascending, code descending (the link toggles), name ascending, status
    assert ("B-0001", "A-0002", "A-0001") in orders


def test_pagination_links_keep_the_query(world, login_as):
    bulk_households(world.village_a1, 30, "LV")
    client = login_as(world.users.staff)
    response = client.get("/households", query_string={"q": "lo van thu", "status": "other", "sort": "code"})
    assert len(_codes(response)) == 25
    doc = parse(response)
    nexts = [a for a in doc.find_all("a") if a.attrs.get("rel") == "next"]
    assert len(nexts) == 1
    href = nexts[0].attrs["href"]
    assert nexts[0].attrs["hx-get"] == href
    assert nexts[0].attrs["hx-target"] == "#household-results"
    query = parse_qs(urlsplit(href).query)
    assert query == {"q": ["lo van thu"], "status": ["other"], "sort": ["code"], "page": ["2"]}
    second = client.htmx_get(href, target="household-results")
    codes = _codes(second)
    assert codes == [f"LV-{i:05d}" for i in range(26, 31)]
    prevs = [a for a in parse(second).find_all("a") if a.attrs.get("rel") == "prev"]
    assert parse_qs(urlsplit(prevs[0].attrs["href"]).query)["q"] == ["lo van thu"]


def test_a_search_with_more_matches_than_it_counts_says_so(app, world, login_as):
    bulk_households(world.village_a1, 30, "LV")
    app.config["SEARCH_COUNT_LIMIT"] = 20
    client = login_as(world.users.staff)

    capped = client.htmx_get("/households?q=lo van thu", target="household-results")
    counted = client.htmx_get("/households?q=lo van thu 27", target="household-results")

    assert _codes(capped) == [f"LV-{i:05d}" for i in range(1, 21)]
    text = parse(capped).by_id("household-results").text
    assert "Hộ thứ 1–20 trong hơn 20 hộ khớp. Gõ thêm để thu hẹp tìm kiếm." in " ".join(text.split())
    assert not [a for a in parse(capped).find_all("a") if a.attrs.get("rel") == "next"]
    assert "Hộ thứ 1–1 trong tổng số 1 hộ" in " ".join(parse(counted).by_id("household-results").text.split())


def test_a_row_shows_village_commune_area_status_and_criterion(world, db, login_as):
    lan = world.households.lan
    lan.status, lan.status_year, lan.status_criterion = "poor", 2019, "income"
    pao = world.households.pao
    pao.status, pao.status_year, pao.status_criterion = "other", None, None  # as if never reviewed
    db.session.commit()

    doc = parse(login_as(world.users.staff).get("/households"))
    rows = {
        r.find_all("a")[0].text: r for r in doc.by_id("household-results").find_all("tbody")[0].find_all("tr")
    }
    cells = [" ".join(td.text.split()) for td in rows["A-0002"].find_all("td")][1:]  # after the checkbox
    link = rows["A-0002"].find_all("a")[0].attrs["href"]

    assert cells == [
        "A-0002",
        "Hoàng Thị Lan",
        "Tày",
        world.village_a2.name,
        world.commune_a.name,
        "Nông thôn",
        "Hộ nghèo 2019",
        "Thu nhập",
    ]
    assert link == f"/households/{lan.id}"
    assert " ".join(rows["B-0001"].find_all("td")[7].text.split()) == "Chưa rà soát"


# -- the list cache ---------------------------------------------------------------------------------


@pytest.fixture
def searches(monkeypatch):
    """Counts the list's queries: a page served from the cache runs none."""
    calls = []
    search = registry.search_households

    def counted(*args, **kwargs):
        calls.append(args[1])
        return search(*args, **kwargs)

    monkeypatch.setattr(registry, "search_households", counted)
    return calls


def without_csrf(page: bytes) -> bytes:
    """The page without its CSRF token: the layout signs it afresh with the time in seconds, so
    two requests a second apart differ there (the cached list is what is compared)."""
    token = re.search(rb'"X-CSRFToken": "([^"]+)"', page)
    return page.replace(token.group(1), b"<csrf>") if token else page


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_a_list_is_served_from_the_cache_until_the_registry_changes(world, db, login_as, searches, htmx):
    client = login_as(world.users.staff)

    def get(url):
        return client.htmx_get(url, target="household-results") if htmx else client.get(url)

    first, again = get("/households?status=poor"), get("/households?status=poor")
    assert without_csrf(first.data) == without_csrf(again.data) and len(searches) == 1
    assert is_full_page(again) != htmx

    # plain SQL, as another process or an import would write: the database's triggers see it
    db.session.execute(text("UPDATE households SET head_name = 'Nguyễn Văn Mới' WHERE code = 'A-0001'"))
    db.session.commit()
    changed = get("/households?status=poor")

    assert "Nguyễn Văn Mới" in changed.text and len(searches) == 2
    get("/households?status=poor&page=1")  # other arguments: another entry
    assert len(searches) == 3


def test_cached_lists_are_kept_apart_by_scope_and_language(world, login_as, searches):
    district, commune_a = login_as(world.users.staff), login_as(world.users.staff_a)

    assert _codes(district.get("/households")) == ["A-0001", "A-0002", "B-0001"]
    assert _codes(commune_a.get("/households")) == ["A-0001", "A-0002"]
    district.post_form("/locale", {"locale": "en"})
    english = district.get("/households")

    assert "Head of household" in english.text and len(searches) == 3


def test_a_renamed_village_shows_in_the_cached_list(world, db, login_as):
    client = login_as(world.users.staff)
    assert world.village_a1.name in client.get("/households").text

    world.village_a1.name = "Thôn Đổi Tên"
    db.session.commit()

    assert "Thôn Đổi Tên" in client.get("/households").text


@pytest.fixture
def no_registry_version(db):
    """The registry's counter row removed (it is never, but the list must not trust a missing one)."""
    version = db.session.scalar(text("SELECT version FROM data_versions WHERE name = 'registry'"))
    db.session.execute(text("DELETE FROM data_versions WHERE name = 'registry'"))
    db.session.commit()
    yield
    db.session.rollback()
    restore = "INSERT INTO data_versions (name, version) VALUES ('registry', :v)"
    db.session.execute(text(restore), {"v": version + 1})  # still above every key cached so far
    db.session.commit()


def test_without_a_registry_version_the_list_is_rendered_every_time(
    world, login_as, searches, no_registry_version
):
    client = login_as(world.users.staff)

    client.get("/households")
    client.get("/households")

    assert len(searches) == 2


def test_a_page_past_the_end_shows_the_last_page(world, login_as):
    response = login_as(world.users.staff).get("/households?page=99")
    assert response.status_code == 200
    assert _codes(response) == ["A-0001", "A-0002", "B-0001"]


@pytest.mark.parametrize("htmx", [False, True])
def test_empty_state_when_nothing_matches(world, login_as, htmx):
    client = login_as(world.users.staff)
    url = "/households?q=zzzz+khong+co"
    response = client.htmx_get(url, target="household-results") if htmx else client.get(url)
    assert response.status_code == 200
    results = parse(response).by_id("household-results")
    assert results.find_all("table") == []
    empty = [e for e in results.iter() if "empty" in (e.attrs.get("class") or "").split()]
    assert len(empty) == 1 and empty[0].text
    assert any(a.attrs.get("href") == "/households" for a in empty[0].find_all("a"))


# -- detail ---------------------------------------------------------------------------------------


def test_detail_shows_members_with_masked_citizen_ids(world, login_as):
    add_member(world.households.duc, "Nguyễn Thị Hoa", CITIZEN_ID)
    response = login_as(world.users.staff).get(f"/households/{world.households.duc.id}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert CITIZEN_ID not in body
    assert TWELVE_DIGITS.search(body) is None
    members = parse(response).by_id("members-body")
    rows = members.find_all("tr")
    assert len(rows) == 2
    assert MASKED in rows[1].text and "Nguyễn Thị Hoa" in rows[1].text


def test_member_row_fragment_masks_the_citizen_id(world, login_as):
    member = add_member(world.households.duc, "Nguyễn Thị Hoa", CITIZEN_ID)
    url = f"/households/{world.households.duc.id}/members/{member.id}"
    response = login_as(world.users.supervisor_a).htmx_get(url)
    assert response.status_code == 200
    assert [r.tag for r in parse(response).roots] == ["tr"]
    assert parse(response).roots[0].id == f"member-{member.id}"
    assert TWELVE_DIGITS.search(response.get_data(as_text=True)) is None
    assert MASKED in response.get_data(as_text=True)


def test_unknown_household_is_404(world, login_as):
    assert login_as(world.users.staff).get("/households/987654").status_code == 404


# -- create and edit ------------------------------------------------------------------------------


def test_staff_registers_a_household(world, db, login_as):
    client = login_as(world.users.staff_a)
    form = client.get("/households/new")
    assert form.status_code == 200
    before = _count(db, Household)
    response = client.post_form("/households/new", _household_form(world))
    assert response.status_code == 302
    created = db.session.scalars(select(Household).where(Household.head_name == "Triệu Thị Mai")).one()
    assert urlsplit(response.headers["Location"]).path == f"/households/{created.id}"
    assert _count(db, Household) == before + 1
    assert created.code == "99901-0001"
    assert [(m.full_name, m.relation) for m in created.members] == [("Triệu Thị Mai", "head")]
    assert db.session.scalars(
        select(AuditLog).where(AuditLog.action == "create", AuditLog.object_id == created.id)
    ).first()
    assert "Triệu Thị Mai" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "bad_fields"),
    [
        ({"head_name": "", "address": ""}, {"head_name", "address"}),
        ({"unit_id": "{village_b1}"}, {"unit_id"}),
        ({"unit_id": "{commune_a}"}, {"unit_id"}),
        ({"code": "A-0002"}, {"code"}),
        ({"code": "bad code!"}, {"code"}),
        ({"head_birth_year": "1800"}, {"head_birth_year"}),
        ({"phone": "12345"}, {"phone"}),
    ],
    ids=["required", "village-outside-scope", "not-a-village", "code-taken", "code-format", "old", "phone"],
)
def test_household_validation_answers_422(world, db, login_as, changes, bad_fields):
    ids = {"village_b1": world.village_b1.id, "commune_a": world.commune_a.id}
    changes = {k: v.format(**ids) for k, v in changes.items()}
    before = _count(db, Household)
    response = login_as(world.users.staff_a).post_form("/households/new", _household_form(world, **changes))
    assert response.status_code == 422
    assert is_full_page(response)
    doc = parse(response)
    invalid = {e.attrs.get("name") for e in doc.elements if e.attrs.get("aria-invalid") == "true"}
    wrapped = {
        e.find_all()[0].attrs.get("for")
        for e in doc.find_all("div")
        if "has-error" in (e.attrs.get("class") or "") and e.find_all()
    }
    assert bad_fields <= invalid | wrapped, (invalid, wrapped)
    assert doc.find_all("div", **{"class": "error"}) or doc.alerts()
    assert _count(db, Household) == before


def _edit_page_form(client, household) -> dict[str, list[str]]:
    """The edit form as the browser would send it untouched."""
    page = parse(client.get(f"/households/{household.id}/edit"))
    forms = [f for f in page.find_all("form") if f.find_all(name="version")]
    assert len(forms) == 1
    return browser_form(forms[0])


def test_edit_saves_and_bumps_the_version(world, db, login_as):
    client = login_as(world.users.staff_a)
    duc = world.households.duc
    version = duc.version
    data = _edit_page_form(client, duc)
    assert data["version"] == [str(version)]
    data["address"] = ["Số 1"]
    response = client.post(f"/households/{duc.id}/edit", data=data)
    assert response.status_code == 302, parse(response).alerts()
    assert urlsplit(response.headers["Location"]).path == f"/households/{duc.id}"
    refreshed = db.session.get(Household, duc.id)
    assert refreshed.address == "Số 1"
    assert refreshed.version == version + 1


def test_edit_with_a_stale_version_answers_409_with_a_reload_link(world, db, login_as):
    duc = world.households.duc
    first, second = login_as(world.users.staff_a), login_as(world.users.staff)
    forms = [_edit_page_form(client, duc) for client in (first, second)]
    assert forms[0]["version"] == forms[1]["version"]

    saved = first.post(f"/households/{duc.id}/edit", data=forms[0] | {"address": ["Nhà 1"]})
    assert saved.status_code == 302, parse(saved).alerts()
    late = second.post(f"/households/{duc.id}/edit", data=forms[1] | {"address": ["Nhà 2"]})
    assert late.status_code == 409
    doc = parse(late)
    alerts = [e for e in doc.elements if e.attrs.get("role") == "alert"]
    assert alerts
    links = [a.attrs.get("href") for alert in alerts for a in alert.find_all("a")]
    assert f"/households/{duc.id}/edit" in links
    assert db.session.get(Household, duc.id).address == "Nhà 1"


EDITOR_ROUTES = [
    ("GET", "/households/new"),
    ("POST", "/households/new"),
    ("GET", "/households/{duc}/edit"),
    ("POST", "/households/{duc}/edit"),
    ("POST", "/households/{duc}/members"),
    ("GET", "/households/{duc}/members/{member}/edit"),
    ("POST", "/households/{duc}/members/{member}/edit"),
]


@pytest.mark.parametrize("role", ["supervisor_a", "manager"])
@pytest.mark.parametrize(("method", "url"), EDITOR_ROUTES, ids=[f"{m} {u}" for m, u in EDITOR_ROUTES])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_supervisors_and_managers_cannot_edit(world, db, login_as, role, method, url, htmx):
    duc = world.households.duc
    url = url.format(duc=duc.id, member=duc.members[0].id)
    client = login_as(getattr(world.users, role))
    headers = {"HX-Request": "true"} if htmx else {}
    before = (_count(db, Household), _count(db, Member), duc.version)
    if method == "GET":
        response = client.get(url, headers=headers)
    else:
        data = _member_form() if "members" in url else _household_form(world)
        response = client.post_form(url, data, headers=headers)
    assert response.status_code == 403
    assert is_full_page(response) is not htmx
    assert (_count(db, Household), _count(db, Member), db.session.get(Household, duc.id).version) == before


# -- members inline -------------------------------------------------------------------------------


def test_htmx_member_create_returns_the_row_and_a_fresh_form_out_of_band(world, db, login_as):
    duc = world.households.duc
    client = login_as(world.users.staff_a)
    response = client.post_form(
        f"/households/{duc.id}/members", _member_form(citizen_id=CITIZEN_ID), htmx=True
    )
    assert response.status_code == 200
    member = db.session.scalars(select(Member).where(Member.citizen_id == CITIZEN_ID)).one()
    doc = parse(response)
    rows = [r for r in doc.roots if r.tag == "tr"]
    assert [r.id for r in rows] == [f"member-{member.id}"]
    assert "Nguyễn Thị Hoa" in rows[0].text and MASKED in rows[0].text
    # at the top level, or wrapped in a top-level <template> (htmx 2 parses a <tr> answer in table
    # context, where a bare <form> would be dropped)
    top = doc.roots + [c for r in doc.roots if r.tag == "template" for c in r.children]
    forms = [e for e in top if e.id == "member-new"]
    assert len(forms) == 1 and forms[0].attrs.get("hx-swap-oob") == "true"
    name_input = forms[0].find_all("input", name="full_name")[0]
    assert not name_input.attrs.get("value"), "the fresh form is empty"
    assert TWELVE_DIGITS.search(response.get_data(as_text=True)) is None
    assert not is_full_page(response)


def test_member_create_without_htmx_redirects_to_the_detail_page(world, db, login_as):
    duc = world.households.duc
    response = login_as(world.users.staff_a).post_form(f"/households/{duc.id}/members", _member_form())
    assert response.status_code in (302, 303)
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/households/{duc.id}"
    assert len(db.session.get(Household, duc.id).members) == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"citizen_id": "00120300456"}, "citizen_id"),
        ({"citizen_id": "duplicate"}, "citizen_id"),
        ({"birth_year": "1800"}, "birth_year"),
        ({"full_name": ""}, "full_name"),
        ({"relation": "head"}, "relation"),
    ],
    ids=["11-digits", "duplicate", "born-1800", "no-name", "second-head"],
)
def test_invalid_member_answers_422_retargeted_to_the_form(world, db, login_as, changes, field):
    add_member(world.households.pao, "Giàng Thị Mỷ", CITIZEN_ID)
    if changes.get("citizen_id") == "duplicate":
        changes = {"citizen_id": CITIZEN_ID}
    duc = world.households.duc
    before = _count(db, Member)
    response = login_as(world.users.staff).post_form(
        f"/households/{duc.id}/members", _member_form(**changes), htmx=True
    )
    assert response.status_code == 422
    assert response.headers.get("HX-Retarget") == "#member-new"
    doc = parse(response)
    form = [r for r in doc.roots if r.tag == "form"]
    assert len(form) == 1 and form[0].id == "member-new"
    assert "hx-swap-oob" not in form[0].attrs
    marked = form[0].find_all(name=field)
    assert marked and (marked[0].attrs.get("aria-invalid") == "true"), field
    assert _count(db, Member) == before
    assert TWELVE_DIGITS.search(response.get_data(as_text=True)) is None or field == "citizen_id"


def test_invalid_member_without_htmx_renders_the_page_with_422(world, db, login_as):
    duc = world.households.duc
    response = login_as(world.users.staff).post_form(
        f"/households/{duc.id}/members", _member_form(birth_year="1800")
    )
    assert response.status_code == 422
    assert is_full_page(response)
    assert parse(response).by_id("member-new")


def _key(data: dict, field: str) -> str:
    """The submitted name of ``field`` (a form may prefix it, as the inline edit row does)."""
    keys = [k for k in data if k == field or k.endswith("-" + field)]
    assert len(keys) == 1, (field, list(data))
    return keys[0]


def _with(data: dict, **changes) -> dict:
    data = dict(data)
    for field, value in changes.items():
        data[_key(data, field)] = [value]
    return data


def test_member_edit_inline(world, db, login_as):
    member = add_member(world.households.duc, "Nguyễn Thị Hoa", CITIZEN_ID)
    client = login_as(world.users.staff_a)
    url = f"/households/{world.households.duc.id}/members/{member.id}/edit"

    editing = client.htmx_get(url)
    assert editing.status_code == 200
    doc = parse(editing)
    assert [r.tag for r in doc.roots] == ["tr"]
    assert doc.roots[0].id == f"member-{member.id}"
    row_data = browser_form(doc.roots[0])  # hx-include="closest tr"
    assert row_data[_key(row_data, "full_name")] == ["Nguyễn Thị Hoa"]
    assert row_data[_key(row_data, "birth_year")] == ["2005"]

    # htmx sends the token in the X-CSRFToken header (hx-headers on <body>), not in the row
    saved = client.post(
        url,
        data=_with(row_data, full_name="Nguyễn Thị Hòa"),
        headers={"HX-Request": "true", "X-CSRFToken": client.csrf},
    )
    assert saved.status_code == 200
    row = parse(saved).roots
    assert [r.tag for r in row] == ["tr"] and row[0].id == f"member-{member.id}"
    assert row[0].find_all("input") == []
    assert "Nguyễn Thị Hòa" in row[0].text
    saved_member = db.session.get(Member, member.id)
    assert (saved_member.full_name, saved_member.citizen_id) == ("Nguyễn Thị Hòa", CITIZEN_ID)

    cancelled = client.htmx_get(f"/households/{world.households.duc.id}/members/{member.id}")
    assert parse(cancelled).roots[0].id == f"member-{member.id}"


def test_member_edit_inline_invalid_stays_in_the_row_with_422(world, db, login_as):
    member = add_member(world.households.duc, "Nguyễn Thị Hoa")
    client = login_as(world.users.staff_a)
    url = f"/households/{world.households.duc.id}/members/{member.id}/edit"
    row_data = browser_form(parse(client.htmx_get(url)).roots[0])
    response = client.post(
        url,
        data=_with(row_data, birth_year="1800"),
        headers={"HX-Request": "true", "X-CSRFToken": client.csrf},
    )
    assert response.status_code == 422
    roots = [r for r in parse(response).roots if r.tag == "tr"]
    assert len(roots) == 1 and roots[0].id == f"member-{member.id}"
    invalid = [i for i in roots[0].find_all("input") if i.attrs.get("name") == _key(row_data, "birth_year")]
    assert invalid and invalid[0].attrs.get("value") == "1800"
    assert "has-error" in " ".join((e.attrs.get("class") or "") for e in roots[0].iter())
    assert db.session.get(Member, member.id).birth_year == 2005


def test_member_edit_without_htmx_is_a_page_and_redirects(world, db, login_as):
    member = add_member(world.households.duc, "Nguyễn Thị Hoa")
    client = login_as(world.users.staff_a)
    url = f"/households/{world.households.duc.id}/members/{member.id}/edit"
    page = client.get(url)
    assert page.status_code == 200
    assert is_full_page(page)
    forms = [
        f for f in parse(page).find_all("form") if f.attrs.get("method") == "post" and f.find_all("select")
    ]
    assert len(forms) == 1
    saved = client.post(url, data=_with(browser_form(forms[0]), full_name="Nguyễn Thị Hồng"))
    assert saved.status_code in (302, 303)
    assert urlsplit(saved.headers["Location"]).path == f"/households/{world.households.duc.id}"
    assert db.session.get(Member, member.id).full_name == "Nguyễn Thị Hồng"


def test_member_of_another_household_is_404(world, login_as):
    lan_member = world.households.lan.members[0]
    url = f"/households/{world.households.duc.id}/members/{lan_member.id}"
    client = login_as(world.users.staff)
    assert client.htmx_get(url).status_code == 404
    assert client.htmx_get(url + "/edit").status_code == 404


def test_member_number_ids_in_rows_are_unique_in_the_detail_page(world, login_as):
    add_member(world.households.duc, "Nguyễn Thị Hoa")
    add_member(world.households.duc, "Nguyễn Văn Nam", relation="child", sex="male")
    body = login_as(world.users.staff).get(f"/households/{world.households.duc.id}").get_data(as_text=True)
    ids = re.findall(r'id="(member-\d+)"', body)
    assert len(ids) == 3 and len(set(ids)) == 3


@pytest.mark.parametrize(
    ("role", "can_edit"), [("staff_a", True), ("supervisor_a", False), ("manager", False)]
)
def test_edit_controls_only_for_editors(world, login_as, role, can_edit):
    duc = world.households.duc
    client = login_as(getattr(world.users, role))
    doc = parse(client.get(f"/households/{duc.id}"))
    hrefs = {a.attrs.get("href") for a in doc.find_all("a")}
    assert (f"/households/{duc.id}/edit" in hrefs) is can_edit
    assert doc.has_id("member-new") is can_edit
    member_url = f"/households/{duc.id}/members/{duc.members[0].id}"
    row = parse(client.htmx_get(member_url)).roots[0]
    assert bool([a for a in row.find_all("a") if a.attrs.get("href") == member_url + "/edit"]) is can_edit
    listing = {a.attrs.get("href") for a in parse(client.get("/households")).find_all("a")}
    assert ("/households/new" in listing) is can_edit


# -- responsibility ---------------------------------------------------------------------------------


def _active_officer(db, household):
    from app.models import Assignment

    row = db.session.scalars(
        select(Assignment).where(Assignment.household_id == household.id, Assignment.end_date.is_(None))
    ).one_or_none()
    return row.officer_id if row else None


def test_staff_assign_the_ticked_households(world, db, login_as):
    client = login_as(world.users.staff)
    listing = parse(client.get("/households"))
    boxes = [i for i in listing.find_all("input") if i.attrs.get("name") == "id"]
    assert len(boxes) == 3 and all(b.attrs.get("form") == "bulk-form" for b in boxes)

    ids = [world.households.duc.id, world.households.lan.id]
    page = client.get("/households/assign?" + urlencode([("id", i) for i in ids]))
    assert page.status_code == 200 and "2 hộ" in page.text

    data = {"id": ids, "organisation_id": world.organisations.a.id, "officer_id": world.users.supervisor_a.id}
    done = client.post_form("/households/assign", data)

    assert done.status_code == 302
    assert [_active_officer(db, world.households.duc), _active_officer(db, world.households.lan)] == [
        world.users.supervisor_a.id
    ] * 2
    assert "2 hộ được phân công" in client.get(done.headers["Location"]).text


def test_assign_all_that_match_the_filter(world, db, login_as):
    client = login_as(world.users.staff)
    query = "all=1&status=poor"
    page = client.get(f"/households/assign?{query}")
    assert (
        page.status_code == 200
        and "A-0001" in page.text
        and "B-0001" in page.text
        and "A-0002" not in page.text
    )

    org_d = make_organisation(world.district, "Phòng LĐ-TB&XH huyện")
    db.session.commit()
    done = client.post_form(f"/households/assign?{query}", {"organisation_id": org_d.id})

    assert done.status_code == 302 and "status=poor" in done.headers["Location"]
    assert _active_officer(db, world.households.duc) is None  # the organisation follows, no officer yet
    from app.models import Assignment

    followed = db.session.scalars(select(Assignment.household_id).where(Assignment.end_date.is_(None))).all()
    assert sorted(followed) == sorted([world.households.duc.id, world.households.pao.id])


def test_a_handover_without_a_reason_answers_422_and_changes_nothing(world, db, login_as):
    client = login_as(world.users.staff_a)
    duc = world.households.duc
    first = {
        "id": [duc.id],
        "organisation_id": world.organisations.a.id,
        "officer_id": world.users.supervisor_a.id,
    }
    assert client.post_form("/households/assign", first).status_code == 302

    again = client.post_form("/households/assign", first | {"officer_id": world.users.staff_a.id})

    assert again.status_code == 422 and "lý do bàn giao" in again.text
    assert _active_officer(db, duc) == world.users.supervisor_a.id


@pytest.mark.parametrize("role", ["supervisor_a", "manager"])
def test_only_staff_and_admins_assign(world, login_as, role):
    response = login_as(getattr(world.users, role)).get(f"/households/assign?id={world.households.duc.id}")
    assert response.status_code == 403


def test_assigning_another_communes_household_is_refused(world, login_as):
    client = login_as(world.users.staff_a)
    data = {"id": [world.households.pao.id], "organisation_id": world.organisations.a.id}
    response = client.post_form("/households/assign", data)
    assert response.status_code == 422 and "ngoài địa bàn" in response.text


def test_nothing_selected_says_so(world, login_as):
    response = login_as(world.users.staff).get("/households/assign")
    assert response.status_code == 200 and "Hãy chọn ít nhất một hộ." in response.text
    assert '<form class="card"' not in response.text  # nothing to assign: no form


def test_the_household_page_shows_its_history(world, db, login_as):
    client = login_as(world.users.staff_a)
    duc = world.households.duc
    data = {"id": [duc.id], "organisation_id": world.organisations.a.id}
    assert client.post_form("/households/assign", data).status_code == 302

    history = parse(client.get(f"/households/{duc.id}")).by_id("history")

    assert "staff.a" in history.text and "đã phân công" in history.text.lower()


def test_a_task_for_each_selected_household_goes_to_whoever_follows_it(world, db, login_as):
    from app.models import SupportTask
    from tests.factories import make_assignment, task_type

    make_assignment(world.households.duc, world.organisations.a, world.users.supervisor_a)
    db.session.commit()
    client = login_as(world.users.staff_a)
    ids = [world.households.duc.id, world.households.lan.id]
    kind = task_type("HEALTH_CARD")

    refused = client.post_form(
        "/households/tasks", {"id": ids, "task_type_id": kind.id, "follow_assignment": "y"}
    )
    assert refused.status_code == 422  # Lan has nobody and no organisation was chosen
    assert db.session.scalars(select(SupportTask)).all() == []

    data = {
        "id": ids,
        "task_type_id": kind.id,
        "follow_assignment": "y",
        "organisation_id": world.organisations.a.id,
    }
    done = client.post_form("/households/tasks", data)

    assert done.status_code == 302
    made = {t.household_id: t for t in db.session.scalars(select(SupportTask))}
    assert made[world.households.duc.id].officer_id == world.users.supervisor_a.id
    assert made[world.households.lan.id].officer_id is None
    assert {t.title for t in made.values()} == {kind.name_vi}


def test_health_cards_for_every_poor_household_whose_members_lack_one(world, db, login_as):
    """The issue's example: filter the poor households of a commune with a member without a card,
    then one task each for all that match."""
    from app.models import SupportTask
    from tests.factories import make_household, make_review, task_type

    carded = make_household(world.village_a2, "Ma Văn Thẻ", code="A-0009")
    carded.members[0].health_insurance_card = "HN4060612345678"
    make_review(carded, 2019, "poor")
    db.session.commit()
    client = login_as(world.users.staff)
    query = f"status=poor&unit={world.commune_a.id}&gap=no_health_card"

    listed = parse(client.get(f"/households?{query}"))
    assert {td.text.strip() for td in listed.find_all("td", class_="code")} == {"A-0001"}  # not A-0009

    data = {"task_type_id": task_type("HEALTH_CARD").id, "organisation_id": world.organisations.a.id}
    done = client.post_form(f"/households/tasks?all=1&{query}", data)

    assert done.status_code == 302
    assert db.session.scalars(select(SupportTask.household_id)).all() == [world.households.duc.id]


def test_lists_filtered_by_who_follows_or_member_needs_are_never_stale(world, db, login_as):
    """Those filters read assignments and members, which the registry version does not cover,
    so the page cache must not keep them."""
    from tests.factories import make_assignment

    client = login_as(world.users.staff)

    def codes(query: str) -> set[str]:
        return {
            td.text.strip() for td in parse(client.get(f"/households?{query}")).find_all("td", class_="code")
        }

    assert codes("followed=unassigned") == {"A-0001", "A-0002", "B-0001"}
    assert codes("gap=no_health_card") == {"A-0001", "A-0002", "B-0001"}
    make_assignment(world.households.duc, world.organisations.a, world.users.supervisor_a)
    world.households.pao.members[0].health_insurance_card = "HN4060699999999"
    db.session.commit()

    assert codes("followed=unassigned") == {"A-0002", "B-0001"}
    assert codes("followed=assigned") == {"A-0001"}
    assert codes("gap=no_health_card") == {"A-0001", "A-0002"}
