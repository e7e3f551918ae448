"""The demo district's 2020 periodic review, in progress (DOMAIN.md §4; PRODUCT.md §6).

Every commune has opened its review. Six have finished: every household recorded, the village
meetings held with their two signed minutes, the results posted, the preliminary and official
results written (decisions of mid-December 2020). Cẩm Giàng, the demo staff's commune, has
recorded everyone and published its preliminary results but still lacks a minutes file and its
public posting, so that a demo user can finish it and a manager recognise it. Three more have
published preliminary results with their meetings under way; two are recording; two have not
started. The district's figures stay those of the 2019 review (the article's) until every commune
has recognised 2020 (``stats.unfinished_years``); the movements 2019 → 2020 compare the six.

Each household's 2020 result follows its 2019 one with plausible odds, with figures that classify
to it under QĐ 59/2015; a few results differ from the computed one, with the meeting's reason.
"""

import io
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import bindparam, func, insert, select, update

from app.extensions import db
from app.models import (
    Household,
    Indicator,
    MeetingMinutes,
    PovertyStandard,
    ReviewEntry,
    ReviewRecord,
    ReviewRequest,
    ReviewRound,
    User,
    VillageMeeting,
    review_deprivations,
    review_entry_deprivations,
)
from app.models.reviews import ReviewKind, RoundStage, RoundType
from app.services import evidence, review_rounds, scope
from app.services.classification import Lines, classify
from app.services.reviews import status_from, transition

YEAR = 2020
#: commune code → how far its review has gone
FINISHED = ("01975", "01978", "01981", "01990", "02002", "02014")
READY_BUT = "02008"  # Cẩm Giàng: recorded and published; one minutes file and the posting missing
PRELIMINARY = ("01984", "02011", "01999")
RECORDING = {"02017": 0.6, "02005": 0.35}  # share of households recorded so far
#: 2019 result → odds of each 2020 result
ODDS = {
    "poor": {"poor": 72, "near_poor": 12, "not_poor": 16},
    "near_poor": {"poor": 5, "near_poor": 75, "not_poor": 20},
    "not_poor": {"poor": 1, "near_poor": 2, "not_poor": 97},
}
#: share of the poor results the village meeting changed to near-poor (with its reason)
OVERRIDE_SHARE = 0.04
OVERRIDE_REASONS = [
    "Họp dân thôn thống nhất: hộ có thu nhập từ rừng trồng chưa kê khai đủ.",
    "Họp dân thôn thống nhất: hộ vừa có người lao động đi làm ở khu công nghiệp.",
]


@dataclass(frozen=True)
class Reviewed:
    household_id: int
    unit_id: int
    area: str
    before: str | None  # the 2019 official result
    poor_in_2018: bool


def figures(
    rng: random.Random, lines: Lines, area: str, result: str, criterion: str | None
) -> tuple[int, int]:
    """An income and a deprivation count that classify to ``result`` under ``lines``."""
    urban = area == "urban"
    poor_line = lines.poor_urban if urban else lines.poor_rural
    band_top = lines.near_poor_urban if urban else lines.near_poor_rural
    if result == "poor" and criterion == "income":
        return rng.randrange(poor_line // 2, poor_line + 1, 10_000), rng.choices(
            [0, 1, 2, 3, 4], [2, 4, 4, 3, 1]
        )[0]
    if result == "poor":
        return rng.randrange(poor_line + 10_000, band_top + 1, 10_000), rng.randint(3, 6)
    if result == "near_poor":
        return rng.randrange(poor_line + 10_000, band_top + 1, 10_000), rng.choices([0, 1, 2], [3, 4, 3])[0]
    return rng.randrange(band_top + 10_000, band_top * 4, 10_000), rng.choices([0, 1, 2], [6, 3, 1])[0]


