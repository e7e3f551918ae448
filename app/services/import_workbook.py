"""The import workbook: its sheets and columns, the template clerks fill in, and the reader.

One table (``SHEETS``) drives everything: the template's headers, widths, formats and drop-down
lists, the explanation of each column on the instructions sheet, the header check and the
conversion of each cell, so that what the template promises is what the reader accepts.

The reader streams the workbook with openpyxl in read-only mode and ``data_only=False``: a formula
is seen as a formula and refused (what Excel last computed is not what the clerk sees once the
sheet recalculates). It knows nothing of the database: each cell is converted to its type or
reported; the checks that need the registry are ``app.services.imports``'s.

A problem is stored as an English msgid with its parameters and translated when shown, so a batch
reads in the language of whoever opens it. Sheet names, headers and the template's text are
Vietnamese data, the same in every language.
"""

import re
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import cached_property
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from xlsxwriter import Workbook

from app.models.households import ETHNICITIES
from app.services import clock
from app.services.households import CITIZEN_ID_RE
from app.services.text import MAX_INCOME, N_, fold, parse_amount

#: problems kept per sheet and stored per batch (``problem_count`` keeps the true total)
MAX_PROBLEMS = 1000
INSTRUCTIONS = "Hướng dẫn"
#: rows the template's drop-down lists and formats cover
TEMPLATE_ROWS = 20_000

Progress = Callable[[int, int], None]


UNREADABLE = N_(
    "The workbook could not be read. Open it in Excel, save it again as Excel Workbook (.xlsx) "
    "and upload it again."
)
NO_ROWS = N_("The workbook has no rows to import: fill in the sheets of the template.")
MISSING_SHEET = N_(
    "The sheet “%(sheet)s” is missing. Use the template: it has the sheets “Hộ gia đình”, "
    "“Thành viên” and “Kết quả rà soát” (a sheet may stay empty)."
)
HEADER_RENAMED = N_(
    "This column should be headed “%(expected)s”, not “%(found)s”. Keep the template's columns "
    "in their order and do not rename them; the rows of this sheet were not checked."
)
HEADER_MISSING = N_(
    "This column should be headed “%(expected)s”, but its header is empty. Keep the template's "
    "columns in their order; the rows of this sheet were not checked."
)
HEADER_MOVED = N_(
    "This column should be headed “%(expected)s”; that header is in column %(found_at)s. Do not "
    "insert, delete or move columns; the rows of this sheet were not checked."
)
FORMULA = N_("The cell contains a formula; paste values only (Paste Special → Values).")
REQUIRED = N_("“%(header)s” is required: this cell cannot be empty.")
TOO_LONG = N_("“%(header)s” is at most %(n)s characters long.")
NOT_ALLOWED = N_("“%(value)s” is not an allowed value. Allowed: %(allowed)s.")
NOT_A_YEAR = N_("“%(value)s” is not a year: write the four digits, e.g. 2019.")
BIRTH_YEAR = N_("Enter a birth year between 120 years ago and this year.")
NOT_MONEY = N_("“%(value)s” is not an amount: write a whole number of đồng, e.g. 650000.")
NEGATIVE = N_("The income cannot be negative.")
TOO_MUCH = N_("This income is not plausible: more than 1 billion đồng per person per month.")
NOT_A_DATE = N_("“%(value)s” is not a date: enter a date as dd/mm/yyyy, or an Excel date.")
FUTURE_DATE = N_("This date is in the future.")
CITIZEN_ID = N_("A citizen ID has exactly 12 digits; this one has %(n)s.")
CITIZEN_ID_NUMBER = N_(
    "This citizen ID is stored as a number, so Excel dropped its leading zero (%(n)s digits are "
    "left). Format the column as Text and type the 12 digits again."
)
PHONE_NUMBER = N_(
    "This phone number is stored as a number, so Excel dropped its leading zero. Format the column "
    "as Text and type the number again."
)
DECISION_REQUIRED = N_("An official result needs “%(header)s”.")


