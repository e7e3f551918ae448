"""The demo district: huyện Bạch Thông as of the March 2020 article.

Everything is generated from one seeded random generator (the tasks from a
second one with the same seed, so that tasks added to a district built earlier
come out the same), so two runs on empty databases build the same district,
and the totals are fixed by construction (largest-remainder allocation), not
by retrying:

* 2019 official review: 8,575 households; 1,486 poor (1,400 by income, 30 of
  them urban; 86 by deprivation); 866 near-poor;
* 2018 official review: 1,695 poor (19.77 %) and 1,001 near-poor (11.67 %);
* 2019 preliminary review: 1,497 poor (17.46 %), 11 of whom the official
  review recognised as near-poor;
* support tasks (:class:`DemoTasks`) for the assigned households as of
  :data:`AS_OF`, the article's date: over 6,000, in every status, each
  addressing a deprivation or cause of its household.

Every record's income and deprivations classify, under QĐ 59/2015, to the
result it records: the figures come from :func:`classify`, not beside it.
"""

import os
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    AdminUnit,
    Assignment,
    Household,
    Indicator,
    Member,
    Notification,
    Organisation,
    PovertyCause,
    PovertyStandard,
    ReviewRecord,
    SupportNeed,
    SupportTask,
    TaskNote,
    TaskType,
    User,
    household_causes,
    household_needs,
    review_deprivations,
)
from app.services import notifications, reference, report_definitions
from app.services.audit import utcnow
from app.services.classification import Lines, classify
from app.services.demo_reports import DemoReports
from app.services.demo_reviews import DemoReviews, figures, weighted_sample
from app.services.households import search_document
from app.services.reviews import status_from, transition
from app.services.text import fold

DEMO_PASSWORD_ENV = "DEMO_PASSWORD"
DEFAULT_PASSWORD = "giamngheo-demo"
AS_OF = date(2020, 3, 20)  # the article's date: "today" in the demo district
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
    ("manager.tinh", "Lường Thị Hạnh", "manager", "06", "SLĐTBXH"),
    ("manager", "Hoàng Văn Thành", "manager", "063", "LĐTBXH"),
    ("staff", "Nông Thị Huyền", "staff", "063", "LĐTBXH"),
    ("staff.camgiang", "Ma Thị Lụa", "staff", "02008", "UBND"),
    ("supervisor.camgiang", "Lục Văn Quân", "supervisor", "02008", "UBND"),
    ("staff.quangthuan", "Hà Thị Nhàn", "staff", "02017", "UBND"),
    ("supervisor.quangthuan", "Triệu Văn Phúc", "supervisor", "02017", "UBND"),
]

