"""The registry in a real browser: headline figures, active search, inline members, scope,
language and the Content Security Policy (PRODUCT.md §3 Registry).

These tests write to the shared demo database: members named "Hoàng Thị Mai" with random
citizen IDs are added to a household of the "nguyen van" search, and one of them is edited.
Nothing else reads those households' members by name.
"""

import re
import secrets
import unicodedata
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ENGLISH_TITLE = "Poverty-reduction registry"
EDIT = re.compile(r"^\s*(Sửa|Edit)\s*$")
SAVE = re.compile(r"^\s*(Lưu|Save)\s*$")
MARKER = "window.__e2eNoReload"
OCCUPATION = 6  # column of the members table


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics, written independently of app.services.text."""
    text = text.replace("đ", "d").replace("Đ", "D")
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


def set_marker(page) -> None:
    """A value on ``window`` that only survives as long as no full page load happens."""
    page.evaluate(f"{MARKER} = 'still here'")


def marker_survived(page) -> bool:
    return page.evaluate(f"{MARKER} === 'still here'")


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, f"GET {path} answered {response.status}"
    page.wait_for_function("() => window.htmx !== undefined")


def new_citizen_id() -> str:
    return str(10**11 + secrets.randbelow(9 * 10**11))


def masked(citizen_id: str) -> str:
    return f"{citizen_id[:3]}******{citizen_id[-3:]}"


def figure(page, name: str) -> str:
    return page.locator(f'[data-figure="{name}"]').inner_text().strip()


def head_names(page) -> list[str]:
    return page.locator("#household-results tbody tr td.head").all_inner_texts()


def member_row_ids(page) -> list[str]:
    return page.locator("#members-body > tr").evaluate_all("rows => rows.map(r => r.id)")


def horizontal_overflow(page) -> int:
    """Pixels the page is wider than the window (a table may scroll inside its own box)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def open_household_from_search(page, query: str = "nguyen van") -> None:
    visit(page, f"/households?q={query.replace(' ', '+')}")
    link = page.locator("#household-results tbody tr td.code a").first
    code = link.inner_text()
    with page.expect_navigation() as navigation:
        link.click()
    assert navigation.value.status == 200, f"the household page answered {navigation.value.status}"
    expect(page.locator("main h1 + p strong")).to_have_text(code)
    expect(page.locator("#members-body")).to_be_visible()
    page.wait_for_function("() => window.htmx !== undefined")


def fill_member(page, full_name: str, citizen_id: str, birth_year: str = "2001", occupation: str = ""):
    form = page.locator("#member-new")
    form.locator("[name=full_name]").fill(full_name)
    form.locator("[name=relation]").select_option("child")
    form.locator("[name=sex]").select_option("female")
    form.locator("[name=birth_year]").fill(birth_year)
    form.locator("[name=ethnicity]").select_option("Tày")
    form.locator("[name=citizen_id]").fill(citizen_id)
    form.locator("[name=occupation]").fill(occupation)


def add_member(page, full_name: str, citizen_id: str, occupation: str = "") -> str:
    """Fill and submit #member-new; returns the id of the row that appears in #members-body."""
    before = set(member_row_ids(page))
    fill_member(page, full_name, citizen_id, occupation=occupation)
    page.locator("#member-new button[type=submit]").click()
    expect(page.locator("#members-body > tr")).to_have_count(len(before) + 1)
    (new_id,) = set(member_row_ids(page)) - before
    return new_id


# -- a. headline figures ----------------------------------------------------------------------------


def test_manager_home_shows_the_district_figures(page, console, login, screenshot):
    login(page, "manager")
    assert urlsplit(page.url).path == "/"
    screenshot(page, "home-manager.png")
    figures = {
        name: figure(page, name)
        for name in (
            "households",
            "poor",
            "poor_rate",
            "near_poor",
            "near_poor_rate",
            "poor_by_income",
            "poor_by_income_urban",
        )
    }
    assert figures == {
        "households": "8.575",
        "poor": "1.486",
        "poor_rate": "17,33 %",
        "near_poor": "866",
        "near_poor_rate": "10,10 %",
        "poor_by_income": "1.400",
        "poor_by_income_urban": "30",
    }
    expect(page.locator(".topbar .scope")).to_have_text("Huyện Bạch Thông")
    assert horizontal_overflow(page) <= 0
    console.assert_clean()


