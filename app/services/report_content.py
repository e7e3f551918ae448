"""What a report says: its figures frozen into a snapshot (a JSON-able dict, schema 1, rendered
by ``report_document``), as at the period's cut-off, read within the reporting unit's scope.

Registry figures come from the latest official review complete by the cut-off; task figures
count the tasks created by the cut-off, done ones only if done by then. A snapshot is stored
with its version and never recomputed, so later edits to the registry leave it unchanged.
"""

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from decimal import Decimal
from functools import partial
from threading import Lock

from babel.numbers import format_decimal
from flask import current_app
from sqlalchemy import and_, func, or_, select

from app.extensions import db
from app.models import Household, ReportDefinition, ReportInstance, ReviewRecord, SupportTask, TaskType, User
from app.models.reviews import ReviewKind, Transition
from app.models.tasks import OPEN_STATUSES, TaskStatus
from app.services import clock, coverage, indicators, reports, scope, stats
from app.services import report_calendar as cal

SCHEMA = 1
ROMAN = ("I", "II", "III", "IV")
KIND_PREFIXES = ("Tỉnh ", "Thành phố ", "Huyện ", "Thị xã ", "Quận ", "Thị trấn ", "Xã ", "Phường ")
TASK_STATUSES_VI = {
    TaskStatus.PLANNED: "Kế hoạch",
    TaskStatus.IN_PROGRESS: "Đang thực hiện",
    TaskStatus.DONE: "Hoàn thành",
    TaskStatus.BLOCKED: "Vướng mắc",
    TaskStatus.CANCELLED: "Đã huỷ",
}
TRANSITIONS_VI = {
    Transition.ESCAPED_POVERTY: "Thoát nghèo",
    Transition.POOR_TO_NEAR_POOR: "Nghèo → cận nghèo",
    Transition.NEWLY_POOR: "Nghèo phát sinh",
    Transition.FALLEN_BACK: "Tái nghèo",
    Transition.NEAR_POOR_TO_POOR: "Cận nghèo → nghèo",
    Transition.ESCAPED_NEAR_POVERTY: "Thoát cận nghèo",
    Transition.NEWLY_NEAR_POOR: "Cận nghèo phát sinh",
}


def vi_number(value) -> str:
    return format_decimal(value, locale="vi")


def place_name(name: str) -> str:
    """ "Huyện Bạch Thông" → "Bạch Thông": the place a document is dated at."""
    for prefix in KIND_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def period_label(period: cal.Period) -> str:
    if period.frequency == cal.Frequency.MONTHLY:
        return f"tháng {period.number} năm {period.year}"
    if period.frequency == cal.Frequency.QUARTERLY:
        return f"quý {ROMAN[period.number - 1]} năm {period.year}"
    if period.frequency == cal.Frequency.SEMIANNUAL:
        return f"6 tháng {'đầu' if period.number == 1 else 'cuối'} năm {period.year}"
    return f"năm {period.year}"


def title_of(definition: ReportDefinition, period: cal.Period) -> str:
    """ "Báo cáo … hằng quý" for 2020-Q1 → "… quý I năm 2020" (the line under BÁO CÁO)."""
    name = definition.name.removeprefix("Báo cáo ")
    for suffix in (" hằng tháng", " hằng quý", " hằng năm", " 6 tháng"):
        name = name.removesuffix(suffix)
    return f"{name[0].upper()}{name[1:]} {period_label(period)}"


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max)


def _children(unit: scope.Unit, day: date) -> list[scope.Unit]:
    index = scope.unit_index()
    kids = [index.units[i] for i in index.children.get(unit.id, ())]
    return sorted((k for k in kids if k.is_valid_on(day) and k.kind != "village"), key=lambda u: u.code)


# -- sections ----------------------------------------------------------------------------------


