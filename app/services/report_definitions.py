"""The seeded report definitions (DOMAIN.md §6, NĐ 09/2019) and public holidays; admins edit both.

Each definition names what it reports, who reports to whom, the cut-off and the deadline per
level, as NĐ 09/2019 Art. 7 asks. Deadlines given as "before 15 November" are stored as the last
day allowed (14 November). Holidays marked "(verify)" follow the published calendars of those
years as far as known; they are data, corrected in the admin pages, never code.
"""

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import Holiday, ReportDeadline, ReportDefinition

SENT_BY = "Hệ thống thông tin báo cáo (bản điện tử có chữ ký số) và văn bản giấy"
PROCEDURE_COMMUNE = (
    "Công chức Lao động - Thương binh và Xã hội xã lập báo cáo từ số liệu của hệ thống; Chủ tịch UBND xã "
    "ký, gửi UBND huyện (qua Phòng Lao động - Thương binh và Xã hội); Phòng kiểm tra, phê duyệt hoặc trả lại."
)
PROCEDURE_DISTRICT = (
    "Phòng Lao động - Thương binh và Xã hội huyện tổng hợp, lập báo cáo; lãnh đạo UBND huyện ký, gửi "
    "UBND tỉnh và Sở Lao động - Thương binh và Xã hội; Sở kiểm tra, phê duyệt hoặc trả lại."
)
#: the year the schedule begins: the demo district's article is of March 2020
FIRST_DAY = date(2020, 1, 1)

DEFINITIONS = [
    {
        "code": "task_progress_monthly",
        "name": "Báo cáo tiến độ thực hiện nhiệm vụ hỗ trợ hộ nghèo, hộ cận nghèo hằng tháng",
        "content": "Nhiệm vụ hỗ trợ theo loại và trạng thái, nhiệm vụ quá hạn, kết quả hỗ trợ trong kỳ "
        "và việc phân công theo dõi, giúp đỡ hộ nghèo của xã.",
        "legal_basis": "NĐ 09/2019/NĐ-CP; kế hoạch giảm nghèo năm của huyện",
        "frequency": "monthly",
        "builder": "task_progress",
        "sections": [
            "Tình hình thực hiện nhiệm vụ hỗ trợ",
            "Nhiệm vụ quá hạn",
            "Phân công theo dõi, giúp đỡ hộ nghèo",
        ],
        "recipients": ["UBND huyện (qua Phòng Lao động - Thương binh và Xã hội)", "Lưu: VT"],
        "deadlines": [("commune", "district", 3, None)],
    },
    {
        "code": "programme_quarterly",
        "name": "Báo cáo kết quả thực hiện Chương trình mục tiêu quốc gia giảm nghèo bền vững hằng quý",
        "content": "Số hộ, hộ nghèo, hộ cận nghèo và tỷ lệ; các chỉ tiêu giảm nghèo của năm so với kế "
        "hoạch; nhiệm vụ hỗ trợ theo loại và trạng thái; phân công theo dõi hộ nghèo.",
        "legal_basis": "NĐ 09/2019/NĐ-CP; QĐ 1722/QĐ-TTg",
        "frequency": "quarterly",
        "builder": "programme_quarterly",
        "sections": [
            "Tình hình hộ nghèo, hộ cận nghèo",
            "Kết quả thực hiện các chỉ tiêu giảm nghèo",
            "Nhiệm vụ hỗ trợ hộ nghèo",
            "Phân công theo dõi, giúp đỡ hộ nghèo",
        ],
        "recipients": ["UBND tỉnh", "Sở Lao động - Thương binh và Xã hội tỉnh", "Lưu: VT"],
        "deadlines": [("district", "province", 5, None)],
    },
    {
        "code": "review_preliminary",
        "name": "Báo cáo kết quả sơ bộ rà soát hộ nghèo, hộ cận nghèo hằng năm",
        "content": "Kết quả sơ bộ của kỳ rà soát định kỳ: số hộ nghèo, cận nghèo theo xã và biến động "
        "so với năm trước.",
        "legal_basis": "QĐ 24/2021/QĐ-TTg; TT 07/2021/TT-BLĐTBXH",
        "frequency": "annual",
        "builder": "review_preliminary",
        "sections": ["Kết quả rà soát theo đơn vị", "Biến động hộ nghèo, hộ cận nghèo theo xã"],
        "recipients": ["UBND tỉnh", "Sở Lao động - Thương binh và Xã hội tỉnh", "Lưu: VT"],
        "cutoff": (11, 10),
        "deadlines": [("district", "province", None, (11, 14))],
    },
    {
        "code": "review_official",
        "name": "Báo cáo kết quả chính thức rà soát hộ nghèo, hộ cận nghèo hằng năm",
        "content": "Kết quả chính thức của kỳ rà soát định kỳ: số hộ nghèo, cận nghèo theo xã và biến "
        "động so với năm trước.",
        "legal_basis": "QĐ 24/2021/QĐ-TTg; TT 07/2021/TT-BLĐTBXH",
        "frequency": "annual",
        "builder": "review_official",
        "sections": ["Kết quả rà soát theo đơn vị", "Biến động hộ nghèo, hộ cận nghèo theo xã"],
        "recipients": ["UBND tỉnh", "Sở Lao động - Thương binh và Xã hội tỉnh", "Lưu: VT"],
        "deadlines": [("district", "province", None, (12, 19))],
    },
    {
        "code": "programme_monitoring_semiannual",
        "name": "Báo cáo giám sát, đánh giá thực hiện Chương trình giảm nghèo 6 tháng",
        "content": "Theo dõi, đánh giá 6 tháng: hộ nghèo, hộ cận nghèo, nhiệm vụ hỗ trợ đã hoàn thành và "
        "nguồn lực, tồn tại và kiến nghị.",
        "legal_basis": "NĐ 09/2019/NĐ-CP; TT 10/2022/TT-BLĐTBXH (Mẫu số 01)",
        "frequency": "semiannual",
        "builder": "programme_monitoring",
        "sections": [
            "Tình hình hộ nghèo, hộ cận nghèo",
            "Kết quả hỗ trợ trong kỳ",
            "Nguồn lực đã huy động",
        ],
        "recipients": ["UBND tỉnh", "Sở Lao động - Thương binh và Xã hội tỉnh", "Lưu: VT"],
        "deadlines": [("district", "province", 5, None)],
    },
]

