"""The content check of uploaded workbooks: plain unit tests, no database and no app fixture.

Bounded work is shown by counting inflated bytes (the ``inflated`` param of the refusal, and a spy
on ZipFile.open), never by timing.
"""

import hashlib
import io
import random
import re
import struct
import zipfile

import pytest
import xlsxwriter
from flask import Flask
from flask_babel import Babel

from app.services import xlsx_guard
from app.services.xlsx_guard import CHUNK, MAX_BYTES, MESSAGES, UploadRefused, check_workbook

MIB = 1024 * 1024
SHEETS = ("Hộ gia đình", "Hướng dẫn")


def make_workbook() -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name in SHEETS:
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, ["Mã hộ", "Chủ hộ", 3])
    workbook.close()
    return buffer.getvalue()


WORKBOOK = make_workbook()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    """``data`` with members replaced or added (``replace``) and some left out (``drop``)."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            if info.filename not in replace and info.filename not in drop:
                zf.writestr(info.filename, source.read(info))
        for name, content in replace.items():
            zf.writestr(name, content)
    return out.getvalue()


def with_zeros(data: bytes, name: str, size: int, force_zip64: bool = False) -> bytes:
    """``data`` with a member ``name`` of ``size`` zero bytes, written (and deflated) in chunks."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(name, "w", force_zip64=force_zip64) as member:
            for start in range(0, size, MIB):
                member.write(bytes(min(MIB, size - start)))
    return out.getvalue()