class Subject:
    """What a report's sections read: the reporting unit, within its own scope (``who``), for a
    period. The official review years in that scope are read once per report, by the first section
    that asks (sections may run side by side: a lock), so that every section counts from the same
    review even if one is recognised while the report is being built."""

    def __init__(self, unit: scope.Unit, period: cal.Period):
        self.unit, self.period = unit, period
        self.who = scope.UnitScope(unit.id)
        self._years: list[int] | None = None
        self._lock = Lock()

    def official_years(self) -> list[int]:
        with self._lock:
            if self._years is None:
                self._years = stats.official_years(self.who)
            return self._years


def households_section(subject: Subject) -> dict:
    who, unit, years = subject.who, subject.unit, subject.official_years()
    year = indicators.review_year_by(subject.period.cut_off, who, years)
    if year is None:
        return {
            "title": "Tình hình hộ nghèo, hộ cận nghèo",
            "paragraphs": ["Chưa có kết quả rà soát chính thức."],
        }
    children = _children(unit, date(year, 12, 31))
    total, *by_child = stats.household_stats_of(who, [unit, *children], year)  # one query for all
    before = stats.household_stats(who, unit, year - 1) if year - 1 in years else None
    summary = (
        f"Theo kết quả rà soát chính thức năm {year}, toàn {unit.name} có {vi_number(total.households)} hộ; "
        f"hộ nghèo {vi_number(total.poor)} hộ, chiếm {vi_number(total.poor_rate)}%; "
        f"hộ cận nghèo {vi_number(total.near_poor)} hộ, chiếm {vi_number(total.near_poor_rate)}%. "
        f"Hộ nghèo theo tiêu chí thu nhập {vi_number(total.poor_by_income)} hộ "
        f"({vi_number(total.income_share)}% số hộ nghèo), theo tiêu chí thiếu hụt dịch vụ xã hội cơ bản "
        f"{vi_number(total.poor_by_deprivation)} hộ."
    )
    paragraphs = [summary]
    if before is not None:
        paragraphs.append(
            f"So với năm {year - 1}, tỷ lệ hộ nghèo giảm "
            f"{vi_number(before.poor_rate - total.poor_rate)} điểm %, "
            f"tỷ lệ hộ cận nghèo giảm {vi_number(before.near_poor_rate - total.near_poor_rate)} điểm %."
        )
    rows = []
    for figures in by_child:
        rows.append(
            [
                figures.unit_name,
                figures.households,
                figures.poor,
                str(figures.poor_rate),
                figures.near_poor,
                str(figures.near_poor_rate),
            ]
        )
    section = {
        "title": "Tình hình hộ nghèo, hộ cận nghèo",
        "paragraphs": paragraphs,
        "figures": {
            "year": year,
            "households": total.households,
            "poor": total.poor,
            "poor_rate": str(total.poor_rate),
            "near_poor": total.near_poor,
            "near_poor_rate": str(total.near_poor_rate),
            "poor_by_income": total.poor_by_income,
            "poor_by_deprivation": total.poor_by_deprivation,
        },
        "tables": [],
        "charts": [],
    }
    if rows:
        section["tables"].append(
            {
                "title": f"Hộ nghèo, hộ cận nghèo theo đơn vị (rà soát chính thức năm {year})",
                "columns": [
                    "Đơn vị",
                    "Tổng số hộ",
                    "Hộ nghèo",
                    "Tỷ lệ nghèo (%)",
                    "Hộ cận nghèo",
                    "Tỷ lệ cận nghèo (%)",
                ],
                "rows": rows,
                "total": [
                    f"Toàn {unit.name[0].lower()}{unit.name[1:]}",
                    total.households,
                    total.poor,
                    str(total.poor_rate),
                    total.near_poor,
                    str(total.near_poor_rate),
                ],
            }
        )
        ordered = sorted(rows, key=lambda r: Decimal(r[3]), reverse=True)
        section["charts"].append(
            {
                "kind": "bar",
                "title": f"Tỷ lệ hộ nghèo, hộ cận nghèo theo đơn vị năm {year} (%)",
                "labels": [place_name(r[0]) for r in ordered],
                "series": [
                    {"name": "Hộ nghèo", "values": [float(r[3]) for r in ordered]},
                    {"name": "Hộ cận nghèo", "values": [float(r[5]) for r in ordered]},
                ],
                "unit": "%",
            }
        )
    return section


