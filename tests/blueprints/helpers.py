"""Helpers shared by the blueprint tests: an HTML element tree (stdlib parser), CSP parsing,
URL building from the url map, and a few world additions."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import insert, select
from werkzeug.routing import Rule

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import (
    Household,
    ImportBatch,
    Member,
    Organisation,
    ReportInstance,
    ReviewRound,
    SupportTask,
)
from app.services.audit import utcnow
from tests.factories import make_report, make_round, make_task

SESSION_COOKIE = "giamngheo_session"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CONVERTER_RE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    depth: int
    parts: list[str] = field(default_factory=list)
    children: list["Element"] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    @property
    def id(self) -> str | None:
        return self.attrs.get("id")

    def iter(self):
        for child in self.children:
            yield child
            yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs) -> list["Element"]:
        return [e for e in self.iter() if _matches(e, tag, attrs)]


def _matches(element: Element, tag: str | None, attrs: dict) -> bool:
    if tag is not None and element.tag != tag:
        return False
    return all(element.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())


class Html(HTMLParser):
    """A forgiving element tree of a page or a fragment."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.roots: list[Element] = []
        self.markup = markup
        self._open: list[Element] = []
        self.feed(markup)
        self.close()

    def _add(self, tag: str, attrs) -> Element:
        element = Element(tag, dict(attrs), len(self._open))
        self.elements.append(element)
        (self._open[-1].children if self._open else self.roots).append(element)
        return element

    def handle_starttag(self, tag, attrs):
        element = self._add(tag, attrs)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag, attrs):
        self._add(tag, attrs)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                return

    def handle_data(self, data):
        for element in self._open:
            element.parts.append(data)

    def find_all(self, tag: str | None = None, **attrs) -> list[Element]:
        return [e for e in self.elements if _matches(e, tag, attrs)]

    def by_id(self, ident: str) -> Element:
        found = [e for e in self.elements if e.id == ident]
        assert len(found) == 1, f"expected one element with id={ident!r}, found {len(found)}"
        return found[0]

    def has_id(self, ident: str) -> bool:
        return any(e.id == ident for e in self.elements)

    def alerts(self) -> list[str]:
        return [e.text for e in self.elements if e.attrs.get("role") == "alert"]


def parse(response) -> Html:
    return Html(response.get_data(as_text=True))


def is_full_page(response) -> bool:
    doc = parse(response)
    return any(e.tag == "html" for e in doc.roots)


def csp(response) -> dict[str, list[str]]:
    """The Content-Security-Policy as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def location_path(response) -> str:
    return urlsplit(response.headers.get("Location", "")).path


def location_query(response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response.headers.get("Location", "")).query)


def _url_map_rules() -> list[Rule]:
    """The rules of an app built like the fixture's, read at collection time (for parametrize)."""
    config = type("UrlMapConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(create_app(config).url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


RULES = _url_map_rules()


def rule_for(app, rule_text: str, endpoint: str) -> Rule:
    """The live app's rule matching one collected at import time."""
    matches = [r for r in app.url_map.iter_rules() if r.rule == rule_text and r.endpoint == endpoint]
    assert len(matches) == 1, f"{rule_text} ({endpoint}) is not in the app's url map"
    return matches[0]


def rule_arguments(rule: Rule) -> list[tuple[str, str]]:
    """(converter, name) of each variable of a rule, read from its text."""
    return [(conv or "default", name) for conv, name in CONVERTER_RE.findall(rule.rule)]


def _first_id(noun: str) -> int:
    """Fallback for a route argument no world value names: the first row of the table it names."""
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table.name
        if table in (noun + "s", noun) or table.endswith(f"_{noun}s") or table.startswith(noun):
            ident = db.session.scalar(select(mapper.primary_key[0]).order_by(mapper.primary_key[0]))
            if ident is not None:
                return ident
    return 1


def world_ids(world) -> dict[str, int]:
    """Values for the int converters of today's routes, taken from the world."""
    org = db.session.scalars(select(Organisation).where(Organisation.unit_id == world.commune_a.id)).first()
    task = db.session.scalars(select(SupportTask).order_by(SupportTask.id)).first()
    if task is None:  # the world has none: one of commune A's organisation, for /tasks/<task_id>/…
        task = make_task(world.households.duc, org)
        db.session.commit()
    report = db.session.scalars(select(ReportInstance).order_by(ReportInstance.id)).first()
    if report is None:  # one of commune A, for /reports/<report_id>/…
        report = make_report(world.commune_a)
        db.session.commit()
    review_round = db.session.scalars(select(ReviewRound).order_by(ReviewRound.id)).first()
    if review_round is None:  # one of commune A, for /reviews/<round_id>/…
        review_round = make_round(world.commune_a)
        db.session.commit()
    batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id)).first()
    if batch is None:  # one of commune A's staff, for /imports/<batch_id>/…
        batch = ImportBatch(
            user_id=world.users.staff_a.id,
            unit_id=world.commune_a.id,
            filename="danh-sach.xlsx",
            sha256="0" * 64,
            size=0,
            stored_name="test-batch.xlsx",
            status="invalid",
            created_at=utcnow(),
        )
        db.session.add(batch)
        db.session.commit()
    return {
        "batch_id": batch.id,
        "round_id": review_round.id,
        "village_id": world.village_a1.id,
        "report_id": report.id,
        "number": 1,
        "task_id": task.id,
        "household_id": world.households.duc.id,
        "member_id": world.households.duc.members[0].id,
        "user_id": world.users.staff_a.id,
        "org_id": org.id,
        "unit_id": world.commune_a.id,
    }


