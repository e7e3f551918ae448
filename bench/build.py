"""A district- or province-scale registry, built from the demo generator's pieces.

The first district is huyện Bạch Thông as the demo builds it (the units CSV,
its villages and its 2020 merges); further districts are synthetic copies of
its structure (12–16 communes of 3–6 villages, one of them a town) under the
same province, ~8,333 households each, so 100,000 households make 12
districts. Every household gets members (``DemoBuilder.make_members``: names,
unique citizen IDs, health cards), 2018 and 2019 official review records whose
income and deprivations classify (``classify``) to the result they record, the
status columns (``status_from``) and ``search_text`` (``rebuild_search_text``
itself, on a light stand-in object). Rows go in with Core ``insert()`` in
chunks, one district per transaction.

With ``tasks=N``, support tasks and their notes follow: the demo's own generator
(``DemoTasks``) over the whole province, as of the demo's fixed day (``AS_OF``), on a random
share of the followed households chosen so that about N tasks result.

Python API (the app context must be pushed, the schema migrated)::

    report = RegistryBuilder(households=300, tasks=200).run()
"""

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace

from sqlalchemy import insert, select

from app.extensions import db
from app.models import (
    AdminUnit,
    Assignment,
    Household,
    Indicator,
    Member,
    PovertyCause,
    PovertyStandard,
    ReviewRecord,
    SupportNeed,
    User,
    household_causes,
    household_needs,
    review_deprivations,
)
from app.services import reference
from app.services.audit import utcnow
from app.services.classification import Lines, classify
from app.services.demo import (
    CAUSE_WEIGHTS,
    COMMUNES_2019,
    DEPRIVATION_WEIGHTS,
    NEAR_2019,
    NEED_WEIGHTS,
    POOR_2019,
    POOR_INCOME_2019,
    TASKS_PER_HOUSEHOLD,
    TOTAL,
    TOWN_CODE,
    VILLAGE_STEMS,
    DemoBuilder,
    DemoTasks,
    Followed,
    Plan,
    allocate,
)
from app.services.households import rebuild_search_text
from app.services.reviews import status_from, transition
from app.services.text import fold

HOUSEHOLDS_PER_DISTRICT = 8_333  # 100,000 households = 12 districts
POOR_RATE = POOR_2019 / TOTAL
NEAR_RATE = NEAR_2019 / TOTAL
INCOME_SHARE = POOR_INCOME_2019 / POOR_2019
TOWN_WEIGHT = 0.25  # the town's poverty relative to a commune's (the demo: 2.9 % vs 17.3 %)
RESULTS = ("poor", "near_poor", "not_poor")
# 2019 result -> weights of the 2018 result (poor, near-poor, not poor): the demo's matrix.
HISTORY = {
    "poor": (1350, 80, 56),
    "near_poor": (250, 560, 56),
    "not_poor": (95, 361, TOTAL - POOR_2019 - NEAR_2019 - 95 - 361),
}
END_OF_PROVINCE = date(2025, 6, 30)
DISTRICT_NAMES = [
    "Ba Bể",
    "Chợ Đồn",
    "Chợ Mới",
    "Na Rì",
    "Ngân Sơn",
    "Pác Nặm",
    "Bảo Lạc",
    "Hà Quảng",
    "Trùng Khánh",
    "Nguyên Bình",
    "Thạch An",
    "Hòa An",
    "Hạ Lang",
    "Bảo Lâm",
]
NAME_FIRST = [
    "Tân",
    "Quang",
    "Vĩnh",
    "Phúc",
    "Hòa",
    "Đồng",
    "Mỹ",
    "Bình",
    "Thanh",
    "Xuân",
    "Kim",
    "Hữu",
    "Trung",
    "Thượng",
    "Yên",
    "Cao",
    "Lương",
    "Bằng",
    "Nghĩa",
    "Văn",
]
NAME_SECOND = [
    "Sơn",
    "Hà",
    "Lâm",
    "Phong",
    "Thịnh",
    "Lợi",
    "An",
    "Hưng",
    "Tiến",
    "Thành",
    "Lộc",
    "Phú",
    "Khánh",
    "Vân",
    "Long",
    "Minh",
    "Đạt",
    "Cư",
]
CHUNK = 10_000