def indicators_section(subject: Subject) -> dict:
    period = subject.period
    targets = indicators.targets(subject.unit.id, period.year)
    values = indicators.actuals(
        subject.who, subject.unit, period.year, period.cut_off, years=subject.official_years()
    )
    rows = []
    for spec in indicators.INDICATORS:
        value = values[spec.key]
        target = targets.get(spec.key)
        measure = {"points": "điểm %", "percent": "%", "count": "người"}[spec.measure]
        rows.append(
            [
                spec.name,
                measure,
                None if target is None else _plain(target),
                None if value is None else _plain(value),
                spec.definition,
            ]
        )
    return {
        "title": "Kết quả thực hiện các chỉ tiêu giảm nghèo",
        "paragraphs": [
            f"Giá trị thực hiện tính đến ngày {period.cut_off.strftime('%d/%m/%Y')} từ dữ liệu rà soát, "
            "thành viên hộ và nhiệm vụ hỗ trợ; chỉ tiêu giảm tỷ lệ hộ nghèo được đánh giá khi có "
            "kết quả rà soát cuối năm."
        ],
        "tables": [
            {
                "title": f"Các chỉ tiêu giảm nghèo năm {period.year}",
                "columns": ["Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Thực hiện", "Cách tính"],
                "rows": rows,
            }
        ],
    }


def _plain(value: Decimal):
    """An int where the value is whole (550), else its decimal text without trailing zeros ("2.3")."""
    if value == value.to_integral_value():
        return int(value)
    return str(value.quantize(Decimal("0.01")).normalize())


def _done_after(day: date):
    return and_(SupportTask.status == TaskStatus.DONE, SupportTask.done_on > day)


def _overdue_on(day: date):
    """Overdue on ``day``: due before it and still open then (open now, or done after it)."""
    return and_(or_(SupportTask.status.in_(OPEN_STATUSES), _done_after(day)), SupportTask.due_date < day)


def _task_counts(subject: Subject) -> tuple[dict, Counter]:
    """Tasks created by the cut-off, by type and by their status on that day (done later: still in
    progress then), and those overdue on that day by type; one pass over the tasks."""
    in_scope, cut_off = scope.unit_clause(SupportTask, subject.who, subject.unit.id), subject.period.cut_off
    done_later, overdue_then = _done_after(cut_off), _overdue_on(cut_off)
    rows = db.session.execute(
        select(TaskType.name_vi, SupportTask.status, done_later, overdue_then, func.count())
        .select_from(SupportTask)
        .join(TaskType, TaskType.id == SupportTask.task_type_id)
        .where(in_scope, SupportTask.created_at <= _end_of(cut_off))
        .group_by(TaskType.name_vi, SupportTask.status, done_later, overdue_then)
    ).all()
    by_type: dict[str, Counter] = {}
    overdue = Counter()
    for name, status, later, late, count in rows:
        by_type.setdefault(name, Counter())[TaskStatus.IN_PROGRESS if later else status] += count
        if late:
            overdue[name] += count
    return by_type, overdue