class CellProblem(ValueError):
    """A cell the reader cannot take: ``message`` is a msgid, ``params`` its placeholders."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


# -- the sheets and their columns ---------------------------------------------------------------


def _key(text: str) -> str:
    """What two spellings of one value share: no case, diacritics, extra spaces or curly quotes."""
    return fold(text.replace("’", "'"))


@dataclass(frozen=True)
class Choices:
    """The values a column allows: stored code → the words accepted for it (Vietnamese first,
    as the template shows it, then English)."""

    words: dict[Any, tuple[str, ...]]

    @property
    def shown(self) -> list[str]:
        return [words[0] for words in self.words.values()]

    @cached_property
    def _codes(self) -> dict[str, Any]:
        return {_key(word): code for code, words in self.words.items() for word in (str(code), *words)}

    def lookup(self, value: str) -> Any:
        """The code ``value`` names; raises CellProblem for a value not in the list."""
        code = self._codes.get(_key(value), _MISSING)
        if code is _MISSING:
            raise CellProblem(NOT_ALLOWED, value=value, allowed=", ".join(self.shown))
        return code


_MISSING = object()


ETHNICITY_ALIASES = {"H'Mông": ("H’Mông", "Mông", "Hmong"), "Khác": ("Other",)}
ETHNICITY = Choices({e: (e, *ETHNICITY_ALIASES.get(e, ())) for e in ETHNICITIES})
AREAS = Choices({"rural": ("Nông thôn", "Rural"), "urban": ("Thành thị", "Urban")})
RELATIONS = Choices(
    {
        "head": ("Chủ hộ", "Head of household", "Head"),
        "spouse": ("Vợ/chồng", "Vợ", "Chồng", "Spouse"),
        "child": ("Con", "Child"),
        "parent": ("Bố/mẹ", "Bố", "Mẹ", "Parent"),
        "grandchild": ("Cháu", "Grandchild"),
        "sibling": ("Anh/chị/em", "Anh", "Chị", "Em", "Sibling"),
        "other": ("Khác", "Other"),
    }
)
SEXES = Choices({"male": ("Nam", "Male"), "female": ("Nữ", "Female")})
SCHOOLING = Choices(
    {
        "not_yet": ("Chưa đi học", "Not yet at school"),
        "in_school": ("Đang đi học", "At school"),
        "dropped_out": ("Bỏ học", "Dropped out"),
        "finished": ("Đã học xong", "Finished school"),
    }
)
FLAGS = Choices({True: ("Có", "Yes", "x"), False: ("Không", "No")})
KINDS = Choices({"preliminary": ("Sơ bộ", "Preliminary"), "official": ("Chính thức", "Official")})


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str
    required: bool = False
    width: int = 14
    max_length: int | None = None
    choices: Choices | None = None

    @property
    def title(self) -> str:
        """The header as the template writes it: required columns end with an asterisk."""
        return f"{self.header}*" if self.required else self.header


@dataclass(frozen=True)
class Sheet:
    key: str
    name: str
    columns: tuple[Column, ...]

    def letter(self, key: str) -> str:
        return get_column_letter(1 + next(i for i, c in enumerate(self.columns) if c.key == key))

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def note(self, column: Column) -> str:
        """What the instructions sheet (and the header's comment) says of a column."""
        return NOTES[self.key][column.key]


HOUSEHOLDS = Sheet(
    "households",
    "Hộ gia đình",
    (
        Column("code", "Mã hộ", "code", True, 14, 32),
        Column("head_name", "Họ tên chủ hộ", "text", True, 26, 120),
        Column("ethnicity", "Dân tộc", "choice", True, 12, choices=ETHNICITY),
        Column("village", "Mã thôn", "code", True, 12, 16),
        Column("address", "Địa chỉ", "text", True, 40, 255),
        Column("area", "Khu vực", "choice", True, 12, choices=AREAS),
        Column("phone", "Điện thoại", "phone", False, 14, 20),
        Column("causes", "Nguyên nhân nghèo", "codes", False, 26),
        Column("needs", "Nhu cầu hỗ trợ", "codes", False, 26),
        Column("notes", "Ghi chú", "text", False, 30, 2000),
    ),
)
MEMBERS = Sheet(
    "members",
    "Thành viên",
    (
        Column("household", "Mã hộ", "code", True, 14, 32),
        Column("full_name", "Họ và tên", "text", True, 26, 120),
        Column("relation", "Quan hệ với chủ hộ", "choice", True, 16, choices=RELATIONS),
        Column("sex", "Giới tính", "choice", True, 10, choices=SEXES),
        Column("birth_year", "Năm sinh", "birth_year", True, 10),
        Column("ethnicity", "Dân tộc", "choice", True, 12, choices=ETHNICITY),
        Column("citizen_id", "Số CCCD", "citizen_id", False, 16),
        Column("occupation", "Nghề nghiệp", "text", False, 20, 120),
        Column("health_insurance_card", "Số thẻ BHYT", "code", False, 18, 20),
        Column("schooling", "Tình trạng đi học", "choice", False, 16, choices=SCHOOLING),
        Column("has_disability", "Khuyết tật", "flag", False, 11, choices=FLAGS),
    ),
)
REVIEWS = Sheet(
    "reviews",
    "Kết quả rà soát",
    (
        Column("household", "Mã hộ", "code", True, 14, 32),
        Column("year", "Năm", "year", True, 8),
        Column("kind", "Loại", "choice", True, 12, choices=KINDS),
        Column("income", "Thu nhập bình quân (đồng/người/tháng)", "money", True, 18),
        Column("indicators", "Chỉ số thiếu hụt", "codes", False, 34),
        Column("decision_number", "Số quyết định", "text", False, 16, 64),
        Column("decision_date", "Ngày quyết định", "date", False, 14),
    ),
)
HOUSEHOLD_CODE = "Mã của hộ: ở trang Hộ gia đình của tệp này, hoặc đã có trong sổ."
ALLOWED = "Một giá trị của bảng Giá trị cho phép."
NOTES = {
    "households": {
        "code": "Văn bản, tối đa 32 ký tự, không trùng trong tệp. Mã đã có trong sổ: cập nhật hộ đó; "
        "mã mới: tạo hộ mới. Ví dụ: 02008-0621.",
        "head_name": "Họ và tên đầy đủ, có dấu. Phải trùng với dòng Chủ hộ của hộ ở trang Thành viên.",
        "ethnicity": ALLOWED,
        "village": "Mã thôn (tổ dân phố) trong phạm vi của bạn: xem bảng Thôn, tổ dân phố bên dưới.",
        "address": "Địa chỉ cụ thể, tối đa 255 ký tự.",
        "area": "Nông thôn hoặc Thành thị: quyết định chuẩn thu nhập áp dụng.",
        "phone": "Cột định dạng Văn bản để giữ số 0 ở đầu; tối đa 20 ký tự.",
        "causes": "Mã các nguyên nhân, cách nhau bởi dấu phẩy. Ví dụ: NO_LAND, NO_CAPITAL.",
        "needs": "Mã các nhu cầu, cách nhau bởi dấu phẩy. Ví dụ: CREDIT, HEALTH_CARD.",
        "notes": "Tuỳ ý, tối đa 2.000 ký tự.",
    },
    "members": {
        "household": HOUSEHOLD_CODE,
        "full_name": "Họ và tên đầy đủ, có dấu.",
        "relation": "Mỗi hộ có đúng một Chủ hộ.",
        "sex": "Nam hoặc Nữ.",
        "birth_year": "Năm có 4 chữ số, ví dụ 1985.",
        "ethnicity": ALLOWED,
        "citizen_id": "12 chữ số. Cột phải có định dạng Văn bản, nếu không Excel bỏ mất số 0 ở đầu. "
        "Để trống nếu chưa có: để trống không xoá số đã lưu.",
        "occupation": "Tối đa 120 ký tự.",
        "health_insurance_card": "Văn bản, tối đa 20 ký tự.",
        "schooling": "Để trống nếu không áp dụng.",
        "has_disability": "Có hoặc Không; để trống là Không.",
    },
    "reviews": {
        "household": HOUSEHOLD_CODE,
        "year": "Năm rà soát, ví dụ 2019. Chuẩn nghèo áp dụng theo năm: xem bảng Chuẩn nghèo.",
        "kind": "Sơ bộ hoặc Chính thức. Kết quả chính thức mới nhất là tình trạng của hộ.",
        "income": "Số nguyên không âm, đồng/người/tháng. Ví dụ: 650000.",
        "indicators": "Mã các chỉ số thiếu hụt của chuẩn nghèo áp dụng cho năm đó, cách nhau bởi dấu phẩy.",
        "decision_number": "Bắt buộc với kết quả Chính thức. Ví dụ: 125/QĐ-UBND.",
        "decision_date": "Bắt buộc với kết quả Chính thức: ngày Excel, hoặc văn bản dd/mm/yyyy.",
    },
}
SHEETS = (HOUSEHOLDS, MEMBERS, REVIEWS)
SHEET_ORDER = {sheet.name: i for i, sheet in enumerate(SHEETS)}


# -- problems -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Problem:
    """One thing wrong with the workbook: where (Excel's sheet, row number and column letter, with
    the column's header) and what (a msgid and its parameters)."""

    sheet: str | None
    row: int | None
    column: str | None
    header: str | None
    message: str
    params: dict = field(default_factory=dict)

    def sort_key(self) -> tuple:
        letter = self.column or ""
        return (SHEET_ORDER.get(self.sheet or "", -1), self.row or 0, len(letter), letter)


class Problems:
    """Every problem of one workbook counted; the first ``MAX_PROBLEMS`` of each sheet kept."""

    def __init__(self) -> None:
        self.count = 0
        self._kept: dict[str | None, list[Problem]] = defaultdict(list)

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, problem: Problem) -> None:
        self.count += 1
        kept = self._kept[problem.sheet]
        if len(kept) < MAX_PROBLEMS:
            kept.append(problem)

    def at(
        self, sheet: Sheet, row: int | None, column: Column | str | int | None, message: str, **params
    ) -> None:
        """A problem in a cell: ``column`` a Column, its key, or a 0-based index past the template's."""
        if isinstance(column, str):
            column = sheet.column(column)
        if isinstance(column, Column):
            letter, header = sheet.letter(column.key), column.header
        elif column is not None:
            letter, header = get_column_letter(column + 1), None
        else:
            letter = header = None
        self.add(Problem(sheet.name, row, letter, header, message, params))

    def listed(self) -> list[dict]:
        """The kept problems in sheet, row and column order, at most ``MAX_PROBLEMS``."""
        everything = sorted((p for kept in self._kept.values() for p in kept), key=Problem.sort_key)
        return [asdict(p) for p in everything[:MAX_PROBLEMS]]


