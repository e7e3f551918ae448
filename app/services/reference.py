"""Reference data every installation needs: standards, indicators, causes, needs.

Figures are those of DOMAIN.md §3; items marked *(verify)* there are kept as
data with a note, never as logic.
"""

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import AdminUnit, Indicator, PovertyCause, PovertyStandard, SupportNeed, TaskType
from app.services import scope

SEED_DIR = Path(__file__).resolve().parent.parent / "seed_data"

INDICATORS_2016 = [
    ("health", "Y tế", "HEALTH_ACCESS", "Tiếp cận các dịch vụ y tế"),
    ("health", "Y tế", "HEALTH_INSURANCE", "Bảo hiểm y tế"),
    ("education", "Giáo dục", "ADULT_EDUCATION", "Trình độ giáo dục của người lớn"),
    ("education", "Giáo dục", "CHILD_SCHOOLING", "Tình trạng đi học của trẻ em"),
    ("housing", "Nhà ở", "HOUSING_QUALITY", "Chất lượng nhà ở"),
    ("housing", "Nhà ở", "HOUSING_AREA", "Diện tích nhà ở bình quân đầu người"),
    ("living", "Điều kiện sống", "DOMESTIC_WATER", "Nguồn nước sinh hoạt"),
    ("living", "Điều kiện sống", "LATRINE", "Hố xí/nhà tiêu hợp vệ sinh"),
    ("information", "Tiếp cận thông tin", "TELECOM", "Sử dụng dịch vụ viễn thông"),
    ("information", "Tiếp cận thông tin", "INFO_ASSETS", "Tài sản phục vụ tiếp cận thông tin"),
]
INDICATORS_2022 = [
    ("employment", "Việc làm", "EMPLOYMENT", "Việc làm"),
    ("employment", "Việc làm", "DEPENDANTS", "Người phụ thuộc trong hộ gia đình"),
    ("health", "Y tế", "NUTRITION", "Dinh dưỡng"),
    ("health", "Y tế", "HEALTH_INSURANCE", "Bảo hiểm y tế"),
    ("education", "Giáo dục", "ADULT_EDUCATION", "Trình độ giáo dục của người lớn"),
    ("education", "Giáo dục", "CHILD_SCHOOLING", "Tình trạng đi học của trẻ em"),
    ("housing", "Nhà ở", "HOUSING_QUALITY", "Chất lượng nhà ở"),
    ("housing", "Nhà ở", "HOUSING_AREA", "Diện tích nhà ở bình quân đầu người"),
    ("water", "Nước sinh hoạt và vệ sinh", "DOMESTIC_WATER", "Nguồn nước sinh hoạt"),
    ("water", "Nước sinh hoạt và vệ sinh", "LATRINE", "Nhà tiêu hợp vệ sinh"),
    ("information", "Thông tin", "TELECOM", "Sử dụng dịch vụ viễn thông"),
    ("information", "Thông tin", "INFO_ACCESS", "Phương tiện phục vụ tiếp cận thông tin"),
]

