"""Forms of a review round: opening it, a household's figures, the checklist, recognition."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app import labels
from app.forms import MultiCheckboxField
from app.models.reviews import RequestOutcome, ReviewResult
from app.services.text import MAX_INCOME, parse_amount


class MoneyField(StringField):
    """A whole sum in đồng as people type it: "700.000", "700,000", "700 000 đ" or "700000"."""

    amount: int | None = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.amount = parse_amount(self.data or "")

    def pre_validate(self, form):
        if (self.data or "").strip() and self.amount is None:
            raise ValidationError(_l("Enter a sum in đồng, for example 700.000."))
        if self.amount is not None and not 0 <= self.amount <= MAX_INCOME:
            raise ValidationError(_l("Enter an income between 0 and 1.000.000.000 đồng."))


class OpenRoundForm(FlaskForm):
    unit = SelectField(_l("Commune"), coerce=int, validators=[DataRequired()])
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2016, max=2100)])
    round_type = SelectField(_l("Kind of review"), validators=[DataRequired()])
    month = SelectField(_l("Month (regular review)"), coerce=int, validators=[Optional()])

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.unit.choices = [(u.id, u.name) for u in communes]
        self.round_type.choices = labels.choices(labels.ROUND_TYPES)
        self.month.choices = [(0, "—")] + [(m, str(m)) for m in range(1, 13)]


class EntryForm(FlaskForm):
    income = MoneyField(_l("Income per person per month (đồng)"), validators=[DataRequired(), Length(max=20)])
    deprivations = MultiCheckboxField(_l("Deprived in"), coerce=int)
    result = SelectField(_l("Result to record"), validators=[Optional()])
    reason = TextAreaField(
        _l("Reason for a result other than the computed one"), validators=[Optional(), Length(max=500)]
    )

    def __init__(self, *args, standard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.deprivations.choices = [(i.id, i.name) for i in standard.indicators] if standard else []
        results = [
            r for r in ReviewResult if r != ReviewResult.AVERAGE or (standard and standard.average_line_rural)
        ]
        self.result.choices = [("", _l("As computed"))] + [(r.value, labels.RESULTS[r]) for r in results]


class MeetingForm(FlaskForm):
    village = HiddenField(validators=[DataRequired()])
    held_on = DateField(_l("Held on"), validators=[DataRequired()])
    attendees = IntegerField(_l("Attendees"), validators=[DataRequired(), NumberRange(min=1, max=100000)])
    agreeing = IntegerField(_l("Agreeing"), validators=[NumberRange(min=0, max=100000)])


class MinutesForm(FlaskForm):
    file = FileField(_l("Signed minutes (PDF, JPEG or PNG)"), validators=[FileRequired()])


class PostingForm(FlaskForm):
    posting_from = DateField(_l("Posted from"), validators=[DataRequired()])
    posting_to = DateField(_l("Posted until"), validators=[DataRequired()])


class RequestForm(FlaskForm):
    household = StringField(_l("Household code"), validators=[DataRequired(), Length(max=32)])
    received_on = DateField(_l("Received on"), validators=[DataRequired()])


class ProcessRequestForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), validators=[DataRequired()])
    processed_on = DateField(_l("Processed on"), validators=[DataRequired()])
    note = StringField(_l("Note (the reason, when refused)"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [
            (o.value, labels.REQUEST_OUTCOMES[o]) for o in (RequestOutcome.REVIEWED, RequestOutcome.REFUSED)
        ]


class RecogniseForm(FlaskForm):
    decision_number = StringField(_l("Decision number"), validators=[DataRequired(), Length(max=64)])
    decision_date = DateField(_l("Decision date"), validators=[DataRequired()])
