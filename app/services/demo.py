"""The demo district: huyện Bạch Thông as of the March 2020 article.

Everything is generated from one seeded random generator, so two runs on
empty databases build the same district, and the totals are fixed by
construction (largest-remainder allocation), not by retrying:

* 2019 official review: 8,575 households; 1,486 poor (1,400 by income, 30 of
  them urban; 86 by deprivation); 866 near-poor;
* 2018 official review: 1,695 poor (19.77 %) and 1,001 near-poor (11.67 %);
* 2019 preliminary review: 1,497 poor (17.46 %), 11 of whom the official
  review recognised as near-poor.

Every record's income and deprivations classify, under QĐ 59/2015, to the
result it records: the figures come from :func:`classify`, not beside it.
"""

import os
import random
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import (
    AdminUnit,
    Assignment,
    Household,
    Indicator,
    Member,
    Organisation,
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
from app.services.households import search_document
from app.services.reviews import status_from, transition
from app.services.text import fold

DEMO_PASSWORD_ENV = "DEMO_PASSWORD"
DEFAULT_PASSWORD = "giamngheo-demo"
TOTAL = 8575
POOR_2019, NEAR_2019 = 1486, 866
POOR_INCOME_2019, POOR_INCOME_URBAN_2019 = 1400, 30
POOR_2018, NEAR_2018 = 1695, 1001
PRELIMINARY_EXTRA_POOR = 11

# 2019 commune-level units: (code, households, relative poverty weight).
COMMUNES_2019 = [
    ("01969", 1180, 0.0),  # Thị trấn Phủ Thông: the town, fixed separately
    ("01972", 505, 0.85),
    ("01975", 440, 1.0),
    ("01978", 470, 1.55),
    ("01981", 415, 1.7),
    ("01984", 480, 0.9),
    ("01987", 300, 1.2),
    ("01990", 560, 0.8),
    ("01993", 330, 1.1),
    ("01996", 390, 1.0),
    ("01999", 540, 0.95),
    ("02002", 350, 1.8),
    ("02005", 560, 0.9),
    ("02008", 620, 1.05),
    ("02011", 440, 1.25),
    ("02014", 380, 1.3),
    ("02017", 615, 1.15),
]
TOWN_CODE = "01969"
TOWN_POOR, TOWN_NEAR = 34, 45  # 30 of the 34 poor by income: the article's urban figure

VILLAGE_STEMS = [
    "Nà Pài",
    "Khuổi Chắp",
    "Pác Nặm",
    "Bản Chiêng",
    "Nà Lẹng",
    "Phiêng Pục",
    "Còn Tang",
    "Nà Cà",
    "Bản Đăng",
    "Khuổi Lè",
    "Nà Vài",
    "Bó Lếch",
    "Pò Đồn",
    "Nà Mèo",
    "Bản Cám",
    "Phja Khao",
    "Nà Hin",
    "Khau Bang",
    "Đon Tuấn",
    "Nà Dài",
    "Bản Pjạc",
    "Khuổi Hóp",
    "Nà Thắm",
    "Cốc Lùng",
    "Pác Cáp",
    "Nà Cọ",
    "Bản Lanh",
    "Khuổi Khỉ",
    "Nặm Dất",
    "Phiêng Lủng",
]

SURNAMES = {
    "Tày": ["Hoàng", "Nông", "Ma", "Hà", "Lục", "Đàm", "Lương", "Mã", "Vi", "Lường", "Triệu"],
    "Nùng": ["Hoàng", "Nông", "Lý", "Vi", "Mã", "Lăng", "Chu"],
    "Dao": ["Triệu", "Bàn", "Đặng", "Lý", "Phùng", "Chu"],
    "Kinh": ["Nguyễn", "Trần", "Lê", "Phạm", "Vũ", "Đỗ", "Bùi"],
    "H'Mông": ["Giàng", "Vàng", "Lầu", "Sùng", "Thào", "Hầu", "Lý", "Mùa"],
}
GIVEN_MALE = {
    "default": [
        "Đức",
        "Hùng",
        "Thắng",
        "Bình",
        "Lợi",
        "Dũng",
        "Tuấn",
        "Hải",
        "Thuận",
        "Quyết",
        "Sơn",
        "Toàn",
        "Khánh",
        "Vượng",
        "Chiến",
        "Cường",
        "Hưng",
        "Long",
        "Minh",
        "Phong",
    ],
    "H'Mông": ["Seo Pao", "A Chứ", "Seo Dín", "A Tủa", "Seo Lềnh", "A Sình", "Seo Páo"],
    "Dao": ["Văn Tòn", "Văn Kiềm", "Văn Phin", "Văn Sinh", "Văn Lâm", "Văn Vằn"],
}
GIVEN_FEMALE = {
    "default": [
        "Mai",
        "Lan",
        "Hoa",
        "Hương",
        "Nga",
        "Thu",
        "Hằng",
        "Liên",
        "Nhung",
        "Thảo",
        "Yến",
        "Phượng",
        "Dung",
        "Xuân",
        "Hiền",
        "Vân",
    ],
    "H'Mông": ["Thị Mỷ", "Thị Dợ", "Thị Chá", "Thị Súa", "Thị Pàng"],
    "Dao": ["Thị Mẩy", "Thị Kiều", "Thị Tòn", "Thị Slam", "Thị Hiền"],
}
MIDDLE_MALE = ["Văn", "Đức", "Văn", "Ngọc", "Văn", "Minh"]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thu"]
OCCUPATIONS = ["Làm ruộng", "Làm nương", "Chăn nuôi", "Lao động tự do", "Làm thuê", "Trồng rừng"]
DEPRIVATION_WEIGHTS = {
    "HOUSING_QUALITY": 6,
    "DOMESTIC_WATER": 6,
    "LATRINE": 7,
    "ADULT_EDUCATION": 4,
    "INFO_ASSETS": 5,
    "HOUSING_AREA": 3,
    "TELECOM": 2,
    "CHILD_SCHOOLING": 2,
    "HEALTH_INSURANCE": 1,
    "HEALTH_ACCESS": 1,
}
CAUSE_WEIGHTS = {
    "NO_CAPITAL": 9,
    "NO_LAND": 6,
    "NO_KNOWLEDGE": 6,
    "NO_LABOUR": 5,
    "ILLNESS": 5,
    "NO_SKILLS": 4,
    "NO_TOOLS": 3,
    "DEPENDANTS": 3,
    "NO_JOBS": 2,
    "DISASTER": 1,
    "OTHER": 1,
}
NEED_WEIGHTS = {
    "CREDIT": 8,
    "PRODUCTION": 8,
    "VOCATIONAL": 4,
    "HOUSING": 3,
    "WATER": 3,
    "LATRINE": 3,
    "HEALTH_CARD": 2,
    "JOB": 3,
    "TUITION": 2,
    "INFORMATION": 2,
    "LEGAL_AID": 1,
}

DEMO_USERS = [
    ("admin", "Quản trị Hệ thống", "admin", "063", "LĐTBXH"),
    ("manager", "Hoàng Văn Thành", "manager", "063", "LĐTBXH"),
    ("staff", "Nông Thị Huyền", "staff", "063", "LĐTBXH"),
    ("staff.camgiang", "Ma Thị Lụa", "staff", "02008", "UBND"),
    ("supervisor.camgiang", "Lục Văn Quân", "supervisor", "02008", "UBND"),
    ("staff.quangthuan", "Hà Thị Nhàn", "staff", "02017", "UBND"),
    ("supervisor.quangthuan", "Triệu Văn Phúc", "supervisor", "02017", "UBND"),
]

DISTRICT_ORGANISATIONS = [
    ("LĐTBXH", "Phòng Lao động - Thương binh và Xã hội huyện Bạch Thông", "state_department"),
    ("NNPTNT", "Phòng Nông nghiệp và Phát triển nông thôn huyện Bạch Thông", "state_department"),
    ("NHCSXH", "Ngân hàng Chính sách xã hội huyện Bạch Thông", "bank"),
    ("HLHPN", "Hội Liên hiệp Phụ nữ huyện Bạch Thông", "mass_organisation"),
    ("HND", "Hội Nông dân huyện Bạch Thông", "mass_organisation"),
    ("HĐ", "Huyện đoàn Bạch Thông", "mass_organisation"),
    ("MTTQ", "Ủy ban Mặt trận Tổ quốc Việt Nam huyện Bạch Thông", "mass_organisation"),
]
COMMUNE_ORGANISATIONS = [
    ("UBND", "Ủy ban nhân dân {name}", "peoples_committee"),
    ("HPN", "Hội Phụ nữ {name}", "mass_organisation"),
    ("HND", "Hội Nông dân {name}", "mass_organisation"),
    ("TYT", "Trạm Y tế {name}", "health_station"),
]


def demo_password() -> str:
    return os.environ.get(DEMO_PASSWORD_ENV) or DEFAULT_PASSWORD


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder); the parts sum to ``total``."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def slug(name: str) -> str:
    """ "Xã Cẩm Giàng" → "camgiang"."""
    words = fold(name).split(" ")
    if words and words[0] in {"xa", "thi", "phuong"}:
        words = words[2:] if words[0] == "thi" else words[1:]
    return "".join(ch for ch in "".join(words) if ch.isalnum())