def tasks_section(subject: Subject) -> dict:
    by_type, overdue = _task_counts(subject)
    statuses = list(TASK_STATUSES_VI)
    rows = [
        [name, *(counts[s] for s in statuses), sum(counts.values()), overdue[name]]
        for name, counts in sorted(by_type.items())
    ]
    totals = [sum(r[i] for r in rows) for i in range(1, len(statuses) + 3)]
    done, total = totals[statuses.index(TaskStatus.DONE)], totals[len(statuses)]
    section = {
        "title": "Nhiệm vụ hỗ trợ hộ nghèo, hộ cận nghèo",
        "paragraphs": [
            f"Đến ngày {subject.period.cut_off.strftime('%d/%m/%Y')}, có {vi_number(total)} nhiệm vụ hỗ trợ, "
            f"đã hoàn thành {vi_number(done)}; {vi_number(totals[-1])} nhiệm vụ quá hạn chưa hoàn thành."
        ]
        if total
        else ["Chưa có nhiệm vụ hỗ trợ nào trong kỳ."],
        "tables": [],
        "charts": [],
    }
    if rows:
        section["tables"].append(
            {
                "title": "Nhiệm vụ hỗ trợ theo loại và trạng thái",
                "columns": ["Loại hỗ trợ", *TASK_STATUSES_VI.values(), "Tổng số", "Quá hạn"],
                "rows": rows,
                "total": ["Tổng cộng", *totals],
            }
        )
        section["charts"].append(
            {
                "kind": "bar",
                "title": "Nhiệm vụ hỗ trợ theo trạng thái",
                "labels": list(TASK_STATUSES_VI.values()),
                "series": [{"name": "Nhiệm vụ", "values": totals[: len(statuses)]}],
                "unit": "",
            }
        )
    return section


#: the overdue tasks a commune's monthly report lists by name (the rest are counted)
OVERDUE_LISTED = 40


def overdue_section(subject: Subject) -> dict:
    """The tasks overdue at the cut-off, longest overdue first: what the commune must chase."""
    in_scope, cut_off = scope.unit_clause(SupportTask, subject.who, subject.unit.id), subject.period.cut_off
    conditions = (in_scope, SupportTask.created_at <= _end_of(cut_off), _overdue_on(cut_off))
    total = db.session.scalar(select(func.count()).select_from(SupportTask).where(*conditions))
    rows = db.session.execute(
        select(Household.code, TaskType.name_vi, User.full_name, SupportTask.due_date, SupportTask.status)
        .select_from(SupportTask)
        .join(Household, Household.id == SupportTask.household_id)
        .join(TaskType, TaskType.id == SupportTask.task_type_id)
        .outerjoin(User, User.id == SupportTask.officer_id)
        .where(*conditions)
        .order_by(SupportTask.due_date, SupportTask.id)
        .limit(OVERDUE_LISTED)
    ).all()
    listed = [
        [
            code,
            kind,
            officer or "—",
            due.strftime("%d/%m/%Y"),
            (cut_off - due).days,
            TASK_STATUSES_VI[
                TaskStatus.IN_PROGRESS if status == TaskStatus.DONE else status
            ],  # on the cut-off
        ]
        for code, kind, officer, due, status in rows
    ]
    more = f" (liệt kê {len(listed)} nhiệm vụ quá hạn lâu nhất)" if total > len(listed) else ""
    return {
        "title": "Nhiệm vụ quá hạn",
        "paragraphs": [
            f"Đến ngày chốt số liệu có {vi_number(total)} nhiệm vụ quá hạn chưa hoàn thành{more}."
            if total
            else "Không có nhiệm vụ quá hạn."
        ],
        "tables": [
            {
                "title": "Nhiệm vụ quá hạn chưa hoàn thành",
                "columns": [
                    "Mã hộ",
                    "Loại hỗ trợ",
                    "Cán bộ phụ trách",
                    "Hạn",
                    "Số ngày quá hạn",
                    "Trạng thái",
                ],
                "rows": listed,
            }
        ]
        if listed
        else [],
    }