# -- b. active search ---------------------------------------------------------------------------------


def test_active_search_updates_in_place_and_back_restores_the_list(page, console, login, screenshot):
    login(page, "staff")
    visit(page, "/households")
    count = page.locator("#household-results .result-count").first
    unfiltered_count = count.inner_text()
    unfiltered_names = head_names(page)
    assert len(unfiltered_names) == 25
    set_marker(page)

    page.locator("#q").press_sequentially("nguyen van", delay=20)
    page.wait_for_url(re.compile(r"[?&]q=nguyen"))
    expect(count).not_to_have_text(unfiltered_count)
    screenshot(page, "search.png")

    assert marker_survived(page), "the search reloaded the whole page"
    names = head_names(page)
    assert names, "no household found for 'nguyen van'"
    assert any(n != fold(n) for n in names), "names are shown without their diacritics"
    assert horizontal_overflow(page) <= 0

    page.go_back()
    expect(count).to_have_text(unfiltered_count)
    assert "q=" not in page.url
    assert head_names(page) == unfiltered_names
    console.assert_clean()


def test_search_for_a_name_lists_households_headed_by_that_name(page, console, login):
    """ "nguyen van" finds "Nguyễn Văn …" (PRODUCT.md §3): every head listed folds to contain it."""
    login(page, "staff")
    visit(page, "/households")
    page.locator("#q").press_sequentially("nguyen van", delay=20)
    page.wait_for_url(re.compile(r"[?&]q=nguyen"))
    expect(page.locator("#household-results tbody tr td.head").first).to_be_visible()
    names = head_names(page)
    others = [n for n in names if "nguyen van" not in fold(n)]
    assert others == [], f"{len(others)} of the {len(names)} heads listed are not named Nguyễn Văn …"
    console.assert_clean()


# -- c. members added inline ----------------------------------------------------------------------------


def test_add_member_inline_masks_the_citizen_id_and_resets_the_form(page, console, login, screenshot):
    login(page, "staff")
    open_household_from_search(page)
    set_marker(page)
    citizen_id = new_citizen_id()

    row_id = add_member(page, "Hoàng Thị Mai", citizen_id, occupation="Làm ruộng")
    screenshot(page, "member-added.png")

    row = page.locator(f"#{row_id}")
    expect(row).to_contain_text("Hoàng Thị Mai")
    expect(row).to_contain_text(masked(citizen_id))
    assert citizen_id not in row.inner_text()
    assert marker_survived(page), "adding a member reloaded the whole page"
    expect(page.locator("#flashes")).to_contain_text("Hoàng Thị Mai")
    # The form comes back empty, in its place, and nothing but rows lands in the table body.
    strays = page.locator("#members-body > :not(tr)").evaluate_all("els => els.map(e => e.outerHTML)")
    assert strays == [], "parts of the member form were swapped into the members table"
    form = page.locator("#member-new")
    assert form.locator("[name=full_name]").count() == 1, "#member-new lost its fields"
    for name in ("full_name", "birth_year", "citizen_id", "occupation"):
        expect(form.locator(f"[name={name}]")).to_have_value("")

    # A second, invalid member from the same (reset) form is refused next to its field.
    rows = len(member_row_ids(page))
    console.expect_failed_load("/members")
    fill_member(page, "Lường Văn Khánh", "12345", birth_year="1999")
    with page.expect_response(lambda r: r.request.method == "POST" and "/members" in r.url) as answer:
        form.locator("button[type=submit]").click()
    assert answer.value.status == 422
    expect(page.locator("#member-new .field:has([name=citizen_id]) .error")).to_be_visible()
    assert len(member_row_ids(page)) == rows
    expect(page.locator("#members h2 small")).to_contain_text(str(rows))  # "%(n)s people" follows
    console.assert_clean()


