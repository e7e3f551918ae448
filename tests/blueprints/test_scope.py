"""Scope: a user sees their unit and everything beneath it, nothing else, everywhere; a record
outside scope answers 404, as a page, a fragment and through the API."""

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import AdminUnit, Organisation, User
from app.services.households import rebuild_search_text
from tests.blueprints.helpers import add_member, parse
from tests.factories import make_household, make_organisation, make_unit, make_user


def _codes(response) -> list[str]:
    results = parse(response).by_id("household-results")
    return [row.find_all("a")[0].text for tbody in results.find_all("tbody") for row in tbody.find_all("tr")]


def _pao_urls(world) -> dict[str, str]:
    pao = world.households.pao
    member = pao.members[0].id
    return {
        "detail": f"/households/{pao.id}",
        "edit": f"/households/{pao.id}/edit",
        "member row": f"/households/{pao.id}/members/{member}",
        "member edit": f"/households/{pao.id}/members/{member}/edit",
    }


@pytest.mark.parametrize("what", ["detail", "edit", "member row", "member edit"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_household_outside_scope_is_404(world, login_as, what, htmx):
    url = _pao_urls(world)[what]
    client = login_as(world.users.staff_a)
    response = client.htmx_get(url) if htmx else client.get(url)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Giàng Seo Pao" not in body and "B-0001" not in body


def test_the_same_urls_answer_inside_scope(world, login_as):
    """The 404s above are about scope, not broken URLs: staff.b, at commune B, gets them."""
    client = login_as(world.users.staff_b)
    for url in _pao_urls(world).values():
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/households/{pao}/edit", {"head_name": "Đổi tên", "address": "x"}),
        ("/households/{pao}/members", {"full_name": "Người lạ", "relation": "child", "birth_year": "2000"}),
        ("/households/{pao}/members/{member}/edit", {"full_name": "Người lạ", "birth_year": "2000"}),
    ],
)
def test_writes_outside_scope_are_404_and_change_nothing(world, db, login_as, url, data):
    pao = world.households.pao
    url = url.format(pao=pao.id, member=pao.members[0].id)
    version, members = pao.version, len(pao.members)
    for htmx in (False, True):
        response = login_as(world.users.staff_a).post_form(url, data, htmx=htmx)
        assert response.status_code == 404
    db.session.expire_all()
    pao = db.session.get(type(pao), pao.id)
    assert (pao.version, len(pao.members), pao.head_name) == (version, members, "Giàng Seo Pao")


def test_api_household_outside_scope_is_404(world, login_as):
    client = login_as(world.users.staff_a)
    response = client.get(f"/api/v1/households/{world.households.pao.id}")
    assert response.status_code == 404
    assert response.is_json
    assert "Giàng" not in response.get_data(as_text=True)
    assert client.get(f"/api/v1/households/{world.households.duc.id}").status_code == 200


def test_list_counts_only_the_users_subtree(world, login_as):
    assert _codes(login_as(world.users.staff_a).get("/households")) == ["A-0001", "A-0002"]
    assert _codes(login_as(world.users.staff_b).get("/households")) == ["B-0001"]
    assert _codes(login_as(world.users.staff).get("/households")) == ["A-0001", "A-0002", "B-0001"]


def test_search_does_not_reach_outside_scope(world, login_as):
    client = login_as(world.users.staff_a)
    assert _codes(client.get("/households?q=giang+seo+pao")) == []
    assert _codes(client.htmx_get("/households?q=giang+seo+pao", target="household-results")) == []
    api = client.get("/api/v1/households?q=giang+seo+pao").get_json()
    assert api["total"] == 0 and api["items"] == []


def test_search_by_a_citizen_id_outside_scope_finds_nothing(world, login_as):
    add_member(world.households.pao, "Giàng Thị Mỷ", "001203004567")
    rebuild_search_text(world.households.pao)
    _db.session.commit()
    assert _codes(login_as(world.users.staff_b).get("/households?q=001203004567")) == ["B-0001"]
    assert _codes(login_as(world.users.staff_a).get("/households?q=001203004567")) == []


def test_filtering_by_a_unit_outside_scope_shows_nothing_outside(world, login_as):
    client = login_as(world.users.staff_a)
    assert "B-0001" not in _codes(client.get(f"/households?unit={world.commune_b.id}"))
    assert client.get("/api/v1/households?unit=99902").status_code == 404


