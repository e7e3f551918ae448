"""The per-process cache of rendered HTML: keys, bounds, and switching it off."""

from app.pagecache import PageCache


class Renderer:
    def __init__(self):
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"<p>{self.calls}</p>"


def test_an_entry_is_rendered_once_per_key():
    cache, render = PageCache(8), Renderer()

    assert [cache.get_or_render(k, render) for k in ("a", "a", "b", "a")] == [
        "<p>1</p>",
        "<p>1</p>",
        "<p>2</p>",
        "<p>1</p>",
    ]
    assert render.calls == 2


def test_the_least_recently_used_entry_goes_first():
    cache, render = PageCache(2), Renderer()
    for key in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" arrives
        cache.get_or_render(key, render)

    cache.get_or_render("a", render)
    assert render.calls == 3
    cache.get_or_render("b", render)
    assert render.calls == 4


def test_no_key_or_no_size_means_no_cache():
    render = Renderer()
    for cache, key in ((PageCache(8), None), (PageCache(0), "a")):
        cache.get_or_render(key, render)
        cache.get_or_render(key, render)
    assert render.calls == 4


def test_clear_forgets_everything():
    cache, render = PageCache(8), Renderer()
    cache.get_or_render("a", render)
    cache.clear()
    cache.get_or_render("a", render)
    assert render.calls == 2