# -- converting cells ---------------------------------------------------------------------------


def _clean(text: str) -> str:
    return re.sub(r"[ \t]+", " ", unicodedata.normalize("NFC", text)).strip()


def _whole(value: Any) -> int | None:
    """``value`` as a whole number when it is one (an Excel number or digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def _text(value: Any, column: Column) -> str:
    whole = None if isinstance(value, str) else _whole(value)  # 1234.0 (a typed code) reads "1234"
    text = _clean(str(value if whole is None else whole))
    if column.max_length and len(text) > column.max_length:
        raise CellProblem(TOO_LONG, header=column.header, n=column.max_length)
    return text


def _phone(value: Any, column: Column) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellProblem(PHONE_NUMBER)
    return _text(value, column)


def _choice(value: Any, column: Column) -> Any:
    return column.choices.lookup(_clean(str(value)))


def _four_digits(value: Any) -> int:
    year = _whole(value)
    if year is None or not 1000 <= year <= 9999:
        raise CellProblem(NOT_A_YEAR, value=_shown(value))
    return year


def _year(value: Any, column: Column) -> int:
    """A review year (whether a standard covers it is the registry's question)."""
    return _four_digits(value)


def _birth_year(value: Any, column: Column) -> int:
    year = _four_digits(value)
    this_year = clock.today().year
    if not this_year - 120 <= year <= this_year:
        raise CellProblem(BIRTH_YEAR)
    return year


def _money(value: Any, column: Column) -> int:
    """Whole đồng: an Excel number (rounded), or digits with "." or "," between thousands."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount = round(value)
    else:
        amount = parse_amount(str(value))
        if amount is None:
            raise CellProblem(NOT_MONEY, value=_shown(value))
    if amount < 0:
        raise CellProblem(NEGATIVE)
    if amount > MAX_INCOME:
        raise CellProblem(TOO_MUCH)
    return amount


DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(str(value).strip(), pattern).date()
        except ValueError:
            continue
    return None


def _date(value: Any, column: Column) -> date:
    day = _parse_date(value)
    if day is None or day.year < 1900:
        raise CellProblem(NOT_A_DATE, value=_shown(value))
    if day > clock.today():
        raise CellProblem(FUTURE_DATE)
    return day


def _citizen_id(value: Any, column: Column) -> str:
    """Twelve digits. Excel keeps a number exactly up to 15 digits, so a 12-digit number is the ID
    itself; fewer digits mean the leading zeros were lost, which only the clerk can restore."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = _whole(value)
        digits = str(number) if number is not None and number >= 0 else str(value)
        if number is not None and len(digits) < 12:
            raise CellProblem(CITIZEN_ID_NUMBER, n=len(digits))
    else:
        digits = re.sub(r"\s", "", str(value))
    if not CITIZEN_ID_RE.fullmatch(digits):
        raise CellProblem(CITIZEN_ID, n=len(digits))
    return digits


def _codes(value: Any, column: Column) -> tuple[str, ...]:
    """Codes separated by commas, semicolons or spaces, upper-cased, each once, in order."""
    found = (c.upper() for c in re.split(r"[,;\s]+", str(value)) if c)
    return tuple(dict.fromkeys(found))


def _shown(value: Any) -> str:
    """A cell's value as a message quotes it (cut short)."""
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value)[:40]


