"""Periodic reports as documents: the PDF's administrative layout, its fonts and fetches, the XLSX
and the SVG charts, from a snapshot built here."""

import re
import subprocess
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO

import pytest
from flask_babel import force_locale
from flask_babel import format_decimal as babel_format
from openpyxl import load_workbook
from xlsxwriter import Workbook

from app.services import report_document
from app.services.charts import bar_chart, chart_svg, format_figure, line_chart
from app.services.report_document import (
    RefusedResource,
    ReportRenderError,
    cell_text,
    column_formats,
    document_date,
    pdf_from_html,
    render_html,
    render_pdf,
    render_xlsx,
    sheet_name,
    static_fetcher,
)

SVG = "{http://www.w3.org/2000/svg}"
COMMUNES = [
    ("Thị trấn Phủ Thông", 1385, 72, 64),
    ("Xã Cẩm Giàng", 612, 101, 55),
    ("Xã Quân Hà", 540, 88, 47),
    ("Xã Nguyên Phúc", 498, 95, 41),
    ("Xã Mỹ Thanh", 455, 93, 38),
    ("Xã Quang Thuận", 702, 110, 60),
    ("Xã Dương Phong", 520, 96, 44),
    ("Xã Lục Bình", 610, 104, 52),
    ("Xã Tân Tú", 488, 120, 40),
    ("Xã Đôn Phong", 560, 130, 49),
    ("Xã Sĩ Bình", 590, 115, 51),
    ("Xã Vũ Muộn", 395, 98, 33),
    ("Xã Cao Sơn", 420, 92, 36),
    ("Xã Vi Hương", 800, 172, 70),
]
POLICIES = [
    ("Hỗ trợ nhà ở", "Hộ", 120, 31),
    ("Hỗ trợ nước sinh hoạt", "Hộ", 250, 64),
    ("Bảo hiểm y tế hộ nghèo", "Thẻ", 6200, 6188),
    ("Bảo hiểm y tế hộ cận nghèo", "Thẻ", 3100, 2950),
    ("Miễn, giảm học phí", "Học sinh", 1850, 1802),
    ("Hỗ trợ chi phí học tập", "Học sinh", 1700, 1655),
    ("Tín dụng ưu đãi hộ nghèo", "Lượt hộ", 420, 133),
    ("Tín dụng ưu đãi hộ cận nghèo", "Lượt hộ", 310, 92),
    ("Hỗ trợ tiền điện", "Hộ", 1486, 1486),
    ("Hỗ trợ giống cây trồng", "Hộ", 600, 215),
    ("Hỗ trợ giống vật nuôi", "Hộ", 450, 120),
    ("Đào tạo nghề", "Người", 500, 85),
    ("Giới thiệu việc làm", "Người", 300, 72),
    ("Trợ giúp pháp lý", "Lượt người", 150, 41),
    ("Hỗ trợ đất sản xuất", "Hộ", 35, 4),
    ("Phát triển sản xuất cộng đồng", "Dự án", 12, 2),
]


def rate(part: int, whole: int) -> str:
    return str((Decimal(part) * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP))


