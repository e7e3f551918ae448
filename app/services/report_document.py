"""A periodic report's frozen snapshot rendered as a document: HTML, PDF (the app's one WeasyPrint
helper), XLSX and SVG charts. Pure functions of the snapshot; no database access.

The snapshot (schema 1) holds raw figures; a table cell is an int (8575 → "8.575"), a float or a
str of a Decimal ("17.33" → "17,33"), any other text (as is) or None ("—"). A column is numeric,
and right-aligned, when all its values are ints or decimals; its decimals show the most fraction
digits any of them has, so "16.50" and "17.3" read "16,50" and "17,30" (ints stay whole: a column
of indicators may mix counts and rates). A str of digits without a point ("063", a unit code) is
text. In the XLSX, ints are ints and decimals floats, with number formats to match.
"""

import gc
import math
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from babel import Locale
from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from app.services.charts import chart_svg, figure_places, format_figure, to_decimal

SCHEMA = 1
TEMPLATE = "reports/pdf/report.html"
#: the report is a Vietnamese administrative document whatever the reader's language
LOCALE = "vi"
NO_VALUE = "—"
DECIMAL_RE = re.compile(r"^[+-]?\d+\.\d+$")
SEQUENCE_HEADINGS = {"STT", "TT", "SỐ TT"}
#: characters of 11 pt Noto Serif across the page's 165 mm, a cell's padding, the most a text
#: column asks for before it wraps
TABLE_CHARACTERS = 84
CELL_PADDING = 2
TEXT_COLUMN_CAP = 40
BOLD_WIDTH = 1.25  # a bold (and upper-case) heading's characters are wider
BOLD_HALF = 0.65  # a bold heading over two lines, in regular characters
ROMAN = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip
TABLE_NUMBER_RE = re.compile(r"^\s*Bảng\s+\d+\s*[.:]\s*", re.IGNORECASE)
CHART_NUMBER_RE = re.compile(r"^\s*Biểu đồ\s+\d+\s*[.:]\s*", re.IGNORECASE)


class RefusedResource(ValueError):
    """The PDF renderer asked for something outside the application's static folder."""


class ReportRenderError(RuntimeError):
    """WeasyPrint could not render the document (a resource of the template was refused or missing)."""


def roman(value: int) -> str:
    result = ""
    for amount, numeral in ROMAN:
        count, value = divmod(value, amount)
        result += numeral * count
    return result


def document_date(day: date) -> str:
    """NĐ 30/2020: "ngày 05 tháng 02 năm 2020", a zero before days under 10 and months 1 and 2 only."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def _check_schema(snapshot: dict) -> None:
    if snapshot.get("schema") != SCHEMA:
        raise ValueError(f"report snapshot schema {snapshot.get('schema')!r}; this renderer reads {SCHEMA}")


# -- cells ----------------------------------------------------------------------------------------


def cell_kind(value) -> str:
    """ "none", "integer", "decimal" or "text"."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "text"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "decimal" if to_decimal(value) is not None else "text"
    if isinstance(value, str) and DECIMAL_RE.match(value.strip()):
        return "decimal"
    return "text"


@dataclass(frozen=True)
class ColumnFormat:
    kind: str  # "integer", "decimal" or "text"
    places: int = 0  # fraction digits of a decimal column
    sequence: bool = False  # a row number column ("STT"), centred as the decree's tables are

    @property
    def numeric(self) -> bool:
        return self.kind != "text"

    @property
    def align(self) -> str:
        return "center" if self.sequence else "right" if self.numeric else "left"


def column_formats(table: dict) -> list[ColumnFormat]:
    """Each column's format, read from its values (rows and total)."""
    headings = [str(heading).strip().upper() for heading in table.get("columns", [])]
    rows = [*table.get("rows", []), *([table["total"]] if table.get("total") else [])]
    width = max([len(headings)] + [len(row) for row in rows])
    formats = []
    for index in range(width):
        values = [row[index] for row in rows if index < len(row) and row[index] is not None]
        kinds = {cell_kind(value) for value in values}
        if not kinds or "text" in kinds:
            formats.append(ColumnFormat("text"))
        elif kinds == {"integer"}:
            sequence = index < len(headings) and headings[index] in SEQUENCE_HEADINGS
            formats.append(ColumnFormat("integer", sequence=sequence))
        else:
            places = figure_places([value for value in values if cell_kind(value) == "decimal"])
            formats.append(ColumnFormat("decimal", places))
    return formats


