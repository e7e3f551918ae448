"""Vietnamese text: folding for diacritic-insensitive search, and sums of money as people type them."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (a default pybabel keyword); translated when shown."""
    return msgid


def fold(text: str | None) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics ("Nguyễn Văn Đức" → "nguyen van duc")."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.lower()).strip()


def search_terms(query: str | None) -> list[str]:
    """The folded words of a search box, each of which must match."""
    return [term for term in fold(query).split(" ") if term][:8]


#: the most a household's income per person per month can plausibly be (đồng)
MAX_INCOME = 1_000_000_000
#: a whole sum of đồng: digits, or groups of three after "." or "," ("1.500.000", "1,500,000")
MONEY_TEXT = re.compile(r"-?(\d{1,3}([.,]\d{3})+|\d+)")
_MONEY_NOISE = re.compile(r"\s|đồng|đ|₫|VND", re.IGNORECASE)


def parse_amount(text: str) -> int | None:
    """The whole sum of đồng ``text`` shows ("700.000", "700,000 đ", "700000"), or None: decimals
    ("650000.00", "650.000,00") are refused rather than read as a hundred times more."""
    cleaned = _MONEY_NOISE.sub("", text or "")
    if not cleaned.isascii() or not MONEY_TEXT.fullmatch(cleaned):
        return None
    return int(re.sub(r"[.,]", "", cleaned))