def sample_snapshot() -> dict:
    households = sum(c[1] for c in COMMUNES)
    poor = sum(c[2] for c in COMMUNES)
    assert (households, poor, rate(poor, households)) == (8575, 1486, "17.33")
    return {
        "schema": 1,
        "definition": {
            "code": "programme_quarterly",
            "name": "Báo cáo kết quả thực hiện Chương trình giảm nghèo",
        },
        "title": "Kết quả thực hiện Chương trình giảm nghèo quý I năm 2020",
        "period": {
            "key": "2020-Q1",
            "label": "Quý I năm 2020",
            "start": "2019-12-15",
            "cut_off": "2020-03-14",
        },
        "unit": {"code": "063", "name": "Huyện Bạch Thông", "kind": "district"},
        "header": {
            "authority": "UBND TỈNH BẮC KẠN",
            "issuer": "UBND HUYỆN BẠCH THÔNG",
            "number": "BC-UBND",
            "place": "Bạch Thông",
        },
        "issued_on": "2020-03-20",
        "version": 1,
        "recipients": ["UBND tỉnh Bắc Kạn", "Sở Lao động - Thương binh và Xã hội tỉnh", "Lưu: VT"],
        "signature": {"on_behalf": "TM. ỦY BAN NHÂN DÂN", "title": "CHỦ TỊCH", "name": ""},
        "sections": [
            {
                "title": "Tình hình hộ nghèo, hộ cận nghèo",
                "paragraphs": [
                    "Tổng số hộ toàn huyện tại thời điểm báo cáo là 8.575 hộ; trong đó hộ nghèo 1.486 hộ, "
                    "chiếm 17,33%, hộ cận nghèo 720 hộ. Tỷ lệ hộ nghèo cao nhất ở Xã Vi Hương và "
                    "Xã Tân Tú; thấp nhất ở Thị trấn Phủ Thông.",
                ],
                "tables": [
                    {
                        "title": "Bảng 1. Số hộ nghèo theo xã, thị trấn",
                        "columns": ["Đơn vị", "Tổng số hộ", "Hộ nghèo", "Tỷ lệ (%)"],
                        "rows": [[name, hh, p, rate(p, hh)] for name, hh, p, _ in COMMUNES],
                        "total": ["Toàn huyện", households, poor, rate(poor, households)],
                    }
                ],
            },
            {
                "title": "Kết quả thực hiện các chính sách hỗ trợ",
                "paragraphs": [
                    "Trong quý I năm 2020, các chính sách hỗ trợ người nghèo được triển khai đầy đủ, "
                    "đúng đối tượng; kết quả cụ thể như sau:",
                ],
                "tables": [
                    {
                        "title": "Kết quả thực hiện chính sách",
                        "columns": [
                            "STT",
                            "Nội dung",
                            "Đơn vị tính",
                            "Kế hoạch năm 2020",
                            "Thực hiện quý I",
                            "Tỷ lệ (%)",
                        ],
                        "rows": [
                            [number, name, unit, plan, done, rate(done, plan)]
                            for number, (name, unit, plan, done) in enumerate(POLICIES, start=1)
                        ],
                    }
                ],
            },
            {
                "title": "Đánh giá chung",
                "paragraphs": [
                    "Tỷ lệ hộ nghèo, hộ cận nghèo theo xã được thể hiện tại biểu đồ dưới đây.",
                ],
                "charts": [
                    {
                        "kind": "bar",
                        "title": "Tỷ lệ hộ nghèo, hộ cận nghèo theo xã (%)",
                        "labels": [name for name, *_ in COMMUNES[:4]],
                        "series": [
                            {
                                "name": "Hộ nghèo",
                                "values": [float(rate(p, h)) for _, h, p, _ in COMMUNES[:4]],
                            },
                            {
                                "name": "Hộ cận nghèo",
                                "values": [float(rate(n, h)) for _, h, _, n in COMMUNES[:4]],
                            },
                        ],
                        "unit": "%",
                    }
                ],
            },
        ],
    }


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pdf_file(shared_app, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.pdf"
    path.write_bytes(render_pdf(sample_snapshot()))
    return path


def page_text(pdf_file, page: int) -> str:
    return run("pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf_file), "-")


def squeeze(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


# -- the PDF --------------------------------------------------------------------------------------


def test_pdf_has_the_administrative_header_body_and_closing(pdf_file):
    text = squeeze(run("pdftotext", "-layout", str(pdf_file), "-"))
    for expected in [
        "UBND TỈNH BẮC KẠN",
        "UBND HUYỆN BẠCH THÔNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Bạch Thông, ngày 20 tháng 3 năm 2020",
        "Số: /BC-UBND",
        "BÁO CÁO",
        "Kết quả thực hiện Chương trình giảm nghèo quý I năm 2020",
        "I. Tình hình hộ nghèo, hộ cận nghèo",
        "II. Kết quả thực hiện các chính sách hỗ trợ",
        "Bảng 1. Số hộ nghèo theo xã, thị trấn",
        "Bảng 2. Kết quả thực hiện chính sách",
        "Biểu đồ 1. Tỷ lệ hộ nghèo, hộ cận nghèo theo xã (%)",
        "Xã Cẩm Giàng 612 101 16,50",
        "Toàn huyện 8.575 1.486 17,33",
        "Nơi nhận:",
        "- UBND tỉnh Bắc Kạn;",
        "- Lưu: VT.",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Trang 1/2",
        "Trang 2/2",
    ]:
        assert expected in text, expected
    assert "Trang 3" not in text


def test_the_header_sits_on_the_first_page_and_the_national_name_on_one_line(pdf_file):
    first = page_text(pdf_file, 1)
    lines = first.splitlines()
    national = next(line for line in lines if "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line)
    assert "UBND TỈNH BẮC KẠN" in national  # the two columns of the header share their first line
    dated = next(line for line in lines if "ngày 20 tháng 3 năm 2020" in line)
    assert "/BC-UBND" in dated  # the number and the date share a line too


def test_a_long_tables_header_repeats_on_the_next_page(pdf_file):
    first, second = page_text(pdf_file, 1), page_text(pdf_file, 2)
    assert "Bảng 2." in first and "Bảng 2." not in second  # the table starts on page 1 ...
    assert "Phát triển sản xuất cộng đồng" in second  # ... and ends on page 2
    for page in (first, second):
        assert "Nội dung" in page and "Đơn vị tính" in page and "Kế hoạch" in page
    assert "Trang 2/2" in second and "Nơi nhận" in second


def test_the_pdf_embeds_only_the_bundled_fonts(pdf_file):
    rows = run("pdffonts", str(pdf_file)).splitlines()[2:]
    assert rows
    names = set()
    for row in rows:
        name, emb = row.split()[0], row.split()[-5]
        assert emb == "yes", row
        names.add(name.split("+", 1)[-1])
    serif = {"Noto-Serif", "Noto-Serif-Bold", "Noto-Serif-Italic", "Noto-Serif-Bold-Italic"}
    bundled = serif | {"Noto-Sans", "Noto-Sans-Bold"}
    assert names <= bundled, names  # e.g. no Noto Sans Italic, which only the system has
    assert names == bundled  # the serif text in its four faces, the charts in Noto Sans


def test_every_page_converts_to_an_image(pdf_file, tmp_path):
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf_file), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    assert all(page.read_bytes().startswith(b"\x89PNG") for page in pages)


def _ink(pdf: bytes, tmp_path, name: str) -> list[int]:
    """Dark pixels on each page of ``pdf`` rendered by pdftoppm (grey, 40 dpi)."""
    from PIL import Image

    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-png", str(source), str(tmp_path / name)], check=True)
    counts = []
    for page in sorted(tmp_path.glob(f"{name}-*.png")):
        with Image.open(page) as image:
            counts.append(sum(image.histogram()[:128]))  # grey levels below half
    return counts


def test_a_chart_is_drawn_on_the_page(shared_app, tmp_path):
    """The same report with and without its bar chart, rendered to pixels: the chart's bars add
    ink to the page that holds it (not only its text)."""
    with_chart = sample_snapshot()
    without = sample_snapshot()
    for section in without["sections"]:
        section["charts"] = []
    drawn, bare = _ink(render_pdf(with_chart), tmp_path, "chart"), _ink(render_pdf(without), tmp_path, "bare")
    assert sum(drawn) > sum(bare) + 2000, (drawn, bare)  # seen: 24,630 against 20,506


def test_fonts_and_stylesheet_are_fetched_from_the_static_folder(shared_app, monkeypatch):
    fetched = []
    make = report_document.static_fetcher

    def recording(root=None):
        fetcher = make(root)
        fetch = fetcher.fetch

        def spy(url, headers=None):
            fetched.append(url)
            return fetch(url, headers)

        fetcher.fetch = spy
        return fetcher

    monkeypatch.setattr(report_document, "static_fetcher", recording)
    html = render_html(sample_snapshot() | {"sections": []})
    assert pdf_from_html(html).startswith(b"%PDF-")
    static = shared_app.static_folder.rstrip("/")
    assert all(url.startswith("file://" + static + "/") for url in fetched), fetched
    assert any(url.endswith("/css/report-pdf.css") for url in fetched)
    assert any(url.endswith("/fonts/NotoSerif-Bold.ttf") for url in fetched)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/style.css",
        "https://example.com/font.ttf",
        "file:///etc/passwd",
        "file://{static}/../config.py",
        "file://{static}/css/missing.css",
        "file://{static}",
        "file://evil.example.com{static}/css/report-pdf.css",
        "data:text/css,body{color:red}",
    ],
)
def test_the_fetcher_refuses_anything_but_static_files(shared_app, url):
    fetcher = static_fetcher()
    with pytest.raises(ValueError):
        fetcher.fetch(url.replace("{static}", shared_app.static_folder))


def test_the_fetcher_serves_a_static_file(shared_app):
    response = static_fetcher().fetch(f"file://{shared_app.static_folder}/css/report-pdf.css")
    assert b"@font-face" in response.read()
    assert response.content_type == "text/css"


def test_a_document_asking_for_an_outside_resource_is_not_printed(shared_app):
    html = '<html><head><link rel="stylesheet" href="https://example.com/x.css"></head><body>x</body></html>'
    with pytest.raises(ReportRenderError) as error:
        pdf_from_html(html)
    assert isinstance(error.value.__cause__, RefusedResource)


def test_snapshot_text_is_escaped(shared_app):
    snapshot = sample_snapshot()
    snapshot["title"] = "<script>alert(1)</script>"
    snapshot["sections"][0]["paragraphs"] = ['<img src="http://example.com/x.png">']
    html = render_html(snapshot)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_another_schema_is_refused(shared_app):
    with pytest.raises(ValueError, match="schema"):
        render_html(sample_snapshot() | {"schema": 2})
    with pytest.raises(ValueError, match="schema"):
        render_xlsx(sample_snapshot() | {"schema": 2})


# -- the document's rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("2020-03-20", "ngày 20 tháng 3 năm 2020"),
        ("2020-02-05", "ngày 05 tháng 02 năm 2020"),
        ("2020-01-15", "ngày 15 tháng 01 năm 2020"),
        ("2020-12-01", "ngày 01 tháng 12 năm 2020"),
        ("2021-10-10", "ngày 10 tháng 10 năm 2021"),
    ],
)
def test_document_date_follows_decree_30(iso, expected):
    from datetime import date

    assert document_date(date.fromisoformat(iso)) == expected