def coverage_section(subject: Subject) -> dict:
    figures = coverage.coverage(subject.who, subject.unit)
    rows = [
        [label, counts.total, counts.assigned, counts.unassigned, counts.orphaned]
        for label, counts in (("Hộ nghèo", figures.poor), ("Hộ cận nghèo", figures.near_poor))
    ]
    return {
        "title": "Phân công theo dõi, giúp đỡ hộ nghèo, hộ cận nghèo",
        "paragraphs": [
            f"{vi_number(figures.poor.assigned)}/{vi_number(figures.poor.total)} hộ nghèo đã được phân công "
            "tổ chức, cá nhân theo dõi, giúp đỡ."
        ],
        "tables": [
            {
                "title": "Phân công theo dõi hộ nghèo, hộ cận nghèo",
                "columns": [
                    "Nhóm hộ",
                    "Tổng số",
                    "Đã phân công",
                    "Chưa phân công",
                    "Cán bộ không còn phụ trách",
                ],
                "rows": rows,
            }
        ],
    }


def review_section(subject: Subject, kind: str) -> list[dict]:
    """The review result of the period's year by commune, and the movements since the year before."""
    period = subject.period
    year = period.year
    in_scope = scope.unit_clause(ReviewRecord, subject.who, subject.unit.id)
    results = db.session.execute(
        select(ReviewRecord.unit_id, ReviewRecord.transition, func.count())
        .where(ReviewRecord.year == year, ReviewRecord.kind == kind, in_scope)
        .group_by(ReviewRecord.unit_id, ReviewRecord.transition)
    ).all()
    index = scope.unit_index()
    kinds = list(TRANSITIONS_VI)
    by_commune: dict[str, Counter] = {}
    for unit_id, transition, count in results:
        name = (index.commune_of(unit_id) or index.units[unit_id]).name
        by_commune.setdefault(name, Counter())[transition] += count
    label = "sơ bộ" if kind == ReviewKind.PRELIMINARY else "chính thức"
    if not by_commune:
        return [
            {
                "title": "Kết quả rà soát theo đơn vị",
                "paragraphs": [
                    f"Chưa có kết quả rà soát {label} năm {year} "
                    f"đến ngày {period.cut_off.strftime('%d/%m/%Y')}."
                ],
            }
        ]
    rows = [[name, *(counts[k] for k in kinds)] for name, counts in sorted(by_commune.items())]
    return [
        households_section(subject)
        if kind == ReviewKind.OFFICIAL
        else {
            "title": "Kết quả rà soát theo đơn vị",
            "paragraphs": [
                f"Kết quả rà soát sơ bộ năm {year} của "
                f"{vi_number(sum(sum(c.values()) for c in by_commune.values()))} hộ."
            ],
        },
        {
            "title": "Biến động hộ nghèo, hộ cận nghèo theo xã",
            "tables": [
                {
                    "title": f"Biến động so với năm {year - 1} (rà soát {label} năm {year})",
                    "columns": ["Xã, thị trấn", *TRANSITIONS_VI.values()],
                    "rows": rows,
                    "total": ["Tổng cộng", *(sum(r[i] for r in rows) for i in range(1, len(kinds) + 1))],
                }
            ],
        },
    ]


def resources_section(subject: Subject) -> dict:
    period = subject.period
    in_scope = scope.unit_clause(SupportTask, subject.who, subject.unit.id)
    rows = db.session.execute(
        select(SupportTask.outcome_fund_source, func.count(), func.sum(SupportTask.outcome_amount))
        .where(
            in_scope,
            SupportTask.status == TaskStatus.DONE,
            SupportTask.done_on.between(period.start, period.cut_off),
            SupportTask.outcome_amount.is_not(None),
        )
        .group_by(SupportTask.outcome_fund_source)
        .order_by(func.sum(SupportTask.outcome_amount).desc())
    ).all()
    table_rows = [[source or "Không ghi nguồn", count, int(amount or 0)] for source, count, amount in rows]
    return {
        "title": "Nguồn lực đã huy động",
        "paragraphs": [
            f"Trong kỳ đã hỗ trợ {vi_number(sum(r[2] for r in table_rows))} đồng "
            f"qua {vi_number(sum(r[1] for r in table_rows))} nhiệm vụ."
        ],
        "tables": [
            {
                "title": "Kinh phí hỗ trợ theo nguồn",
                "columns": ["Nguồn kinh phí", "Số nhiệm vụ", "Số tiền (đồng)"],
                "rows": table_rows,
                "total": ["Tổng cộng", sum(r[1] for r in table_rows), sum(r[2] for r in table_rows)],
            }
        ]
        if table_rows
        else [],
    }


