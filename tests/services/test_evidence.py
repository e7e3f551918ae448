"""What the evidence check recognises, and the limit in use."""

import pytest

from app.services import evidence


@pytest.mark.parametrize(
    "head,kind",
    [
        (b"\xff\xd8\xff\xdb", ("image/jpeg", "jpg")),
        (b"\x89PNG\r\n\x1a\n\x00", ("image/png", "png")),
        (b"%PDF-1.4", ("application/pdf", "pdf")),
        (b"\x7fELF", None),
        (b"MZ\x90\x00", None),
        (b"GIF89a", None),
        (b"<svg xmlns", None),
        (b"PK\x03\x04", None),
        (b"", None),
    ],
)
def test_sniff(head, kind):
    assert evidence.sniff(head) == kind


def test_the_limit_is_ten_megabytes():
    assert evidence.MAX_BYTES == 10 * 1024 * 1024
