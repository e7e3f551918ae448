"""The demo district's reports: the 2020 calendar of every definition, the periods up to the
article's day (20 March 2020) in every state of the workflow with their files, the rest ahead.

Past reports are generated for real (snapshot, PDF, XLSX) and then carried through the workflow
with the dates they would have had; the histories (submitted on time or late, returned and
resubmitted, approved, missing, a failed generation) make the compliance view worth reading.
Also the district's 2020 targets from the article (DOMAIN.md §1).
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import AdminUnit, AuditLog, Notification, ReportInstance, Target, User
from app.models.reports import ReportStatus as R
from app.services import report_generation, reports, scope, stats, targets

#: the article's 2020 targets for the district (DOMAIN.md §1)
ARTICLE_TARGETS = {
    "poverty_rate_reduction": Decimal("2.3"),
    "new_jobs": Decimal(550),
    "health_insurance": Decimal(100),
    "hygienic_water": Decimal(85),
    "tuition_exemption": Decimal(100),
    "telecom": Decimal(90),
    "information": Decimal(80),
}
#: a target of the district's own beside the article's: houses built or repaired for poor households
DISTRICT_CUSTOM_TARGETS = {"tasks:HOUSING": Decimal(500)}
#: "communes with high rates down by 3–4 points": the three highest, from the highest down
HIGH_RATE_REDUCTIONS = (Decimal(4), Decimal("3.5"), Decimal(3))
#: Vietnam is UTC+7; timestamps are stored in UTC
VN = timedelta(hours=7)


@dataclass(frozen=True)
class Story:
    """What happened to one past report: submitted some days from its deadline (negative: before),
    then decided; ``returned_first``: returned once and resubmitted with a second version."""

    status: str
    submit_offset: int | None = None
    decision: str | None = None
    returned_first: bool = False


MISSING = Story(R.DRAFT)
ON_TIME = Story(R.SUBMITTED, -1)
LATE = Story(R.SUBMITTED, 1)
APPROVED = Story(R.APPROVED, -1, "approve")
APPROVED_LATE = Story(R.APPROVED, 2, "approve")
RETURNED = Story(R.RETURNED, -1, "return")
RESUBMITTED = Story(R.SUBMITTED, -1, None, returned_first=True)
FAILED = Story(R.FAILED)

#: per period of the monthly commune report, what happened to each commune's (in code order);
#: the named communes of the demo users are set apart below
MONTHLY = {
    "2020-01": [APPROVED] * 12 + [APPROVED_LATE, APPROVED_LATE, APPROVED, MISSING, APPROVED],
    "2020-02": [APPROVED] * 8 + [RESUBMITTED, APPROVED_LATE, RETURNED, LATE, MISSING, APPROVED],
    "2020-03": [ON_TIME] * 5 + [LATE, LATE, APPROVED, RETURNED, FAILED, MISSING, MISSING, ON_TIME, ON_TIME],
}
#: Cẩm Giàng's March report is left in draft for staff.camgiang to submit; Quang Thuận's is
#: submitted on time, waiting for the district manager's decision
NAMED = {("02008", "2020-03"): MISSING, ("02017", "2020-03"): ON_TIME}
RETURN_COMMENTS = [
    "Số nhiệm vụ hoàn thành chưa khớp với sổ theo dõi của xã; đề nghị kiểm tra lại.",
    "Thiếu giải trình về các nhiệm vụ quá hạn; đề nghị bổ sung.",
]
COMMENTARIES = [
    "Xã đã rà soát, cập nhật đầy đủ tiến độ các nhiệm vụ hỗ trợ trong tháng.",
    "Một số nhiệm vụ chậm do thời tiết và thiếu vốn đối ứng; xã đang đôn đốc.",
    "Đã bổ sung giải trình các nhiệm vụ quá hạn theo ý kiến của huyện.",
]


class DemoReports:
    def __init__(self, rng: random.Random, today: date):
        self.rng, self.today = rng, today
        self.users = {u.username: u for u in db.session.scalars(select(User))}
        self.generated = 0

    def run(self) -> list[str]:
        if db.session.scalar(select(func.count(ReportInstance.id))):
            return ["reports already present: left unchanged"]
        targets = self.targets()
        reports.schedule(self.today, through=date(self.today.year, 12, 31))  # the year's calendar
        db.session.commit()
        past = reports.awaiting_generation(self.today)
        for instance in past:
            self.play(instance, self.story(instance))
        self.notices()
        return [
            f"targets added: {targets}",
            f"report instances: {db.session.scalar(select(func.count(ReportInstance.id)))}, "
            f"past {len(past)}, files generated for {self.generated} versions",
        ]

    def targets(self) -> int:
        """The article's 2020 targets for the district, split across its communes: the jobs in
        proportion to their poor households (adding up to 550), the three communes with the highest
        poverty rates of 2019 a reduction of 4, 3.5 and 3 points ("3–4 points"), the others the
        district's 2.3; the shares as the district's."""
        district = db.session.scalars(select(AdminUnit).where(AdminUnit.code == "063")).one()
        unit = scope.unit_index().units[district.id]
        communes = targets.communes_of(unit, 2020)
        figures = stats.household_stats_of(scope.UnitScope(unit.id), communes, 2019)
        jobs = targets.share_out(int(ARTICLE_TARGETS["new_jobs"]), [f.poor for f in figures])
        highest = sorted(range(len(communes)), key=lambda i: figures[i].poor_rate, reverse=True)[:3]
        plans = [(district.id, ARTICLE_TARGETS | DISTRICT_CUSTOM_TARGETS)]
        for i, commune in enumerate(communes):
            values = ARTICLE_TARGETS | {"new_jobs": Decimal(jobs[i])}
            if i in highest:
                values["poverty_rate_reduction"] = HIGH_RATE_REDUCTIONS[highest.index(i)]
            plans.append((commune.id, values))
        rows = [
            Target(year=2020, unit_id=unit_id, indicator=key, value=value)
            for unit_id, values in plans
            for key, value in values.items()
        ]
        db.session.add_all(rows)
        return len(rows)

    def story(self, instance: ReportInstance) -> Story:
        if instance.definition.code == "programme_quarterly":
            return MISSING  # due today: the district staff prepares it
        named = NAMED.get((instance.unit.code, instance.period))
        if named is not None:
            return named
        order = sorted(
            db.session.scalars(
                select(ReportInstance.unit_id).where(
                    ReportInstance.definition_id == instance.definition_id,
                    ReportInstance.period == instance.period,
                )
            )
        )
        stories = MONTHLY[instance.period]
        return stories[order.index(instance.unit_id) % len(stories)]

    def preparer(self, instance: ReportInstance) -> User:
        own = {"02008": "staff.camgiang", "02017": "staff.quangthuan"}.get(instance.unit.code)
        return self.users[own or "staff"]

    def approver(self, instance: ReportInstance) -> User:
        return self.users["manager.tinh" if instance.unit.kind == "district" else "manager"]

    def at(self, day: date, hour: int | None = None) -> datetime:
        """A working-hours moment of ``day`` in Vietnam, as stored (UTC)."""
        local = datetime.combine(day, time(hour or self.rng.randint(8, 16), self.rng.randrange(60)))
        return local - VN

    def generate(self, instance: ReportInstance, day: date) -> None:
        report_generation.request(instance, None)
        db.session.commit()
        report_generation.generate(instance.id, instance.version, "demo-seed", issued_on=day)
        db.session.refresh(instance)
        when = self.at(day, 7)
        instance.versions[-1].generated_at = when
        self.date_generation_request(instance, when)
        self.generated += 1

    def play(self, instance: ReportInstance, story: Story) -> None:
        if story.status == R.FAILED:
            self.fail(instance)
            return
        self.generate(instance, instance.cut_off + timedelta(days=1))
        if story.submit_offset is None:
            db.session.commit()
            return
        submitted_on = min(instance.deadline + timedelta(days=story.submit_offset), self.today)
        if story.returned_first:
            self.submit(instance, submitted_on, first=True)
            self.decide(instance, "return", submitted_on + timedelta(days=1))
            submitted_on = min(submitted_on + timedelta(days=2), self.today)
            self.generate(instance, submitted_on)
        self.submit(instance, submitted_on, first=not story.returned_first)
        if story.decision:
            self.decide(instance, story.decision, min(submitted_on + timedelta(days=1), self.today))
        db.session.commit()

    def submit(self, instance: ReportInstance, day: date, *, first: bool) -> None:
        preparer = self.preparer(instance)
        when = self.at(day)
        commentary = self.rng.choice(COMMENTARIES)
        version = instance.versions[-1]
        version.commentary, version.submitted_at = commentary, when
        instance.status, instance.commentary = R.SUBMITTED, commentary
        instance.submitted_at, instance.submitted_by_id = when, preparer.id
        if first:
            instance.first_submitted_at = when
        instance.decided_at = instance.decided_by_id = instance.decision_comment = None
        self.audit("submit", preparer, instance, when, {"status": [R.DRAFT, R.SUBMITTED]})

    def decide(self, instance: ReportInstance, action: str, day: date) -> None:
        approver = self.approver(instance)
        when = self.at(day)
        status = R.APPROVED if action == "approve" else R.RETURNED
        comment = self.rng.choice(RETURN_COMMENTS) if action == "return" else None
        version = instance.versions[-1]
        version.decision, version.decision_comment = status, comment
        instance.status, instance.decided_at, instance.decided_by_id = status, when, approver.id
        instance.decision_comment = comment
        self.audit(action, approver, instance, when, {"status": [R.SUBMITTED, status]})

    def fail(self, instance: ReportInstance) -> None:
        report_generation.request(instance, None)
        self.date_generation_request(instance, self.at(instance.cut_off + timedelta(days=1), 7))
        instance.status, instance.attempts = R.FAILED, 4
        instance.error = "OSError: [Errno 28] No space left on device: 'var/storage/reports'"
        db.session.commit()

    @staticmethod
    def date_generation_request(instance: ReportInstance, when: datetime) -> None:
        """The scheduler asked for the generation on that morning, not today."""
        db.session.execute(
            update(AuditLog)
            .where(
                AuditLog.object_type == "report_instances",
                AuditLog.object_id == instance.id,
                AuditLog.action == "generate",
                AuditLog.at > when,
            )
            .values(at=when)
        )

    def notices(self) -> None:
        """The notifications of the demo's morning: the daily deadline job (reminders, overdue
        marks), as it ran at 06:10 on the demo's day; the seed's own "report ready" ones go."""
        db.session.execute(delete(Notification).where(Notification.kind == "report_generated"))
        reports.remind(self.today)
        reports.mark_overdue(self.today)
        db.session.flush()
        db.session.execute(
            update(Notification)
            .where(Notification.kind.in_(("report_due_soon", "report_overdue")))
            .values(created_at=datetime.combine(self.today, time(6, 10)) - VN)
        )
        db.session.commit()

    @staticmethod
    def audit(action: str, actor: User, instance: ReportInstance, when: datetime, changes: dict) -> None:
        db.session.add(
            AuditLog(
                at=when,
                actor_id=actor.id,
                actor_name=actor.username,
                ip="10.20.30.40",
                action=action,
                object_type="report_instances",
                object_id=instance.id,
                changes=changes,
            )
        )