def test_cells_are_formatted_by_column(shared_app):
    table = {
        "columns": ["Đơn vị", "Mã", "Số hộ", "Tỷ lệ (%)", "Bình quân"],
        "rows": [["Xã A", "063", 8575, "16.50", 2.5], ["Xã B", "064", None, "17.33", 12.0]],
        "total": ["Toàn huyện", None, 8575, "17.3", 7.25],
    }
    formats = column_formats(table)
    assert [f.kind for f in formats] == ["text", "text", "integer", "decimal", "decimal"]
    assert [f.places for f in formats][3:] == [2, 2]
    with force_locale("vi"):
        assert [cell_text(v, f) for v, f in zip(table["rows"][0], formats, strict=True)] == [
            "Xã A",
            "063",
            "8.575",
            "16,50",
            "2,50",
        ]
        assert cell_text(None, formats[2]) == "—"
        assert cell_text("17.3", formats[3]) == "17,30"


def test_recipients_end_with_the_archive():
    lines = report_document._recipients(["Lưu: VT;", "UBND tỉnh Bắc Kạn", "Sở Tài chính."])
    assert lines == ["- UBND tỉnh Bắc Kạn;", "- Sở Tài chính;", "- Lưu: VT."]
    assert report_document._recipients(["UBND tỉnh"]) == ["- UBND tỉnh;", "- Lưu: VT."]


