"""Benchmark of XLSX imports: a district's whole registry in one workbook, checked and written.

    .venv/bin/python -m bench.imports [--db sqlite|URL] [--households 10000] [--keep]

Builds a database through the real migrations with the demo's units, villages, catalogues,
standards and users (``DemoBuilder``'s first steps: no households), writes a workbook of
``--households`` new households spread over huyện Bạch Thông's current villages, with ~3.5 members
each (35,000 for 10,000) and an official 2019 result each, and runs, in this process, what the
jobs run (``app.services.imports``), as the district user ``staff``:

1. the upload's content check (``xlsx_guard.check_workbook``);
2. reading alone (``import_workbook.read_workbook``);
3. the parse job (read, check against the registry, plan): the goal is well under 60 s;
4. the commit job (read and check again, write in one transaction);
5. the same file again: the parse now finds every household in the registry, and the commit
   writes nothing.

Figures are printed (goals as PASS / MISS, never asserted). The database is dropped unless --keep.
"""

import argparse
import io
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select

from app.extensions import db
from app.models import Household, ImportBatch, Member, ReviewRecord, User
from app.services import imports, scope, xlsx_guard
from app.services.demo import AS_OF
from app.services.import_workbook import read_workbook
from app.tasks import imports as import_jobs
from bench.cpu import CpuMeter
from bench.database import OUT_DIR, bench_app, create_database, drop_database, migrate
from bench.registry import code_revision, pg_database
from tests.data.make_import_sample import HOUSEHOLDS, MEMBERS, REVIEWS, build_demo_places, write_workbook

T = TypeVar("T")
GOAL_PARSE = 60.0  # seconds for 10,000 households and their members: "well under" this
USER = "staff"  # the district's staff (huyện Bạch Thông)
ETHNICITIES = ["Tày", "Tày", "Tày", "Nùng", "Dao", "Kinh", "H'Mông"]
SURNAMES = ["Hoàng", "Nông", "Ma", "Hà", "Lục", "Đàm", "Lương", "Vi", "Triệu", "Bàn", "Lý", "Nguyễn"]
GIVEN = ["Văn Thắng", "Thị Lụa", "Văn Pảo", "Thị Slao", "Đức Quỳnh", "Thị Nhàn", "Văn Kiềm", "Thị Mây"]
INDICATORS = ["HEALTH_INSURANCE", "ADULT_EDUCATION", "HOUSING_QUALITY", "DOMESTIC_WATER", "LATRINE"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite (bench/out/imports.db) or a PostgreSQL URL")
    parser.add_argument("--households", type=int, default=10_000, help="households in the workbook")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args(argv)


def database_url(spec: str) -> str:
    if spec == "sqlite":
        return f"sqlite:///{OUT_DIR / 'imports.db'}"
    if spec.startswith("sqlite"):
        return spec
    from sqlalchemy.engine import make_url

    url = make_url(spec)
    return url.set(database=f"{url.database or 'postgres'}_bench_imports").render_as_string(
        hide_password=False
    )


def workbook(user: User, count: int, seed: int = 2019) -> bytes:
    """``count`` new households over the user's current villages, ~3.5 members each, a result each."""
    rng = random.Random(seed)
    villages = [v.code for v in scope.current_units_in_scope(user, ("village",))]
    rows: dict[str, list[list]] = {HOUSEHOLDS: [], MEMBERS: [], REVIEWS: []}
    for n in range(count):
        code, ethnicity = f"BENCH-{n:06d}", rng.choice(ETHNICITIES)
        head = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
        village = rng.choice(villages)
        rows[HOUSEHOLDS].append(
            [code, head, ethnicity, village, f"Thôn {village}", "Nông thôn", None, "NO_LAND"]
        )
        for i in range(rng.choice((2, 3, 3, 4, 4, 5))):
            citizen_id = f"0069{n:06d}{i:02d}"
            name = head if i == 0 else f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
            relation = "Chủ hộ" if i == 0 else rng.choice(["Vợ/chồng", "Con", "Con", "Bố/mẹ"])
            rows[MEMBERS].append([code, name, relation, rng.choice(["Nam", "Nữ"]), rng.randint(1940, 2005),
                                  ethnicity, citizen_id, "Làm ruộng"])  # fmt: skip
        deprived = ", ".join(rng.sample(INDICATORS, rng.randint(0, 4)))
        income = rng.randrange(400_000, 1_600_000, 1000)
        rows[REVIEWS].append(
            [code, 2019, "Chính thức", income, deprived or None, "125/QĐ-UBND", "20/12/2019"]
        )
    buffer = io.BytesIO()
    write_workbook(buffer, rows)
    return buffer.getvalue()


def timed(label: str, results: list, call: Callable[[], T]) -> T:
    start = time.perf_counter()
    value = call()
    results.append((label, time.perf_counter() - start))
    return value


def import_once(user_id: int, data: bytes, round_: str, results: list) -> None:
    """Upload, parse, confirm and commit, as the web and the jobs do (without Redis); each job in
    a session of its own, as worker.py runs it."""
    user = db.session.get(User, user_id)
    batch_id = imports.receive(user, io.BytesIO(data), "bench.xlsx").id
    db.session.commit()
    db.session.remove()
    status = timed(f"parse job, {round_}", results, partial(import_jobs.parse, batch_id))
    db.session.remove()
    assert status == "ready", db.session.get(ImportBatch, batch_id).problems[:5]
    imports.confirm(db.session.get(User, user_id), db.session.get(ImportBatch, batch_id))
    db.session.commit()
    db.session.remove()
    timed(f"commit job, {round_}", results, partial(import_jobs.commit, batch_id))
    db.session.remove()
    print(f"  {round_}: {db.session.get(ImportBatch, batch_id).counts}")


def counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count(m.id))) for m in (Household, Member, ReviewRecord))