@dataclass
class Commune:
    """A 2019 commune-level unit and the households to place in it."""

    unit: AdminUnit
    villages: list[int]
    district: str
    households: int
    weight: float
    area: str


@dataclass
class Batch:
    """One district's rows, households referred to by their index in ``households``."""

    households: list[dict] = field(default_factory=list)
    members: list[list[dict]] = field(default_factory=list)
    reviews: list[tuple[int, dict, list[str]]] = field(default_factory=list)
    causes: list[tuple[int, str]] = field(default_factory=list)
    needs: list[tuple[int, str]] = field(default_factory=list)
    assignments: list[tuple[int, tuple[int, int]]] = field(default_factory=list)


@dataclass
class BuildReport:
    households: int = 0
    members: int = 0
    reviews: int = 0
    districts: int = 0
    units: int = 0
    users: int = 0
    tasks: int = 0
    notes: int = 0
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())


def district_count(households: int) -> int:
    return max(1, round(households / HOUSEHOLDS_PER_DISTRICT))


def mean_tasks(status: str) -> float:
    """How many tasks ``DemoTasks.pick`` gives a household of this status, on average."""
    counts, weights = TASKS_PER_HOUSEHOLD.get(status, TASKS_PER_HOUSEHOLD["near_poor"])
    return sum(c * w for c, w in zip(counts, weights, strict=True)) / sum(weights)


class ProvinceTasks(DemoTasks):
    """The demo's tasks on a random share of the followed households, so that about ``target``
    tasks result (all of them when the province has fewer)."""

    def __init__(self, rng: random.Random, units: list[AdminUnit], target: int):
        super().__init__(rng, units)
        self.target = target

    def followed(self) -> list[Followed]:
        households = super().followed()
        expected = sum(mean_tasks(h.status) for h in households)
        share = min(1.0, self.target / expected) if expected else 0.0
        return [h for h in households if self.rng.random() < share]


