"""Import workbooks for tests and demos, written with XlsxWriter as Excel would save them.

    .venv/bin/python -m tests.data.make_import_sample            # tests/data/import_sample.xlsx
    .venv/bin/python -m tests.data.make_import_sample --broken out.xlsx

``import_sample.xlsx`` is a clean file for the demo commune Xã Cẩm Giàng (02008): 20 new households
(codes 02008-0621 to 02008-0640, after the demo's 620) in its five villages, their members (Tày,
Nùng and Dao names) and their official 2019 review results; the demo user ``staff.camgiang``
imports it into a demo database. ``--broken`` writes the same file with a few mistakes a clerk
makes. ``write_workbook`` is what the tests build their own workbooks with; the headers come from
``app.services.import_workbook``, the one definition of the template.
"""

import argparse
import random
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from xlsxwriter import Workbook

from app.extensions import db
from app.models import AdminUnit
from app.services import reference
from app.services.demo import DemoBuilder
from app.services.import_workbook import SHEETS

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "import_sample.xlsx"
HEADERS = {sheet.name: [c.title for c in sheet.columns] for sheet in SHEETS}
HOUSEHOLDS, MEMBERS, REVIEWS = (sheet.name for sheet in SHEETS)


class Formula(str):
    """A cell written as a formula (what a clerk's spreadsheet may hold)."""


def write_workbook(
    target,
    rows: dict[str, Iterable[Sequence]],
    *,
    headers: dict[str, Sequence[str]] | None = None,
    sheets: Sequence[str] = (HOUSEHOLDS, MEMBERS, REVIEWS),
) -> None:
    """An .xlsx at ``target`` (a path or a binary buffer) with ``sheets`` (by name, in order), each
    with the template's headers (or ``headers[name]``) and ``rows[name]``: strings as text, numbers
    as numbers, dates as Excel dates, ``Formula`` as a formula, None as an empty cell."""
    with Workbook(target, {"in_memory": True, "strings_to_formulas": False}) as book:
        book.set_properties({"created": datetime(2020, 3, 20, 8, 0)})  # the same bytes on every run
        day = book.add_format({"num_format": "dd/mm/yyyy"})
        for name in sheets:
            sheet = book.add_worksheet(name)
            for col, text in enumerate((headers or {}).get(name, HEADERS.get(name, ()))):
                sheet.write_string(0, col, text)
            for number, values in enumerate(rows.get(name, ()), start=1):
                for col, value in enumerate(values):
                    _write(sheet, number, col, value, day)


def _write(sheet, row: int, col: int, value, day) -> None:
    if value is None:
        return
    if isinstance(value, Formula):
        sheet.write_formula(row, col, value)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime.combine(value, datetime.min.time()), day)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    else:
        sheet.write_string(row, col, str(value))


# -- the Cẩm Giàng sample ---------------------------------------------------------------------------

VILLAGES = {
    "02008-01": "Thôn Phiêng Pục",
    "02008-02": "Thôn Nà Cà",
    "02008-03": "Thôn Nà Lẹng",
    "02008-04": "Thôn Nặm Dất",
    "02008-05": "Thôn Bản Cám",
}
SURNAMES = {
    "Tày": ["Hoàng", "Nông", "Ma", "Hà", "Lục", "Đàm", "Lường"],
    "Nùng": ["Lương", "Vi", "Lăng", "Hoàng", "Nông"],
    "Dao": ["Triệu", "Bàn", "Lý", "Đặng"],
}
MEN = {
    "Tày": ["Văn Thắng", "Văn Pảo", "Đức Quỳnh", "Văn Slằn", "Văn Khiêm", "Văn Tường"],
    "Nùng": ["Văn Phủ", "Văn Sình", "Văn Lìn", "Văn Chẳn"],
    "Dao": ["Văn Kiềm", "Tòn Phin", "Văn Quẩy", "Chàn Sơn"],
}
WOMEN = {
    "Tày": ["Thị Lụa", "Thị Slao", "Thị Nhàn", "Thị Hoà", "Thị Mến"],
    "Nùng": ["Thị Síu", "Thị Dấu", "Thị Pây", "Thị Hiền"],
    "Dao": ["Thị Mây", "Thị Xiêm", "Mùi Chiêu", "Thị Nái"],
}
OCCUPATIONS = ["Làm ruộng", "Làm nương", "Chăn nuôi", "Trồng rừng", "Làm thuê"]
CAUSES = ["NO_LAND", "NO_CAPITAL", "NO_LABOUR", "NO_KNOWLEDGE", "ILLNESS", "DEPENDANTS"]
NEEDS = ["PRODUCTION", "CREDIT", "VOCATIONAL", "HEALTH_CARD", "HOUSING", "WATER"]
INDICATORS = [
    "HEALTH_INSURANCE",
    "ADULT_EDUCATION",
    "HOUSING_QUALITY",
    "DOMESTIC_WATER",
    "LATRINE",
    "INFO_ASSETS",
]
#: (income per person per month, deprived indicators): poor by income, poor by deprivation,
#: near-poor, not poor under QĐ 59/2015 (rural lines 700,000 and 1,000,000 đồng)
PROFILES = [(520_000, 2), (640_000, 1), (850_000, 4), (900_000, 1), (960_000, 2), (1_450_000, 0)]
DECISION = ("125/QĐ-UBND", date(2019, 12, 20))