STANDARDS = [
    dict(
        code="QD59-2015",
        name="Chuẩn nghèo tiếp cận đa chiều giai đoạn 2016–2020",
        legal_basis="Quyết định số 59/2015/QĐ-TTg",
        year_from=2016,
        year_to=2021,
        rule="income_or_deprivation",
        poor_line_rural=700_000,
        poor_line_urban=900_000,
        near_poor_line_rural=1_000_000,
        near_poor_line_urban=1_300_000,
        average_line_rural=None,
        average_line_urban=None,
        deprivation_threshold=3,
        note="Applied to 2021 as well, until NĐ 07/2021 took effect.",
        indicators=INDICATORS_2016,
    ),
    dict(
        code="ND07-2021",
        name="Chuẩn nghèo đa chiều giai đoạn 2022–2025",
        legal_basis="Nghị định số 07/2021/NĐ-CP (sửa đổi bởi NĐ 30/2025; kéo dài đến 2026 bởi NĐ 351/2025)",
        year_from=2022,
        year_to=2026,
        rule="income_and_deprivation",
        poor_line_rural=1_500_000,
        poor_line_urban=2_000_000,
        near_poor_line_rural=1_500_000,
        near_poor_line_urban=2_000_000,
        average_line_rural=2_250_000,
        average_line_urban=3_000_000,
        deprivation_threshold=3,
        note="Deprivation thresholds: NĐ 07/2021 Art. 3 (verify).",
        indicators=INDICATORS_2022,
    ),
    dict(
        code="ND351-2025",
        name="Chuẩn nghèo đa chiều giai đoạn 2027–2030",
        legal_basis="Nghị định số 351/2025/NĐ-CP",
        year_from=2027,
        year_to=2030,
        rule="income_and_deprivation",
        poor_line_rural=2_200_000,
        poor_line_urban=2_800_000,
        near_poor_line_rural=2_200_000,
        near_poor_line_urban=2_800_000,
        average_line_rural=None,
        average_line_urban=None,
        deprivation_threshold=3,
        note="Six dimensions; the full indicator list and the average-living lines are to verify.",
        indicators=INDICATORS_2022,
    ),
]

CAUSES = [
    ("NO_LAND", "Thiếu đất sản xuất", "Lack of production land"),
    ("NO_CAPITAL", "Thiếu vốn sản xuất", "Lack of capital"),
    ("NO_LABOUR", "Thiếu lao động", "Lack of labour"),
    ("NO_TOOLS", "Thiếu công cụ, phương tiện sản xuất", "Lack of tools or means of production"),
    ("NO_KNOWLEDGE", "Thiếu kiến thức sản xuất", "Lack of production knowledge"),
    ("NO_SKILLS", "Thiếu kỹ năng lao động", "Lack of work skills"),
    ("ILLNESS", "Có người ốm đau, bệnh nặng, tai nạn", "Illness, serious disease or accident"),
    ("DEPENDANTS", "Đông người ăn theo", "Many dependants"),
    ("NO_JOBS", "Không có việc làm", "Lack of jobs"),
    ("DISASTER", "Rủi ro thiên tai", "Natural-disaster risk"),
    ("SOCIAL_EVILS", "Mắc tệ nạn xã hội", "Social evils"),
    ("OTHER", "Nguyên nhân khác", "Other"),
]

NEEDS = [
    ("PRODUCTION", "Hỗ trợ sản xuất, sinh kế", "Production and livelihood support"),
    ("CREDIT", "Vay vốn ưu đãi", "Preferential credit"),
    ("VOCATIONAL", "Đào tạo nghề", "Vocational training"),
    ("JOB", "Giới thiệu việc làm", "Job placement"),
    ("HEALTH_CARD", "Thẻ bảo hiểm y tế", "Health-insurance card"),
    ("TUITION", "Miễn, giảm học phí", "Tuition exemption or reduction"),
    ("HOUSING", "Hỗ trợ nhà ở", "Housing support"),
    ("WATER", "Nước sinh hoạt", "Clean water"),
    ("LATRINE", "Nhà tiêu hợp vệ sinh", "Hygienic latrine"),
    ("INFORMATION", "Tiếp cận thông tin", "Information access"),
    ("LEGAL_AID", "Trợ giúp pháp lý", "Legal aid"),
]


P2 = "QĐ 90/QĐ-TTg, Dự án 2: Đa dạng hóa sinh kế, phát triển mô hình giảm nghèo"
P3 = "QĐ 90/QĐ-TTg, Dự án 3: Hỗ trợ phát triển sản xuất, cải thiện dinh dưỡng"
P4 = "QĐ 90/QĐ-TTg, Dự án 4: Phát triển giáo dục nghề nghiệp, việc làm bền vững"
P5 = "QĐ 90/QĐ-TTg, Dự án 5: Hỗ trợ nhà ở cho hộ nghèo, hộ cận nghèo"
P6 = "QĐ 90/QĐ-TTg, Dự án 6: Truyền thông và giảm nghèo về thông tin"
POLICY = "Chính sách hỗ trợ hộ nghèo, hộ cận nghèo (ngoài các dự án)"