def cell_text(value, column: ColumnFormat) -> str:
    """A cell as shown in the PDF, in the current locale: an int as a whole number, a decimal with
    its column's places."""
    kind = cell_kind(value)
    if kind == "none":
        return NO_VALUE
    if kind == "text":
        return str(value)
    return format_figure(value, decimal_places(value, column) if kind == "decimal" else 0)


def decimal_places(value, column: ColumnFormat) -> int:
    """A decimal's fraction digits: its column's, or its own in a column of text."""
    return column.places if column.kind == "decimal" else figure_places([value])


def cell_number(value) -> int | float | None:
    """A cell as an XLSX number (an int stays an int, a decimal becomes a float), else None."""
    kind = cell_kind(value)
    if kind == "integer":
        return value
    if kind == "decimal":
        return float(to_decimal(value))
    return None


# -- the document model the template lays out -----------------------------------------------------


@dataclass
class Cell:
    text: str
    align: str  # "left", "right" or "center"


@dataclass
class Table:
    number: int
    title: str
    columns: list[Cell]
    rows: list[list[Cell]]
    total: list[Cell] | None
    widths: list[float]  # per cent of the table's width, by column


@dataclass
class Chart:
    number: int
    title: str
    svg: Markup


@dataclass
class Section:
    numeral: str
    title: str
    paragraphs: list[str]
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def _table(number: int, table: dict) -> Table:
    formats = column_formats(table)

    def cells(row: list) -> list[Cell]:
        return [
            Cell(cell_text(value, formats[index]), formats[index].align) for index, value in enumerate(row)
        ]

    columns = [Cell(str(title), "center") for title in table.get("columns", [])]
    title = TABLE_NUMBER_RE.sub("", str(table.get("title") or ""))
    rows = [cells(row) for row in table.get("rows", [])]
    total = cells(table["total"]) if table.get("total") else None
    widths = column_widths(columns, rows + ([total] if total else []), formats)
    return Table(number, title, columns, rows, total, widths)


def column_widths(columns: list[Cell], rows: list[list[Cell]], formats: list[ColumnFormat]) -> list[float]:
    """Column widths in per cent, from the text they hold (in characters): a figure never wraps, a
    heading may wrap to two lines, text up to a cap; if that is too wide for the page, only text
    columns give way, down to their longest word. The browser's automatic layout would instead
    give wide headings ("Kế hoạch năm 2020") the room the text needs."""
    count = len(formats)
    need, least = [0.0] * count, [0.0] * count
    for index, column in enumerate(formats):
        heading = columns[index].text if index < len(columns) else ""
        texts = [row[index].text for row in rows if index < len(row)]
        words = [len(word) for text in texts for word in text.split()]
        words += [math.ceil(len(word) * BOLD_WIDTH) for word in heading.split()]
        least[index] = max(words, default=1) + CELL_PADDING
        if column.numeric:
            content = max([len(text) for text in texts] + [math.ceil(len(heading) * BOLD_HALF)])
        else:
            content = min(max([len(text) for text in texts] + [len(heading)]), TEXT_COLUMN_CAP)
        need[index] = max(content + CELL_PADDING, least[index])
    excess = sum(need) - TABLE_CHARACTERS
    slack = sum(need[i] - least[i] for i in range(count) if not formats[i].numeric)
    if excess > 0 and slack > 0:
        share = min(1.0, excess / slack)
        need = [n - (n - least[i]) * share if not formats[i].numeric else n for i, n in enumerate(need)]
    total = sum(need) or 1
    return [round(100 * n / total, 2) for n in need]