#: each report builder's sections, in order: functions of the report's Subject
SECTIONS: dict[str, tuple[Callable[..., dict | list[dict]], ...]] = {
    "task_progress": (tasks_section, overdue_section, coverage_section),
    "programme_quarterly": (households_section, indicators_section, tasks_section, coverage_section),
    "review_preliminary": (partial(review_section, kind=ReviewKind.PRELIMINARY),),
    "review_official": (partial(review_section, kind=ReviewKind.OFFICIAL),),
    "programme_monitoring": (households_section, tasks_section, resources_section),
}


def _sections(definition: ReportDefinition, subject: Subject) -> list[dict]:
    """The sections in order. With REPORT_SECTION_THREADS > 1 they are read side by side, each in
    an application context (and so a database session and connection) of its own: their queries
    are independent, and the database runs them at once on the machine's other cores while this
    process waits (SQLite and psycopg release the GIL while a statement runs). Each statement
    sees the latest commit either way (SQLite starts no transaction for a read; PostgreSQL reads
    committed), so this changes no figure. 0 or 1: in turn, in the caller's session (the tests'
    data is flushed, not committed: other sessions would not see it)."""
    if definition.builder not in SECTIONS:
        raise ValueError(f"unknown report builder {definition.builder!r}")
    calls = [partial(section, subject) for section in SECTIONS[definition.builder]]
    threads = min(current_app.config["REPORT_SECTION_THREADS"], len(calls))
    if threads <= 1:
        results = [call() for call in calls]
    else:
        app = current_app._get_current_object()

        def run(call: Callable[[], dict | list[dict]]) -> dict | list[dict]:
            with app.app_context():
                try:
                    return call()
                finally:
                    db.session.remove()

        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="report-section") as pool:
            results = list(pool.map(run, calls))
    return [section for result in results for section in (result if isinstance(result, list) else [result])]


def build(instance: ReportInstance, *, issued_on: date | None = None) -> dict:
    """The snapshot of ``instance``'s current version, read within its unit's scope, dated
    ``issued_on`` (default today)."""
    definition = instance.definition
    period = reports.definition_period(definition, instance.period)
    index = scope.unit_index()
    unit = index.units[instance.unit_id]
    above = index.units.get(unit.parent_id) if unit.parent_id else None
    sections = _sections(definition, Subject(unit, period))
    if len(definition.sections) == len(sections):  # the outline is data: admins name the sections
        for section, title in zip(sections, definition.sections, strict=True):
            section["title"] = title
    return {
        "schema": SCHEMA,
        "definition": {"code": definition.code, "name": definition.name},
        "title": title_of(definition, period),
        "period": {
            "key": period.key,
            "label": period_label(period),
            "start": period.start.isoformat(),
            "cut_off": period.cut_off.isoformat(),
        },
        "unit": {"code": unit.code, "name": unit.name, "kind": unit.kind},
        "header": {
            "authority": f"UBND {above.name.upper()}" if above else "",
            "issuer": f"UBND {unit.name.upper()}",
            "number": "BC-UBND",
            "place": place_name(unit.name),
        },
        "issued_on": (issued_on or clock.today()).isoformat(),
        "deadline": instance.deadline.isoformat(),
        "version": instance.version,
        "recipients": list(definition.recipients),
        "signature": {"on_behalf": "TM. ỦY BAN NHÂN DÂN", "title": "CHỦ TỊCH", "name": ""},
        "sections": sections,
    }