def test_invalid_member_shows_the_error_next_to_the_field(page, console, login, screenshot):
    login(page, "staff")
    open_household_from_search(page)
    set_marker(page)
    rows = len(member_row_ids(page))
    console.expect_failed_load("/members")

    fill_member(page, "Lường Văn Khánh", "12345", birth_year="1999")
    with page.expect_response(lambda r: r.request.method == "POST" and "/members" in r.url) as answer:
        page.locator("#member-new button[type=submit]").click()
    assert answer.value.status == 422

    field = page.locator("#member-new .field:has([name=citizen_id])")
    error = field.locator(".error")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    box = field.locator("[name=citizen_id]")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", error.get_attribute("id"))
    expect(page.locator("#member-new [name=full_name]")).to_have_value("Lường Văn Khánh")
    expect(page.locator("#member-new .field.has-error")).to_have_count(1)
    assert len(member_row_ids(page)) == rows
    expect(page.locator("#members-body")).not_to_contain_text("Lường Văn Khánh")
    assert marker_survived(page), "the refused form reloaded the whole page"
    screenshot(page, "member-invalid.png")
    console.assert_clean()


# -- d. inline edit -----------------------------------------------------------------------------------------


def test_inline_edit_replaces_only_its_row_and_escape_cancels(page, console, login):
    login(page, "staff")
    open_household_from_search(page)
    row_id = add_member(page, "Hoàng Thị Mai", new_citizen_id(), occupation="Làm ruộng")
    page.reload()  # start from the server's table, whatever the add swapped in
    page.wait_for_function("() => window.htmx !== undefined")
    set_marker(page)
    others = page.locator(f"#members-body > tr:not(#{row_id})")
    others.evaluate_all("rows => rows.forEach(r => { r.__e2eKept = true })")
    other_count = others.count()
    row = page.locator(f"#{row_id}")

    row.get_by_role("link", name=EDIT).click()
    expect(row).to_have_attribute("data-editing", "")
    expect(row.locator('[name$="-full_name"]')).to_be_focused()
    row.locator('[name$="-occupation"]').fill("Công nhân may")
    row.get_by_role("button", name=SAVE).click()
    expect(row).not_to_have_attribute("data-editing", "")
    expect(row.locator("td").nth(OCCUPATION)).to_have_text("Công nhân may")
    expect(row).to_contain_text("Hoàng Thị Mai")
    assert marker_survived(page), "saving the row reloaded the whole page"
    kept = others.evaluate_all("rows => rows.filter(r => r.__e2eKept === true).length")
    assert kept == other_count, "rows other than the edited one were replaced"

    row.get_by_role("link", name=EDIT).click()
    expect(row).to_have_attribute("data-editing", "")
    expect(row.locator('[name$="-full_name"]')).to_be_focused()  # htmx has settled the row
    row.locator('[name$="-occupation"]').fill("Thợ mộc")
    row.locator('[name$="-occupation"]').press("Escape")
    expect(row).not_to_have_attribute("data-editing", "")
    expect(row.locator("input")).to_have_count(0)
    expect(row.locator("td").nth(OCCUPATION)).to_have_text("Công nhân may")
    assert marker_survived(page)
    console.assert_clean()


def test_add_form_labels_keep_to_their_own_fields_while_a_row_is_edited(page, console, login):
    """The edit row and the add form render the same form: their fields must not share ids."""
    login(page, "staff")
    open_household_from_search(page)
    first = page.locator("#members-body > tr").first
    first.get_by_role("link", name=EDIT).click()
    expect(first).to_have_attribute("data-editing", "")
    ids = page.locator("[id]").evaluate_all("els => els.map(e => e.id)")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == [], "element ids used twice on the household page"
    page.locator("#member-new label[for]").first.click()
    assert page.evaluate("document.activeElement.closest('#member-new') !== null"), (
        "a label of the add form focused a field of the edit row"
    )
    console.assert_clean()