def _sections(snapshot: dict) -> list[Section]:
    sections, tables, charts = [], 0, 0
    for index, raw in enumerate(snapshot.get("sections", []), start=1):
        section = Section(
            roman(index), str(raw.get("title", "")), [str(p) for p in raw.get("paragraphs", [])]
        )
        for table in raw.get("tables", []):
            tables += 1
            section.tables.append(_table(tables, table))
        for spec in raw.get("charts", []):
            charts += 1
            title = CHART_NUMBER_RE.sub("", str(spec.get("title") or ""))
            section.charts.append(Chart(charts, title, chart_svg(spec, show_title=False, width=580)))
        sections.append(section)
    return sections


def _recipients(recipients: list[str]) -> list[str]:
    """ "- X;" lines, the archive ("Lưu: VT") last with a full stop, added if missing."""
    names = [str(name).strip().rstrip(";.").strip() for name in recipients if str(name).strip()]
    archive = [name for name in names if name.lower().startswith("lưu")] or ["Lưu: VT"]
    names = [name for name in names if not name.lower().startswith("lưu")]
    return [f"- {name};" for name in names] + [f"- {archive[0]}."]


def document(snapshot: dict) -> dict:
    """The snapshot as the template lays it out (figures formatted in the current locale)."""
    _check_schema(snapshot)
    header = snapshot.get("header", {})
    issued_on = snapshot.get("issued_on")
    dated = document_date(date.fromisoformat(issued_on)) if issued_on else "ngày      tháng      năm      "
    return {
        "title": snapshot.get("title", ""),
        "definition": snapshot.get("definition", {}),
        "period": snapshot.get("period", {}),
        "unit": snapshot.get("unit", {}),
        "authority": (header.get("authority") or "").upper(),
        "issuer": (header.get("issuer") or "").upper(),
        "number": header.get("number") or "",
        "place_date": f"{header.get('place') or ''}, {dated}",
        "version": snapshot.get("version"),
        "sections": _sections(snapshot),
        "recipients": _recipients(snapshot.get("recipients", [])),
        "signature": snapshot.get("signature", {}),
    }


def render_html(snapshot: dict) -> str:
    """The report as the HTML the PDF is printed from (needs an app context; always Vietnamese).

    Raises ValueError for a snapshot of another schema."""
    with force_locale(LOCALE):
        return render_template(TEMPLATE, doc=document(snapshot))


# -- PDF ------------------------------------------------------------------------------------------


def static_root() -> Path:
    return Path(current_app.static_folder).resolve()


def static_fetcher(root: Path | None = None):
    """A WeasyPrint URL fetcher that serves files under the static folder (``root``) and refuses
    everything else: other file:// paths, http(s), data: URLs. A refusal stops the rendering."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFetcher(URLFetcher):
        def __init__(self, folder: Path):
            super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
            self.root = folder

        def fetch(self, url, headers=None):
            path = static_path(url, self.root)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticFetcher((root or static_root()).resolve())


def static_path(url: str, root: Path) -> Path:
    """The file a file:// URL names, if it lies under ``root``; RefusedResource otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedResource(f"only the application's static files may be fetched, not {url}")
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise RefusedResource(f"not a file of the static folder: {url}")
    return path


def pdf_from_html(html: str) -> bytes:
    """The application's one HTML → PDF helper (needs an app context): relative URLs resolve
    against the static folder, and only its files can be fetched (fonts come from static/fonts).

    Raises ReportRenderError if the document asks for anything else."""
    from weasyprint import HTML  # imported here: loading Pango takes a while, and only jobs print
    from weasyprint.urls import FatalURLFetchingError

    root = static_root()
    # start from a collected heap: WeasyPrint builds a great many objects that live through the
    # render, and the collector's passes then walk less (a report printed ~8 % faster after one;
    # without it, a render right after the snapshot's queries was the slower by ~5 %)
    gc.collect()
    try:
        return HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=static_fetcher(root)).write_pdf()
    except FatalURLFetchingError as error:  # a BaseException: turn it into an error a job records
        raise ReportRenderError(str(error)) from error.__cause__