def _chunks(rows: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class RegistryBuilder:
    """Builds the registry into the current app's (migrated, empty) database; commits."""

    def __init__(
        self,
        households: int = 100_000,
        *,
        tasks: int = 0,
        districts: int | None = None,
        seed: int = 2019,
        log: Callable[[str], None] = lambda _line: None,
    ):
        self.total = households
        self.task_target = tasks
        self.seed = seed
        self.districts = districts or district_count(households)
        self.demo = DemoBuilder(seed)
        self.rng = self.demo.rng
        self.log = log
        self.report = BuildReport(districts=self.districts)

    def run(self) -> BuildReport:
        start = time.perf_counter()
        self.reference_data()
        self.synthetic_districts()
        self.people()
        db.session.commit()
        self.lookups()
        self.report.phases["units, users, reference data"] = time.perf_counter() - start
        start = time.perf_counter()
        for number, communes in enumerate(self.district_plans(), start=1):
            began = time.perf_counter()
            batch = self.generate(communes)
            self.insert(batch)
            db.session.commit()
            self.log(
                f"  district {number}/{self.districts} {communes[0].district}: "
                f"{len(batch.households):,} households in {time.perf_counter() - began:.1f} s"
            )
        self.report.phases["households, members, reviews"] = time.perf_counter() - start
        if self.task_target:
            start = time.perf_counter()
            self.support_tasks()
            db.session.commit()
            self.report.phases["support tasks"] = time.perf_counter() - start
        return self.report

    def support_tasks(self) -> None:
        """About ``tasks`` support tasks (and their notes) for the followed households; the demo's
        statuses, due dates around its fixed day and the households' officers (``DemoTasks``)."""
        generator = ProvinceTasks(random.Random(f"tasks-{self.seed}"), self.demo.units, self.task_target)
        self.report.tasks, self.report.notes = generator.run()
        self.log(f"  support tasks: {self.report.tasks:,}, notes: {self.report.notes:,}")

    # -- units, organisations, users ------------------------------------------------------------

    def reference_data(self) -> None:
        reference.seed_standards()
        reference.seed_catalogues()
        reference.load_units_csv()
        db.session.flush()
        self.demo.units = list(db.session.scalars(select(AdminUnit)))
        self.demo.villages()

    def commune_names(self) -> Iterator[str]:
        taken = {fold(u.name.split(" ", 1)[-1]) for u in self.demo.units}
        pairs = [f"{a} {b}" for a in NAME_FIRST for b in NAME_SECOND]
        self.rng.shuffle(pairs)
        suffix = 0
        while True:
            for pair in pairs:
                name = f"{pair} {suffix}" if suffix else pair
                if fold(name) not in taken:
                    taken.add(fold(name))
                    yield name
            suffix += 1

    def synthetic_districts(self) -> None:
        province = self.demo.unit("06")
        names = self.commune_names()
        for number in range(1, self.districts):
            base = DISTRICT_NAMES[(number - 1) % len(DISTRICT_NAMES)]
            lap = (number - 1) // len(DISTRICT_NAMES)
            district = AdminUnit(
                code=f"9{number:02d}",
                name=f"Huyện {base}" + (f" {lap + 1}" if lap else ""),
                kind="district",
                parent_id=province.id,
                valid_from=date(1997, 1, 1),
                valid_to=END_OF_PROVINCE,
            )
            db.session.add(district)
            db.session.flush()
            for c in range(self.rng.randint(12, 16)):
                self.synthetic_commune(district, c, next(names))
        db.session.flush()
        self.demo.units = list(db.session.scalars(select(AdminUnit)))
        reference.set_paths(self.demo.units)
        db.session.flush()
        self.report.units = len(self.demo.units)

    def synthetic_commune(self, district: AdminUnit, c: int, name: str) -> None:
        town = c == 0
        commune = AdminUnit(
            code=f"{district.code}{c + 1:02d}",
            name=f"Thị trấn {name}" if town else f"Xã {name}",
            kind="town" if town else "commune",
            parent_id=district.id,
            valid_to=END_OF_PROVINCE,
        )
        db.session.add(commune)
        db.session.flush()
        count = 5 if town else self.rng.randint(3, 6)
        first = self.rng.randrange(len(VILLAGE_STEMS))
        for i in range(count):
            stem = VILLAGE_STEMS[(first + i) % len(VILLAGE_STEMS)]
            db.session.add(
                AdminUnit(
                    code=f"{commune.code}-{i + 1:02d}",
                    name=f"Tổ dân phố {i + 1}" if town else f"Thôn {stem}",
                    kind="village",
                    parent_id=commune.id,
                )
            )

    def people(self) -> None:
        """The demo's organisations and users (officers for every commune), and a province manager.

        With more than one district, ``manager`` is scoped to the province and
        ``manager.district`` keeps the demo manager's district scope.
        """
        self.demo.organisations()  # the province's department among them
        province = self.demo.unit("06")
        department = self.demo.organisation("SLĐTBXH", province)
        self.demo.users()
        manager = db.session.scalars(select(User).where(User.username == "manager")).one()
        db.session.add(
            User(
                username="manager.district",
                full_name="Lục Thị Hạnh",
                role="manager",
                scope_unit_id=manager.scope_unit_id,
                organisation_id=manager.organisation_id,
                password_hash=manager.password_hash,
                locale="vi",
                created_at=utcnow(),
            )
        )
        if self.districts > 1:
            db.session.flush()
            manager.scope_unit_id = province.id
            manager.organisation_id = department.id
        db.session.flush()
        self.report.users = len(db.session.scalars(select(User.id)).all())

    def lookups(self) -> None:
        standard = db.session.scalars(
            select(PovertyStandard).where(PovertyStandard.code == "QD59-2015")
        ).one()
        self.standard_id = standard.id
        self.lines = Lines.of(standard)
        self.indicators = {
            i.code: i.id
            for i in db.session.scalars(select(Indicator).where(Indicator.standard_id == standard.id))
        }
        self.causes = {c.code: c.id for c in db.session.scalars(select(PovertyCause))}
        self.needs = {c.code: c.id for c in db.session.scalars(select(SupportNeed))}
        self.by_id = {u.id: u for u in self.demo.units}
        self.officers: dict[int, list[tuple[int, int]]] = {}
        for user in db.session.scalars(select(User).where(User.role == "supervisor")):
            self.officers.setdefault(user.scope_unit_id, []).append((user.id, user.organisation_id))
        self.current: dict[int, int] = {}
        for unit in self.demo.units:
            if unit.kind == "village":
                now = unit
                while now.successor_id:
                    now = self.by_id[now.successor_id]
                self.current[unit.id] = now.id

    # -- the plan of each district --------------------------------------------------------------

    def villages_of(self, commune: AdminUnit) -> list[int]:
        return sorted(
            (u.id for u in self.demo.units if u.parent_id == commune.id and u.kind == "village"),
            key=lambda i: self.by_id[i].code,
        )

    def district_plans(self) -> list[list[Commune]]:
        sizes = allocate(self.total, [1.0] * self.districts)
        plans = [self.bach_thong(sizes[0])]
        districts = sorted(
            (u for u in self.demo.units if u.kind == "district" and u.code.startswith("9")),
            key=lambda u: u.code,
        )
        for district, size in zip(districts, sizes[1:], strict=True):
            plans.append(self.synthetic(district, size))
        return plans

    def bach_thong(self, total: int) -> list[Commune]:
        district = self.demo.unit("063")
        sizes = allocate(total, [n for _, n, _ in COMMUNES_2019])
        communes = []
        for (code, _, weight), size in zip(COMMUNES_2019, sizes, strict=True):
            unit = self.demo.unit(code)
            town = code == TOWN_CODE
            communes.append(
                Commune(
                    unit=unit,
                    villages=self.villages_of(unit),
                    district=district.name,
                    households=size,
                    weight=TOWN_WEIGHT if town else weight,
                    area="urban" if town else "rural",
                )
            )
        return communes

    def synthetic(self, district: AdminUnit, total: int) -> list[Commune]:
        units = sorted((u for u in self.demo.units if u.parent_id == district.id), key=lambda u: u.code)
        sizes = allocate(total, [self.rng.uniform(300, 700) for _ in units])
        return [
            Commune(
                unit=unit,
                villages=self.villages_of(unit),
                district=district.name,
                households=size,
                weight=TOWN_WEIGHT if unit.kind == "town" else self.rng.uniform(0.5, 1.8),
                area="urban" if unit.kind == "town" else "rural",
            )
            for unit, size in zip(units, sizes, strict=True)
        ]

    def plans(self, communes: list[Commune]) -> list[Plan]:
        total = sum(c.households for c in communes)
        weights = [c.households * c.weight for c in communes]
        poor = allocate(round(total * POOR_RATE), weights)
        near = allocate(round(total * NEAR_RATE), weights)
        plans = []
        for commune, n_poor, n_near in zip(communes, poor, near, strict=True):
            n_poor = min(n_poor, commune.households)
            n_near = min(n_near, commune.households - n_poor)
            results = ["poor"] * n_poor + ["near_poor"] * n_near
            results += ["not_poor"] * (commune.households - len(results))
            self.rng.shuffle(results)
            for result in results:
                village = self.rng.choice(commune.villages)
                plan = Plan(
                    commune_2019=commune.unit.code,
                    village_2019=village,
                    village_now=self.current[village],
                    area=commune.area,
                    ethnicity=self.demo.ethnicity_for(commune.unit.code),
                    result_2019=result,
                )
                plan.criterion_2019 = self.poor_criterion() if result == "poor" else None
                plan.result_2018 = self.rng.choices(RESULTS, weights=HISTORY[result])[0]
                plans.append(plan)
        return plans

    def poor_criterion(self) -> str:
        return "income" if self.rng.random() < INCOME_SHARE else "deprivation"

    # -- rows ---------------------------------------------------------------------------------

    def generate(self, communes: list[Commune]) -> Batch:
        batch = Batch()
        now = utcnow()
        seq: dict[str, int] = {}
        for plan in self.plans(communes):
            idx = len(batch.households)
            seq[plan.commune_2019] = seq.get(plan.commune_2019, 0) + 1
            members = self.demo.make_members(plan)
            row = self.household_row(plan, f"{plan.commune_2019}-{seq[plan.commune_2019]:04d}", members, now)
            official = []
            previous = None
            for year, result in ((2018, plan.result_2018), (2019, plan.result_2019)):
                wanted = plan.criterion_2019 if year == 2019 else self.poor_criterion()
                review, codes = self.review(plan, idx, year, result, wanted, previous)
                batch.reviews.append((idx, review, codes))
                official.append((year, review["result"], review["criterion"]))
                previous = result
            row["status"], row["status_criterion"], row["status_year"] = status_from(official)
            batch.households.append(row)
            batch.members.append(members)
            self.support(batch, idx, plan)
        return batch

    def household_row(self, plan: Plan, code: str, members: list[dict], now: datetime) -> dict:
        village = self.by_id[plan.village_now]
        commune = self.by_id[village.parent_id]
        district = self.by_id[commune.parent_id]
        district_name = district.name[0].lower() + district.name[1:]
        head = members[0]["full_name"]
        stand_in = SimpleNamespace(
            code=code,
            head_name=head,
            address=f"{village.name}, {commune.name}, {district_name}, tỉnh Bắc Kạn",
            members=[SimpleNamespace(full_name=m["full_name"], citizen_id=m["citizen_id"]) for m in members],
        )
        rebuild_search_text(stand_in)
        return dict(
            code=code,
            head_name=head,
            sort_name=stand_in.sort_name,
            ethnicity=plan.ethnicity,
            unit_id=village.id,
            address=stand_in.address,
            area=plan.area,
            phone=f"09{self.rng.randrange(10**8):08d}" if self.rng.random() < 0.6 else None,
            search_text=stand_in.search_text,
            version=1,
            created_at=now,
            updated_at=now,
        )

    def review(
        self, plan: Plan, idx: int, year: int, result: str, criterion: str | None, previous: str | None
    ) -> tuple[dict, list[str]]:
        income, deprived = self.demo.figures(
            self.lines, plan.area, result, criterion if result == "poor" else None
        )
        verdict = classify(self.lines, plan.area, income, deprived)
        if verdict.result != result:
            raise RuntimeError(f"generated figures classify to {verdict}, not {result}")
        moved = transition(previous, result, poor_before=False)
        row = dict(
            year=year,
            kind="official",
            standard_id=self.standard_id,
            unit_id=plan.village_2019,
            area=plan.area,
            income_per_month=income,
            score_b=10 * deprived,
            result=str(verdict.result),
            criterion=str(verdict.criterion) if verdict.criterion else None,
            transition=str(moved) if moved else None,
            decision_number=f"{100 + idx % 17 * 7}/QĐ-UBND",
            decision_date=date(year, 12, 20),
            created_at=datetime(year, 12, 20, 9, 0),
        )
        return row, self.demo.weighted_sample(DEPRIVATION_WEIGHTS, deprived)

    def support(self, batch: Batch, idx: int, plan: Plan) -> None:
        """Causes and needs of poor and near-poor households, and the officer who follows them."""
        share = {"poor": 0.95, "near_poor": 0.7}.get(plan.result_2019)
        if share is None:
            return
        for code in self.demo.weighted_sample(CAUSE_WEIGHTS, self.rng.randint(1, 3)):
            batch.causes.append((idx, code))
        for code in self.demo.weighted_sample(NEED_WEIGHTS, self.rng.randint(1, 3)):
            batch.needs.append((idx, code))
        if self.rng.random() < share:
            commune_id = self.by_id[plan.village_now].parent_id
            batch.assignments.append((idx, self.rng.choice(self.officers[commune_id])))

    # -- inserts ------------------------------------------------------------------------------

    def execute(self, target, rows: list[dict]) -> None:
        for chunk in _chunks(rows):
            db.session.execute(insert(target), chunk)

    def insert(self, batch: Batch) -> None:
        ids = self.demo.insert_returning(Household, batch.households)
        members = [dict(household_id=ids[i], **m) for i, group in enumerate(batch.members) for m in group]
        self.execute(Member, members)
        review_rows = [row | {"household_id": ids[i]} for i, row, _ in batch.reviews]
        review_ids = self.demo.insert_returning(ReviewRecord, review_rows)
        links = [
            dict(review_id=rid, indicator_id=self.indicators[code])
            for rid, (_, _, codes) in zip(review_ids, batch.reviews, strict=True)
            for code in codes
        ]
        self.execute(review_deprivations, links)
        self.execute(
            household_causes, [dict(household_id=ids[i], cause_id=self.causes[c]) for i, c in batch.causes]
        )
        self.execute(
            household_needs, [dict(household_id=ids[i], need_id=self.needs[c]) for i, c in batch.needs]
        )
        today = date(2020, 1, 15)
        self.execute(
            Assignment,
            [
                dict(
                    household_id=ids[i],
                    organisation_id=org,
                    officer_id=officer,
                    start_date=today,
                    created_at=utcnow(),
                )
                for i, (officer, org) in batch.assignments
            ],
        )
        self.report.households += len(ids)
        self.report.members += len(members)
        self.report.reviews += len(review_rows)
