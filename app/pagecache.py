"""Rendered HTML (and computed figures) kept by a process, under a key that names everything it
was made from.

A key holds the data versions it depends on (``DataVersion`` counters raised by database
triggers, the unit index fingerprint), so an entry is never stale: after a change the key is
new and the old entry ages out of the LRU. A view passes ``None`` as the key to render without
caching (e.g. while a version is unknown).
"""

from collections.abc import Callable, Hashable
from threading import Lock

from cachetools import LRUCache
from flask import Flask


class PageCache:
    def __init__(self, maxsize: int) -> None:
        self._entries: LRUCache | None = LRUCache(maxsize) if maxsize > 0 else None
        self._lock = Lock()  # gunicorn may run threads; cachetools' caches are not thread-safe

    def get_or_render(self, key: Hashable | None, render: Callable[[], str]) -> str:
        if self._entries is None or key is None:
            return render()
        with self._lock:
            html = self._entries.get(key)
        if html is None:
            html = render()
            with self._lock:
                self._entries[key] = html
        return html

    def clear(self) -> None:
        if self._entries is not None:
            with self._lock:
                self._entries.clear()


def init_page_cache(app: Flask) -> None:
    """The list pages' cache, and the dashboard's figures' (app/services/overview.py)."""
    app.extensions["page_cache"] = PageCache(app.config["PAGE_CACHE_SIZE"])
    app.extensions["figures_cache"] = PageCache(app.config["PAGE_CACHE_SIZE"])