#: a one-line document in the report's stylesheet and fonts: rendering it once loads WeasyPrint,
#: Pango and the fonts into a worker before its first job (even where there is no report yet)
WARM_UP_HTML = (
    '<link rel="stylesheet" href="css/report-pdf.css">'
    '<p class="body">Bạch Thông <b>1.486</b> <i>17,33</i></p>'
)


def warm_up() -> None:
    """Load what every PDF needs once, in the worker's own process (needs an app context), so
    that the first report does not import WeasyPrint (~0.4–1 s)."""
    pdf_from_html(WARM_UP_HTML)
    Locale.parse("vi").number_symbols  # noqa: B018 - loads Babel's Vietnamese data


def render_pdf(snapshot: dict) -> bytes:
    """The report as a PDF (needs an app context)."""
    return pdf_from_html(render_html(snapshot))


# -- XLSX -----------------------------------------------------------------------------------------


SHEET_NAME_REPLACEMENTS = str.maketrans({"[": "(", "]": ")", "/": "-", "\\": "-", ":": "", "*": "", "?": ""})
SHEET_NAME_MAX = 31


def sheet_name(title: str, taken: set[str]) -> str:
    """An Excel sheet name: no []:*?/\\, at most 31 characters (cut between words where it can),
    not quoted, unique (any case) among ``taken``, which it joins."""
    base = re.sub(r"\s+", " ", title.translate(SHEET_NAME_REPLACEMENTS)).strip(" '") or "Bảng"
    name, copy = _shorten(base, SHEET_NAME_MAX), 1
    while name.lower() in taken:
        copy += 1
        suffix = f" ({copy})"
        name = _shorten(base, SHEET_NAME_MAX - len(suffix)) + suffix
    taken.add(name.lower())
    return name


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[: limit + 1] else ""
    if len(cut) < limit // 2:
        cut = text[:limit]
    return cut[:limit].rstrip(" ',;-") or text[:limit]


def render_xlsx(snapshot: dict) -> bytes:
    """The report's tables as an XLSX: one sheet per section with tables (all of them, one under
    another, each with its title), under title rows naming the report, unit and period; figures
    are numbers (ints as ints, decimals as floats shown with their places) so Excel can sum them.
    Written with XlsxWriter (a fifth of openpyxl's time for the same workbook).

    Raises ValueError for a snapshot of another schema."""
    _check_schema(snapshot)
    buffer = BytesIO()
    with force_locale(LOCALE), Workbook(buffer, {"in_memory": True}) as workbook:
        _fill_workbook(workbook, snapshot)
    return buffer.getvalue()


def _fill_workbook(workbook: Workbook, snapshot: dict) -> None:
    workbook.set_properties(
        {"title": snapshot.get("title", ""), "author": snapshot.get("header", {}).get("issuer", "")}
    )
    taken: set[str] = set()
    styles = _Styles(workbook)
    number = 0
    for index, section in enumerate(snapshot.get("sections", []), start=1):
        if not section.get("tables"):
            continue
        title = f"{roman(index)}. {section.get('title', '')}"
        sheet = workbook.add_worksheet(sheet_name(title, taken))
        row = _write_title_rows(sheet, snapshot, title, styles)
        widths: dict[int, int] = {}
        for table in section["tables"]:
            number += 1
            row = _write_table(sheet, row, number, table, widths, styles) + 1
        for column, width in widths.items():
            sheet.set_column(column, column, width)
    if not taken:
        _write_title_rows(workbook.add_worksheet("Báo cáo"), snapshot, "", styles)


#: what XML 1.0, and so a worksheet, cannot hold: control characters other than tab and newlines
ILLEGAL_CHARACTERS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _write_text(sheet: Worksheet, row: int, column: int, value: str, style: Format | None = None) -> None:
    """Text stays text (``write_string``: a leading "=" does not make a formula); control
    characters are dropped. Rows and columns count from 0."""
    sheet.write_string(row, column, ILLEGAL_CHARACTERS_RE.sub("", value), style)


