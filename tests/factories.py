"""Small hand-built worlds for tests: a province, a district, two communes, villages, people."""

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from sqlalchemy import select

from app.extensions import db
from app.models import (
    AdminUnit,
    Assignment,
    Household,
    Member,
    Organisation,
    ReportDefinition,
    ReportInstance,
    ReportVersion,
    ReviewRecord,
    ReviewRound,
    SupportTask,
    TaskType,
    User,
)
from app.services import reference, report_definitions, reports
from app.services.audit import utcnow
from app.services.households import rebuild_search_text
from app.services.reviews import refresh_status

PASSWORD = "correct horse battery"
_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def make_unit(code: str, name: str, kind: str, parent: AdminUnit | None = None, **kw) -> AdminUnit:
    unit = AdminUnit(code=code, name=name, kind=kind, parent_id=parent.id if parent else None, **kw)
    db.session.add(unit)
    db.session.flush()
    reference.set_paths(list(db.session.query(AdminUnit)))
    return unit


def make_organisation(
    unit: AdminUnit, name: str | None = None, kind: str = "peoples_committee"
) -> Organisation:
    org = Organisation(name=name or f"Tổ chức {_next()}", kind=kind, unit_id=unit.id)
    db.session.add(org)
    db.session.flush()
    return org


def make_user(role: str, unit: AdminUnit, username: str | None = None, **kw) -> User:
    user = User(
        username=username or f"{role}{_next()}",
        full_name=kw.pop("full_name", f"Người dùng {role}"),
        role=role,
        scope_unit_id=unit.id,
        locale=kw.pop("locale", "vi"),
        active=kw.pop("active", True),
        created_at=utcnow(),
        **kw,
    )
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.flush()
    return user


def make_household(village: AdminUnit, head_name: str = "Nguyễn Văn Đức", **kw) -> Household:
    members = kw.pop("members", None)
    now = utcnow()
    household = Household(
        code=kw.pop("code", f"HH-{_next():05d}"),
        head_name=head_name,
        sort_name="",
        ethnicity=kw.pop("ethnicity", "Tày"),
        unit_id=village.id,
        address=kw.pop("address", f"{village.name}, xã thử nghiệm"),
        area=kw.pop("area", "rural"),
        created_at=now,
        updated_at=now,
        **kw,
    )
    household.members = (
        members
        if members is not None
        else [Member(full_name=head_name, relation="head", sex="male", birth_year=1975, ethnicity="Tày")]
    )
    rebuild_search_text(household)
    db.session.add(household)
    db.session.flush()
    return household


def make_review(
    household: Household,
    year: int,
    result: str,
    *,
    kind: str = "official",
    criterion=None,
    income: int = 500_000,
    standard=None,
    unit=None,
    area=None,
) -> ReviewRecord:
    standard = standard or reference_standard("QD59-2015")
    review = ReviewRecord(
        household_id=household.id,
        year=year,
        kind=kind,
        standard_id=standard.id,
        unit_id=(unit or household.unit).id,
        area=area or household.area,
        income_per_month=income,
        result=result,
        criterion=criterion,
        created_at=utcnow(),
    )
    db.session.add(review)
    db.session.flush()
    refresh_status(household)
    return review


def reference_standard(code: str):
    from sqlalchemy import select

    from app.models import PovertyStandard

    standard = db.session.scalars(select(PovertyStandard).where(PovertyStandard.code == code)).first()
    if standard is None:
        reference.seed_standards()
        reference.seed_catalogues()
        db.session.flush()
        standard = db.session.scalars(select(PovertyStandard).where(PovertyStandard.code == code)).one()
    return standard


@dataclass
class World:
    """Tỉnh P → Huyện D → Xã A (villages A1, A2), Xã B (village B1); a user of each role."""

    province: AdminUnit
    district: AdminUnit
    commune_a: AdminUnit
    commune_b: AdminUnit
    village_a1: AdminUnit
    village_a2: AdminUnit
    village_b1: AdminUnit
    users: SimpleNamespace = field(default_factory=SimpleNamespace)
    households: SimpleNamespace = field(default_factory=SimpleNamespace)
    organisations: SimpleNamespace = field(default_factory=SimpleNamespace)


