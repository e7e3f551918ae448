"""Administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, NumberRange, Optional, Regexp

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
