"""A small HTTP load generator (standard library only): log in, then N concurrent connections.

Each worker thread owns one ``http.client.HTTPConnection`` and asks for
keep-alive; gunicorn's sync workers answer ``Connection: close``, and the
connection then reopens by itself for the next request, as a browser's would.
A scenario is a list of GET paths, or a ``Feed`` that makes each request (any
method) from what the answers before it changed.
"""

import http.client
import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Protocol
from urllib.parse import urlencode, urlsplit

USER_AGENT = "giamngheo-bench/1.0"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


@dataclass
class Response:
    status: int
    body: bytes
    headers: http.client.HTTPMessage


class Client:
    """One connection with a cookie jar (for logging in and one-off requests)."""

    def __init__(self, base_url: str, timeout: float = 60):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.cookies: dict[str, str] = {}
        self.conn = self.connect()

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict | None = None
    ) -> Response:
        sent = {"User-Agent": USER_AGENT, "Connection": "keep-alive", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = self.cookie_header()
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=sent)
        raw = self.conn.getresponse()
        response = Response(raw.status, raw.read(), raw.headers)
        for line in raw.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(line)
            self.cookies.update({k: m.value for k, m in jar.items()})
        return response

    def csrf_token(self, path: str) -> str:
        """The CSRF token of the page at ``path`` (bound to this client's session cookie)."""
        page = self.request("GET", path)
        match = CSRF_RE.search(page.body.decode())
        if page.status != 200 or not match:
            raise RuntimeError(f"no CSRF token on {path} (HTTP {page.status})")
        return match.group(1) or match.group(2)

    def login(self, username: str, password: str) -> None:
        form = {"username": username, "password": password, "csrf_token": self.csrf_token("/auth/login")}
        response = self.request("POST", "/auth/login", body=urlencode(form))
        if response.status != 302:
            raise RuntimeError(f"login of {username} failed: HTTP {response.status}")


@dataclass
class Request:
    method: str
    path: str
    body: str | None = None  # form-encoded
    headers: dict[str, str] = field(default_factory=dict)


class Feed(Protocol):
    """Requests made on the fly; called from several threads at once, so it must lock."""

    def take(self) -> Request:
        """The next request to send."""

    def settle(self, request: Request, response: Response | None) -> None:
        """The answer to ``request`` (None: the connection failed), outside the time measured."""


@dataclass
class Scenario:
    user: str
    name: str
    paths: list[str]  # with a feed, only their number counts: how many requests to make
    headers: dict[str, str] = field(default_factory=dict)
    feed: Feed | None = None


@dataclass
class Result:
    scenario: Scenario
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    body_bytes: int = 0
    wall: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]

    @property
    def rps(self) -> float:
        return self.count / self.wall if self.wall else math.nan

    @property
    def mean_kb(self) -> float:
        return self.body_bytes / self.count / 1024 if self.count else math.nan


class Run:
    """Send ``paths`` with ``concurrency`` threads; each thread takes the next path until none is left."""

    def __init__(self, base_url: str, cookies: dict[str, str], scenario: Scenario, deadline: float):
        self.base_url, self.cookies, self.scenario, self.deadline = base_url, cookies, scenario, deadline
        self.lock = threading.Lock()
        self.next = 0
        self.min_until = 0.0
        self.result = Result(scenario)

    def take(self, paths: list[str]) -> str | None:
        """The next path; past the end, start again while ``min_until`` is ahead; none past the deadline."""
        with self.lock:
            now = time.monotonic()
            if now > self.deadline or (self.next >= len(paths) and now >= self.min_until):
                return None
            self.next += 1
            return paths[(self.next - 1) % len(paths)]

    def worker(self, paths: list[str]) -> None:
        client = Client(self.base_url)
        client.cookies = dict(self.cookies)
        feed = self.scenario.feed
        while (path := self.take(paths)) is not None:
            sent = feed.take() if feed else Request("GET", path)
            headers = {**self.scenario.headers, **sent.headers}
            began = time.perf_counter()
            try:
                response = client.request(sent.method, sent.path, body=sent.body, headers=headers)
            except (OSError, http.client.HTTPException):
                client.conn.close()
                client.conn = client.connect()
                with self.lock:
                    self.result.errors += 1
                if feed:
                    feed.settle(sent, None)
                continue
            elapsed = time.perf_counter() - began
            if feed:
                feed.settle(sent, response)
            with self.lock:
                self.result.statuses[response.status] += 1
                if response.status != 200:
                    self.result.errors += 1
                self.result.latencies.append(elapsed)
                self.result.body_bytes += len(response.body)
        client.conn.close()

    def drive(self, paths: list[str], concurrency: int, min_seconds: float = 0.0) -> Result:
        self.next = 0
        self.min_until = time.monotonic() + min_seconds
        self.result = Result(self.scenario)
        threads = [threading.Thread(target=self.worker, args=(paths,)) for _ in range(concurrency)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.result.wall = time.perf_counter() - began
        return self.result


def measure(
    base_url: str,
    cookies: dict[str, str],
    scenario: Scenario,
    *,
    warmup: int,
    concurrency: int,
    time_limit: float,
    min_seconds: float = 0.0,
) -> Result:
    """Warm up on the first ``warmup`` paths, then measure the rest, repeated if need be to last
    ``min_seconds`` (a fast page's few hundred requests are over too soon to be steady), and
    stopping at ``time_limit`` seconds."""
    run = Run(base_url, cookies, scenario, time.monotonic() + time_limit)
    run.drive(scenario.paths[:warmup], concurrency)
    run.deadline = time.monotonic() + time_limit
    return run.drive(scenario.paths[warmup:], concurrency, min_seconds)
