"""Report list filters and the workflow's forms (each carries the version the page showed)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class ReportFilterForm(FlaskForm):
    """The filters of the report list; read from the query string."""

    class Meta:
        csrf = False

    view = SelectField(_l("Show"), validators=[Optional()])
    definition = SelectField(
        _l("Report"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    unit = SelectField(_l("Unit"), coerce=_optional_int, validators=[Optional()], validate_choice=False)
    status = SelectField(_l("Status"), validators=[Optional()])
    period = SelectField(_l("Period"), validators=[Optional()], validate_choice=False)
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])


class VersionedForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])


class SubmitForm(VersionedForm):
    commentary = TextAreaField(
        _l("Commentary"),
        validators=[Optional(), Length(max=8000)],
        description=_l(
            "What the figures show, what was done, what is proposed (required when resubmitting)."
        ),
    )


class DecisionForm(VersionedForm):
    comment = TextAreaField(
        _l("Comment"),
        validators=[Optional(), Length(max=4000)],
        description=_l("Required when returning a report: say what must change."),
    )


class ReopenForm(VersionedForm):
    reason = TextAreaField(_l("Reason for reopening"), validators=[Optional(), Length(max=2000)])


class ComplianceForm(FlaskForm):
    class Meta:
        csrf = False

    definition = SelectField(
        _l("Report"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    year = SelectField(_l("Year"), coerce=_optional_int, validators=[Optional()], validate_choice=False)