CONVERTERS: dict[str, Callable[[Any, Column], Any]] = {
    "text": _text,
    "code": _text,
    "phone": _phone,
    "choice": _choice,
    "flag": _choice,
    "year": _year,
    "birth_year": _birth_year,
    "money": _money,
    "date": _date,
    "citizen_id": _citizen_id,
    "codes": _codes,
}
EMPTY = {"codes": (), "flag": False}


def convert(column: Column, value: Any) -> Any:
    """A cell's value as the registry stores it; None (or EMPTY's value) for an empty cell.

    :raises CellProblem: a required cell is empty, or the value is not of the column's kind.
    """
    if isinstance(value, str):
        value = value.strip() or None
    if value is None:
        if column.required:
            raise CellProblem(REQUIRED, header=column.header)
        return EMPTY.get(column.kind)
    return CONVERTERS[column.kind](value, column)


# -- rows ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class HouseholdRow:
    row: int
    code: str | None
    head_name: str | None
    ethnicity: str | None
    village: str | None
    address: str | None
    area: str | None
    phone: str | None
    causes: tuple[str, ...]
    needs: tuple[str, ...]
    notes: str | None


@dataclass(slots=True)
class MemberRow:
    row: int
    household: str | None
    full_name: str | None
    relation: str | None
    sex: str | None
    birth_year: int | None
    ethnicity: str | None
    citizen_id: str | None
    occupation: str | None
    health_insurance_card: str | None
    schooling: str | None
    has_disability: bool | None