def run(url: str, args: argparse.Namespace) -> None:
    storage = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    app = bench_app(url)
    app.config.update(STORAGE_DIR=str(storage), TODAY=AS_OF)
    migrate(app)
    results: list[tuple[str, float]] = []
    meter = CpuMeter(pg_database(url))
    try:
        with app.app_context():
            timed("build the units, villages and users", results, build_demo_places)
            user = db.session.scalars(select(User).where(User.username == USER)).one()
            data = timed(f"write the workbook ({args.households:,} households)", results,
                         lambda: workbook(user, args.households))  # fmt: skip
            timed("content check (xlsx_guard)", results, lambda: xlsx_guard.check_workbook(data))
            path = storage / "bench.xlsx"
            path.write_bytes(data)
            parsed = timed("read alone (openpyxl, cells converted)", results, lambda: read_workbook(path))
            rows = parsed.rows
            user_id = user.id
            for round_ in ("new", "again"):
                import_once(user_id, data, round_, results)
            households, members, records = counts()
            meter.mark_backends()
    finally:
        shutil.rmtree(storage, ignore_errors=True)
        with app.app_context():
            db.engine.dispose()
    report(url, args, len(data), rows, (households, members, records), results, meter.summary())


def report(url, args, size: int, rows: int, totals: tuple, results: list, cpu: str) -> None:
    dialect = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print()
    print(f"XLSX import, {dialect}; app code {code_revision()}")
    print(cpu)
    print(f"workbook: {size / 1024 / 1024:.1f} MB, {rows:,} rows; registry after: "
          f"{totals[0]:,} households, {totals[1]:,} members, {totals[2]:,} review records")  # fmt: skip
    print(f"  {'step':<48}{'seconds':>9}{'rows/s':>10}")
    for label, seconds in results:
        rate = f"{rows / seconds:>10,.0f}" if label.startswith(("read", "parse", "commit")) else ""
        print(f"  {label:<48}{seconds:>9.2f}{rate}")
    parse = max(seconds for label, seconds in results if label.startswith("parse"))
    goal = GOAL_PARSE * args.households / 10_000
    verdict = "PASS" if parse < goal / 2 else "MISS"
    print(f"goal: the slower parse well under {goal:.0f} s (< half): {verdict} ({parse:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = database_url(args.db)
    create_database(url)
    try:
        run(url, args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if not args.keep:
            drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