HOLIDAYS = [
    (date(2020, 1, 1), "Tết Dương lịch"),
    *[(date(2020, 1, d), "Tết Nguyên đán Canh Tý") for d in range(23, 30)],
    (date(2020, 4, 2), "Giỗ Tổ Hùng Vương"),
    (date(2020, 4, 30), "Ngày Chiến thắng"),
    (date(2020, 5, 1), "Ngày Quốc tế Lao động"),
    (date(2020, 9, 2), "Quốc khánh"),
    (date(2021, 1, 1), "Tết Dương lịch"),
    *[(date(2021, 2, d), "Tết Nguyên đán Tân Sửu (verify)") for d in range(10, 17)],
    (date(2021, 4, 21), "Giỗ Tổ Hùng Vương (verify)"),
    (date(2021, 4, 30), "Ngày Chiến thắng"),
    (date(2021, 5, 3), "Nghỉ bù Ngày Quốc tế Lao động (verify)"),
    (date(2021, 9, 2), "Quốc khánh"),
    (date(2021, 9, 3), "Quốc khánh (verify)"),
]


def seed_definitions() -> int:
    """Add the definitions that are missing (by code); existing ones are left as admins set them."""
    existing = set(db.session.scalars(select(ReportDefinition.code)))
    added = 0
    for spec in DEFINITIONS:
        if spec["code"] in existing:
            continue
        cutoff_month, cutoff_day = spec.get("cutoff") or (None, None)
        definition = ReportDefinition(
            code=spec["code"],
            name=spec["name"],
            content=spec["content"],
            legal_basis=spec["legal_basis"],
            frequency=spec["frequency"],
            builder=spec["builder"],
            sections=spec["sections"],
            sent_by=SENT_BY,
            procedure=PROCEDURE_COMMUNE if spec["deadlines"][0][0] == "commune" else PROCEDURE_DISTRICT,
            recipients=spec["recipients"],
            cutoff_month=cutoff_month,
            cutoff_day=cutoff_day,
            starts_on=FIRST_DAY,
            active=True,
        )
        for level, receiving, working_days, fixed in spec["deadlines"]:
            fixed_month, fixed_day = fixed or (None, None)
            definition.deadlines.append(
                ReportDeadline(
                    level=level,
                    receiving_level=receiving,
                    working_days=working_days,
                    fixed_month=fixed_month,
                    fixed_day=fixed_day,
                )
            )
        db.session.add(definition)
        added += 1
    return added


def seed_holidays() -> int:
    existing = set(db.session.scalars(select(Holiday.day)))
    rows = [Holiday(day=day, name=name) for day, name in HOLIDAYS if day not in existing]
    db.session.add_all(rows)
    return len(rows)
