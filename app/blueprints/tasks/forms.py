"""Task list filters, the inline status change and progress notes."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app import labels
from app.extensions import db
from app.models import TaskType
from app.services import tasks


def task_type_choices(blank: str) -> list[tuple]:
    """The active task types, after a blank choice."""
    types = db.session.scalars(select(TaskType).where(TaskType.active).order_by(TaskType.sort_order))
    return [("", blank)] + [(t.id, t.name_vi) for t in types]


def fill_responsibility_choices(form, user, organisation_blank: str) -> None:
    """The organisations and officers of the user's area, for a form's ``organisation_id`` and
    ``officer_id`` (a task, a bulk task, an assignment)."""
    organisations, officers = tasks.assignable(user)
    form.organisation_id.choices = [("", organisation_blank)] + [(o.id, o.name) for o in organisations]
    form.officer_id.choices = [("", "—")] + [(u.id, f"{u.full_name} ({u.username})") for u in officers]


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class TaskFilterForm(FlaskForm):
    """The filters of a task list; read from the query string."""

    class Meta:
        csrf = False

    unit = SelectField(
        _l("Commune / village"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    type = SelectField(_l("Support"), coerce=_optional_int, validators=[Optional()], validate_choice=False)
    officer = SelectField(_l("Officer"), coerce=_optional_int, validators=[Optional()], validate_choice=False)
    status = SelectField(_l("Status"), validators=[Optional()])
    due = SelectField(_l("Deadline"), validators=[Optional()])
    group = SelectField(_l("Group by"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        text = labels.translated()
        self.status.choices = [("", _l("All"))] + list(text.TASK_STATUSES.items())
        self.due.choices = [("", _l("Any")), ("overdue", _l("Overdue")), ("soon", _l("Due within 7 days"))]
        self.group.choices = [
            ("", _l("No grouping")),
            ("household", _l("Household")),
            ("due", _l("Deadline")),
        ]
        self.sort.choices = [
            ("due", _l("Deadline, soonest first")),
            ("-due", _l("Deadline, latest first")),
            ("household", _l("Household code")),
            ("status", _l("Status")),
        ]


class StatusForm(FlaskForm):
    """A status change, from the version the user saw, with what the new status requires."""

    status = SelectField(_l("Status"), validators=[DataRequired()], validate_choice=False)
    version = HiddenField(validators=[DataRequired()])
    counters = HiddenField()  # which counters the page shows: "mine" or "all"
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
    outcome_amount = IntegerField(
        _l("Amount (đồng)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=10**12, message=_l("Enter an amount in đồng greater than zero.")),
        ],
    )
    outcome_fund_source = StringField(_l("Fund source"), validators=[Optional(), Length(max=200)])
    outcome_employer = StringField(_l("Employer"), validators=[Optional(), Length(max=200)])
    outcome_card_number = StringField(_l("Card number"), validators=[Optional(), Length(max=32)])
    outcome_text = TextAreaField(_l("Result"), validators=[Optional(), Length(max=2000)])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=4000)])


class TaskForm(FlaskForm):
    """A new support task for one household."""

    task_type_id = SelectField(
        _l("Support"), coerce=_optional_int, validators=[DataRequired()], validate_choice=False
    )
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    member_id = SelectField(
        _l("For member"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    organisation_id = SelectField(
        _l("Responsible organisation"),
        coerce=_optional_int,
        validators=[DataRequired()],
        validate_choice=False,
    )
    officer_id = SelectField(
        _l("Officer"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    start_date = DateField(_l("Start date"), validators=[Optional()])
    due_date = DateField(_l("Due date"), validators=[Optional()])


class BulkTaskForm(FlaskForm):
    """One task for each selected household."""

    task_type_id = SelectField(
        _l("Support"), coerce=_optional_int, validators=[DataRequired()], validate_choice=False
    )
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    follow_assignment = BooleanField(_l("Give each task to whoever follows its household"), default=True)
    organisation_id = SelectField(
        _l("Responsible organisation"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    officer_id = SelectField(
        _l("Officer"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    start_date = DateField(_l("Start date"), validators=[Optional()])
    due_date = DateField(_l("Due date"), validators=[Optional()])