def test_api_lists_and_counts_only_the_subtree(world, login_as):
    client = login_as(world.users.staff_a)
    listing = client.get("/api/v1/households").get_json()
    assert listing["total"] == 2
    assert sorted(h["code"] for h in listing["items"]) == ["A-0001", "A-0002"]
    stats = client.get("/api/v1/stats").get_json()
    assert stats["households"] == 2
    assert stats["poor"] == 1 and stats["near_poor"] == 1
    assert stats["unit_code"] == "99901"


def test_stats_of_a_unit_outside_scope_is_404(world, login_as):
    client = login_as(world.users.staff_a)
    assert client.get("/api/v1/stats?unit=99902").status_code == 404
    assert client.get("/api/v1/stats?unit=999").status_code == 404
    assert client.get("/api/v1/stats?unit=99901-01").get_json()["households"] == 1


def test_api_units_lists_only_the_subtree(world, login_as):
    body = login_as(world.users.staff_a).get("/api/v1/units").get_json()
    assert sorted(u["code"] for u in body["items"]) == ["99901", "99901-01", "99901-02"]
    assert body["total"] == 3


def test_home_figures_count_only_the_subtree(world, login_as):
    doc = parse(login_as(world.users.staff_a).get("/"))
    figures = {e.attrs["data-figure"]: e.text for e in doc.elements if "data-figure" in e.attrs}
    assert figures["households"] == "2"
    assert figures["poor"] == "1"


@pytest.fixture
def other_district(world):
    """A second district beside the world's, with a commune, an organisation and a user."""
    district = make_unit("998", "Huyện Bên Cạnh", "district", world.province)
    commune = make_unit("99801", "Xã Bên Cạnh", "commune", district)
    village = make_unit("99801-01", "Thôn Bên Cạnh", "village", commune)
    org = make_organisation(commune, "UBND Xã Bên Cạnh")
    user = make_user("staff", commune, "staff.other")
    household = make_household(village, "Lường Văn Khác", code="C-0001")
    _db.session.commit()
    return {"district": district, "commune": commune, "org": org, "user": user, "household": household}


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/admin/users/{user}/edit"),
        ("POST", "/admin/users/{user}/edit"),
        ("POST", "/admin/users/{user}/active"),
        ("POST", "/admin/users/{user}/password"),
        ("GET", "/admin/organisations/{org}/edit"),
        ("POST", "/admin/organisations/{org}/edit"),
        ("GET", "/admin/units/{unit}/edit"),
        ("POST", "/admin/units/{unit}/edit"),
    ],
)
def test_district_admin_cannot_touch_another_district(world, db, login_as, other_district, method, url):
    url = url.format(
        user=other_district["user"].id, org=other_district["org"].id, unit=other_district["commune"].id
    )
    client = login_as(world.users.admin)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post_form(
            url,
            {
                "full_name": "Bị đổi",
                "role": "admin",
                "scope_unit_id": str(world.district.id),
                "active": "0",
                "name": "Bị đổi",
                "kind": "commune",
                "unit_id": str(world.district.id),
                "code": "99801",
                "parent_id": str(world.district.id),
            },
        )
    assert response.status_code == 404
    user = db.session.get(User, other_district["user"].id)
    assert (user.active, user.role, user.full_name, user.scope_unit_id) == (
        True,
        "staff",
        "Người dùng staff",
        other_district["commune"].id,
    )
    assert db.session.get(Organisation, other_district["org"].id).name == "UBND Xã Bên Cạnh"
    assert db.session.get(AdminUnit, other_district["commune"].id).parent_id == other_district["district"].id


def test_admin_lists_show_nothing_of_another_district(world, login_as, other_district):
    client = login_as(world.users.admin)
    assert "staff.other" not in client.get("/admin/users").get_data(as_text=True)
    assert "UBND Xã Bên Cạnh" not in client.get("/admin/organisations").get_data(as_text=True)
    assert "Xã Bên Cạnh" not in client.get("/admin/units").get_data(as_text=True)
    assert "Lường Văn Khác" not in client.get("/households").get_data(as_text=True)
    assert client.get(f"/households/{other_district['household'].id}").status_code == 404


def test_admin_cannot_give_a_user_a_scope_outside_their_own(world, db, login_as, other_district):
    client = login_as(world.users.admin)
    staff_a = world.users.staff_a
    response = client.post_form(
        f"/admin/users/{staff_a.id}/edit",
        {
            "username": "staff.a",
            "full_name": "Người dùng staff",
            "role": "staff",
            "organisation_id": "",
            "scope_unit_id": str(other_district["commune"].id),
            "locale": "vi",
        },
    )
    assert response.status_code == 422
    assert db.session.scalars(select(User.scope_unit_id).where(User.id == staff_a.id)).one() == (
        world.commune_a.id
    )
