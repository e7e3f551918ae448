"""Administration forms."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app import labels
from app.forms import MultiCheckboxField
from app.services.audit_log import OBJECT_TYPES

EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class UserForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(min=3, max=64),
            Regexp(r"^[a-zA-Z0-9._-]+$", message=_l("Use letters, digits and . _ - only.")),
        ],
    )
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(min=2, max=120)])
    email = StringField(
        _l("E-mail"),
        filters=[lambda value: value.strip() if value else value],
        validators=[
            Optional(),
            Length(max=254),
            Regexp(EMAIL_RE, message=_l("Enter an e-mail address like ten@bachthong.gov.vn.")),
        ],
    )
    role = SelectField(_l("Role"), choices=list(labels.ROLES.items()))
    organisation_id = SelectField(_l("Organisation"), coerce=optional_int, validators=[Optional()])
    scope_unit_id = SelectField(_l("Area (scope)"), coerce=int, validators=[DataRequired()])
    locale = SelectField(_l("Language"), choices=[("vi", "Tiếng Việt"), ("en", "English")])


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=10, message=_l("At least 10 characters."))]
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[EqualTo("password", message=_l("The passwords differ."))]
    )


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(min=2, max=200)])
    kind = SelectField(_l("Kind"), choices=list(labels.ORGANISATION_KINDS.items()))
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    active = BooleanField(_l("Active"), default=True)


class TaskTypeForm(FlaskForm):
    """A kind of support in the task catalogue; the indicator and cause choices are set by the view."""

    code = StringField(
        _l("Type code"),
        filters=[lambda value: value.strip().upper() if value else value],
        validators=[
            DataRequired(),
            Length(min=2, max=32),
            Regexp(r"^[A-Z0-9_]+$", message=_l("Use capital letters, digits and _ only, e.g. HEALTH_CARD.")),
        ],
    )
    name_vi = StringField(_l("Name (Vietnamese)"), validators=[DataRequired(), Length(min=2, max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(min=2, max=200)])
    indicator_codes = MultiCheckboxField(_l("Deprivation indicators it addresses"))
    cause_ids = MultiCheckboxField(_l("Causes of poverty it addresses"), coerce=int)
    programme_project = StringField(_l("Programme project"), validators=[DataRequired(), Length(max=200)])
    default_duration_days = IntegerField(
        _l("Default duration (days)"),
        default=30,
        validators=[DataRequired(), NumberRange(min=1, max=730, message=_l("Between 1 and 730 days."))],
    )
    outcome_kind = SelectField(_l("Outcome recorded when done"), choices=list(labels.OUTCOME_KINDS.items()))
    sort_order = IntegerField(
        _l("Position in lists"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)]
    )
    active = BooleanField(_l("Offered for new tasks"), default=True)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.indicator_codes.data or self.cause_ids.data):
            message = _l("Choose at least one indicator or cause: suggestions are made from them.")
            self.indicator_codes.errors = [*self.indicator_codes.errors, message]
            return False
        return valid


class UnitForm(FlaskForm):
    code = StringField(_l("Official code"), validators=[DataRequired(), Length(max=16)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=list(labels.UNIT_KINDS.items()))
    parent_id = SelectField(_l("Belongs to"), coerce=optional_int, validators=[DataRequired()])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid until"), validators=[Optional()])
    successor_id = SelectField(_l("Merged into (successor)"), coerce=optional_int, validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=255)])


class AuditFilterForm(FlaskForm):
    """The filters of the audit log search; read from the query string. A field that does not
    validate is ignored, as if left empty."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=32)])
    object_type = StringField(_l("Record"), validators=[Optional(), AnyOf(OBJECT_TYPES)])
    actor = StringField(_l("User"), validators=[Optional(), Length(max=64)])
    since = DateField(_l("From (UTC)"), validators=[Optional()])
    until = DateField(_l("Until (UTC)"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def filters(self) -> dict:
        """The valid filters as keyword arguments of ``audit_log.search``."""
        self.validate()
        return {
            name: None if field.errors or field.data in ("", None) else field.data
            for name, field in self._fields.items()
            if name != "page"
        } | {"page": self.page.data if self.page.data and not self.page.errors else 1}


#: a year without 29 February: a fixed day of the year must exist in every year
_COMMON_YEAR = 2021
MAX_LINE = 200
MAX_LINES = 30


def check_day_of_year(month_field, day_field) -> bool:
    """Put an error on ``month_field`` unless month and day are both empty or both given and
    name a day that every year has (31 April and 29 February are refused). True if valid."""
    month, day = month_field.data, day_field.data
    if month is None and day is None:
        return True
    if month is None or day is None:
        message = _l("Give both the month and the day, or neither.")
    else:
        try:
            date(_COMMON_YEAR, month, day)
            return True
        except ValueError:
            message = _l("%(day)s/%(month)s is not a day that every year has.", day=day, month=month)
    month_field.errors = [*month_field.errors, message]
    return False


class LinesField(TextAreaField):
    """A textarea of one item per line, as a list; blank lines and surrounding spaces dropped."""

    def _value(self) -> str:
        return "\n".join(self.data or [])

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = [line.strip() for line in valuelist[0].splitlines() if line.strip()]


def _check_lines(field) -> None:
    if not field.data:
        raise ValidationError(_l("Write at least one line."))
    if len(field.data) > MAX_LINES:
        raise ValidationError(_l("At most %(n)s lines.", n=MAX_LINES))
    if any(len(line) > MAX_LINE for line in field.data):
        raise ValidationError(_l("A line has at most %(n)s characters.", n=MAX_LINE))


def month_field(label) -> IntegerField:
    """An optional month of the year (a fixed cut-off's or deadline's; ``check_day_of_year`` pairs it)."""
    return IntegerField(
        label, validators=[Optional(), NumberRange(min=1, max=12, message=_l("A month from 1 to 12."))]
    )


def day_field(label) -> IntegerField:
    """An optional day of the month, checked against its month by ``check_day_of_year``."""
    return IntegerField(
        label, validators=[Optional(), NumberRange(min=1, max=31, message=_l("A day from 1 to 31."))]
    )


class DeadlineRuleForm(Form):
    """One level's deadline: working days after the cut-off, or a fixed day of the year; exactly
    one of the two. A subform of ``ReportDefinitionForm`` (the CSRF token is the parent's)."""

    working_days = IntegerField(
        _l("Working days after the cut-off"),
        validators=[Optional(), NumberRange(min=1, max=60, message=_l("Between 1 and 60 working days."))],
    )
    fixed_month = month_field(_l("or a fixed date: month"))
    fixed_day = day_field(_l("day"))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        has_days = self.working_days.data is not None
        has_date = self.fixed_month.data is not None or self.fixed_day.data is not None
        if has_days and has_date:
            message = _l("Give either working days or a fixed date, not both.")
        elif not (has_days or has_date):
            message = _l("Give the working days after the cut-off, or a fixed date.")
        else:
            return check_day_of_year(self.fixed_month, self.fixed_day)
        self.working_days.errors = [*self.working_days.errors, message]
        return False


class ReportDefinitionForm(FlaskForm):
    """The elements of a report definition (NĐ 09/2019 Art. 7) an admin may change, and its
    rules: an optional fixed cut-off and one deadline rule per level, in the definition's order.
    Code, frequency, builder and levels are not fields: generation relies on them."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    content = TextAreaField(_l("Content"), validators=[Optional(), Length(max=2000)])
    legal_basis = StringField(_l("Legal basis"), validators=[Optional(), Length(max=200)])
    sent_by = StringField(_l("How it is sent"), validators=[Optional(), Length(max=200)])
    procedure = TextAreaField(
        _l("Procedure: who prepares, checks, signs and sends it"), validators=[Optional(), Length(max=2000)]
    )
    recipients = LinesField(_l("Recipients (one per line)"), default=list)
    sections = LinesField(_l("Outline: section titles (one per line)"), default=list)
    active = BooleanField(_l("Active: new reports are scheduled"), default=True)
    cutoff_month = month_field(_l("Fixed cut-off: month"))
    cutoff_day = day_field(_l("Fixed cut-off: day"))
    deadlines = FieldList(FormField(DeadlineRuleForm))

    def validate_recipients(self, field) -> None:
        _check_lines(field)

    def validate_sections(self, field) -> None:
        _check_lines(field)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.cutoff_month.errors or self.cutoff_day.errors:
            return False
        return check_day_of_year(self.cutoff_month, self.cutoff_day) and valid

    def rules_valid(self) -> bool:
        """Whether the cut-off and the deadline rules passed (after ``validate``): enough for a
        preview even when other fields did not."""
        return not (self.cutoff_month.errors or self.cutoff_day.errors or self.deadlines.errors)


class HolidayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Give the date."))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
