"""htmx is vendored at a pinned 2.0.x version, served from our own static folder."""

import hashlib

from tests.conftest import ROOT

HTMX = ROOT / "app" / "static" / "js" / "htmx.min.js"
HTMX_SHA256 = "22283ef68cb7545914f0a88a1bdedc7256a703d1d580c1d255217d0a50d31313"  # htmx.org 2.0.8


def test_htmx_is_the_pinned_file():
    assert hashlib.sha256(HTMX.read_bytes()).hexdigest() == HTMX_SHA256
    assert 'version:"2.0.8"' in HTMX.read_text(encoding="utf-8")


def test_layout_loads_htmx_from_static_not_a_cdn(world, login_as):
    page = login_as(world.users.staff_a).get("/households").get_data(as_text=True)
    assert '<script src="/static/js/htmx.min.js"' in page
    assert "unpkg" not in page and "cdn" not in page.lower()


def test_fonts_with_vietnamese_glyphs_are_bundled():
    fonts = ROOT / "app" / "static" / "fonts"
    assert (fonts / "NotoSans-Regular.ttf").stat().st_size > 100_000
    assert (fonts / "NotoSans-Bold.ttf").stat().st_size > 100_000