def build_url(app, world, rule: Rule) -> str:
    """The URL of ``rule`` with int converters filled from the world (any new one: the first row
    of the table it names), other converters with a harmless word."""
    known = world_ids(world)
    values = {}
    for converter, name in rule_arguments(rule):
        if converter == "int":
            values[name] = known[name] if name in known else _first_id(name.removesuffix("_id"))
        else:
            values[name] = "x"
    adapter = app.url_map.bind("localhost")
    url = adapter.build(rule.endpoint, values, method=sorted(rule.methods - {"HEAD", "OPTIONS"})[0])
    assert urlsplit(url).path == _expected_path(rule, values), f"{rule.rule} built as {url}"
    return url


def _expected_path(rule: Rule, values: dict) -> str:
    return CONVERTER_RE.sub(lambda m: str(values[m.group(2)]), rule.rule)


def add_member(household: Household, full_name: str, citizen_id: str | None = None, **kw) -> Member:
    member = Member(
        full_name=full_name,
        relation=kw.pop("relation", "child"),
        sex=kw.pop("sex", "female"),
        birth_year=kw.pop("birth_year", 2005),
        ethnicity=kw.pop("ethnicity", "Tày"),
        citizen_id=citizen_id,
        **kw,
    )
    household.members.append(member)
    db.session.flush()
    db.session.commit()
    return member


def bulk_households(village, count: int, prefix: str, head_name: str = "Lò Văn Thử") -> list[int]:
    """Insert ``count`` households in one statement (for pagination and big numbers); returns ids."""
    now = utcnow()
    rows = [
        {
            "code": f"{prefix}-{i:05d}",
            "head_name": f"{head_name} {i}",
            "sort_name": f"lo van thu {i:05d}",
            "ethnicity": "Tày",
            "unit_id": village.id,
            "address": f"{village.name}",
            "area": "rural",
            "status": "other",
            "search_text": f"{prefix.lower()}-{i:05d} lo van thu {i}",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, count + 1)
    ]
    db.session.execute(insert(Household), rows)
    db.session.commit()
    return list(db.session.scalars(select(Household.id).where(Household.code.startswith(prefix + "-"))))


def browser_form(form: Element) -> dict[str, list[str]]:
    """What a browser submits for ``form`` untouched: named inputs, checked boxes, selected options
    (else the first), textareas."""
    data: dict[str, list[str]] = {}
    for element in form.iter():
        name = element.attrs.get("name")
        if not name or "disabled" in element.attrs:
            continue
        if element.tag == "input":
            kind = (element.attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in element.attrs:
                continue
            if kind in ("submit", "button", "image", "reset", "file"):
                continue
            default = "on" if kind in ("checkbox", "radio") else ""
            data.setdefault(name, []).append(element.attrs.get("value") or default)
        elif element.tag == "textarea":
            data.setdefault(name, []).append("".join(element.parts))
        elif element.tag == "select":
            options = element.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            for option in chosen:
                value = option.attrs.get("value")
                data.setdefault(name, []).append(value if value is not None else option.text)
    return data
