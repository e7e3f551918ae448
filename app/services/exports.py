"""Lists written out as XLSX and CSV, the same columns as on screen, safe to open in Excel.

A spreadsheet reads a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return) as a formula (CSV injection): in a CSV such a text is written with a leading apostrophe,
which Excel shows as text and never evaluates; in an XLSX every text is written as a string cell
(XlsxWriter's ``write_string``), which no spreadsheet evaluates, so it keeps its exact text.
Numbers stay numbers. CSV is UTF-8 with a byte-order mark, so that Excel reads Vietnamese text
right, with CRLF line ends.
"""

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO, StringIO

from xlsxwriter import Workbook

from app.services.report_document import sheet_name

#: what makes a spreadsheet read a text as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: the most rows one export writes (a province's registry fits)
MAX_ROWS = 200_000


def neutralised(value):
    """A text that a spreadsheet would read as a formula, with a leading apostrophe; anything else
    as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.strftime("%d/%m/%Y")
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralised(h) for h in header])
    for row in rows:
        writer.writerow([neutralised(_plain(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """One sheet named after ``title``: a bold header row (frozen, filterable), then the rows."""
    buffer = BytesIO()
    with Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    ) as book:
        sheet = book.add_worksheet(sheet_name(title, set()))
        bold = book.add_format({"bold": True, "bg_color": "#e8eef3", "border": 1, "text_wrap": True})
        day = book.add_format({"num_format": "dd/mm/yyyy"})
        widths = [len(h) for h in header]
        for col, text in enumerate(header):
            sheet.write_string(0, col, text, bold)
        count = 0
        for count, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(count, col, value)
                elif isinstance(value, (int, float, Decimal)):
                    sheet.write_number(count, col, float(value))
                elif isinstance(value, (date, datetime)):
                    sheet.write_datetime(
                        count,
                        col,
                        datetime.combine(value, datetime.min.time())
                        if not isinstance(value, datetime)
                        else value,
                        day,
                    )
                else:
                    sheet.write_string(count, col, str(value))
                widths[col] = max(widths[col], len(str(_plain(value))))
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(max(width + 2, 8), 60))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(count, 1), max(len(header) - 1, 0))
    return buffer.getvalue()
