"""The content check of an uploaded Excel workbook (.xlsx), before anything parses it.

Uploads are parsed later by openpyxl in a background job; this refuses, quickly and in bounded
memory, all that is not a plain macro-free XLSX, with a message the clerk can act on. In order: the
size; the first bytes (a program, an old .xls or a password-protected workbook, a web page, a PDF,
not a zip); the zip directory (unreadable, too many members, unsafe names, encryption, compression
other than stored/deflated); the declared sizes, so a zip bomb is refused before anything is
inflated; the parts (a workbook, not a .docx, .xlsb or plain zip; no macros); then every member is
inflated a chunk at a time, counting bytes, so headers that lie about sizes are caught within a
chunk. XML members must not declare a DOCTYPE or entities (anywhere, not only in the first 2 KB);
xl/workbook.xml must name its sheets.

A lying declared size: Python's zipfile stops a member at its declared size and then finds the CRC
wrong ("Bad CRC-32"), refused as ``corrupt``; the byte count (per member and in all) is a second
guard that does not depend on that.
"""

import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

from flask import current_app, has_app_context
from flask_babel import lazy_gettext

from app.services.text import N_

MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED = 100 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_RATIO = 200
CHUNK = 64 * 1024
MIB = 1024 * 1024

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: bytes skipped before looking for "<": whitespace, NUL (UTF-16) and the bytes of the UTF-8/16 BOMs
LEADING = b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"
CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK = "xl/workbook.xml"
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
MACRO_PARTS = ("xl/vbaproject.bin", "xl/macrosheets/", "xl/dialogsheets/")  # OPC names ignore case
MACRO_TOKENS = (b"macroenabled", b"vbaproject")  # searched in the lower-cased [Content_Types].xml
ENTITY_TOKENS = (b"<!DOCTYPE", b"<!ENTITY")


MESSAGES: dict[str, str] = {
    "empty": N_("The file is empty. Choose the Excel workbook (.xlsx) to upload."),
    "too_large": N_("The file is larger than %(limit)s MB. Split it into several files."),
    "executable": N_("This is a program, not an Excel workbook. Upload the Excel workbook (.xlsx)."),
    "legacy_or_encrypted": N_(
        "This is an old Excel file (.xls) or a workbook protected by a password. "
        "Open it in Excel and save it as Excel Workbook (.xlsx) without a password."
    ),
    "html": N_("This is a web page, not an Excel workbook. Save it in Excel as Excel Workbook (.xlsx)."),
    "pdf": N_("This is a PDF document, not an Excel workbook. Upload the Excel workbook (.xlsx)."),
    "not_xlsx": N_("This file is not an Excel workbook. Save it in Excel as Excel Workbook (.xlsx)."),
    "corrupt": N_(
        "The file is damaged or not a complete Excel workbook. "
        "Open it in Excel, save it again as Excel Workbook (.xlsx) and upload it again."
    ),
    "too_many_parts": N_("The workbook has too many sheets or pictures. Split it into several files."),
    "too_big_unpacked": N_("The workbook unpacks to more than %(limit)s MB. Split it into several files."),
    "macros": N_(
        "The workbook contains macros. Save it as Excel Workbook (.xlsx), which keeps the data "
        "without the macros, and upload that file."
    ),
    "xml_entities": N_(
        "The workbook contains markup that Excel does not write (XML entity declarations). "
        "Open it in Excel and save it again as Excel Workbook (.xlsx)."
    ),
}