#: (code, Vietnamese, English, indicator codes, cause codes, programme project, days, outcome)
TASK_TYPES = [
    (
        "PRODUCTION",
        "Hỗ trợ phát triển sản xuất (giống cây trồng, vật nuôi, khuyến nông)",
        "Production support (seedlings, livestock, extension)",
        "",
        "NO_LAND NO_TOOLS NO_KNOWLEDGE NO_CAPITAL",
        P3,
        120,
        "amount",
    ),
    (
        "LIVELIHOOD",
        "Tham gia mô hình sinh kế, mô hình giảm nghèo",
        "Livelihood or poverty-reduction model",
        "",
        "NO_KNOWLEDGE NO_LAND NO_LABOUR",
        P2,
        180,
        "text",
    ),
    (
        "CREDIT",
        "Vay vốn ưu đãi Ngân hàng Chính sách xã hội",
        "Preferential credit (Social Policy Bank)",
        "",
        "NO_CAPITAL NO_TOOLS",
        POLICY,
        60,
        "amount",
    ),
    (
        "VOCATIONAL",
        "Đào tạo nghề",
        "Vocational training",
        "EMPLOYMENT ADULT_EDUCATION",
        "NO_SKILLS NO_JOBS",
        P4,
        120,
        "text",
    ),
    (
        "JOB",
        "Giới thiệu việc làm",
        "Job placement",
        "EMPLOYMENT DEPENDANTS",
        "NO_JOBS DEPENDANTS NO_SKILLS",
        P4,
        60,
        "job",
    ),
    (
        "HEALTH_CARD",
        "Cấp thẻ bảo hiểm y tế",
        "Health-insurance card",
        "HEALTH_INSURANCE",
        "ILLNESS",
        POLICY,
        30,
        "card",
    ),
    (
        "HEALTH_CARE",
        "Hỗ trợ khám, chữa bệnh",
        "Medical care support",
        "HEALTH_ACCESS",
        "ILLNESS",
        POLICY,
        30,
        "text",
    ),
    ("NUTRITION", "Hỗ trợ cải thiện dinh dưỡng", "Nutrition support", "NUTRITION", "", P3, 90, "text"),
    (
        "TUITION",
        "Miễn, giảm học phí và hỗ trợ chi phí học tập",
        "Tuition exemption and study costs",
        "CHILD_SCHOOLING",
        "DEPENDANTS",
        POLICY,
        30,
        "amount",
    ),
    (
        "ADULT_CLASS",
        "Xóa mù chữ, bổ túc văn hóa cho người lớn",
        "Literacy and adult classes",
        "ADULT_EDUCATION",
        "",
        POLICY,
        180,
        "text",
    ),
    (
        "HOUSING",
        "Hỗ trợ nhà ở",
        "Housing support",
        "HOUSING_QUALITY HOUSING_AREA",
        "DISASTER",
        P5,
        180,
        "amount",
    ),
    ("WATER", "Hỗ trợ nước sinh hoạt", "Clean water", "DOMESTIC_WATER", "", POLICY, 90, "amount"),
    ("LATRINE", "Hỗ trợ xây nhà tiêu hợp vệ sinh", "Hygienic latrine", "LATRINE", "", POLICY, 90, "amount"),
    ("TELECOM", "Hỗ trợ sử dụng dịch vụ viễn thông", "Telecom services", "TELECOM", "", P6, 30, "text"),
    (
        "INFORMATION",
        "Hỗ trợ phương tiện tiếp cận thông tin",
        "Means of access to information",
        "INFO_ASSETS INFO_ACCESS",
        "",
        P6,
        60,
        "text",
    ),
    ("LEGAL_AID", "Trợ giúp pháp lý", "Legal aid", "", "SOCIAL_EVILS OTHER", POLICY, 30, "text"),
]