def plain_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def refused(data: bytes) -> UploadRefused:
    with pytest.raises(UploadRefused) as info:
        check_workbook(data)
    assert info.value.message.strip()
    return info.value


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The names of the members opened for reading (that is, to be inflated)."""
    names: list[str] = []
    original = zipfile.ZipFile.open

    def spy(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            names.append(getattr(name, "filename", name))
        return original(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return names


def test_a_real_workbook_is_accepted(opened):
    checked = check_workbook(WORKBOOK)
    assert checked.sheets == SHEETS
    assert checked.sha256 == hashlib.sha256(WORKBOOK).hexdigest()
    assert checked.size == len(WORKBOOK)
    with zipfile.ZipFile(io.BytesIO(WORKBOOK)) as zf:
        assert checked.unpacked == sum(info.file_size for info in zf.infolist()) > 0
        assert sorted(opened) == sorted(zf.namelist())  # every member really inflated


def test_a_large_incompressible_member_is_accepted():
    picture = random.Random(1).randbytes(2 * MIB)  # over 1 MiB, but deflates to about its own size
    assert check_workbook(rezip(WORKBOOK, {"xl/media/image1.png": picture})).sheets == SHEETS


NOT_WORKBOOKS = {
    "empty": (b"", "empty"),
    "too large": (b"PK\x03\x04".ljust(MAX_BYTES + 1, b"\0"), "too_large"),
    "renamed exe": (b"MZ\x90\x00" + bytes(200), "executable"),
    "html": (b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>", "html"),
    "html with BOM": (b"\xef\xbb\xbf\n<html><body>Danh s\xc3\xa1ch</body></html>", "html"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "pdf"),
    "ole2": (xlsx_guard.OLE2 + bytes(504), "legacy_or_encrypted"),
    "random": (random.Random(0).randbytes(4096), "not_xlsx"),
    "truncated": (WORKBOOK[: len(WORKBOOK) // 2], "corrupt"),
    "plain zip": (plain_zip({"ghi-chu.txt": "Danh sách hộ".encode()}), "not_xlsx"),
    "docx": (
        plain_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
        "not_xlsx",
    ),
    "vba project": (rezip(WORKBOOK, {"xl/vbaProject.bin": b"\x00" * 64}), "macros"),
    "macro sheet": (rezip(WORKBOOK, {"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"}), "macros"),
    "xlsb and xml": (rezip(WORKBOOK, {"xl/workbook.bin": b"\x00"}), "not_xlsx"),
    "xlsb": (rezip(WORKBOOK, {"xl/workbook.bin": b"\x00"}, drop=("xl/workbook.xml",)), "not_xlsx"),
}


@pytest.mark.parametrize(("data", "code"), NOT_WORKBOOKS.values(), ids=NOT_WORKBOOKS.keys())
def test_refused(data, code):
    assert refused(data).code == code


def test_macro_enabled_content_type_is_refused():
    with zipfile.ZipFile(io.BytesIO(WORKBOOK)) as zf:
        types = zf.read("[Content_Types].xml")
    main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    assert main in types
    macro = types.replace(main, b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    assert refused(rezip(WORKBOOK, {"[Content_Types].xml": macro})).code == "macros"


def test_encrypted_member_is_refused():
    data = bytearray(WORKBOOK)
    for match in re.finditer(rb"PK\x01\x02", WORKBOOK):  # set the "encrypted" flag in the directory
        flags = struct.unpack_from("<H", data, match.start() + 8)[0]
        struct.pack_into("<H", data, match.start() + 8, flags | 1)
    assert refused(bytes(data)).code == "legacy_or_encrypted"


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/evil.xml", "xl\\evil.xml"])
def test_unsafe_member_names_are_refused(name):
    assert refused(rezip(WORKBOOK, {name: b"<a/>"})).code == "corrupt"


def test_too_many_members_are_refused(monkeypatch):
    monkeypatch.setattr(xlsx_guard, "MAX_ENTRIES", 5)
    assert refused(WORKBOOK).code == "too_many_parts"


def test_too_many_members_are_refused_before_the_directory_is_read(monkeypatch):
    monkeypatch.setattr(xlsx_guard, "MAX_ENTRIES", 5)
    monkeypatch.setattr(xlsx_guard.zipfile, "ZipFile", None)  # calling it would fail the test
    assert refused(WORKBOOK).code == "too_many_parts"


def test_doctype_with_entities_is_refused():
    sheet = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<x>&a;</x>'
    assert refused(rezip(WORKBOOK, {"xl/worksheets/sheet1.xml": sheet})).code == "xml_entities"


def test_entity_declaration_across_two_chunks_is_refused():
    sheet = b"<x>".ljust(CHUNK - 4) + b'<!ENTITY a "aaaa"></x>'  # "<!EN" ends the first chunk
    assert refused(rezip(WORKBOOK, {"xl/worksheets/sheet1.xml": sheet})).code == "xml_entities"


def test_entities_in_a_part_not_named_xml_are_refused():
    """A rels file can point the workbook at a part of any name: every part is searched."""
    strings = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><sst>&a;</sst>'
    assert refused(rezip(WORKBOOK, {"xl/strings.bin": strings})).code == "xml_entities"


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff", b""])
def test_a_part_in_utf16_is_refused(bom):
    """UTF-16 would hide "<!DOCTYPE" from the byte search; Excel writes UTF-8 only."""
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    encoded = bom + text.encode("utf-16-le" if bom != b"\xfe\xff" else "utf-16-be")
    assert refused(rezip(WORKBOOK, {"xl/worksheets/sheet1.xml": encoded})).code == "not_xlsx"


def test_openpyxl_reads_with_defusedxml():
    """The second line of defence: openpyxl parses with defusedxml (a runtime dependency), which
    refuses entity declarations the guard would have missed."""
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML


def test_workbook_without_sheets_is_refused():
    empty = (
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>'
    )
    assert refused(rezip(WORKBOOK, {"xl/workbook.xml": empty})).code == "corrupt"


def test_honest_zip_bomb_is_refused_without_inflating(opened):
    bomb = with_zeros(WORKBOOK, "xl/media/zeros.bin", 150 * MIB, force_zip64=True)
    assert len(bomb) < MAX_BYTES
    refusal = refused(bomb)
    assert refusal.code == "too_big_unpacked"
    assert refusal.params == {"limit": 100, "inflated": 0}
    assert opened == []


def test_highly_compressed_member_is_refused_without_inflating(opened):
    refusal = refused(with_zeros(WORKBOOK, "xl/media/zeros.bin", 2 * MIB))  # ratio about 1000
    assert (refusal.code, refusal.params["inflated"], opened) == ("too_big_unpacked", 0, [])


def test_members_summing_over_the_limit_are_refused_without_inflating(monkeypatch, opened):
    monkeypatch.setattr(xlsx_guard, "MAX_UNPACKED", 4 * MIB)
    data = WORKBOOK
    for number in range(5):  # 1 MiB each: too small for the ratio check, 5 MiB in all
        data = with_zeros(data, f"xl/media/zeros{number}.bin", MIB)
    refusal = refused(data)
    assert (refusal.code, refusal.params, opened) == ("too_big_unpacked", {"limit": 4, "inflated": 0}, [])


def test_the_running_total_is_a_second_guard(monkeypatch):
    """Were the declared sizes not checked, inflating stops within a chunk of MAX_UNPACKED."""
    monkeypatch.setattr(xlsx_guard, "_check_declared_sizes", lambda infos: None)
    monkeypatch.setattr(xlsx_guard, "MAX_UNPACKED", 1000)
    refusal = refused(WORKBOOK)
    assert refusal.code == "too_big_unpacked"
    assert 1000 < refusal.params["inflated"] <= 1000 + CHUNK


def lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """``data`` with the uncompressed size of member ``name`` set to ``size`` in both headers."""
    patched = bytearray(data)
    encoded = name.encode()
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        starts = [m.start() for m in re.finditer(re.escape(signature), data)]
        (start,) = [s for s in starts if data[s + name_at : s + name_at + len(encoded)] == encoded]
        struct.pack_into("<I", patched, start + size_at, size)
    return bytes(patched)


def test_lying_zip_bomb_is_stopped_at_the_declared_size():
    """Python's zipfile stops inflating a member at its declared size, then finds the CRC of those
    bytes wrong ("Bad CRC-32"): refused as corrupt, the 30 MB never inflated."""
    honest = with_zeros(WORKBOOK, "xl/media/zeros.bin", 30 * MIB)
    assert refused(honest).params["inflated"] == 0  # told the truth, it fails the ratio check
    lying = lie_about_size(honest, "xl/media/zeros.bin", 1000)
    with zipfile.ZipFile(io.BytesIO(lying)) as zf:
        declared = sum(info.file_size for info in zf.infolist())
    assert declared < MIB
    refusal = refused(lying)
    assert refusal.code == "corrupt"
    assert isinstance(refusal.__cause__, zipfile.BadZipFile) and "Bad CRC-32" in str(refusal.__cause__)
    assert 0 < refusal.params["inflated"] <= declared + 2 * CHUNK


class Endless(io.BytesIO):
    """A member that never ends."""

    def read(self, size: int | None = -1) -> bytes:
        return bytes(size if size and size > 0 else CHUNK)


def test_a_member_yielding_more_than_declared_is_stopped(monkeypatch):
    """The guard does not rely on zipfile stopping at the declared size: a reader that goes on
    forever is stopped by the count, within a chunk."""
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info: Endless())
    refusal = refused(WORKBOOK)
    assert refusal.code == "too_big_unpacked"
    assert refusal.params["inflated"] <= CHUNK


def test_messages_outside_and_inside_an_app():
    refusal = UploadRefused("too_large", limit=10)
    english = "The file is larger than 10 MB. Split it into several files."
    assert refusal.message == english
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        assert refusal.message == english
        assert UploadRefused("too_big_unpacked", limit=100, inflated=0).message.startswith(
            "The workbook unpacks to more than 100 MB"
        )


def test_every_message_is_a_plain_msgid():
    for code, msgid in MESSAGES.items():
        assert msgid.strip() and "%" not in re.sub(r"%\(\w+\)s", "", msgid), code
        assert UploadRefused(code, limit=1).message


def test_damaged_workbooks_are_refused_with_a_code():
    """Bytes changed or cut anywhere: accepted or refused with a code, never another exception."""
    rng = random.Random(7)
    codes = set()
    for _ in range(300):
        data = bytearray(WORKBOOK)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            check_workbook(bytes(data[: rng.randrange(1, len(data) + 1)]))
        except UploadRefused as refusal:
            codes.add(refusal.code)
    assert "corrupt" in codes