@dataclass
class Plan:
    """One household's generated story: 2018 and 2019 results and everything else."""

    commune_2019: str
    village_2019: int
    village_now: int
    area: str
    ethnicity: str
    result_2019: str = "not_poor"
    criterion_2019: str | None = None
    result_2018: str = "not_poor"
    preliminary_poor: bool = False
    members: list[dict] = field(default_factory=list)


class DemoBuilder:
    """Builds the demo district; each step skips what is already there."""

    def __init__(self, seed: int = 2019):
        self.rng = random.Random(seed)
        self.log: list[str] = []
        self.used_ids: set[str] = set()

    def run(self) -> list[str]:
        self.log.append(f"standards added: {reference.seed_standards()}")
        self.log.append(f"catalogue entries added: {reference.seed_catalogues()}")
        self.log.append(f"units added: {reference.load_units_csv()}")
        db.session.flush()
        self.units = list(db.session.scalars(select(AdminUnit)))
        self.villages()
        self.organisations()
        self.users()
        if db.session.scalar(select(func.count(Household.id))):
            self.log.append("households already present: left unchanged")
        else:
            self.households()
        return self.log

    # -- units ---------------------------------------------------------------

    def unit(self, code: str, on: date = date(2019, 12, 31)) -> AdminUnit:
        named = [u for u in self.units if u.code == code]
        valid = [u for u in named if u.is_valid_on(on)]
        return (valid or named)[0]

    def villages(self) -> None:
        if any(u.kind == "village" for u in self.units):
            self.log.append("villages already present: left unchanged")
            return
        stems = list(VILLAGE_STEMS)
        self.rng.shuffle(stems)
        communes = [u for u in self.units if u.kind in ("town", "commune")]
        new_villages: list[AdminUnit] = []
        successors: dict[int, list[AdminUnit]] = {}
        for commune in sorted(communes, key=lambda u: (u.code, u.valid_from or date.min)):
            if commune.valid_from is not None:
                continue  # a commune created by a merge gets its villages below
            count = 5 if commune.code == TOWN_CODE else self.rng.randint(3, 6)
            for i in range(count):
                if commune.code == TOWN_CODE:
                    name = f"Tổ dân phố {i + 1}"
                else:
                    name = f"Thôn {stems[(len(new_villages) + i) % len(stems)]}"
                village = AdminUnit(
                    code=f"{commune.code}-{i + 1:02d}",
                    name=name,
                    kind="village",
                    parent_id=commune.id,
                    valid_to=commune.valid_to if commune.successor_id else None,
                )
                new_villages.append(village)
                if commune.successor_id:
                    successors.setdefault(commune.successor_id, []).append(village)
        db.session.add_all(new_villages)
        db.session.flush()
        moved = []
        for successor_id, olds in successors.items():
            successor = db.session.get(AdminUnit, successor_id)
            existing = len([v for v in new_villages if v.parent_id == successor_id])
            for j, old in enumerate(olds):
                new = AdminUnit(
                    code=f"{successor.code}-{existing + j + 1:02d}",
                    name=old.name,
                    kind="village",
                    parent_id=successor_id,
                    valid_from=date(2020, 2, 1),
                )
                db.session.add(new)
                db.session.flush()
                old.successor_id = new.id
                moved.append(new)
        db.session.flush()
        self.units = list(db.session.scalars(select(AdminUnit)))
        reference.set_paths(self.units)
        self.log.append(f"villages added: {len(new_villages) + len(moved)}")

    def current_village(self, village: AdminUnit) -> AdminUnit:
        by_id = {u.id: u for u in self.units}
        while village.successor_id:
            village = by_id[village.successor_id]
        return village

    def current_communes(self) -> list[AdminUnit]:
        return [u for u in self.units if u.kind in ("town", "commune") and u.is_valid_on(date(2020, 3, 20))]

    # -- organisations and users ----------------------------------------------

    def organisations(self) -> None:
        if db.session.scalar(select(func.count(Organisation.id))):
            self.log.append("organisations already present: left unchanged")
            return
        district = self.unit("063")
        rows = [Organisation(name=n, kind=k, unit_id=district.id) for _, n, k in DISTRICT_ORGANISATIONS]
        for commune in self.current_communes():
            rows += [
                Organisation(name=n.format(name=commune.name), kind=k, unit_id=commune.id)
                for _, n, k in COMMUNE_ORGANISATIONS
            ]
        db.session.add_all(rows)
        db.session.flush()
        self.log.append(f"organisations added: {len(rows)}")

    def organisation(self, key: str, unit: AdminUnit) -> Organisation:
        templates = dict((k, n) for k, n, _ in DISTRICT_ORGANISATIONS + COMMUNE_ORGANISATIONS)
        name = templates[key].format(name=unit.name)
        return db.session.scalars(select(Organisation).where(Organisation.name == name)).one()

    def users(self) -> None:
        existing = set(db.session.scalars(select(User.username)))
        password_hash = None
        specs = list(DEMO_USERS)
        officer_names = self.officer_names()
        for commune in self.current_communes():
            s = slug(commune.name)
            named = f"supervisor.{s}" if any(u[0] == f"supervisor.{s}" for u in DEMO_USERS) else None
            for i in range(1 if named else 0, 3):
                specs.append((f"canbo.{s}.{i + 1}", next(officer_names), "supervisor", commune.code, "UBND"))
        added = 0
        for username, full_name, role, unit_code, org_key in specs:
            if username in existing:
                continue
            if password_hash is None:
                probe = User()
                probe.set_password(demo_password())
                password_hash = probe.password_hash
            unit = self.unit(unit_code, date(2020, 3, 20))
            db.session.add(
                User(
                    username=username,
                    full_name=full_name,
                    role=role,
                    scope_unit_id=unit.id,
                    organisation_id=self.organisation(org_key, unit).id,
                    password_hash=password_hash,
                    locale="vi",
                    created_at=utcnow(),
                )
            )
            added += 1
        db.session.flush()
        self.log.append(f"users added: {added}")

    def officer_names(self):
        while True:
            yield self.person_name("Tày", self.rng.choice(["male", "female"]))

    # -- people --------------------------------------------------------------

    def person_name(self, ethnicity: str, sex: str, surname: str | None = None) -> str:
        surname = surname or self.rng.choice(SURNAMES.get(ethnicity, SURNAMES["Tày"]))
        pool = GIVEN_MALE if sex == "male" else GIVEN_FEMALE
        given = self.rng.choice(pool.get(ethnicity, pool["default"]))
        if " " in given:
            return f"{surname} {given}"
        middle = self.rng.choice(MIDDLE_MALE if sex == "male" else MIDDLE_FEMALE)
        return f"{surname} {middle} {given}"

    def citizen_id(self, sex: str, birth_year: int) -> str:
        century = 0 if birth_year < 2000 else 2
        prefix = f"006{century + (1 if sex == 'female' else 0)}{birth_year % 100:02d}"
        while True:
            value = f"{prefix}{self.rng.randrange(10**6):06d}"
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def ethnicity_for(self, commune_code: str) -> str:
        highland = commune_code in {"02002", "01981", "01978", "02014"}
        if commune_code == TOWN_CODE:
            weights = {"Kinh": 45, "Tày": 40, "Nùng": 10, "Dao": 5}
        elif highland:
            weights = {"Tày": 35, "Dao": 25, "H'Mông": 20, "Nùng": 15, "Kinh": 5}
        else:
            weights = {"Tày": 60, "Nùng": 15, "Dao": 12, "Kinh": 10, "H'Mông": 3}
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def make_members(self, plan: Plan) -> list[dict]:
        rng = self.rng
        eth = plan.ethnicity
        head_sex = "male" if rng.random() < 0.82 else "female"
        surname = rng.choice(SURNAMES.get(eth, SURNAMES["Tày"]))
        head_year = rng.randint(1945, 1995)
        people = [("head", head_sex, head_year, surname)]
        if rng.random() < 0.85:
            spouse_sex = "female" if head_sex == "male" else "male"
            people.append(("spouse", spouse_sex, head_year + rng.randint(-4, 4), None))
        for _ in range(rng.choices([0, 1, 2, 3, 4], weights=[10, 20, 35, 25, 10])[0]):
            child_year = min(2019, head_year + rng.randint(20, 38))
            people.append(("child", rng.choice(["male", "female"]), child_year, surname))
        if rng.random() < 0.2 and head_year > 1965:
            people.append(
                ("parent", rng.choice(["male", "female"]), head_year - rng.randint(20, 30), surname)
            )
        card_prefix = {"poor": "HN2", "near_poor": "CN3"}.get(plan.result_2019, "GD4")
        members = []
        for relation, sex, year, surname_of in people:
            age = 2020 - year
            card = None
            if plan.result_2019 in ("poor", "near_poor") or rng.random() < 0.8:
                if rng.random() < 0.96:
                    card = f"{card_prefix}06{rng.randrange(10**10):010d}"
            schooling = None
            if 6 <= age <= 18:
                schooling = "in_school" if rng.random() < 0.93 else "dropped_out"
            elif age < 6:
                schooling = "not_yet"
            elif age > 18:
                schooling = "finished"
            members.append(
                dict(
                    full_name=self.person_name(eth, sex, surname_of),
                    relation=relation,
                    sex=sex,
                    birth_year=year,
                    ethnicity=eth,
                    citizen_id=self.citizen_id(sex, year) if age >= 14 else None,
                    occupation=rng.choice(OCCUPATIONS) if 16 <= age <= 65 else None,
                    health_insurance_card=card,
                    schooling=schooling,
                    has_disability=rng.random() < 0.02,
                )
            )
        return members

    # -- households and reviews --------------------------------------------------

    def plans(self) -> list[Plan]:
        rng = self.rng
        codes = [c for c, _, _ in COMMUNES_2019]
        sizes = [n for _, n, _ in COMMUNES_2019]
        assert sum(sizes) == TOTAL, sum(sizes)
        rural = [i for i, c in enumerate(codes) if c != TOWN_CODE]
        weights = [COMMUNES_2019[i][1] * COMMUNES_2019[i][2] for i in rural]
        poor = dict(zip(rural, allocate(POOR_2019 - TOWN_POOR, weights), strict=True))
        near = dict(zip(rural, allocate(NEAR_2019 - TOWN_NEAR, weights), strict=True))
        town = codes.index(TOWN_CODE)
        poor[town], near[town] = TOWN_POOR, TOWN_NEAR

        plans: list[Plan] = []
        for i, code in enumerate(codes):
            commune = self.unit(code)
            villages = sorted(
                (u for u in self.units if u.parent_id == commune.id and u.kind == "village"),
                key=lambda u: u.code,
            )
            area = "urban" if commune.kind == "town" else "rural"
            results = ["poor"] * poor[i] + ["near_poor"] * near[i]
            results += ["not_poor"] * (sizes[i] - len(results))
            rng.shuffle(results)
            for result in results:
                village = rng.choice(villages)
                plans.append(
                    Plan(
                        commune_2019=code,
                        village_2019=village.id,
                        village_now=self.current_village(village).id,
                        area=area,
                        ethnicity=self.ethnicity_for(code),
                        result_2019=result,
                    )
                )
        self.criteria(plans)
        self.history(plans)
        return plans

    def criteria(self, plans: list[Plan]) -> None:
        """Exactly 1,400 poor by income, 30 of them urban; the rest by deprivation."""
        urban_poor = [p for p in plans if p.result_2019 == "poor" and p.area == "urban"]
        rural_poor = [p for p in plans if p.result_2019 == "poor" and p.area == "rural"]
        for j, plan in enumerate(urban_poor):
            plan.criterion_2019 = "income" if j < POOR_INCOME_URBAN_2019 else "deprivation"
        by_income = set(self.rng.sample(range(len(rural_poor)), POOR_INCOME_2019 - POOR_INCOME_URBAN_2019))
        for j, plan in enumerate(rural_poor):
            plan.criterion_2019 = "income" if j in by_income else "deprivation"

    def history(self, plans: list[Plan]) -> None:
        """2018 results with exactly 1,695 poor and 1,001 near-poor, and the preliminary 2019."""
        matrix = {  # 2019 result -> 2018 results (poor, near-poor, not poor)
            "poor": (1350, 80, 56),
            "near_poor": (250, 560, 56),
            "not_poor": (95, 361, None),
        }
        for result, (was_poor, was_near, _) in matrix.items():
            group = [p for p in plans if p.result_2019 == result]
            self.rng.shuffle(group)
            for j, plan in enumerate(group):
                plan.result_2018 = (
                    "poor" if j < was_poor else "near_poor" if j < was_poor + was_near else "not_poor"
                )
        near = [p for p in plans if p.result_2019 == "near_poor"]
        for plan in self.rng.sample(near, PRELIMINARY_EXTRA_POOR):
            plan.preliminary_poor = True

    def figures(self, lines: Lines, area: str, result: str, criterion: str | None) -> tuple[int, int]:
        """An income and a deprivation count that classify to ``result`` under ``lines``."""
        rng = self.rng
        urban = area == "urban"
        poor_line = lines.poor_urban if urban else lines.poor_rural
        band_top = lines.near_poor_urban if urban else lines.near_poor_rural
        if result == "poor" and criterion == "income":
            return rng.randrange(poor_line // 2, poor_line + 1, 10_000), rng.choices(
                [0, 1, 2, 3, 4], [2, 4, 4, 3, 1]
            )[0]
        if result == "poor":
            return rng.randrange(poor_line + 10_000, band_top + 1, 10_000), rng.randint(3, 6)
        if result == "near_poor":
            return rng.randrange(poor_line + 10_000, band_top + 1, 10_000), rng.choices([0, 1, 2], [3, 4, 3])[
                0
            ]
        return rng.randrange(band_top + 10_000, band_top * 4, 10_000), rng.choices([0, 1, 2], [6, 3, 1])[0]

    def households(self) -> None:
        standard = db.session.scalars(
            select(PovertyStandard).where(PovertyStandard.code == "QD59-2015")
        ).one()
        lines = Lines.of(standard)
        indicators = {
            i.code: i.id
            for i in db.session.scalars(select(Indicator).where(Indicator.standard_id == standard.id))
        }
        causes = {c.code: c.id for c in db.session.scalars(select(PovertyCause))}
        needs = {c.code: c.id for c in db.session.scalars(select(SupportNeed))}
        by_id = {u.id: u for u in self.units}
        plans = self.plans()
        now = utcnow()

        household_rows = self.household_rows(plans, by_id, now)
        review_specs = self.review_specs(plans)
        review_rows, deprivation_lists, official = self.review_rows(plans, review_specs, standard, lines)

        for idx, plan in enumerate(plans):
            statuses = [
                (y, official[(idx, y)], plan.criterion_2019 if y == 2019 else None) for y in (2018, 2019)
            ]
            status, criterion, year = status_from(statuses)
            household_rows[idx].update(status=status, status_criterion=criterion, status_year=year)

        household_ids = self.insert_returning(Household, household_rows)
        member_rows = [
            dict(household_id=household_ids[idx], **m) for idx, plan in enumerate(plans) for m in plan.members
        ]
        db.session.execute(insert(Member), member_rows)
        for row, spec in zip(review_rows, review_specs, strict=True):
            row["household_id"] = household_ids[spec[0]]
        review_ids = self.insert_returning(ReviewRecord, review_rows)
        links = [
            dict(review_id=rid, indicator_id=indicators[code])
            for rid, codes in zip(review_ids, deprivation_lists, strict=True)
            for code in codes
        ]
        db.session.execute(insert(review_deprivations), links)
        cause_links, need_links = [], []
        for idx, plan in enumerate(plans):
            if plan.result_2019 in ("poor", "near_poor"):
                for code in self.weighted_sample(CAUSE_WEIGHTS, self.rng.randint(1, 3)):
                    cause_links.append(dict(household_id=household_ids[idx], cause_id=causes[code]))
                for code in self.weighted_sample(NEED_WEIGHTS, self.rng.randint(1, 3)):
                    need_links.append(dict(household_id=household_ids[idx], need_id=needs[code]))
        db.session.execute(insert(household_causes), cause_links)
        db.session.execute(insert(household_needs), need_links)
        self.assignments(plans, household_ids)
        self.log.append(
            f"households added: {len(household_rows)}, members: {len(member_rows)}, "
            f"review records: {len(review_rows)}"
        )

    def household_rows(self, plans: list[Plan], by_id: dict[int, AdminUnit], now: datetime) -> list[dict]:
        rows, seq = [], {}
        for plan in plans:
            plan.members = self.make_members(plan)
            seq[plan.commune_2019] = seq.get(plan.commune_2019, 0) + 1
            village = by_id[plan.village_now]
            head = plan.members[0]["full_name"]
            code = f"{plan.commune_2019}-{seq[plan.commune_2019]:04d}"
            address = f"{village.name}, {by_id[village.parent_id].name}, huyện Bạch Thông, tỉnh Bắc Kạn"
            search = [code, head, address] + [m["full_name"] for m in plan.members]
            search += [m["citizen_id"] for m in plan.members if m["citizen_id"]]
            rows.append(
                dict(
                    code=code,
                    head_name=head,
                    sort_name=fold(head),
                    ethnicity=plan.ethnicity,
                    unit_id=village.id,
                    address=address,
                    area=plan.area,
                    phone=f"09{self.rng.randrange(10**8):08d}" if self.rng.random() < 0.6 else None,
                    search_text=search_document(search),
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        return rows

    @staticmethod
    def review_specs(plans: list[Plan]) -> list[tuple]:
        """``(plan index, year, kind, result, wanted criterion or None)`` for every review record."""
        specs = []
        for idx, plan in enumerate(plans):
            specs.append((idx, 2018, "official", plan.result_2018, None))
            specs.append((idx, 2019, "official", plan.result_2019, plan.criterion_2019))
            if plan.preliminary_poor:
                specs.append((idx, 2019, "preliminary", "poor", "deprivation"))
            else:
                specs.append((idx, 2019, "preliminary", plan.result_2019, plan.criterion_2019))
        return specs

    def review_rows(self, plans: list[Plan], specs: list[tuple], standard, lines: Lines):
        """Rows whose figures classify (checked here) to the planned result."""
        rows, deprivations, official = [], [], {}
        for idx, year, kind, result, wanted in specs:
            if result == "poor" and wanted is None:
                wanted = "income" if self.rng.random() < 0.93 else "deprivation"
            plan = plans[idx]
            income, deprived = self.figures(lines, plan.area, result, wanted if result == "poor" else None)
            verdict = classify(lines, plan.area, income, deprived)
            if verdict.result != result:
                raise AssertionError(f"generated figures classify to {verdict}, not {result}")
            is_official = kind == "official"
            rows.append(
                dict(
                    year=year,
                    kind=kind,
                    standard_id=standard.id,
                    unit_id=plan.village_2019,
                    area=plan.area,
                    income_per_month=income,
                    score_b=10 * deprived,
                    result=str(verdict.result),
                    criterion=str(verdict.criterion) if verdict.criterion else None,
                    transition=transition(official.get((idx, year - 1)), result, poor_before=False)
                    if is_official
                    else None,
                    decision_number=f"{year % 100 * 10 + int(plan.commune_2019) % 97}/QĐ-UBND"
                    if is_official
                    else None,
                    decision_date=date(year, 12, 20) if is_official else None,
                    created_at=datetime(year, 12, 20, 9, 0),
                )
            )
            deprivations.append(self.weighted_sample(DEPRIVATION_WEIGHTS, deprived))
            if is_official:
                official[(idx, year)] = result
        return rows, deprivations, official

    def weighted_sample(self, weights: dict[str, int], k: int) -> list[str]:
        pool = dict(weights)
        chosen = []
        for _ in range(min(k, len(pool))):
            code = self.rng.choices(list(pool), weights=list(pool.values()))[0]
            chosen.append(code)
            pool.pop(code)
        return chosen

    def insert_returning(self, model, rows: list[dict]) -> list[int]:
        ids: list[int] = []
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            ids += db.session.scalars(
                insert(model).returning(model.id, sort_by_parameter_order=True), chunk
            ).all()
        return ids

    def assignments(self, plans: list[Plan], household_ids: list[int]) -> None:
        """About 95 % of poor and 70 % of near-poor households followed by a commune officer."""
        officers: dict[int, list[User]] = {}
        for user in db.session.scalars(select(User).where(User.role == "supervisor")):
            officers.setdefault(user.scope_unit_id, []).append(user)
        by_id = {u.id: u for u in self.units}
        rows = []
        for idx, plan in enumerate(plans):
            share = {"poor": 0.95, "near_poor": 0.7}.get(plan.result_2019)
            if share is None or self.rng.random() >= share:
                continue
            commune_id = by_id[plan.village_now].parent_id
            officer = self.rng.choice(officers[commune_id])
            rows.append(
                dict(
                    household_id=household_ids[idx],
                    organisation_id=officer.organisation_id,
                    officer_id=officer.id,
                    start_date=date(2020, 1, 15),
                    created_at=utcnow(),
                )
            )
        db.session.execute(insert(Assignment), rows)


def build_demo(seed: int = 2019) -> list[str]:
    """Build (or complete) the demo district; returns log lines. The caller commits."""
    return DemoBuilder(seed).run()