def seed_task_types() -> int:
    """Insert the task types that are missing (by code), linked to the causes they address."""
    existing = set(db.session.scalars(select(TaskType.code)))
    causes = {c.code: c for c in db.session.scalars(select(PovertyCause))}
    added = 0
    for i, (code, vi, en, indicators, cause_codes, project, days, outcome) in enumerate(TASK_TYPES):
        if code in existing:
            continue
        db.session.add(
            TaskType(
                code=code,
                name_vi=vi,
                name_en=en,
                sort_order=i,
                indicator_codes=indicators,
                causes=[causes[c] for c in cause_codes.split() if c in causes],
                programme_project=project,
                default_duration_days=days,
                outcome_kind=outcome,
            )
        )
        added += 1
    return added


def seed_standards() -> int:
    """Insert the standards that are missing (by code); return how many were added."""
    added = 0
    existing = set(db.session.scalars(select(PovertyStandard.code)))
    for spec in STANDARDS:
        if spec["code"] in existing:
            continue
        fields = {k: v for k, v in spec.items() if k != "indicators"}
        standard = PovertyStandard(**fields)
        standard.indicators = [
            Indicator(dimension_code=d, dimension_name=dn, code=c, name=n, sort_order=i)
            for i, (d, dn, c, n) in enumerate(spec["indicators"])
        ]
        db.session.add(standard)
        added += 1
    return added


def _seed_catalogue(model, rows) -> int:
    existing = set(db.session.scalars(select(model.code)))
    new = [
        model(code=c, name_vi=vi, name_en=en, sort_order=i)
        for i, (c, vi, en) in enumerate(rows)
        if c not in existing
    ]
    db.session.add_all(new)
    return len(new)


def seed_catalogues() -> int:
    """Causes, needs and task types (task types name causes: they come last)."""
    added = _seed_catalogue(PovertyCause, CAUSES) + _seed_catalogue(SupportNeed, NEEDS)
    db.session.flush()
    return added + seed_task_types()


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _successor(units: list[AdminUnit], code: str, after: date | None) -> AdminUnit | None:
    """The unit named ``code`` that begins after ``after`` (a merge keeps or takes a code)."""
    named = [u for u in units if u.code == code]
    later = [u for u in named if u.valid_from and after and u.valid_from > after]
    return (later or named or [None])[0]


def set_paths(units: list[AdminUnit]) -> None:
    """Recompute ``path`` and ``depth`` of every unit from the parent links."""
    by_id = {u.id: u for u in units}
    for unit in units:
        chain, node = [], unit
        while node is not None:
            chain.append(node.id)
            node = by_id.get(node.parent_id) if node.parent_id else None
        unit.path = "/" + "/".join(str(i) for i in reversed(chain)) + "/"
        unit.depth = len(chain) - 1


def load_units_csv(path: Path | None = None) -> int:
    """Load ``bach-thong-units.csv`` (code, name, kind, parent, validity, successor).

    Units already present (same code and valid_from) are left alone. Returns
    the number of units added. The caller commits.
    """
    path = path or SEED_DIR / "bach-thong-units.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    existing = {(u.code, u.valid_from): u for u in db.session.scalars(select(AdminUnit))}
    added = []
    for row in rows:
        key = (row["code"], _date(row["valid_from"]))
        if key in existing:
            continue
        unit = AdminUnit(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            valid_from=key[1],
            valid_to=_date(row["valid_to"]),
            note=row["note"] or None,
        )
        db.session.add(unit)
        existing[key] = unit
        added.append((unit, row))
    db.session.flush()
    units = list(existing.values())
    for unit, row in added:
        if row["parent_code"]:
            unit.parent_id = _successor(units, row["parent_code"], None).id
        if row["successor_code"]:
            unit.successor_id = _successor(units, row["successor_code"], unit.valid_to).id
    db.session.flush()
    set_paths(units)
    if added:
        scope.forget_units()
    return len(added)