# -- e. scope ----------------------------------------------------------------------------------------------


def test_commune_staff_see_only_their_commune(page, console, login, screenshot):
    login(page, "staff.camgiang")
    screenshot(page, "home-camgiang.png")
    expect(page.locator(".topbar .scope")).to_have_text("Xã Cẩm Giàng")
    expect(page.locator("main h1")).to_have_text("Xã Cẩm Giàng")
    api = page.request.get("/api/v1/stats")
    assert api.status == 200
    stats = api.json()
    assert stats["unit_name"] == "Xã Cẩm Giàng"
    households = int(figure(page, "households").replace(".", ""))
    assert households == stats["households"]
    assert 0 < households < 8575
    assert horizontal_overflow(page) <= 0

    visit(page, "/households")
    options = [o.strip() for o in page.locator("#unit option").all_inner_texts()]
    communes = [o for o in options[1:] if not o.startswith("—")]
    villages = [o for o in options[1:] if o.startswith("—")]
    assert communes == ["Xã Cẩm Giàng"]
    assert villages, "the commune filter lists no village of Cẩm Giàng"
    console.assert_clean()


# -- f. language ------------------------------------------------------------------------------------------


def test_login_page_is_vietnamese_and_switches_language(page, console):
    visit(page, "/auth/login")
    html = page.locator("html")
    vi, en = (page.get_by_role("button", name=code, exact=True) for code in ("VI", "EN"))
    expect(html).to_have_attribute("lang", "vi")
    expect(vi).to_have_attribute("aria-pressed", "true")
    vi_title = page.locator("h1").inner_text()
    assert vi_title != ENGLISH_TITLE, "the login page is not translated into Vietnamese"

    with page.expect_navigation():
        en.click()
    expect(html).to_have_attribute("lang", "en")
    expect(en).to_have_attribute("aria-pressed", "true")
    expect(page.locator("h1")).to_have_text(ENGLISH_TITLE)
    assert urlsplit(page.url).path == "/auth/login"
    page.reload()
    expect(html).to_have_attribute("lang", "en")

    with page.expect_navigation():
        vi.click()
    expect(html).to_have_attribute("lang", "vi")
    expect(vi).to_have_attribute("aria-pressed", "true")
    expect(page.locator("h1")).to_have_text(vi_title)
    console.assert_clean()


# -- g. Content Security Policy --------------------------------------------------------------------------


def test_content_security_policy_holds_and_violations_would_be_seen(page, console, login):
    login(page, "staff")
    visit(page, "/households")
    page.locator("#q").press_sequentially("hoang", delay=20)
    page.wait_for_url(re.compile(r"[?&]q=hoang"))
    page.locator("#status").select_option("poor")
    page.wait_for_url(re.compile(r"[?&]status=poor"))
    open_household_from_search(page, "hoang")
    first = page.locator("#members-body > tr").first
    first.get_by_role("link", name=EDIT).click()
    expect(first).to_have_attribute("data-editing", "")
    expect(first.locator('[name$="-full_name"]')).to_be_focused()  # htmx has settled the row
    first.locator('[name$="-full_name"]').press("Escape")
    expect(first).not_to_have_attribute("data-editing", "")
    assert "script-src 'self'" in page.request.get("/").headers["content-security-policy"]
    console.assert_clean()

    # The policy is enforced, and the collector does see a violation when there is one.
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.__inline = 1'; document.head.append(s); }"
        )
    assert page.evaluate("window.__inline") is None, "an inline script ran"
    assert console.csp_violations, "the collector missed the refused inline script"


def test_pages_have_a_favicon(page, login):
    """Browsers ask every site for /favicon.ico; a 404 there is an error line in every console."""
    login(page, "staff")
    declared = page.locator("link[rel~=icon]")
    href = declared.first.get_attribute("href") if declared.count() else "/favicon.ico"
    assert page.request.get(href).status == 200, f"{href} does not load"