# -- XLSX -----------------------------------------------------------------------------------------


def test_xlsx_holds_the_tables_with_numbers_as_numbers(shared_app):
    workbook = load_workbook(BytesIO(render_xlsx(sample_snapshot())))
    assert workbook.sheetnames == ["I. Tình hình hộ nghèo, hộ cận", "II. Kết quả thực hiện các chính"]
    sheet = workbook.worksheets[0]
    assert sheet["A1"].value == "Kết quả thực hiện Chương trình giảm nghèo quý I năm 2020"
    assert sheet["A1"].font.bold
    assert sheet["A2"].value == "Huyện Bạch Thông — Quý I năm 2020"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows.index(["Đơn vị", "Tổng số hộ", "Hộ nghèo", "Tỷ lệ (%)"])
    assert all(cell.font.bold for cell in sheet[header + 1])
    assert rows[header + 1] == ["Thị trấn Phủ Thông", 1385, 72, 5.2]
    cam_giang = next(row for row in sheet.iter_rows() if row[0].value == "Xã Cẩm Giàng")
    assert [type(cell.value) for cell in cam_giang] == [str, int, int, float]
    assert cam_giang[3].value == 16.5 and cam_giang[3].number_format == "0.00"
    total = next(row for row in sheet.iter_rows() if row[0].value == "Toàn huyện")
    assert [cell.value for cell in total] == ["Toàn huyện", 8575, 1486, 17.33]
    assert total[0].font.bold
    body = rows[header + 1 : header + 1 + len(COMMUNES)]
    assert sum(row[1] for row in body) == 8575 and sum(row[2] for row in body) == 1486
    assert sheet.column_dimensions["A"].width >= len("Thị trấn Phủ Thông")