def weighted_sample(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    """``k`` distinct keys of ``weights``, drawn by weight."""
    pool = dict(weights)
    chosen = []
    for _ in range(min(k, len(pool))):
        code = rng.choices(list(pool), weights=list(pool.values()))[0]
        chosen.append(code)
        pool.pop(code)
    return chosen


class DemoReviews:
    def __init__(self, rng: random.Random, deprivation_weights: dict[str, int]):
        self.rng = rng
        self.weights = deprivation_weights

    def run(self) -> list[str]:
        if db.session.scalar(select(func.count(ReviewRound.id))):
            return ["review rounds already present: left unchanged"]
        self.standard = db.session.scalars(
            select(PovertyStandard).where(PovertyStandard.code == "QD59-2015")
        ).one()
        self.lines = Lines.of(self.standard)
        self.indicators = {
            i.code: i.id
            for i in db.session.scalars(select(Indicator).where(Indicator.standard_id == self.standard.id))
        }
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        self.staff, self.manager = users["staff"], users["manager"]
        self.minutes_pdf = _minutes_pdf()
        index = scope.unit_index()
        communes = sorted(
            (u for u in index.units.values() if u.is_commune_level and u.is_valid_on(date(YEAR, 12, 31))),
            key=lambda u: u.code,
        )
        counts = defaultdict(int)
        for n, commune in enumerate(communes):
            stage = self.stage_of(commune.code)
            counts[stage] += 1
            self.review(commune, stage, n)
        db.session.flush()
        summary = ", ".join(f"{stage}: {n}" for stage, n in sorted(counts.items()))
        return [f"2020 periodic review rounds added: {len(communes)} ({summary})"]

    @staticmethod
    def stage_of(code: str) -> str:
        if code in FINISHED:
            return "official"
        if code == READY_BUT or code in PRELIMINARY:
            return "preliminary"
        return "open" if code in RECORDING else "not started"

    # -- one commune -------------------------------------------------------------------------------

    def review(self, commune: scope.Unit, stage: str, n: int) -> None:
        opened = datetime(YEAR, 9, 3 + n % 10, 8, 30)
        row = ReviewRound(
            unit_id=commune.id,
            year=YEAR,
            round_type=RoundType.PERIODIC,
            month=0,
            standard_id=self.standard.id,
            stage=RoundStage.OPEN,
            opened_by_id=self.staff,
            opened_at=opened,
        )
        db.session.add(row)
        db.session.flush()
        if stage == "not started":
            return
        households = self.households(row)
        share = RECORDING.get(commune.code, 1.0)
        recorded = households[: round(len(households) * share)]
        entries = self.entries(row, recorded, datetime(YEAR, 10, 1 + n % 14, 9, 0))
        villages = review_rounds.villages_of(row)
        finished = commune.code in FINISHED
        if stage == "open":
            self.meetings(row, villages[: len(villages) // 2], minutes=1)
            self.requests(row, recorded, processed=False)
            return
        ready = finished or commune.code == READY_BUT
        self.meetings(row, villages, minutes=2 if ready else 1, missing_last=commune.code == READY_BUT)
        self.requests(row, recorded, processed=finished or commune.code == READY_BUT)
        row.stage, row.preliminary_at = RoundStage.PRELIMINARY, datetime(YEAR, 11, 10 + n % 4, 15, 0)
        self.records(row, entries, ReviewKind.PRELIMINARY, None)
        if finished:
            row.posting_from, row.posting_to = date(YEAR, 11, 16), date(YEAR, 11, 23)
            decided = date(YEAR, 12, 10 + n % 8)
            number = f"{180 + n}/QĐ-UBND"
            row.stage, row.decision_number, row.decision_date = RoundStage.OFFICIAL, number, decided
            row.recognised_by_id, row.recognised_at = self.manager, datetime.combine(decided, time(16, 0))
            self.records(row, entries, ReviewKind.OFFICIAL, (number, decided))

    def households(self, row: ReviewRound) -> list[Reviewed]:
        subtree = scope.unit_index().subtree(row.unit_id)
        official = defaultdict(dict)
        for household_id, year, result in db.session.execute(
            select(ReviewRecord.household_id, ReviewRecord.year, ReviewRecord.result)
            .join(Household, Household.id == ReviewRecord.household_id)
            .where(Household.unit_id.in_(subtree), ReviewRecord.kind == ReviewKind.OFFICIAL)
        ):
            official[household_id][year] = result
        rows = db.session.execute(
            select(Household.id, Household.unit_id, Household.area)
            .where(Household.unit_id.in_(subtree))
            .order_by(Household.unit_id, Household.sort_name, Household.code)
        ).all()
        return [
            Reviewed(h, unit, area, official[h].get(YEAR - 1), official[h].get(YEAR - 2) == "poor")
            for h, unit, area in rows
        ]

    def entries(self, row: ReviewRound, recorded: list[Reviewed], at: datetime) -> list[dict]:
        """Insert the entries; return them (with their deprivation codes) for the records."""
        rows, codes = [], []
        for household in recorded:
            before = household.before if household.before in ODDS else "not_poor"
            odds = ODDS[before]
            wanted = self.rng.choices(list(odds), weights=list(odds.values()))[0]
            criterion = (
                ("income" if self.rng.random() < 0.93 else "deprivation") if wanted == "poor" else None
            )
            income, deprived = figures(self.rng, self.lines, household.area, wanted, criterion)
            verdict = classify(self.lines, household.area, income, deprived)
            result, reason = str(verdict.result), None
            if result == "poor" and self.rng.random() < OVERRIDE_SHARE:
                result, reason = "near_poor", self.rng.choice(OVERRIDE_REASONS)
            rows.append(
                dict(
                    round_id=row.id,
                    household_id=household.household_id,
                    unit_id=household.unit_id,
                    area=household.area,
                    income_per_month=income,
                    computed_result=str(verdict.result),
                    computed_criterion=str(verdict.criterion) if verdict.criterion else None,
                    result=result,
                    criterion=str(verdict.criterion) if verdict.criterion and result == "poor" else None,
                    override_reason=reason,
                    recorded_by_id=self.staff,
                    recorded_at=at,
                )
            )
            codes.append(weighted_sample(self.rng, self.weights, deprived))
        if not rows:
            return []
        ids = db.session.scalars(
            insert(ReviewEntry.__table__).returning(ReviewEntry.__table__.c.id, sort_by_parameter_order=True),
            rows,
        ).all()
        links = [
            dict(entry_id=i, indicator_id=self.indicators[c])
            for i, cs in zip(ids, codes, strict=True)
            for c in cs
        ]
        if links:
            db.session.execute(insert(review_entry_deprivations), links)
        by_household = {h.household_id: h for h in recorded}
        return [
            dict(r, codes=c, reviewed=by_household[r["household_id"]])
            for r, c in zip(rows, codes, strict=True)
        ]

    def records(
        self, row: ReviewRound, entries: list[dict], kind: str, decision: tuple[str, date] | None
    ) -> None:
        """The round's entries as review records of ``kind``; official ones move the status."""
        number, decided = decision or (None, None)
        rows = []
        for e in entries:
            moved = None
            if kind == ReviewKind.OFFICIAL:
                moved = transition(e["reviewed"].before, e["result"], poor_before=e["reviewed"].poor_in_2018)
            rows.append(
                dict(
                    household_id=e["household_id"],
                    year=YEAR,
                    kind=kind,
                    standard_id=self.standard.id,
                    unit_id=e["unit_id"],
                    area=e["area"],
                    income_per_month=e["income_per_month"],
                    score_b=10 * len(e["codes"]),
                    result=e["result"],
                    criterion=e["criterion"],
                    transition=str(moved) if moved else None,
                    decision_number=number,
                    decision_date=decided,
                    created_at=datetime.combine(decided, time(16, 0)) if decided else row.preliminary_at,
                )
            )
        table = ReviewRecord.__table__
        ids = db.session.scalars(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        ).all()
        links = [
            dict(review_id=i, indicator_id=self.indicators[c])
            for i, e in zip(ids, entries, strict=True)
            for c in e["codes"]
        ]
        if links:
            db.session.execute(insert(review_deprivations), links)
        if kind == ReviewKind.OFFICIAL:
            self.statuses(entries)

    def statuses(self, entries: list[dict]) -> None:
        """Each household's status from its official results, 2020 included."""
        history = defaultdict(list)
        ids = [e["household_id"] for e in entries]
        for household_id, year, result, criterion in db.session.execute(
            select(
                ReviewRecord.household_id, ReviewRecord.year, ReviewRecord.result, ReviewRecord.criterion
            ).where(ReviewRecord.household_id.in_(ids), ReviewRecord.kind == ReviewKind.OFFICIAL)
        ):
            history[household_id].append((year, result, criterion))
        table = Household.__table__
        rows = []
        for household_id in ids:
            status, criterion, year = status_from(history[household_id])
            rows.append(dict(hid=household_id, status=status, status_criterion=criterion, status_year=year))
        db.session.execute(update(table).where(table.c.id == bindparam("hid")), rows)

    # -- the procedure ------------------------------------------------------------------------------

    def meetings(
        self, row: ReviewRound, villages: list[scope.Unit], *, minutes: int, missing_last: bool = False
    ) -> None:
        for k, village in enumerate(villages):
            attendees = self.rng.randint(38, 120)
            meeting = VillageMeeting(
                round_id=row.id,
                village_id=village.id,
                held_on=date(YEAR, 10, 12 + k % 15),
                attendees=attendees,
                agreeing=round(attendees * self.rng.uniform(0.62, 0.97)),
            )
            db.session.add(meeting)
            db.session.flush()
            wanted = 1 if missing_last and k == len(villages) - 1 else minutes
            for copy in range(1, wanted + 1):
                self.attach(meeting, f"bien-ban-hop-dan-{village.code}-{copy}.pdf")

    def attach(self, meeting: VillageMeeting, filename: str) -> None:
        stored = evidence.store(
            evidence.storage_dir("minutes"), io.BytesIO(self.minutes_pdf), filename, default_name="bien-ban"
        )
        db.session.add(
            MeetingMinutes(
                meeting_id=meeting.id,
                uploaded_by_id=self.staff,
                created_at=datetime.combine(meeting.held_on, time(17, 0)),
                **stored.columns(),
            )
        )

    def requests(self, row: ReviewRound, recorded: list[Reviewed], *, processed: bool) -> None:
        """A few written requests (Mẫu số 01): processed in the finished communes."""
        for k, household in enumerate(self.rng.sample(recorded, min(4, len(recorded)))):
            outcome = "reviewed" if processed or k % 2 == 0 else "pending"
            db.session.add(
                ReviewRequest(
                    round_id=row.id,
                    household_id=household.household_id,
                    received_on=date(YEAR, 9, 8 + k),
                    outcome=outcome,
                    processed_on=date(YEAR, 10, 2 + k) if outcome != "pending" else None,
                )
            )


def _minutes_pdf() -> bytes:
    """A one-page stand-in for a scanned, signed minutes (the same for every demo meeting)."""
    from app.services.report_document import pdf_from_html

    return pdf_from_html(
        "<style>@font-face { font-family: 'Noto Serif'; src: url('fonts/NotoSerif-Regular.ttf'); }"
        "@font-face { font-family: 'Noto Serif'; src: url('fonts/NotoSerif-Bold.ttf'); font-weight: 700; }"
        "body { font-family: 'Noto Serif'; }</style>"
        "<h1 style='font-size:16pt'>BIÊN BẢN HỌP DÂN</h1>"
        "<p>Bình xét, thống nhất danh sách hộ nghèo, hộ cận nghèo năm 2020.</p>"
        "<p><em>Bản mẫu của dữ liệu thử nghiệm GiamNgheo: biên bản thật được quét và đính kèm.</em></p>"
    )