@dataclass(slots=True)
class ReviewRow:
    row: int
    household: str | None
    year: int | None
    kind: str | None
    income: int | None
    indicators: tuple[str, ...]
    decision_number: str | None
    decision_date: date | None


ROW_TYPES = {"households": HouseholdRow, "members": MemberRow, "reviews": ReviewRow}


@dataclass
class Parsed:
    """What the reader made of a workbook: typed rows (a field is None when its cell is empty or
    was refused) and the problems found."""

    problems: Problems = field(default_factory=Problems)
    households: list[HouseholdRow] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)
    reviews: list[ReviewRow] = field(default_factory=list)
    #: the sheets whose rows were not read: missing, or their columns not the template's
    skipped: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.households) + len(self.members) + len(self.reviews)


class _Counter:
    """Rows read so far against the total the sheets' dimensions announce (a floor once passed)."""

    def __init__(self, total: int, progress: Progress) -> None:
        self.done, self.total, self.progress = 0, total, progress

    def tick(self) -> None:
        self.done += 1
        self.total = max(self.total, self.done)
        self.progress(self.done, self.total)


def read_workbook(path: Path, progress: Progress = lambda done, total: None) -> Parsed:
    """Read the three data sheets of ``path`` (other sheets are ignored), calling
    ``progress(rows read, rows expected)`` after every row."""
    parsed = Parsed()
    with warnings.catch_warnings():  # openpyxl warns about parts it drops (styles, extensions)
        warnings.simplefilter("ignore")
        try:
            book = load_workbook(path, read_only=True, data_only=False)
        except Exception:  # a damaged part: openpyxl raises many kinds, all of them the file's fault
            parsed.problems.add(Problem(None, None, None, None, UNREADABLE))
            parsed.skipped = [sheet.name for sheet in SHEETS]
            return parsed
        try:
            _read_sheets(book, parsed, progress)
        except Exception:  # as above, met while streaming a sheet's rows
            parsed.problems.add(Problem(None, None, None, None, UNREADABLE))
            parsed.skipped = [sheet.name for sheet in SHEETS]
        finally:
            book.close()
    if not parsed.problems and not parsed.rows:
        parsed.problems.add(Problem(None, None, None, None, NO_ROWS))
    return parsed