class UploadRefused(ValueError):
    """code: a stable key of MESSAGES; params: its placeholders (and ``inflated``, bytes inflated so
    far, for the refusals of the size checks and of the inflation)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        """The text for the clerk: translated in an app with Babel, else the English msgid."""
        msgid = MESSAGES[self.code]
        if has_app_context() and "babel" in current_app.extensions:
            return str(lazy_gettext(msgid, **self.params))
        return msgid % self.params


@dataclass(frozen=True)
class CheckedWorkbook:
    sha256: str
    size: int
    unpacked: int
    sheets: tuple[str, ...]


def check_workbook(data: bytes) -> CheckedWorkbook:
    """The upload's digest, sizes and sheet names. :raises UploadRefused: see the module docstring."""
    if not data:
        raise UploadRefused("empty")
    if len(data) > MAX_BYTES:
        raise UploadRefused("too_large", limit=MAX_BYTES // MIB)
    _sniff(data)
    with _open_zip(data) as zf:
        infos = zf.infolist()
        _check_members(infos)
        _check_declared_sizes(infos)
        _check_structure({info.filename for info in infos})
        inflater = _Inflater(zf)
        sheets = inflater.inflate_all(infos)
    return CheckedWorkbook(hashlib.sha256(data).hexdigest(), len(data), inflater.total, sheets)


def _sniff(data: bytes) -> None:
    if data.startswith(b"MZ"):
        raise UploadRefused("executable")
    if data.startswith(OLE2):
        raise UploadRefused("legacy_or_encrypted")
    if data[:1024].lstrip(LEADING).startswith(b"<"):
        raise UploadRefused("html")
    if data.startswith(b"%PDF"):
        raise UploadRefused("pdf")
    if not data.startswith(b"PK\x03\x04"):
        raise UploadRefused("not_xlsx")


def _open_zip(data: bytes) -> zipfile.ZipFile:
    # Each central directory entry starts with this signature, so the count bounds the number of
    # members (MAX_ENTRIES) before zipfile builds a ZipInfo for each: tens of MB for 10 MB of tiny ones.
    if data.count(b"PK\x01\x02") > MAX_ENTRIES:
        raise UploadRefused("too_many_parts")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, and the odd ValueError/EOFError of a mangled directory
        raise UploadRefused("corrupt") from exc


def _check_members(infos: list[zipfile.ZipInfo]) -> None:
    for info in infos:
        name = info.filename
        if name.startswith("/") or name[1:2] == ":" or ".." in name or "\\" in name:
            raise UploadRefused("corrupt")
        if info.flag_bits & 1:
            raise UploadRefused("legacy_or_encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRefused("corrupt")  # Excel and LibreOffice only store or deflate


def _check_declared_sizes(infos: list[zipfile.ZipInfo]) -> None:
    refusal = UploadRefused("too_big_unpacked", limit=MAX_UNPACKED // MIB, inflated=0)
    if sum(info.file_size for info in infos) > MAX_UNPACKED:
        raise refusal
    for info in infos:
        if info.file_size > MIB and info.file_size / max(info.compress_size, 1) > MAX_RATIO:
            raise refusal


def _check_structure(names: set[str]) -> None:
    if CONTENT_TYPES not in names or WORKBOOK not in names or "xl/workbook.bin" in names:
        raise UploadRefused("not_xlsx")
    if any(name.lower().startswith(MACRO_PARTS) for name in names):
        raise UploadRefused("macros")


class _Inflater:
    """Inflates members one chunk at a time, counting every byte against its declared size and
    MAX_UNPACKED; ``total`` is the number of bytes inflated so far."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.total = 0

    def inflate_all(self, infos: list[zipfile.ZipInfo]) -> tuple[str, ...]:
        """Inflates every member ([Content_Types].xml first); returns the sheet names."""
        sheets: tuple[str, ...] = ()
        for info in sorted(infos, key=lambda info: info.filename != CONTENT_TYPES):
            # every part, whatever its name says: a rels file may point the workbook at any name
            chunks: Iterable[bytes] = _watch(_utf8(self.chunks(info)), ENTITY_TOKENS, "xml_entities")
            if info.filename == CONTENT_TYPES:
                chunks = _watch(chunks, MACRO_TOKENS, "macros", fold=True)
            if info.filename == WORKBOOK:
                sheets = _sheet_names(chunks)
            else:
                for _chunk in chunks:
                    pass
        return sheets

    def chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        seen = 0
        try:
            with self.zf.open(info) as member:
                while chunk := member.read(CHUNK):
                    seen += len(chunk)
                    self.total += len(chunk)
                    if seen > info.file_size or self.total > MAX_UNPACKED:
                        raise UploadRefused(
                            "too_big_unpacked", limit=MAX_UNPACKED // MIB, inflated=self.total
                        )
                    yield chunk
        except UploadRefused:
            raise
        except Exception as exc:  # bad CRC, truncated or invalid deflate data, mangled local header
            raise UploadRefused("corrupt", inflated=self.total) from exc


def _utf8(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Passes the chunks through, refusing a part in UTF-16 (a byte-order mark, or NUL beside its
    first "<"): Excel writes UTF-8, and a UTF-16 part would hide its markup from ``_watch``."""
    first = True
    for chunk in chunks:
        if first and (chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or chunk[:2] in (b"<\x00", b"\x00<")):
            raise UploadRefused("not_xlsx")
        first = False
        yield chunk


def _watch(
    chunks: Iterable[bytes], tokens: tuple[bytes, ...], code: str, fold: bool = False
) -> Iterator[bytes]:
    """Passes the chunks through, refusing ``code`` as soon as one of ``tokens`` shows up (also
    across two chunks); ``fold`` compares lower-cased text."""
    keep = max(map(len, tokens)) - 1
    tail = b""
    for chunk in chunks:
        window = tail + chunk
        if fold:
            window = window.lower()
        if any(token in window for token in tokens):
            raise UploadRefused(code)
        tail = window[-keep:]
        yield chunk


def _sheet_names(chunks: Iterable[bytes]) -> tuple[str, ...]:
    parser = ElementTree.XMLParser(target=_SheetNames())
    try:
        for chunk in chunks:
            parser.feed(chunk)
        names: tuple[str, ...] = parser.close()
    except ElementTree.ParseError as exc:
        raise UploadRefused("corrupt") from exc
    if not names or not all(names):
        raise UploadRefused("corrupt")
    return names


class _SheetNames:
    """An XMLParser target keeping the names of workbook/sheets/sheet (no tree is built)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.path: list[str] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == f"{NS}sheet" and self.path == [f"{NS}workbook", f"{NS}sheets"]:
            self.names.append(attrib.get("name", ""))
        self.path.append(tag)

    def end(self, tag: str) -> None:
        self.path.pop()

    def close(self) -> tuple[str, ...]:
        return tuple(self.names)