def sample_rows(seed: int = 2008, count: int = 20) -> dict[str, list[list]]:
    """Rows of the three sheets for ``count`` new Cẩm Giàng households (deterministic)."""
    rng = random.Random(seed)
    rows: dict[str, list[list]] = {HOUSEHOLDS: [], MEMBERS: [], REVIEWS: []}
    for n in range(count):
        code = f"02008-{621 + n:04d}"
        ethnicity = "Kinh" if n == 7 else rng.choice(["Tày", "Tày", "Tày", "Nùng", "Dao"])
        people = _family(rng, ethnicity, n)
        village = list(VILLAGES)[n % len(VILLAGES)]
        income, deprived = PROFILES[n % len(PROFILES)]
        poor = income <= 1_000_000
        rows[HOUSEHOLDS].append(
            [
                code,
                people[0][0],
                ethnicity,
                village,
                f"{VILLAGES[village]}, xã Cẩm Giàng, huyện Bạch Thông, tỉnh Bắc Kạn",
                "Nông thôn",
                f"09{rng.randrange(10**8):08d}" if rng.random() < 0.6 else None,
                ", ".join(rng.sample(CAUSES, 2)) if poor else None,
                ", ".join(rng.sample(NEEDS, 2)) if poor else None,
                None,
            ]
        )
        for name, relation, sex, born, citizen_id in people:
            schooling = "Đang đi học" if 2005 <= born <= 2013 else None
            rows[MEMBERS].append(
                [code, name, relation, sex, born, "Kinh" if ethnicity == "Kinh" else ethnicity, citizen_id,
                 "Học sinh" if schooling else rng.choice(OCCUPATIONS), None, schooling, "Không"]
            )  # fmt: skip
        indicators = ", ".join(rng.sample(INDICATORS, deprived))
        rows[REVIEWS].append([code, 2019, "Chính thức", income, indicators or None, *DECISION])
    return rows


def _family(rng: random.Random, ethnicity: str, n: int) -> list[tuple]:
    """(name, relation, sex, birth year, citizen ID or None) of one household, head first."""
    pool = ethnicity if ethnicity in SURNAMES else "Tày"
    surname = rng.choice(SURNAMES[pool])
    head_born = rng.randint(1955, 1990)
    people = [(f"{surname} {rng.choice(MEN[pool])}", "Chủ hộ", "Nam", head_born)]
    if rng.random() < 0.85:
        people.append(
            (f"{rng.choice(SURNAMES[pool])} {rng.choice(WOMEN[pool])}", "Vợ/chồng", "Nữ", head_born + 2)
        )
    head_given = people[0][0].removeprefix(surname + " ")
    for _ in range(rng.randint(0, 3)):
        sex = rng.choice(["Nam", "Nữ"])
        given = rng.choice([g for g in (MEN[pool] if sex == "Nam" else WOMEN[pool]) if g != head_given])
        people.append((f"{surname} {given}", "Con", sex, rng.randint(head_born + 20, 2018)))
    return [(*person, _citizen_id(person, n, i)) for i, person in enumerate(people)]


def _citizen_id(person: tuple, household: int, index: int) -> str | None:
    """Bắc Kạn's province code (006), century and sex, birth year, then a serial of this file
    (9 + household + member) that the demo's random serials are unlikely to take; none under 14."""
    _name, _relation, sex, born = person
    if born > 2006:
        return None
    century = (0 if born < 2000 else 2) + (1 if sex == "Nữ" else 0)
    return f"006{century}{born % 100:02d}9{household:03d}{index:02d}"


def broken_rows() -> dict[str, list[list]]:
    """The sample with the mistakes a clerk makes: a village of another commune, a citizen ID that
    Excel turned into a number, an income left empty, a formula, an unknown cause code."""
    rows = sample_rows()
    rows[HOUSEHOLDS][2][3] = "02011-01"
    rows[HOUSEHOLDS][4][7] = "NO_ROAD"
    holder = next(r for r in rows[MEMBERS] if r[6])
    holder[6] = int(holder[6])
    rows[REVIEWS][5][3] = None
    rows[REVIEWS][6][3] = Formula("=700000+150000")
    return rows


def build_demo_places() -> None:
    """The demo district's standards, catalogues, units, villages (the same codes as the demo's),
    organisations and users, but none of its households: a database to import the sample into
    without touching the article's figures. Commits."""
    builder = DemoBuilder()
    reference.seed_standards()
    reference.seed_catalogues()
    reference.load_units_csv()
    db.session.flush()
    builder.units = list(db.session.scalars(select(AdminUnit)))
    builder.villages()
    builder.organisations()
    builder.users()
    db.session.commit()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broken", type=Path, help="write the variant with mistakes to this path instead")
    args = parser.parse_args(argv)
    if args.broken:
        write_workbook(args.broken, broken_rows())
        print(f"wrote {args.broken}")
    else:
        write_workbook(SAMPLE, sample_rows())
        print(f"wrote {SAMPLE}")


if __name__ == "__main__":
    main()