PROVINCE_ORGANISATIONS = [
    ("SLĐTBXH", "Sở Lao động - Thương binh và Xã hội tỉnh Bắc Kạn", "state_department"),
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


# -- support tasks: what the officers do for the households they follow ----------------------

#: Tasks per assigned household, by its status: (counts, weights)
TASKS_PER_HOUSEHOLD = {"poor": ((1, 2, 3, 4), (2, 5, 18, 75)), "near_poor": ((0, 1, 2), (6, 20, 74))}
STATUS_SHARES = {"planned": 25, "in_progress": 30, "done": 30, "blocked": 8, "cancelled": 7}
#: When an open task falls due: before AS_OF, within the 7 days after it, or later
DUE_SHARES = {"overdue": 20, "soon": 12, "later": 68}
NOTED_SHARE = 0.34
#: Task types done for one member, and the member's age range in 2020
MEMBER_AGES = {
    "HEALTH_CARD": (0, 100),
    "TUITION": (6, 18),
    "VOCATIONAL": (16, 45),
    "JOB": (18, 45),
    "ADULT_CLASS": (15, 60),
}
TASK_TITLES = {
    "PRODUCTION": [
        "Hỗ trợ giống lợn sinh sản",
        "Hỗ trợ giống ngô lai và phân bón",
        "Hỗ trợ cây giống quế",
        "Hỗ trợ giống gà thả vườn",
        "Hỗ trợ giống trâu sinh sản",
        "Hỗ trợ cây giống hồng không hạt",
        "Tập huấn kỹ thuật trồng dong riềng",
    ],
    "LIVELIHOOD": [
        "Tham gia mô hình nuôi lợn đen địa phương",
        "Tham gia mô hình trồng cam, quýt",
        "Tham gia tổ hợp tác chăn nuôi dê",
        "Tham gia mô hình trồng chè",
        "Tham gia mô hình trồng rau an toàn",
    ],
    "CREDIT": [
        "Vay vốn tín dụng ưu đãi",
        "Vay vốn phát triển chăn nuôi",
        "Vay vốn sản xuất, kinh doanh",
        "Vay vốn mua máy làm đất mini",
    ],
    "VOCATIONAL": [
        "Đào tạo nghề may công nghiệp",
        "Đào tạo nghề sửa chữa máy nông nghiệp",
        "Đào tạo nghề chăn nuôi, thú y",
        "Đào tạo nghề nề",
        "Đào tạo nghề trồng và chăm sóc cây ăn quả",
    ],
    "JOB": [
        "Giới thiệu việc làm tại khu công nghiệp",
        "Giới thiệu việc làm tại doanh nghiệp trong tỉnh",
        "Tư vấn, giới thiệu việc làm qua Trung tâm Dịch vụ việc làm tỉnh",
    ],
    "HEALTH_CARD": ["Cấp thẻ bảo hiểm y tế", "Cấp lại thẻ bảo hiểm y tế"],
    "HEALTH_CARE": [
        "Hỗ trợ khám, chữa bệnh tại Bệnh viện Đa khoa tỉnh Bắc Kạn",
        "Hỗ trợ chi phí điều trị bệnh mạn tính",
        "Hỗ trợ khám sức khỏe tại Trạm Y tế xã",
    ],
    "NUTRITION": ["Hỗ trợ dinh dưỡng cho trẻ em dưới 5 tuổi"],
    "TUITION": ["Miễn học phí", "Hỗ trợ chi phí học tập", "Hỗ trợ tiền ăn trưa học sinh bán trú"],
    "ADULT_CLASS": ["Vận động tham gia lớp xóa mù chữ", "Vận động tham gia lớp bổ túc văn hóa"],
    "HOUSING": [
        "Hỗ trợ xây mới nhà ở",
        "Hỗ trợ sửa chữa nhà ở",
        "Hỗ trợ làm nhà ở theo Quyết định 33/2015/QĐ-TTg",
    ],
    "WATER": [
        "Hỗ trợ bể chứa nước sinh hoạt",
        "Hỗ trợ đường ống dẫn nước tự chảy",
        "Hỗ trợ thiết bị lọc nước",
    ],
    "LATRINE": ["Hỗ trợ xây nhà tiêu hợp vệ sinh", "Hỗ trợ cải tạo nhà tiêu tự hoại"],
    "TELECOM": ["Hỗ trợ lắp đặt dịch vụ viễn thông", "Hỗ trợ thuê bao điện thoại di động"],
    "INFORMATION": ["Cấp đầu thu truyền hình số mặt đất", "Hỗ trợ máy thu thanh", "Hỗ trợ ti vi"],
    "LEGAL_AID": ["Trợ giúp pháp lý về đất đai", "Tư vấn pháp luật miễn phí"],
}
NHCSXH = "Ngân hàng Chính sách xã hội huyện Bạch Thông"
#: outcome_kind "amount": (lowest, highest amount in đồng, fund sources) by task type
AMOUNTS = {
    "PRODUCTION": (2_000_000, 10_000_000, ["Chương trình 135 (QĐ 1722/QĐ-TTg)", "Ngân sách tỉnh Bắc Kạn"]),
    "CREDIT": (10_000_000, 50_000_000, [NHCSXH]),
    "TUITION": (700_000, 3_000_000, ["Ngân sách nhà nước (Nghị định 86/2015/NĐ-CP)"]),
    "HOUSING": (25_000_000, 40_000_000, [NHCSXH, "Quỹ Vì người nghèo huyện Bạch Thông"]),
    "WATER": (1_000_000, 4_000_000, ["Chương trình MTQG giảm nghèo bền vững (QĐ 1722/QĐ-TTg)", NHCSXH]),
    "LATRINE": (2_000_000, 6_000_000, [NHCSXH, "Quỹ Vì người nghèo huyện Bạch Thông"]),
}
DEFAULT_AMOUNT = (1_000_000, 10_000_000, ["Ngân sách huyện Bạch Thông"])
EMPLOYERS = [
    "Công ty TNHH May xuất khẩu Bắc Kạn",
    "Công ty Cổ phần Lâm nghiệp Bạch Thông",
    "Hợp tác xã Nông nghiệp Cẩm Giàng",
    "Công ty TNHH Chế biến nông sản Bắc Kạn",
    "Công ty TNHH Điện tử Yên Phong (Bắc Ninh)",
    "Công ty Cổ phần Xây dựng giao thông Bắc Kạn",
    "Hợp tác xã Dong riềng Quang Thuận",
]
TEXT_OUTCOMES = {
    "LIVELIHOOD": [
        "Hộ đã tham gia mô hình, nhận 2 con lợn giống và được tập huấn kỹ thuật chăn nuôi.",
        "Hộ đã tham gia tổ hợp tác, được hỗ trợ cây giống và phân bón vụ xuân.",
        "Hộ đã tham gia mô hình và ký cam kết duy trì sản xuất 3 năm.",
    ],
    "VOCATIONAL": [
        "Đã hoàn thành khóa đào tạo nghề 3 tháng, được cấp chứng chỉ sơ cấp.",
        "Đã học xong lớp nghề tại Trung tâm Giáo dục nghề nghiệp huyện.",
    ],
    "HEALTH_CARE": [
        "Đã được khám, điều trị tại Bệnh viện Đa khoa tỉnh Bắc Kạn và hỗ trợ chi phí đi lại.",
        "Đã được Trạm Y tế xã khám, cấp thuốc và hướng dẫn theo dõi sức khỏe.",
    ],
    "NUTRITION": ["Trẻ đã được nhận sữa và vi chất dinh dưỡng trong 3 tháng."],
    "ADULT_CLASS": [
        "Đã hoàn thành lớp xóa mù chữ giai đoạn 1.",
        "Đã theo học đủ chương trình bổ túc văn hóa.",
    ],
    "TELECOM": ["Hộ đã được lắp đặt và sử dụng dịch vụ điện thoại di động."],
    "INFORMATION": [
        "Hộ đã nhận đầu thu truyền hình số và được hướng dẫn sử dụng.",
        "Hộ đã nhận máy thu thanh, nghe được đài truyền thanh huyện.",
    ],
    "LEGAL_AID": [
        "Đã được Trung tâm Trợ giúp pháp lý tỉnh tư vấn, hoàn thiện hồ sơ cấp giấy chứng nhận"
        " quyền sử dụng đất.",
        "Đã được tư vấn pháp luật miễn phí tại nhà văn hóa thôn.",
    ],
}
DEFAULT_TEXT = ["Đã hoàn thành hỗ trợ theo kế hoạch."]
BLOCKED_REASONS = [
    "Hộ chưa bổ sung đủ hồ sơ, giấy tờ theo yêu cầu.",
    "Chưa được phân bổ kinh phí năm 2020.",
    "Chủ hộ đi làm ăn xa, chưa liên hệ được.",
    "Chờ UBND huyện phê duyệt danh sách hỗ trợ.",
    "Hộ có người ốm nặng, xin lùi thời gian thực hiện.",
]
CANCELLED_REASONS = [
    "Hộ không có nhu cầu.",
    "Trùng với hỗ trợ của chương trình khác.",
    "Hộ đã chuyển đi nơi khác sinh sống.",
    "Hộ tự giải quyết được, không cần hỗ trợ.",
    "Không đủ điều kiện hỗ trợ theo quy định.",
]
NOTE_BODIES = {
    "progress": [
        "Đã đến gia đình, trao đổi với chủ hộ về nội dung hỗ trợ.",
        "Hộ đồng ý tham gia, đã ký bản cam kết.",
        "Đã hướng dẫn hộ chuẩn bị hồ sơ.",
        "Đã tổng hợp vào danh sách đề nghị gửi UBND xã.",
        "Đã phối hợp với trưởng thôn theo dõi hộ.",
        "Hộ đang thực hiện, cán bộ kiểm tra định kỳ.",
    ],
    "done": [
        "Đã kiểm tra thực tế, hộ sử dụng hỗ trợ đúng mục đích.",
        "Đã bàn giao cho hộ, có biên bản kèm theo.",
    ],
    "blocked": [
        "Chờ hộ bổ sung hồ sơ, đã nhắc lần hai.",
        "Đã báo cáo lãnh đạo xã xin ý kiến chỉ đạo.",
    ],
    "cancelled": ["Đã thông báo cho hộ về việc dừng hỗ trợ.", "Đã báo cáo UBND xã, đề nghị hủy nhiệm vụ."],
}


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
        self.seed = seed
        self.rng = random.Random(seed)
        self.log: list[str] = []
        self.used_ids: set[str] = set()
        self._by_id: tuple[list | None, dict] = (None, {})

    def run(self) -> list[str]:
        self.log.append(f"standards added: {reference.seed_standards()}")
        self.log.append(f"catalogue entries added: {reference.seed_catalogues()}")
        self.log.append(f"units added: {reference.load_units_csv()}")
        self.log.append(f"report definitions added: {report_definitions.seed_definitions()}")
        self.log.append(f"holidays added: {report_definitions.seed_holidays()}")
        db.session.flush()
        self.units = list(db.session.scalars(select(AdminUnit)))
        self.villages()
        self.organisations()
        self.users()
        if db.session.scalar(select(func.count(Household.id))):
            self.log.append("households already present: left unchanged")
        else:
            self.households()
        self.tasks()
        self.log += DemoReports(random.Random(f"reports-{self.seed}"), AS_OF).run()
        self.log += DemoReviews(random.Random(f"reviews-{self.seed}"), DEPRIVATION_WEIGHTS).run()
        return self.log

    # -- units ---------------------------------------------------------------

    def units_by_id(self) -> dict[int, AdminUnit]:
        """``self.units`` by id, rebuilt when ``self.units`` is reloaded."""
        if self._by_id[0] is not self.units:
            self._by_id = (self.units, {u.id: u for u in self.units})
        return self._by_id[1]

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
        by_id = self.units_by_id()
        while village.successor_id:
            village = by_id[village.successor_id]
        return village

    def current_communes(self) -> list[AdminUnit]:
        return [u for u in self.units if u.kind in ("town", "commune") and u.is_valid_on(AS_OF)]

    # -- organisations and users ----------------------------------------------

    def organisations(self) -> None:
        """The province's, the district's and each commune's organisations; those missing by name."""
        existing = set(db.session.scalars(select(Organisation.name)))
        wanted = [(n, k, self.unit("06").id) for _, n, k in PROVINCE_ORGANISATIONS]
        district = self.unit("063")
        wanted += [(n, k, district.id) for _, n, k in DISTRICT_ORGANISATIONS]
        for commune in self.current_communes():
            wanted += [(n.format(name=commune.name), k, commune.id) for _, n, k in COMMUNE_ORGANISATIONS]
        rows = [Organisation(name=n, kind=k, unit_id=u) for n, k, u in wanted if n not in existing]
        db.session.add_all(rows)
        db.session.flush()
        self.log.append(f"organisations added: {len(rows)}")

    def organisation(self, key: str, unit: AdminUnit) -> Organisation:
        templates = {
            k: n for k, n, _ in PROVINCE_ORGANISATIONS + DISTRICT_ORGANISATIONS + COMMUNE_ORGANISATIONS
        }
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
            unit = self.unit(unit_code, AS_OF)
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
        return figures(self.rng, lines, area, result, criterion)

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
        db.session.execute(insert(Member.__table__), member_rows)
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
        return weighted_sample(self.rng, weights, k)

    @staticmethod
    def insert_returning(model, rows: list[dict]) -> list[int]:
        """Insert ``rows`` and return their ids in order. Through the Core table, not the ORM:
        an ORM bulk insert drops None values and so splits the rows into one batch per
        pattern of NULLs, which costs seconds on SQLite."""
        table = model.__table__
        ids: list[int] = []
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            ids += db.session.scalars(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk
            ).all()
        return ids

    def tasks(self) -> None:
        if db.session.scalar(select(func.count(SupportTask.id))):
            self.log.append("support tasks already present: left unchanged")
            return
        db.session.flush()
        tasks, notes = DemoTasks(random.Random(f"tasks-{self.seed}"), self.units).run()
        self.log.append(f"support tasks added: {tasks}, notes: {notes}")
        # the daily reminder job, as it ran at 06:00 (UTC+7) on the morning of the demo's day
        reminders = notifications.deadline_reminders(today=AS_OF)
        ran_at = datetime.combine(AS_OF, time(6)) - timedelta(hours=7)
        db.session.execute(
            update(Notification)
            .where(Notification.kind.in_(notifications.REMINDERS))
            .values(created_at=ran_at)
        )
        self.log.append(f"deadline reminders: {reminders}")

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
        db.session.execute(insert(Assignment.__table__), rows)


@dataclass
class Followed:
    """An assigned household as the task generator reads it back from the database."""

    household_id: int
    status: str
    organisation_id: int
    officer_id: int | None
    since: date
    commune_id: int | None
    deprivations: set[str] = field(default_factory=set)
    causes: set[str] = field(default_factory=set)
    members: list[tuple[int, str, int]] = field(default_factory=list)  # (id, name, birth year)


class DemoTasks:
    """Support tasks for the households with an active assignment, as of :data:`AS_OF`.

    Everything is read from the database (assignments, the latest official review's
    deprivations, causes, members), so tasks can be added to a demo district built before.
    Each task's type addresses one of its household's deprivations or causes, and its
    organisation and officer are those of the household's active assignment.
    """

    def __init__(self, rng: random.Random, units: list[AdminUnit]):
        self.rng = rng
        self.parent = {u.id: u.parent_id for u in units}
        self.district_ids = {u.id for u in units if u.kind in ("district", "province")}

    def run(self) -> tuple[int, int]:
        """Insert the tasks and their notes; returns (tasks, notes)."""
        self.types = list(
            db.session.scalars(
                select(TaskType)
                .where(TaskType.active.is_(True))
                .options(selectinload(TaskType.causes))
                .order_by(TaskType.sort_order, TaskType.id)
            )
        )
        self.staff = self.staff_by_unit()
        picks = [(household, *pick) for household in self.followed() for pick in self.pick(household)]
        shares = allocate(len(picks), list(STATUS_SHARES.values()))
        statuses = [s for s, n in zip(STATUS_SHARES, shares, strict=True) for _ in range(n)]
        self.rng.shuffle(statuses)
        task_rows = [self.task_row(*pick, status) for pick, status in zip(picks, statuses, strict=True)]
        ids = DemoBuilder.insert_returning(SupportTask, task_rows) if task_rows else []
        notes = self.note_rows(task_rows, ids, [pick[0] for pick in picks])
        if notes:
            db.session.execute(insert(TaskNote.__table__), notes)
        return len(task_rows), len(notes)

    def followed(self) -> list[Followed]:
        active = Assignment.end_date.is_(None)
        households = {
            hid: Followed(hid, status or "near_poor", org, officer, since, self.parent.get(unit_id))
            for hid, status, org, officer, since, unit_id in db.session.execute(
                select(
                    Assignment.household_id,
                    Household.status,
                    Assignment.organisation_id,
                    Assignment.officer_id,
                    Assignment.start_date,
                    Household.unit_id,
                )
                .join(Household, Household.id == Assignment.household_id)
                .where(active)
                .order_by(Assignment.household_id)
            )
        }
        latest: dict[int, int] = {}
        for hid, rid in db.session.execute(
            select(ReviewRecord.household_id, ReviewRecord.id)
            .join(Assignment, Assignment.household_id == ReviewRecord.household_id)
            .where(active, ReviewRecord.kind == "official")
            .order_by(ReviewRecord.household_id, ReviewRecord.year, ReviewRecord.id)
        ):
            latest[hid] = rid
        wanted = {rid: hid for hid, rid in latest.items()}
        for rid, code in db.session.execute(
            select(review_deprivations.c.review_id, Indicator.code)
            .join(Indicator, Indicator.id == review_deprivations.c.indicator_id)
            .join(ReviewRecord, ReviewRecord.id == review_deprivations.c.review_id)
            .where(ReviewRecord.kind == "official")
        ):
            if rid in wanted:
                households[wanted[rid]].deprivations.add(code)
        for hid, code in db.session.execute(
            select(household_causes.c.household_id, PovertyCause.code).join(
                PovertyCause, PovertyCause.id == household_causes.c.cause_id
            )
        ):
            if hid in households:
                households[hid].causes.add(code)
        for mid, hid, name, year in db.session.execute(
            select(Member.id, Member.household_id, Member.full_name, Member.birth_year).order_by(Member.id)
        ):
            if hid in households:
                households[hid].members.append((mid, name, year))
        return list(households.values())

    def staff_by_unit(self) -> dict[int | None, list[int]]:
        """Staff user ids by scope unit; district (and province) staff under ``None``."""
        staff: dict[int | None, list[int]] = {}
        for uid, unit_id in db.session.execute(
            select(User.id, User.scope_unit_id)
            .where(User.role == "staff", User.active.is_(True))
            .order_by(User.id)
        ):
            staff.setdefault(None if unit_id in self.district_ids else unit_id, []).append(uid)
        return staff

    def office_user(self, household: Followed) -> int | None:
        """A staff user who may write the household's tasks: its commune's, else the district's."""
        pool = self.staff.get(household.commune_id) or self.staff.get(None) or [None]
        return self.rng.choice(pool)

    @staticmethod
    def addresses(task_type: TaskType, household: Followed) -> bool:
        causes = {c.code for c in task_type.causes}
        return bool(set(task_type.indicators) & household.deprivations or causes & household.causes)

    def pick(self, household: Followed) -> list[tuple[TaskType, tuple | None, str]]:
        """``(type, member or None, title)``: 1–4 for a poor household, 0–2 for a near-poor one,
        each type addressing a need; distinct types first, then a second task of a type (for
        another member, under another title)."""
        counts, weights = TASKS_PER_HOUSEHOLD.get(household.status, TASKS_PER_HOUSEHOLD["near_poor"])
        wanted = self.rng.choices(counts, weights)[0]
        candidates = [t for t in self.types if self.addresses(t, household)]
        if not candidates or not wanted:
            return []
        chosen = self.rng.sample(candidates, min(wanted, len(candidates)))
        chosen += self.rng.choices(candidates, k=wanted - len(chosen))
        picked, used = [], set()
        for task_type in chosen:
            member = self.member_for(task_type.code, household, used)
            picked.append((task_type, member, self.title(task_type, member, used)))
        return picked

    def title(self, task_type: TaskType, member: tuple | None, used: set) -> str:
        variants = TASK_TITLES.get(task_type.code, [task_type.name_vi])
        title = self.rng.choice([v for v in variants if v not in used] or variants)
        used.add(title)
        return f"{title} cho {member[1]}"[:200] if member else title

    def member_for(self, code: str, household: Followed, used: set) -> tuple | None:
        if code not in MEMBER_AGES:
            return None
        low, high = MEMBER_AGES[code]
        eligible = [m for m in household.members if low <= 2020 - m[2] <= high]
        fresh = [m for m in eligible if (code, m[0]) not in used] or eligible
        if not fresh:
            return None
        member = self.rng.choice(fresh)
        used.add((code, member[0]))
        return member

    def task_row(
        self, household: Followed, task_type: TaskType, member: tuple | None, title: str, status: str
    ) -> dict:
        rng = self.rng
        row = dict(
            household_id=household.household_id,
            member_id=member[0] if member else None,
            task_type_id=task_type.id,
            title=title,
            organisation_id=household.organisation_id,
            officer_id=household.officer_id,
            status=status,
            outcome_amount=None,
            outcome_fund_source=None,
            outcome_employer=None,
            outcome_card_number=None,
            outcome_text=None,
            status_reason=None,
            created_by_id=self.office_user(household),
            version=1,
        )
        row.update(self.schedule(status, task_type.default_duration_days, household.since))
        if status == "done":
            row.update(self.outcome(task_type, household.status))
        elif status == "blocked":
            row["status_reason"] = rng.choice(BLOCKED_REASONS)
        elif status == "cancelled":
            row["status_reason"] = rng.choice(CANCELLED_REASONS)
        return row

    def moment(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, self.rng.randint(7, 16), self.rng.randrange(60))

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def schedule(self, status: str, duration: int, since: date) -> dict:
        """Start, due and done dates and timestamps that fit the status as of AS_OF."""
        begin = min(since, AS_OF - timedelta(days=30))
        done_on = None
        if status == "done":
            done_on = self.day_between(begin + timedelta(days=7), AS_OF - timedelta(days=1))
            start, due = self.done_dates(done_on, duration, begin)
        elif status == "cancelled":
            start = self.day_between(begin, AS_OF - timedelta(days=1))
            due = start + timedelta(days=duration)
        else:
            start, due = self.open_dates(status, duration, begin)
        written = min(start, AS_OF)
        created = self.moment(self.day_between(max(begin, written - timedelta(days=14)), written))
        last = done_on or (created.date() if status == "planned" else self.day_between(created.date(), AS_OF))
        updated = max(created, self.moment(last))
        return dict(start_date=start, due_date=due, done_on=done_on, created_at=created, updated_at=updated)

    def done_dates(self, done_on: date, duration: int, begin: date) -> tuple[date, date]:
        start = max(begin, done_on - timedelta(days=self.rng.randint(5, max(5, min(duration, 60)))))
        due = start + timedelta(days=duration)
        if self.rng.random() < 0.15:  # finished after its due date
            due = max(start, done_on - timedelta(days=self.rng.randint(1, 10)))
        return start, due

    def open_dates(self, status: str, duration: int, begin: date) -> tuple[date, date]:
        """Planned, in progress or blocked: overdue, due soon or due later (DUE_SHARES)."""
        rng = self.rng
        due = max(begin + timedelta(days=1), self.due_date(duration))
        start = due - timedelta(days=duration)
        if start < begin:
            start = self.day_between(begin, begin + timedelta(days=20))
        if status != "planned":  # work has begun
            start = max(begin, min(start, AS_OF - timedelta(days=rng.randint(1, 14))))
        elif due > AS_OF + timedelta(days=7) and rng.random() < 0.4:  # to begin later
            start = self.day_between(AS_OF + timedelta(days=1), min(due, AS_OF + timedelta(days=30)))
        return min(start, due), due

    def due_date(self, duration: int) -> date:
        bucket = self.rng.choices(list(DUE_SHARES), weights=list(DUE_SHARES.values()))[0]
        if bucket == "overdue":
            return AS_OF - timedelta(days=self.rng.randint(1, 45))
        if bucket == "soon":
            return AS_OF + timedelta(days=self.rng.randint(0, 7))
        return AS_OF + timedelta(days=self.rng.randint(8, max(8, duration)))

    def outcome(self, task_type: TaskType, household_status: str) -> dict:
        """The outcome fields a done task of this type requires (OUTCOME_FIELDS in services.tasks)."""
        rng = self.rng
        kind = task_type.outcome_kind
        if kind == "amount":
            low, high, sources = AMOUNTS.get(task_type.code, DEFAULT_AMOUNT)
            return dict(
                outcome_amount=rng.randrange(low, high + 1, 100_000), outcome_fund_source=rng.choice(sources)
            )
        if kind == "job":
            return dict(outcome_employer=rng.choice(EMPLOYERS))
        if kind == "card":
            prefix = "HN2" if household_status == "poor" else "CN3"
            return dict(outcome_card_number=f"{prefix}06{rng.randrange(10**10):010d}")
        return dict(outcome_text=rng.choice(TEXT_OUTCOMES.get(task_type.code, DEFAULT_TEXT)))

    def note_rows(self, tasks: list[dict], ids: list[int], followed: list[Followed]) -> list[dict]:
        """1–3 progress notes on about a third of the tasks, by the officer or a staff user."""
        rng = self.rng
        rows = []
        for task, task_id, household in zip(tasks, ids, followed, strict=True):
            if rng.random() >= NOTED_SHARE:
                continue
            count = rng.choices([1, 2, 3], [5, 3, 2])[0]
            end = task["done_on"] or AS_OF
            days = sorted(self.day_between(task["created_at"].date(), end) for _ in range(count))
            bodies = rng.sample(NOTE_BODIES["progress"], count)
            if task["status"] in ("done", "blocked", "cancelled"):
                bodies[-1] = rng.choice(NOTE_BODIES[task["status"]])
            for day, body in zip(days, bodies, strict=True):
                officer = task["officer_id"] if rng.random() < 0.7 else None
                rows.append(
                    dict(
                        task_id=task_id,
                        author_id=officer or self.office_user(household),
                        created_at=max(task["created_at"], self.moment(day)),
                        body=body,
                    )
                )
        return rows


def build_demo(seed: int = 2019) -> list[str]:
    """Build (or complete) the demo district; returns log lines. The caller commits."""
    return DemoBuilder(seed).run()