def _write_title_rows(sheet: Worksheet, snapshot: dict, section_title: str, styles: "_Styles") -> int:
    """The report's title, unit and period (and the section) from A1; returns the next free row
    (counting from 0)."""
    period = snapshot.get("period", {})
    lines = [
        (snapshot.get("title", ""), styles.text(bold=True, size=13)),
        (" — ".join(filter(None, [snapshot.get("unit", {}).get("name"), period.get("label")])), None),
    ]
    if period.get("start") and period.get("cut_off"):
        start, cut_off = date.fromisoformat(period["start"]), date.fromisoformat(period["cut_off"])
        span = f"Số liệu từ ngày {start:%d/%m/%Y} đến ngày {cut_off:%d/%m/%Y}"
        lines.append((span, styles.text(italic=True)))
    if section_title:
        lines.append(("", None))
        lines.append((section_title, styles.text(bold=True, size=12)))
    for row, (text, style) in enumerate(lines):
        if text:
            _write_text(sheet, row, 0, text, style)
    return len(lines) + 1


class _Styles:
    """The workbook's cell formats, made once each and shared by every cell that looks alike."""

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self.made: dict[tuple, Format] = {}

    def _format(self, key: tuple, properties: dict) -> Format:
        if key not in self.made:
            self.made[key] = self.workbook.add_format(properties)
        return self.made[key]

    def text(self, *, bold: bool = False, italic: bool = False, size: int = 11) -> Format:
        """A line of text outside the tables."""
        return self._format(("text", bold, italic, size), {"bold": bold, "italic": italic, "font_size": size})

    def heading(self) -> Format:
        """A table's column heading: bold, centred, wrapped, on grey, in a thin border."""
        return self._format(
            ("heading",),
            {
                "bold": True, "border": 1, "bg_color": "#E7E7E7", "pattern": 1,
                "align": "center", "valign": "vcenter", "text_wrap": True,
            },
        )  # fmt: skip

    def cell(self, *, number_format: str = "General", align: str = "left", bold: bool = False) -> Format:
        """A table's cell in a thin border; figures right-aligned, a row number centred."""
        properties = {"border": 1, "bold": bold, "num_format": number_format}
        if align != "left":
            properties["align"] = align
        return self._format(("cell", number_format, align, bold), properties)


def _write_table(
    sheet: Worksheet, row: int, number: int, table: dict, widths: dict[int, int], styles: _Styles
) -> int:
    """One table from ``row`` (title, header, rows, total); returns the row after it and widens
    ``widths`` (characters by column, from 0) to fit its cells."""
    formats = column_formats(table)
    title = TABLE_NUMBER_RE.sub("", str(table.get("title") or ""))
    _write_text(sheet, row, 0, f"Bảng {number}. {title}", styles.text(bold=True))
    row += 1
    for column, heading in enumerate(table.get("columns", [])):
        _write_text(sheet, row, column, str(heading), styles.heading())
        _widen(widths, column, len(str(heading)), limit=30)
    body = [(values, False) for values in table.get("rows", [])]
    if table.get("total"):
        body.append((table["total"], True))
    for values, is_total in body:
        row += 1
        for column, value in enumerate(values):
            shown = _write_value(sheet, row, column, value, formats[column], styles, is_total)
            _widen(widths, column, shown)
    return row + 1


def _write_value(
    sheet: Worksheet, row: int, column: int, value, format_: ColumnFormat, styles: _Styles, bold: bool
) -> int:
    """Write one cell; returns how many characters it shows (for the column's width)."""
    figure = cell_number(value)
    if figure is None:
        text = NO_VALUE if value is None else str(value)
        _write_text(sheet, row, column, text, styles.cell(align=format_.align, bold=bold))
        return len(text)
    places = 0 if isinstance(figure, int) else decimal_places(value, format_)
    number_format = "#,##0" if isinstance(figure, int) else _decimal_format(places)
    sheet.write_number(
        row, column, figure, styles.cell(number_format=number_format, align=format_.align, bold=bold)
    )
    return len(cell_text(value, format_))


def _decimal_format(places: int) -> str:
    return "0." + "0" * places if places else "0"


def _widen(widths: dict[int, int], column: int, characters: int, limit: int = 60) -> None:
    widths[column] = max(widths.get(column, 8), min(characters + 2, limit))
