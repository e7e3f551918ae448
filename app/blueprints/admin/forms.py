"""Administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from app import labels


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


class UnitForm(FlaskForm):
    code = StringField(_l("Official code"), validators=[DataRequired(), Length(max=16)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=list(labels.UNIT_KINDS.items()))
    parent_id = SelectField(_l("Belongs to"), coerce=optional_int, validators=[DataRequired()])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid until"), validators=[Optional()])
    successor_id = SelectField(_l("Merged into (successor)"), coerce=optional_int, validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=255)])