def _read_sheets(book, parsed: Parsed, progress: Progress) -> None:
    by_name = {_key(ws.title): ws for ws in book.worksheets}
    found = {sheet.key: by_name.get(_key(sheet.name)) for sheet in SHEETS}
    counter = _Counter(sum(max((ws.max_row or 1) - 1, 0) for ws in found.values() if ws), progress)
    progress(0, counter.total)
    for sheet in SHEETS:
        ws = found[sheet.key]
        if ws is None:
            parsed.problems.add(Problem(sheet.name, None, None, None, MISSING_SHEET, {"sheet": sheet.name}))
            parsed.skipped.append(sheet.name)
            continue
        rows = ws.iter_rows()
        if not _header_ok(sheet, next(rows, ()), parsed.problems):
            parsed.skipped.append(sheet.name)
            continue
        target = getattr(parsed, sheet.key)
        for number, cells in enumerate(rows, start=2):
            counter.tick()
            record = _read_row(sheet, number, cells, parsed.problems)
            if record is not None:
                target.append(record)


def _header_ok(sheet: Sheet, cells: Sequence, problems: Problems) -> bool:
    """Whether row 1 holds the template's headers in order; reports each one that does not."""
    found = [_header_key(cell.value) for cell in cells]
    ok = True
    for index, column in enumerate(sheet.columns):
        here = found[index] if index < len(found) else ""
        expected = _header_key(column.header)
        if here == expected:
            continue
        ok = False
        if expected in found:
            moved_to = get_column_letter(found.index(expected) + 1)
            problems.at(sheet, 1, column, HEADER_MOVED, expected=column.header, found_at=moved_to)
        elif here:
            problems.at(
                sheet, 1, column, HEADER_RENAMED, expected=column.header, found=_shown(cells[index].value)
            )
        else:
            problems.at(sheet, 1, column, HEADER_MISSING, expected=column.header)
    return ok


def _header_key(value: Any) -> str:
    """A header as compared: no case, diacritics or spaces, and no required-mark ("*", "(*)")."""
    return "" if value is None else _key(str(value)).replace("(*)", "").rstrip(" *").strip()


def _read_row(sheet: Sheet, number: int, cells: Sequence, problems: Problems):
    """The row's record, or None for an empty row; formulas and refused cells are reported."""
    if all(_blank(cell.value) for cell in cells):
        return None
    values: dict[str, Any] = {}
    for index, cell in enumerate(cells):
        if cell.data_type == "f":
            problems.at(sheet, number, sheet.columns[index] if index < len(sheet.columns) else index, FORMULA)
    for index, column in enumerate(sheet.columns):
        cell = cells[index] if index < len(cells) else None
        if cell is not None and cell.data_type == "f":
            values[column.key] = EMPTY.get(column.kind)
            continue
        try:
            values[column.key] = convert(column, None if cell is None else cell.value)
        except CellProblem as problem:
            problems.at(sheet, number, column, problem.message, **problem.params)
            values[column.key] = EMPTY.get(column.kind)
    record = ROW_TYPES[sheet.key](row=number, **values)
    if isinstance(record, ReviewRow):
        _check_decision(record, cells, problems)
    return record


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_decision(record: ReviewRow, cells: Sequence, problems: Problems) -> None:
    """An official result carries its decision's number and date (an empty cell only: one already
    reported for its own content is not reported twice)."""
    if record.kind != "official":
        return
    for key in ("decision_number", "decision_date"):
        index = next(i for i, c in enumerate(REVIEWS.columns) if c.key == key)
        if getattr(record, key) is None and (index >= len(cells) or _blank(cells[index].value)):
            column = REVIEWS.columns[index]
            problems.at(REVIEWS, record.row, column, DECISION_REQUIRED, header=column.header)