def test_xlsx_text_never_becomes_a_formula(shared_app):
    snapshot = sample_snapshot()
    snapshot["sections"][0]["tables"][0]["rows"][0][0] = '=HYPERLINK("http://x")'
    sheet = load_workbook(BytesIO(render_xlsx(snapshot))).worksheets[0]
    cell = next(row[0] for row in sheet.iter_rows() if str(row[0].value).startswith("=HYPER"))
    assert cell.data_type == "s"


@pytest.mark.parametrize(
    ("figure", "places"),
    [(0, 0), (7, 0), (999, 0), (1000, 0), (8575, 0), (-1234567, 0), (17.33, 2), (5.2, 1), (999.996, 2),
     (-0.5, 1), (1486.0, 2), (123456.789, 3)],
)  # fmt: skip
def test_an_xlsx_column_is_as_wide_as_its_figures_shown(shared_app, figure, places):
    """A cell written counts as many characters, for its column's width, as the PDF shows."""
    value = figure if places == 0 else str(figure)
    column = (
        report_document.ColumnFormat("integer")
        if places == 0
        else report_document.ColumnFormat("decimal", places)
    )
    with force_locale("vi"), Workbook(BytesIO(), {"in_memory": True}) as workbook:
        shown = format_figure(value, places)
        written = report_document._write_value(
            workbook.add_worksheet(), 0, 0, value, column, report_document._Styles(workbook), bold=False
        )
    assert written == len(shown), shown


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_figures_read_as_babel_would_show_them_rounded_half_up(shared_app, locale):
    """format_figure lays figures out itself: the same text as Babel's "#,##0.00" patterns."""
    figures = [0, 1, -1, 999, 1000, -1000, 1234567, -0.0, 0.004, -0.004, 0.005, -0.005, 2.675]
    figures += [1.005, 17.325, "17.33", "-0.001", "0.00", "2.5", Decimal("2.5"), 10**15, 8575, 1486]
    with force_locale(locale):
        for figure in figures:
            for places in (0, 1, 2, 3):
                if places == 0 and isinstance(figure, int):
                    expected = babel_format(figure)
                else:
                    rounded = Decimal(str(figure)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
                    expected = babel_format(rounded, format="#,##0" + ("." + "0" * places if places else ""))
                assert format_figure(figure, places) == expected, (figure, places)
        assert format_figure(None) == format_figure("x") == "—"


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    first = sheet_name("I. Kết quả: hộ nghèo/cận nghèo [quý I] * năm 2020?", taken)
    assert len(first) <= 31 and not set(first) & set("[]:*?/\\")
    second = sheet_name("I. Kết quả: hộ nghèo/cận nghèo [quý I] * năm 2020?", taken)
    assert second != first and second.endswith("(2)") and len(second) <= 31
    assert sheet_name("'", taken) == "Bảng"


# -- charts ---------------------------------------------------------------------------------------


def svg_texts(root: ET.Element) -> list[str]:
    return [element.text for element in root.iter(f"{SVG}text")]


def test_bar_chart_is_accessible_and_shows_its_figures(shared_app):
    with force_locale("vi"):
        svg = bar_chart(
            "Tỷ lệ hộ nghèo theo xã (%)",
            ["Xã Cẩm Giàng", "Xã Vi Hương"],
            [{"name": "Hộ nghèo", "values": [16.5, 21.5]}, {"name": "Hộ cận nghèo", "values": [9.1, None]}],
            unit="%",
        )
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Tỷ lệ hộ nghèo theo xã (%)"
    desc = root.find(f"{SVG}desc").text
    assert "Xã Cẩm Giàng: Hộ nghèo 16,5 %, Hộ cận nghèo 9,1 %" in desc and "Hộ cận nghèo —." in desc
    texts = svg_texts(root)
    for expected in ["16,5", "21,5", "9,1", "—", "Xã Cẩm Giàng", "Hộ nghèo", "Hộ cận nghèo", "%"]:
        assert expected in texts, expected
    fills = {rect.get("fill") for rect in root.iter(f"{SVG}rect") if rect.get("stroke") == "#000"}
    assert len(fills) == 2  # bars and legend: the series differ without colour, one grey, one hatched
    assert "#404040" in fills and any(fill.startswith("url(#chart-") for fill in fills)


def test_charts_are_deterministic_and_escaped(shared_app):
    with force_locale("vi"):
        first = bar_chart('A <b> & "c"', ["<x>"], [{"name": "s&p", "values": [1]}], orientation="vertical")
        again = bar_chart('A <b> & "c"', ["<x>"], [{"name": "s&p", "values": [1]}], orientation="vertical")
        other = bar_chart("Other", ["<x>"], [{"name": "s&p", "values": [1]}], orientation="vertical")
    assert str(first) == str(again)
    root = ET.fromstring(str(first))
    assert root.find(f"{SVG}title").text == 'A <b> & "c"'
    assert "<x>" in svg_texts(root) and "<b>" not in str(first)
    assert root.get("aria-labelledby") != ET.fromstring(str(other)).get("aria-labelledby")


def test_line_chart_plots_a_trend(shared_app):
    with force_locale("vi"):
        svg = line_chart(
            "Tỷ lệ hộ nghèo qua các năm (%)",
            ["2016", "2017", "2018", "2019"],
            [{"name": "Hộ nghèo", "values": ["24.10", "21.37", "19.02", "17.33"]}],
            unit="%",
        )
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img" and root.find(f"{SVG}desc") is not None
    texts = svg_texts(root)
    assert {"24,10", "21,37", "19,02", "17,33", "2016", "2019", "Hộ nghèo"} <= set(texts)
    assert len(list(root.iter(f"{SVG}polyline"))) == 1


def test_chart_svg_reads_a_snapshot_chart(shared_app):
    spec = sample_snapshot()["sections"][2]["charts"][0]
    with force_locale("vi"):
        root = ET.fromstring(str(chart_svg(spec)))
        assert root.find(f"{SVG}title").text == spec["title"]
        with pytest.raises(ValueError):
            chart_svg(spec | {"kind": "pie"})
