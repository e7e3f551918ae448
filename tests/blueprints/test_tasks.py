"""Task screens: "My tasks" and the task list, filters, the inline status change (row, counters,
asking for an outcome or a reason, conflicts, refusals) and the notes dialog."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.models import SupportTask, TaskNote
from tests.blueprints.helpers import is_full_page, parse
from tests.factories import make_organisation, make_task, task_type

TODAY = date.today()


@pytest.fixture
def tasks(world, db):
    """Commune A: an overdue task of its organisation, one due soon, one done; commune B: one."""
    org_a = world.organisations.a
    org_b = make_organisation(world.commune_b, "UBND Xã Quang Thuận Thử")
    made = {
        "overdue": make_task(world.households.duc, org_a, "HEALTH_CARD", due=TODAY - timedelta(days=3)),
        "soon": make_task(
            world.households.lan, org_a, "CREDIT", status="in_progress", due=TODAY + timedelta(days=2)
        ),
        "done": make_task(
            world.households.duc, org_a, "WATER", status="done", due=TODAY - timedelta(days=30)
        ),
        "other": make_task(world.households.pao, org_b, "JOB", due=TODAY + timedelta(days=40)),
    }
    db.session.commit()
    return made


def _row_ids(response) -> list[str]:
    doc = parse(response)
    return [r.id for r in doc.by_id("task-results").find_all("tr") if (r.id or "").startswith("task-")]


def _counter(doc, name: str) -> str:
    return next(e.text.strip() for e in doc.find_all("span") if e.attrs.get("data-counter") == name)


def _status(client, task, status, htmx=True, **fields):
    data = {"status": status, "version": str(task.version), "counters": "mine"} | fields
    return client.post_form(f"/tasks/{task.id}/status", data, htmx=htmx)


def test_my_tasks_lists_the_supervisors_organisation_tasks_with_counters(world, login_as, tasks):
    response = login_as(world.users.supervisor_a).get("/tasks/mine")

    assert response.status_code == 200 and is_full_page(response)
    ids = _row_ids(response)
    assert ids == [f"task-{tasks[k].id}" for k in ("done", "overdue", "soon")]  # by deadline
    doc = parse(response)
    assert [_counter(doc, c) for c in ("open", "overdue", "due_soon", "done")] == ["2", "1", "1", "1"]
    overdue_row = doc.by_id(f"task-{tasks['overdue'].id}")
    assert "row-overdue" in overdue_row.attrs["class"] and "Quá hạn" in overdue_row.text


def test_a_supervisor_lands_on_my_tasks(world, login_as):
    response = login_as(world.users.supervisor_a).get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks/mine")


@pytest.mark.parametrize(
    "query,expected",
    [
        ("", ["done", "overdue", "soon", "other"]),
        ("?status=in_progress", ["soon"]),
        ("?due=overdue", ["overdue"]),
        ("?due=soon", ["soon"]),
        ("?sort=-due", ["other", "soon", "overdue", "done"]),
    ],
)
def test_the_task_list_filters_and_sorts(world, login_as, tasks, query, expected):
    response = login_as(world.users.staff).get("/tasks" + query)
    assert _row_ids(response) == [f"task-{tasks[k].id}" for k in expected]


def test_a_commune_user_sees_only_the_commune_tasks(world, login_as, tasks):
    response = login_as(world.users.staff_b).get("/tasks")
    assert _row_ids(response) == [f"task-{tasks['other'].id}"]
    assert (
        login_as(world.users.staff_b).post_form(f"/tasks/{tasks['overdue'].id}/status", {}).status_code == 404
    )


def test_filters_answer_with_the_results_fragment(world, login_as, tasks):
    response = login_as(world.users.staff).htmx_get("/tasks?due=overdue", target="task-results")
    assert not is_full_page(response)
    assert [r.id for r in parse(response).roots] == ["task-results", "officer"]  # the officers, out of band
    mine = login_as(world.users.supervisor_a).htmx_get("/tasks/mine?due=overdue", target="task-results")
    assert [r.id for r in parse(mine).roots] == ["task-results"]
    row = parse(mine).by_id(f"task-{tasks['overdue'].id}")
    assert [b.text for b in row.find_all("button")] == ["Cập nhật"]


def test_grouping_by_household_adds_a_header_per_household(world, login_as, tasks):
    doc = parse(login_as(world.users.staff).get("/tasks?group=household"))
    headers = [
        " ".join(r.text.split()) for r in doc.find_all("tr") if "group-row" in r.attrs.get("class", "")
    ]
    assert headers == ["A-0001 · Nguyễn Văn Đức", "A-0002 · Hoàng Thị Lan", "B-0001 · Giàng Seo Pao"]


def test_an_inline_status_change_returns_the_row_and_the_counters(world, db, login_as, tasks):
    task = tasks["overdue"]
    response = _status(login_as(world.users.supervisor_a), task, "in_progress")

    assert response.status_code == 200
    doc = parse(response)
    assert doc.roots[0].id == f"task-{task.id}" and "Đang thực hiện" in doc.roots[0].text
    counters = doc.by_id("task-counters")
    assert counters.attrs["hx-swap-oob"] == "true"
    assert counters.find_all("a")[0].attrs["href"] == "/tasks/mine"  # the list it came from
    db.session.refresh(task)
    assert (task.status, task.version) == ("in_progress", 2)
    from_all = _status(login_as(world.users.staff_a), task, "blocked", reason="Chờ vốn", counters="all")
    assert parse(from_all).by_id("task-counters").find_all("a")[0].attrs["href"] == "/tasks"


def test_done_asks_for_the_outcome_then_saves_it(world, db, login_as, tasks):
    client, task = login_as(world.users.supervisor_a), tasks["soon"]  # CREDIT: amount and fund source

    asked = _status(client, task, "done")
    assert asked.status_code == 422
    row = parse(asked).roots[0]
    assert "asking" in row.attrs["class"]
    assert {i.attrs.get("name") for i in row.find_all("input")} >= {"outcome_amount", "outcome_fund_source"}
    assert "Hãy ghi kết quả trước khi đánh dấu hoàn thành." in row.text

    saved = _status(client, task, "done", outcome_amount="30000000", outcome_fund_source="NHCSXH huyện")
    assert saved.status_code == 200
    db.session.refresh(task)
    assert (task.status, task.outcome_amount, task.done_on) == ("done", 30_000_000, TODAY)


@pytest.mark.parametrize("status", ["blocked", "cancelled"])
def test_blocking_or_cancelling_asks_for_a_reason(world, db, login_as, tasks, status):
    client, task = login_as(world.users.staff), tasks["overdue"]

    asked = _status(client, task, status)
    assert asked.status_code == 422 and "Hãy ghi rõ lý do." in asked.text

    assert _status(client, task, status, reason="Hộ đi làm ăn xa").status_code == 200
    db.session.refresh(task)
    assert (task.status, task.status_reason) == (status, "Hộ đi làm ăn xa")


def test_a_change_from_an_old_version_answers_409_with_the_current_row(world, db, login_as, tasks):
    task = tasks["overdue"]
    seen = task.version
    first, second = login_as(world.users.supervisor_a), login_as(world.users.staff)
    assert _status(first, task, "in_progress").status_code == 200

    late = second.post_form(
        f"/tasks/{task.id}/status", {"status": "blocked", "version": str(seen), "reason": "x"}, htmx=True
    )

    assert late.status_code == 409
    assert "Đang thực hiện" in parse(late).roots[0].text
    assert "Someone else" not in late.text and "vừa thay đổi nhiệm vụ này" in late.text
    db.session.refresh(task)
    assert task.status == "in_progress"


def test_a_supervisor_cannot_change_another_organisations_task(world, db, login_as, tasks):
    other_org = make_organisation(world.commune_a, "Hội Phụ nữ")
    task = make_task(world.households.duc, other_org)
    db.session.commit()
    client = login_as(world.users.supervisor_a)

    response = _status(client, task, "in_progress")

    assert response.status_code == 403
    assert "Chỉ cán bộ hoặc tổ chức phụ trách" in response.text


def test_managers_read_tasks_without_status_controls(world, login_as, tasks):
    response = login_as(world.users.manager).get("/tasks")
    assert len(_row_ids(response)) == 4
    assert not [f for f in parse(response).find_all("form") if "status-form" in f.attrs.get("class", "")]


def test_without_htmx_a_status_change_redirects_back(world, login_as, tasks):
    response = _status(login_as(world.users.staff), tasks["overdue"], "in_progress", htmx=False)
    assert response.status_code == 302


def test_the_notes_dialog_lists_and_adds_notes(world, db, login_as, tasks):
    client, task = login_as(world.users.supervisor_a), tasks["overdue"]

    dialog = client.htmx_get(f"/tasks/{task.id}/notes", target="modal")
    assert dialog.status_code == 200 and "Chưa có ghi chú." in dialog.text

    empty = client.post_form(f"/tasks/{task.id}/notes", {"body": "  "}, htmx=True)
    assert empty.status_code == 422

    added = client.post_form(f"/tasks/{task.id}/notes", {"body": "Đã đến nhà vận động."}, htmx=True)
    assert added.status_code == 200 and "Đã đến nhà vận động." in added.text
    oob_row = parse(added).by_id(f"task-{task.id}")
    assert oob_row.attrs["hx-swap-oob"] == "true" and "(1)" in oob_row.text
    note = db.session.scalars(select(TaskNote).where(TaskNote.task_id == task.id)).one()
    assert note.author_id == world.users.supervisor_a.id


def test_the_notes_page_without_htmx_is_a_full_page(world, login_as, tasks):
    response = login_as(world.users.staff).get(f"/tasks/{tasks['overdue'].id}/notes")
    assert response.status_code == 200 and is_full_page(response)


def test_tasks_of_another_scope_are_404_everywhere(world, login_as, tasks):
    client = login_as(world.users.staff_b)
    task = tasks["overdue"]
    for url in (f"/tasks/{task.id}/notes", f"/tasks/{task.id}/row"):
        assert client.get(url).status_code == 404
    assert client.post_form(f"/tasks/{task.id}/notes", {"body": "x"}).status_code == 404


def test_staff_create_a_task_from_the_household_page(world, db, login_as):
    kind = task_type("HEALTH_CARD")
    client = login_as(world.users.staff_a)
    household = world.households.duc

    form = client.get(f"/tasks/new/{household.id}?type={kind.id}")
    assert form.status_code == 200
    selected = [o for o in parse(form).find_all("option") if "selected" in o.attrs]
    assert kind.name_vi in [o.text for o in selected]

    data = {"task_type_id": kind.id, "organisation_id": world.organisations.a.id, "due_date": "2020-07-01"}
    response = client.post_form(f"/tasks/new/{household.id}", data)

    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/households/{household.id}#tasks"
    )
    task = db.session.scalars(select(SupportTask).where(SupportTask.household_id == household.id)).one()
    assert (task.title, task.due_date, task.created_by_id) == (
        kind.name_vi,
        date(2020, 7, 1),
        world.users.staff_a.id,
    )
    page = client.get(f"/households/{household.id}")
    assert f'id="task-{task.id}"' in page.text


def test_a_new_task_with_errors_answers_422_and_keeps_nothing(world, db, login_as):
    client = login_as(world.users.staff_a)
    household = world.households.duc
    response = client.post_form(f"/tasks/new/{household.id}", {"task_type_id": "", "organisation_id": ""})
    assert response.status_code == 422 and "has-error" in response.text
    assert db.session.scalars(select(SupportTask)).all() == []


@pytest.mark.parametrize("user", ["supervisor_a", "manager"])
def test_only_office_roles_create_tasks(world, login_as, user):
    response = login_as(getattr(world.users, user)).get(f"/tasks/new/{world.households.duc.id}")
    assert response.status_code == 403


def test_a_task_for_another_communes_household_is_404(world, login_as):
    response = login_as(world.users.staff_a).get(f"/tasks/new/{world.households.pao.id}")
    assert response.status_code == 404


def test_the_household_page_shows_its_tasks_and_the_exit_path(world, db, login_as, tasks):
    household = world.households.duc
    household.causes = [c for c in task_type("CREDIT").causes if c.code == "NO_CAPITAL"]
    db.session.commit()

    doc = parse(login_as(world.users.staff_a).get(f"/households/{household.id}"))

    section = doc.by_id("tasks")
    rows = [r.id for r in section.find_all("tr") if (r.id or "").startswith("task-")]
    assert rows == [f"task-{tasks['overdue'].id}", f"task-{tasks['done'].id}"]  # open first
    steps = [" ".join(li.text.split()) for li in section.find_all("li")]
    assert any("Thiếu vốn sản xuất" in s and "chưa có hỗ trợ" in s for s in steps)
    credit_link = f"/tasks/new/{household.id}?type={task_type('CREDIT').id}"
    assert credit_link in [a.attrs.get("href") for a in section.find_all("a")]


def test_the_task_list_filters_by_officer(world, db, login_as, tasks):
    tasks["soon"].officer_id = world.users.supervisor_a.id
    db.session.commit()
    response = login_as(world.users.staff).get(f"/tasks?officer={world.users.supervisor_a.id}")
    assert _row_ids(response) == [f"task-{tasks['soon'].id}"]


def test_with_many_officers_the_officer_menu_follows_the_chosen_commune(world, db, login_as, monkeypatch):
    """A province's 500 officers are no menu to pick from: past the limit, the officers of the
    chosen commune; a filter change swaps the menu out of band with the results."""
    import app.blueprints.tasks.views as views

    monkeypatch.setattr(views, "OFFICER_CHOICES_LIMIT", 2)
    client = login_as(world.users.staff)

    def options(select) -> list[str]:
        return [o.attrs["value"] for o in select.find_all("option")]

    whole = parse(client.get("/tasks")).by_id("officer")
    assert options(whole) == [""] and "chọn xã" in whole.text
    kept = parse(client.get(f"/tasks?officer={world.users.staff_b.id}")).by_id("officer")
    assert options(kept) == ["", str(world.users.staff_b.id)]  # a chosen officer stays chosen

    fragment = client.htmx_get(f"/tasks?unit={world.commune_a.id}", target="task-results")

    menu = parse(fragment).by_id("officer")
    assert menu.attrs.get("hx-swap-oob") == "true"
    assert set(options(menu)) == {"", str(world.users.staff_a.id), str(world.users.supervisor_a.id)}


def test_the_notes_dialog_shows_the_task_history(world, db, login_as, tasks):
    client, task = login_as(world.users.supervisor_a), tasks["overdue"]
    assert _status(client, task, "in_progress").status_code == 200

    dialog = parse(client.htmx_get(f"/tasks/{task.id}/notes", target="modal"))

    history = " ".join(dialog.find_all("details")[0].text.split())
    assert "supervisor.a" in history and "Tình trạng: Kế hoạch → Đang thực hiện" in history, history