# -- the template -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Codes:
    """What the instructions sheet lists for one uploader (read from the registry by the caller).

    villages: (code, village name, commune name); causes, needs: (code, name); standards: (code,
    name, legal basis, first year, last year, [(indicator code, name)]).
    """

    villages: list[tuple[str, str, str]]
    causes: list[tuple[str, str]]
    needs: list[tuple[str, str]]
    standards: list[tuple[str, str, str, int, int, list[tuple[str, str]]]]
    made_for: str
    made_on: date


RULES = (
    "Giữ nguyên tên các trang tính và dòng tiêu đề; không thêm, xoá, đổi tên hay đổi thứ tự cột. "
    "Một trang không có gì để nhập thì để trống (chỉ giữ dòng tiêu đề).",
    "Cột có dấu * là bắt buộc. Ô để trống ở cột không bắt buộc xoá giá trị đang lưu trong sổ "
    "(trừ Số CCCD: để trống giữ số đã lưu).",
    "Chỉ dán giá trị (Dán đặc biệt → Giá trị): ô có công thức bị từ chối.",
    "Ở các cột có danh sách giá trị (Dân tộc, Khu vực, Giới tính, …) có thể chọn từ danh sách thả xuống; "
    "chữ không dấu hoặc tiếng Anh cũng được chấp nhận (ví dụ: Nu, Female).",
    "Các cột mã, Số CCCD, Điện thoại và Số thẻ BHYT có định dạng Văn bản: giữ nguyên định dạng này "
    "để Excel không bỏ số 0 ở đầu.",
    "Hộ được nhận diện theo Mã hộ: mã đã có trong sổ thì cập nhật hộ đó, mã mới thì tạo hộ mới "
    "(hộ mới phải có dòng Chủ hộ ở trang Thành viên).",
    "Thành viên được nhận diện theo Số CCCD; người chưa có CCCD theo Mã hộ + Họ và tên + Năm sinh. "
    "Thành viên đang có trong sổ mà không có trong tệp được giữ nguyên: tệp không xoá ai.",
    "Kết quả rà soát được nhận diện theo Mã hộ + Năm + Loại. Hệ thống tự phân loại (nghèo, cận nghèo, "
    "…) theo chuẩn nghèo của năm, khu vực, thu nhập và số chỉ số thiếu hụt, và tính biến động so với "
    "năm trước.",
    "Sau khi tải lên, hệ thống kiểm tra toàn bộ tệp và liệt kê mọi lỗi (trang, dòng, cột). Không có gì "
    "được ghi vào sổ cho đến khi tệp hết lỗi và bạn bấm Xác nhận. Nhập lại đúng tệp đó không thay đổi gì.",
)