def build_world() -> World:
    """The small world most tests use; commits so that a real HTTP server sees it too."""
    reference.seed_standards()
    reference.seed_catalogues()
    province = make_unit("99", "Tỉnh Thử Nghiệm", "province")
    district = make_unit("999", "Huyện Thử Nghiệm", "district", province)
    commune_a = make_unit("99901", "Xã Cẩm Giàng Thử", "commune", district)
    commune_b = make_unit("99902", "Xã Quang Thuận Thử", "commune", district)
    village_a1 = make_unit("99901-01", "Thôn Nà Pài", "village", commune_a)
    village_a2 = make_unit("99901-02", "Thôn Khuổi Chắp", "village", commune_a)
    village_b1 = make_unit("99902-01", "Thôn Bản Chiêng", "village", commune_b)
    world = World(province, district, commune_a, commune_b, village_a1, village_a2, village_b1)
    org_a = make_organisation(commune_a, "UBND Xã Cẩm Giàng Thử")
    world.organisations.a = org_a
    world.users.admin = make_user("admin", district, "admin.t")
    world.users.manager = make_user("manager", district, "manager.t")
    world.users.staff = make_user("staff", district, "staff.t")
    world.users.staff_a = make_user("staff", commune_a, "staff.a", organisation_id=org_a.id)
    world.users.supervisor_a = make_user("supervisor", commune_a, "supervisor.a", organisation_id=org_a.id)
    world.users.staff_b = make_user("staff", commune_b, "staff.b")
    world.households.duc = make_household(village_a1, "Nguyễn Văn Đức", code="A-0001")
    world.households.lan = make_household(village_a2, "Hoàng Thị Lan", code="A-0002", area="rural")
    world.households.pao = make_household(village_b1, "Giàng Seo Pao", code="B-0001", ethnicity="H'Mông")
    make_review(world.households.duc, 2019, "poor", criterion="income", income=600_000)
    make_review(world.households.lan, 2019, "near_poor", income=800_000)
    make_review(world.households.pao, 2019, "poor", criterion="deprivation", income=900_000)
    db.session.commit()
    return world


def make_assignment(
    household: Household, organisation: Organisation, officer: User | None = None, *, end: date | None = None
) -> Assignment:
    """An assignment written directly (no rules): active unless ``end`` is given."""
    row = Assignment(
        household_id=household.id,
        organisation_id=organisation.id,
        officer_id=officer.id if officer else None,
        start_date=date(2020, 1, 1),
        end_date=end,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def task_type(code: str) -> TaskType:
    return db.session.scalars(select(TaskType).where(TaskType.code == code)).one()


def make_task(
    household: Household,
    organisation: Organisation,
    type_code: str = "HEALTH_CARD",
    *,
    officer: User | None = None,
    status: str = "planned",
    due: date = date(2020, 6, 30),
    **kw,
) -> SupportTask:
    """A task written directly (no workflow rules), in any status."""
    now = utcnow()
    kind = task_type(type_code)
    task = SupportTask(
        household_id=household.id,
        task_type_id=kind.id,
        title=kw.pop("title", kind.name_vi),
        organisation_id=organisation.id,
        officer_id=officer.id if officer else None,
        status=status,
        due_date=due,
        created_at=now,
        updated_at=now,
        **kw,
    )
    db.session.add(task)
    db.session.flush()
    return task


def day(text: str) -> date:
    return date.fromisoformat(text)


def report_definition(code: str = "task_progress_monthly") -> ReportDefinition:
    """A seeded report definition (seeding it first if need be)."""
    report_definitions.seed_definitions()
    return db.session.scalars(select(ReportDefinition).where(ReportDefinition.code == code)).one()


def make_report(
    unit: AdminUnit,
    code: str = "task_progress_monthly",
    period: str = "2020-03",
    *,
    status: str = "draft",
    versions: int = 1,
    **kw,
) -> ReportInstance:
    """A report instance written directly (no workflow rules), with ``versions`` version rows
    (their files are not written: give them with ``report_generation`` where a test needs them)."""
    definition = report_definition(code)
    cal_period = reports.definition_period(definition, period)
    rule = definition.deadlines[0]
    receiving = unit.parent
    while receiving is not None and receiving.kind not in reports.LEVEL_KINDS[rule.receiving_level]:
        receiving = receiving.parent
    now = utcnow()
    instance = ReportInstance(
        definition_id=definition.id,
        period=period,
        unit_id=unit.id,
        receiving_unit_id=receiving.id if receiving else None,
        period_start=cal_period.start,
        cut_off=cal_period.cut_off,
        deadline=kw.pop("deadline", reports.deadline_of(rule, cal_period, ())),
        status=status,
        version=versions,
        attempts=0,
        created_at=now,
        updated_at=now,
        **kw,
    )
    db.session.add(instance)
    db.session.flush()
    for number in range(1, versions + 1):
        db.session.add(
            ReportVersion(
                instance_id=instance.id,
                number=number,
                snapshot={"schema": 1, "sections": []},
                pdf_name=f"report-{instance.id}-v{number}.pdf",
                pdf_sha256="0" * 64,
                pdf_size=0,
                xlsx_name=f"report-{instance.id}-v{number}.xlsx",
                xlsx_sha256="0" * 64,
                generated_at=now,
            )
        )
    db.session.flush()
    return instance


def make_round(
    commune: AdminUnit, year: int = 2020, round_type: str = "periodic", month: int = 0
) -> ReviewRound:
    """An open review round of ``commune`` (through the model: no user, no audit)."""
    row = ReviewRound(
        unit_id=commune.id,
        year=year,
        round_type=round_type,
        month=month,
        standard_id=reference_standard("QD59-2015").id,
        stage="open",
        opened_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row
