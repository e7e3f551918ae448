"""Human labels of the codes stored in the database, translated."""

from datetime import date

from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

ROLES = {
    "staff": _l("Staff"),
    "supervisor": _l("Supervisor"),
    "manager": _l("Manager"),
    "admin": _l("Administrator"),
}
STATUSES = {
    "poor": _l("Poor"),
    "near_poor": _l("Near-poor"),
    "escaped": _l("Escaped poverty"),
    "other": _l("Not poor"),
}
RESULTS = {
    "poor": _l("Poor"),
    "near_poor": _l("Near-poor"),
    "average": _l("Average living standard"),
    "not_poor": _l("Not poor"),
}
CRITERIA = {"income": _l("Income"), "deprivation": _l("Deprivation of basic services")}
AREAS = {"rural": _l("Rural"), "urban": _l("Urban")}
TASK_STATUSES = {
    "planned": _l("Planned"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "blocked": _l("Blocked"),
    "cancelled": _l("Cancelled"),
}
TARGET_STATUSES = {
    "achieved": _l("Achieved"),
    "on_track": _l("On track"),
    "at_risk": _l("At risk"),
    "pending": _l("Not measured yet"),
    "no_target": _l("No target"),
}
TARGET_MEASURES = {"points": _l("points"), "percent": "%", "people": _l("people"), "tasks": _l("tasks")}
NOTIFICATIONS = {
    "household_assigned": _l("You now follow %(n)s household(s), starting with %(code)s · %(head)s."),
    "task_assigned": _l("New task for you: %(title)s (household %(code)s), due %(due)s."),
    "task_due_soon": _l("Due within 3 days: %(title)s, due %(due)s."),
    "task_overdue": _l("Overdue: %(title)s was due %(due)s."),
    "status_changed": _l("Household %(code)s: “%(title)s” moved from %(old)s to %(new)s."),
    "user_deactivated": _l("%(name)s (%(username)s) was deactivated: %(n)s household(s) need a new officer."),
    "report_generated": _l("Report ready to review: %(report)s, %(period)s, %(unit)s (version %(version)s)."),
    "report_failed": _l(
        "A report could not be generated: %(report)s, %(period)s, %(unit)s. Open it to retry."
    ),
    "report_submitted": _l("Submitted for your decision: %(report)s, %(period)s, %(unit)s."),
    "report_approved": _l("Approved: %(report)s, %(period)s, %(unit)s."),
    "report_returned": _l("Returned for changes: %(report)s, %(period)s, %(unit)s."),
    "report_reopened": _l("Reopened (%(reason)s): %(report)s, %(period)s, %(unit)s."),
    "report_due_soon": _l("Due in %(days)s day(s), on %(deadline)s: %(report)s, %(period)s, %(unit)s."),
    "report_overdue": _l("Overdue since %(deadline)s: %(report)s, %(period)s, %(unit)s."),
}
REPORT_STATUSES = {
    "scheduled": _l("Scheduled"),
    "generating": _l("Generating"),
    "failed": _l("Generation failed"),
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned"),
    "approved": _l("Approved"),
}
#: where a report stands for the compliance view (reports.Timeliness)
TIMELINESS = {
    "approved": _l("Approved"),
    "returned": _l("Returned"),
    "on_time": _l("On time"),
    "late": _l("Late"),
    "missing": _l("Missing"),
    "pending": _l("Not due yet"),
}
FREQUENCIES = {
    "monthly": _l("Monthly"),
    "quarterly": _l("Quarterly"),
    "semiannual": _l("Every 6 months"),
    "annual": _l("Annual"),
}
OUTCOME_KINDS = {
    "amount": _l("Amount in đồng and fund source"),
    "job": _l("Job found (employer)"),
    "card": _l("Card number issued"),
    "text": _l("Written result only"),
}
FOLLOWED = {
    "assigned": _l("Assigned"),
    "unassigned": _l("Unassigned"),
    "orphaned": _l("Orphaned (handover due)"),
}
MEMBER_GAPS = {
    "no_health_card": _l("A member has no health-insurance card"),
    "dropped_out": _l("A member dropped out of school"),
}
KINDS = {"preliminary": _l("Preliminary"), "official": _l("Official")}
ROUND_TYPES = {"periodic": _l("Periodic review"), "regular": _l("Regular (monthly) review")}
ROUND_STAGES = {
    "open": _l("Recording"),
    "preliminary": _l("Preliminary results published"),
    "official": _l("Officially recognised"),
}
REQUEST_OUTCOMES = {"pending": _l("Pending"), "reviewed": _l("Reviewed"), "refused": _l("Refused in writing")}
TRANSITIONS = {
    "continuing_poor": _l("Still poor"),
    "continuing_near_poor": _l("Still near-poor"),
    "poor_to_near_poor": _l("Poor → near-poor"),
    "near_poor_to_poor": _l("Near-poor → poor"),
    "escaped_poverty": _l("Escaped poverty"),
    "escaped_near_poverty": _l("Escaped near-poverty"),
    "newly_poor": _l("Newly poor"),
    "fallen_back": _l("Fallen back into poverty"),
    "newly_near_poor": _l("Newly near-poor"),
}
RELATIONS = {
    "head": _l("Head of household"),
    "spouse": _l("Spouse"),
    "child": _l("Child"),
    "parent": _l("Parent"),
    "grandchild": _l("Grandchild"),
    "sibling": _l("Sibling"),
    "other": _l("Other"),
}
SEXES = {"male": _l("Male"), "female": _l("Female")}
SCHOOLING = {
    "not_yet": _l("Not yet at school"),
    "in_school": _l("At school"),
    "dropped_out": _l("Dropped out"),
    "finished": _l("Finished school"),
}
UNIT_KINDS = {
    "province": _l("Province"),
    "district": _l("District"),
    "town": _l("Town"),
    "commune": _l("Commune"),
    "ward": _l("Ward"),
    "village": _l("Village"),
}
ORGANISATION_KINDS = {
    "state_department": _l("State department"),
    "peoples_committee": _l("People's Committee"),
    "mass_organisation": _l("Mass organisation"),
    "bank": _l("Bank"),
    "school": _l("School"),
    "health_station": _l("Health station"),
    "other": _l("Other"),
}
MESSAGES = {
    "village_out_of_scope": _l("Choose a village inside your area."),
    "task_type_code_taken": _l("Another task type already has this code."),
    "unknown_indicator": _l("Choose indicators from the list."),
    "unknown_cause": _l("Choose causes from the list."),
    "village_not_current": _l("This village no longer exists; choose a current one."),
    "code_taken": _l("Another household already has this code."),
    "citizen_id_format": _l("A citizen ID has exactly 12 digits."),
    "citizen_id_taken": _l("This citizen ID already belongs to another person."),
    "birth_year_range": _l("Enter a birth year between 120 years ago and this year."),
    "second_head": _l("This household already has a head; choose another relation."),
    "unit_out_of_scope": _l("Choose a unit inside your area."),
    "organisation_out_of_scope": _l("Choose an organisation inside your area."),
    "username_taken": _l("This username is already taken."),
    "own_admin_role": _l("You cannot remove your own administrator role."),
    "own_account": _l("You cannot deactivate your own account."),
    "parent_cycle": _l("A unit cannot be placed under itself or one of its own units."),
    "successor_self": _l("A unit cannot be its own successor."),
    "dates_reversed": _l("The end date must not be before the start date."),
    "unit_code_taken": _l("Another unit already has this code from the same date."),
    "task_not_yours": _l("Only the officer or organisation responsible for this task can change it."),
    "transition_not_allowed": _l("This task cannot move to that status."),
    "reason_required": _l("Give the reason."),
    "outcome_required": _l("Record the outcome before marking the task done."),
    "amount_positive": _l("Enter an amount in đồng greater than zero."),
    "note_required": _l("Write the note."),
    "note_too_long": _l("A note has at most 4,000 characters."),
    "task_type_unknown": _l("Choose a task type from the list."),
    "officer_out_of_scope": _l("Choose an officer inside your area."),
    "member_not_in_household": _l("Choose a member of this household."),
    "assign_not_allowed": _l("Only staff and administrators assign responsibility."),
    "officer_not_for_household": _l("This officer works outside the area of some of these households."),
    "handover_reason_required": _l(
        "Some of these households are followed by someone else: give the reason for the handover."
    ),
    "no_household_selected": _l("Select at least one household."),
    "household_out_of_scope": _l("Some of the selected households are outside your area."),
    "evidence_empty": _l("Choose a file to attach."),
    "evidence_too_large": _l("A file can be at most 10 MB."),
    "evidence_type": _l("Only photos (JPEG, PNG) and PDF documents can be attached; this file is neither."),
    "report_changed": _l("This report changed since you opened it; check its current state."),
    "report_own_submission": _l("You submitted this report: another manager must approve or return it."),
    "report_action_not_allowed": _l("This action is not open to you on this report in its current state."),
    "report_commentary_required": _l("Say what was changed since the report was returned."),
    "report_comment_required": _l("Say what must change: a returned report needs a comment."),
    "report_generating": _l("This report is already being generated."),
    "commune_out_of_scope": _l("Choose a commune inside your area."),
    "no_standard": _l("No poverty standard covers this year."),
    "month_required": _l("Choose the month of the regular review."),
    "round_exists": _l("This review is already open for this commune."),
    "round_recognised": _l("The official results are recognised: this review can no longer change."),
    "household_not_in_round": _l("This household does not belong to the commune under review."),
    "income_negative": _l("Income cannot be negative."),
    "result_unknown": _l("Choose a result from the list."),
    "override_reason_required": _l(
        "A result other than the computed one needs a written reason (at least 10 characters)."
    ),
    "checklist_no_entries": _l("No household has been recorded yet."),
    "checklist_households": _l(
        "The periodic review records every household of the commune: some are not recorded yet."
    ),
    "checklist_meetings": _l(
        "Every village needs its meeting, with at least half of those present agreeing"
        " and two signed minutes."
    ),
    "checklist_posting": _l("The public posting of the results (from, to) is not recorded."),
    "checklist_requests": _l("Some written requests (Mẫu số 01) are not processed."),
    "checklist_incomplete": _l("The procedure checklist is not complete."),
    "attendees_positive": _l("Enter how many people attended (at least 1)."),
    "agreeing_range": _l("Those agreeing cannot outnumber those present."),
    "date_outside_round": _l("This date lies outside the review's period."),
    "date_in_future": _l("This date is in the future."),
    "posting_before_meetings": _l(
        "The results are posted after the village meetings: this is before the last one."
    ),
    "outcome_unknown": _l("Choose an outcome from the list."),
    "request_not_reviewed": _l("Record this household's figures in the review first."),
    "recognise_not_allowed": _l("Only managers and administrators record the recognition decision."),
    "preliminary_first": _l("Publish the preliminary results first."),
    "decision_number_required": _l("Enter the decision's number."),
    "decision_before_posting": _l("The decision cannot come before the end of the public posting."),
    "household_code_unknown": _l("No household of this commune has this code."),
    "import_read_interrupted": _l(
        "The check stopped before the end (its worker was lost). Upload the file again."
    ),
    "import_write_interrupted": _l(
        "The writing stopped before the end (its worker was lost); nothing was written. Confirm again."
    ),
}


#: the names of audited fields, as the history tables show them
AUDIT_FIELDS = {
    "code": _l("Code"),
    "head_name": _l("Head of household"),
    "ethnicity": _l("Ethnicity"),
    "unit_id": _l("Unit"),
    "address": _l("Address"),
    "area": _l("Area"),
    "phone": _l("Phone"),
    "notes": _l("Notes"),
    "causes": _l("Causes of poverty"),
    "needs": _l("Support needs"),
    "full_name": _l("Full name"),
    "relation": _l("Relation to the head"),
    "sex": _l("Sex"),
    "birth_year": _l("Birth year"),
    "citizen_id": _l("Citizen ID"),
    "occupation": _l("Occupation"),
    "health_insurance_card": _l("Health-insurance card"),
    "schooling": _l("Schooling"),
    "has_disability": _l("Disability"),
    "title": _l("Task"),
    "task_type_id": _l("Task type"),
    "member_id": _l("Member"),
    "organisation_id": _l("Organisation"),
    "officer_id": _l("Officer"),
    "start_date": _l("Start date"),
    "due_date": _l("Due date"),
    "status": _l("Status"),
    "status_reason": _l("Reason"),
    "done_on": _l("Done on"),
    "handover_reason": _l("Reason for the handover"),
    "task_id": _l("Task"),
    "filename": _l("File"),
    "sha256": _l("Checksum (SHA-256)"),
    "username": _l("Username"),
    "email": _l("E-mail"),
    "role": _l("Role"),
    "scope_unit_id": _l("Area (scope)"),
    "locale": _l("Language"),
    "active": _l("Active"),
    "name": _l("Name"),
    "kind": _l("Kind"),
    "parent_id": _l("Belongs to"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid until"),
    "successor_id": _l("Merged into (successor)"),
    "note": _l("Note"),
    "name_vi": _l("Name (Vietnamese)"),
    "name_en": _l("Name (English)"),
    "indicator_codes": _l("Deprivation indicators it addresses"),
    "programme_project": _l("Programme project"),
    "default_duration_days": _l("Default duration (days)"),
    "outcome_kind": _l("Outcome recorded when done"),
    "sort_order": _l("Position in lists"),
    "outcome_amount": _l("Amount (đồng)"),
    "outcome_fund_source": _l("Fund source"),
    "outcome_employer": _l("Employer"),
    "outcome_card_number": _l("Card number"),
    "outcome_text": _l("Result"),
    "commentary": _l("Commentary"),
    "decision_comment": _l("Comment"),
    "version": _l("Version"),
    "job": _l("Job"),
    "content": _l("Content"),
    "legal_basis": _l("Legal basis"),
    "sent_by": _l("How it is sent"),
    "procedure": _l("Procedure"),
    "recipients": _l("Recipients"),
    "sections": _l("Outline"),
    "cutoff_month": _l("Fixed cut-off: month"),
    "cutoff_day": _l("Fixed cut-off: day"),
    "deadline_commune": _l("Deadline of communes"),
    "deadline_district": _l("Deadline of districts"),
    "deadline_province": _l("Deadline of provinces"),
    "day": _l("Date"),
}


def choices(mapping: dict) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in mapping.items()]


class TranslatedLabels:
    """``app.labels`` for one locale, each table translated once: a list of 25 rows would
    otherwise pay a gettext lookup for every badge and cell."""

    def __getattr__(self, name: str) -> dict[str, str]:
        if not name.isupper():
            raise AttributeError(name)
        table = {code: str(text) for code, text in globals()[name].items()}
        setattr(self, name, table)  # later reads are plain attribute hits
        return table


_labels_by_locale: dict[str, TranslatedLabels] = {}


def translated() -> TranslatedLabels:
    """The labels in the current locale (the catalogues do not change while the app runs)."""
    locale = str(get_locale())
    if locale not in _labels_by_locale:
        _labels_by_locale[locale] = TranslatedLabels()
    return _labels_by_locale[locale]


def status_text(status: str, status_year: int | None) -> str:
    """A household's status as shown: one that no review has classified yet has only the
    default status, and reads "not reviewed yet"."""
    return translated().STATUSES[status] if status_year is not None else _("Not reviewed yet")


ROMAN_QUARTERS = ("I", "II", "III", "IV")


def period_label(key: str) -> str:
    """A report period as people write it: "2020-03" → "Tháng 3/2020", "2020-Q1" → "Quý I/2020",
    "2020-H1" → "6 tháng đầu năm 2020", "2020" → "Năm 2020"; a key of no known form as it is."""
    year, _dash, part = key.partition("-")
    if not year.isdigit():
        return key
    if not part:
        return _("Year %(year)s", year=year)
    if part.isdigit():
        return _("Month %(month)s/%(year)s", month=int(part), year=year)
    if part in ("Q1", "Q2", "Q3", "Q4"):
        return _("Quarter %(quarter)s/%(year)s", quarter=ROMAN_QUARTERS[int(part[1]) - 1], year=year)
    if part == "H1":
        return _("First half of %(year)s", year=year)
    if part == "H2":
        return _("Second half of %(year)s", year=year)
    return key


def notification_text(notification) -> str:
    """A notification in the reader's language: dates as dd/mm/yyyy, statuses by their label."""
    params = dict(notification.params or {})
    for key in ("due", "deadline"):
        if key in params:
            params[key] = format_date(date.fromisoformat(params[key]), "dd/MM/yyyy")
    for key in ("old", "new"):
        if key in params:
            params[key] = translated().TASK_STATUSES.get(params[key], params[key])
    if "period" in params:  # mid-sentence: "… hằng tháng, tháng 3/2020, Xã Cẩm Giàng."
        label = period_label(params["period"])
        params["period"] = label[:1].lower() + label[1:]
    template = NOTIFICATIONS.get(notification.kind)
    return str(template) % params if template is not None else notification.kind