class _Template:
    """The workbook XlsxWriter writes: three empty data sheets and the instructions."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.bold = book.add_format({"bold": True})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.head = book.add_format(
            {"bold": True, "bg_color": "#e8eef3", "border": 1, "text_wrap": True, "valign": "vcenter"}
        )
        self.text = book.add_format({"num_format": "@"})
        self.day = book.add_format({"num_format": "dd/mm/yyyy"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})

    def column_format(self, column: Column):
        if column.kind == "date":
            return self.day
        return self.text if column.kind in ("code", "phone", "citizen_id", "codes", "text") else None

    def data_sheet(self, sheet: Sheet):
        ws = self.book.add_worksheet(sheet.name)
        ws.set_row(0, 32)
        for index, column in enumerate(sheet.columns):
            ws.set_column(index, index, column.width, self.column_format(column))
            ws.write_string(0, index, column.title, self.head)
            ws.write_comment(0, index, sheet.note(column), {"x_scale": 2, "y_scale": 1.5})
        ws.freeze_panes(1, 0)
        return ws

    @staticmethod
    def drop_downs(ws, sheet: Sheet, villages: str | None) -> None:
        """A list to pick from in every column of allowed values (a warning, not a refusal, for
        another spelling: the reader also takes English and unaccented words)."""
        for index, column in enumerate(sheet.columns):
            source = villages if column.key == "village" else column.choices and column.choices.shown
            if source:
                rule = {"validate": "list", "source": source, "error_type": "warning", "ignore_blank": True}
                ws.data_validation(1, index, TEMPLATE_ROWS, index, rule)

    def table(self, ws, row: int, title: str, header: Sequence[str], rows: Iterable[Sequence]) -> int:
        """A titled table on the instructions sheet from ``row``; returns the next free row."""
        ws.write_string(row, 0, title, self.bold)
        for col, text in enumerate(header):
            ws.write_string(row + 1, col, text, self.head)
        row += 2
        for values in rows:
            for col, value in enumerate(values):
                ws.write_string(row, col, "" if value is None else str(value), self.wrap)
            row += 1
        return row + 1


def write_template(codes: Codes) -> bytes:
    """The template workbook: the three data sheets, empty but for their headers (formatted, with
    a note on each header and drop-down lists of the allowed values), and the instructions sheet
    that explains every column and lists the codes this uploader may use."""
    buffer = BytesIO()
    with Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    ) as book:
        template = _Template(book)
        data_sheets = [template.data_sheet(sheet) for sheet in SHEETS]
        first, last = _instructions(template, codes)
        villages = f"='{INSTRUCTIONS}'!$A${first}:$A${last}" if codes.villages else None
        for ws, sheet in zip(data_sheets, SHEETS, strict=True):
            template.drop_downs(ws, sheet, villages)
    return buffer.getvalue()


def _column_rows() -> list[tuple[str, str, str, str]]:
    return [
        (sheet.name, f"{sheet.letter(c.key)} · {c.header}", "Có" if c.required else "Không", sheet.note(c))
        for sheet in SHEETS
        for c in sheet.columns
    ]


def _value_rows() -> list[tuple[str, str]]:
    unique = {c.header: c for s in SHEETS for c in s.columns if c.choices}
    return [(header, ", ".join(column.choices.shown)) for header, column in unique.items()]


def _instructions(template: _Template, codes: Codes) -> tuple[int, int]:
    """Write the instructions sheet; returns the first and last Excel row of the village codes
    (the village column's drop-down list)."""
    ws = template.book.add_worksheet(INSTRUCTIONS)
    for col, width in enumerate((22, 40, 26, 90)):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, "Hướng dẫn nhập hộ gia đình, thành viên và kết quả rà soát", template.title)
    ws.write_string(1, 0, f"Tệp mẫu lập ngày {codes.made_on:%d/%m/%Y} cho {codes.made_for}.")
    ws.write_string(3, 0, "Quy định", template.bold)
    for i, rule in enumerate(RULES, start=1):
        ws.write_string(3 + i, 0, f"{i}. {rule}")
    row = 4 + len(RULES) + 1
    row = template.table(
        ws, row, "Các cột", ("Trang", "Cột", "Bắt buộc", "Định dạng, giá trị"), _column_rows()
    )
    row = template.table(ws, row, "Giá trị cho phép", ("Cột", "Giá trị"), _value_rows())
    first = row + 3  # below the table's title and header, counted from 1 as Excel does
    villages = codes.villages or [("", "(không có thôn nào)", "")]
    row = template.table(
        ws, row, "Thôn, tổ dân phố trong phạm vi của bạn", ("Mã thôn", "Tên", "Thuộc"), villages
    )
    row = template.table(ws, row, "Nguyên nhân nghèo", ("Mã", "Tên"), codes.causes)
    row = template.table(ws, row, "Nhu cầu hỗ trợ", ("Mã", "Tên"), codes.needs)
    standards = [(code, name, f"{a}–{b}", basis) for code, name, basis, a, b, _ in codes.standards]
    header = ("Mã chuẩn", "Tên", "Năm", "Căn cứ")
    row = template.table(ws, row, "Chuẩn nghèo áp dụng theo năm rà soát", header, standards)
    indicators = [
        (c, f"{a}–{b}", code, name) for c, _n, _b, a, b, ind in codes.standards for code, name in ind
    ]
    header = ("Mã chuẩn", "Năm", "Mã chỉ số", "Tên chỉ số")
    template.table(ws, row, "Chỉ số thiếu hụt của từng chuẩn", header, indicators)
    return first, first + len(villages) - 1
