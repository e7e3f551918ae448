"""The Vietnamese catalogue is complete, well-formed and compiles.

Vietnamese is the default language, so an untranslated string would show up in English
for every official. These checks extract the live msgids from app/ (the same mapping as
``scripts/i18n.sh extract``) and compare them with app/translations/vi/LC_MESSAGES/messages.po.
To fix a failure: ``scripts/i18n.sh update``, translate the new entries, ``scripts/i18n.sh compile``.
"""

import gettext
import re
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, check_and_call_extract_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "app" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
# Keep in step with the -k options in scripts/i18n.sh.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
# A printf conversion: %(name)s, %s, %d, %%, ...
CONVERSION = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
# The catalogue places tone marks the "new" way (hoá, huỷ, khoẻ), as in Huỷ and Vô hiệu hoá;
# an open syllable with the tone on the first vowel of oa/oe/uy (hóa, hủy, khỏe) is the old way.
# One exception: "Ủy ban nhân dân", spelt as in the legal texts and in the organisations' own names.
OLD_STYLE_TONE = re.compile(r"[óòỏõọ][ae](?!\w)|(?<!\w)(?!ủy ban\b)\w*[úùủũụ]y(?!\w)", re.IGNORECASE)


@cache
def source_messages() -> dict[tuple[str, str | None], list[str]]:
    """msgid (the singular for plurals) and context -> "file:line" where the source uses it."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    found: dict[tuple[str, str | None], list[str]] = {}
    for path in sorted((ROOT / "app").rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        for filename, lineno, message, _comments, context in check_and_call_extract_file(
            str(path), method_map, options_map, None, KEYWORDS, (), False, dirpath=str(ROOT)
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


@cache
def catalogue():
    with open(PO_PATH, "rb") as po:
        return read_po(po, locale="vi", abort_invalid=True)


def entries():
    return [m for m in catalogue() if m.id]


def strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


def test_extraction_finds_the_ui_strings():
    found = source_messages()
    assert len(found) > 100
    assert ("Log in", None) in found and ("Poor", None) in found


def test_every_source_string_has_a_vietnamese_translation():
    po = catalogue()
    assert not po.fuzzy, "the catalogue header is marked fuzzy, so it would not be compiled"
    problems = []
    for (msgid, context), where in sorted(source_messages().items()):
        message = po.get(msgid, context)
        if message is None:
            problem = "missing from the catalogue"
        elif message.fuzzy:
            problem = "marked fuzzy"
        elif not all(s.strip() for s in strings(message)):
            problem = "not translated"
        else:
            continue
        problems.append(f"{', '.join(where)}: {msgid!r} is {problem}")
    assert not problems, (
        f"{len(problems)} UI string(s) lack a Vietnamese translation "
        "(run scripts/i18n.sh update, translate, compile):\n" + "\n".join(problems)
    )


def test_placeholders_match():
    problems = []
    for message in entries():
        expected = Counter(CONVERSION.findall(ids(message)[-1]))
        for string in strings(message):
            got = Counter(CONVERSION.findall(string))
            if string and got != expected:
                problems.append(f"{message.id!r}: {sorted(expected.elements())} -> {sorted(got.elements())}")
    assert not problems, "placeholders differ between msgid and msgstr:\n" + "\n".join(problems)


def test_catalogue_passes_babel_checks():
    errors = [f"{message.id!r}: {'; '.join(map(str, errs))}" for message, errs in catalogue().check()]
    assert not errors, "\n".join(errors)


def test_catalogue_compiles(tmp_path):
    mo_path = tmp_path / "messages.mo"
    with open(mo_path, "wb") as mo:
        write_mo(mo, catalogue())
    with open(mo_path, "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert compiled.gettext("Log in") == "Đăng nhập"
    assert compiled.gettext("Households") == "Hộ gia đình"
    for m in entries():
        if not isinstance(m.id, tuple) and not m.fuzzy:  # fuzzy entries are left out of the .mo
            got = compiled.pgettext(m.context, m.id) if m.context else compiled.gettext(m.id)
            assert got == m.string, m.id


def test_translations_are_nfc():
    bad = [m.id for m in entries() for s in strings(m) if not unicodedata.is_normalized("NFC", s)]
    assert not bad, "msgstr not in Unicode NFC (precomposed) form: " + ", ".join(map(repr, bad))


def test_tone_marks_placed_consistently():
    bad = [f"{m.id!r}: {hit!r}" for m in entries() for s in strings(m) for hit in OLD_STYLE_TONE.findall(s)]
    assert not bad, "use the new tone placement (hoá, huỷ, khoẻ) like the rest:\n" + "\n".join(bad)
