"""Household, member and filter forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app import labels
from app.forms import MultiCheckboxField
from app.models.households import ETHNICITIES
from app.services import clock

PHONE = Regexp(r"^0[0-9]{9,10}$", message=_l("A phone number has 10 or 11 digits and starts with 0."))
CITIZEN_ID = Regexp(r"^[0-9]{12}$", message=_l("A citizen ID has exactly 12 digits."))


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class HouseholdFilterForm(FlaskForm):
    """The search and filters of the household list; read from the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    unit = SelectField(
        _l("Commune / village"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    status = SelectField(_l("Status"), validators=[Optional()])
    cause = SelectField(
        _l("Cause of poverty"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    criterion = SelectField(_l("Criterion"), validators=[Optional()])
    area = SelectField(_l("Area"), validators=[Optional()])
    followed = SelectField(
        _l("Followed"), choices=[("", _l("All"))] + list(labels.FOLLOWED.items()), validators=[Optional()]
    )
    gap = SelectField(
        _l("Member needs"),
        choices=[("", _l("All"))] + list(labels.MEMBER_GAPS.items()),
        validators=[Optional()],
    )
    sort = SelectField(_l("Sort by"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        anything = [("", _l("All"))]
        translated = labels.translated()
        self.status.choices = anything + list(translated.STATUSES.items())
        self.criterion.choices = anything + list(translated.CRITERIA.items())
        self.area.choices = anything + list(translated.AREAS.items())
        self.sort.choices = [
            ("", _l("Best match")),
            ("code", _l("Household code")),
            ("-code", _l("Household code, descending")),
            ("name", _l("Head of household, A–Z")),
            ("-name", _l("Head of household, Z–A")),
            ("status", _l("Status")),
        ]


class HouseholdForm(FlaskForm):
    version = HiddenField()
    code = StringField(
        _l("Household code"),
        validators=[
            Optional(),
            Length(max=32),
            Regexp(r"^[\w.\-/]+$", message=_l("Use letters, digits, - . / only.")),
        ],
    )
    head_name = StringField(_l("Head of household"), validators=[DataRequired(), Length(min=2, max=120)])
    head_sex = SelectField(_l("Sex of the head"), choices=list(labels.SEXES.items()))
    head_birth_year = IntegerField(_l("Birth year of the head"), validators=[Optional()])
    ethnicity = SelectField(_l("Ethnicity"), choices=[(e, e) for e in ETHNICITIES])
    unit_id = SelectField(_l("Village"), coerce=int, validators=[DataRequired()])
    address = StringField(_l("Exact address"), validators=[DataRequired(), Length(max=255)])
    area = SelectField(_l("Area"), choices=list(labels.AREAS.items()))
    phone = StringField(_l("Phone"), validators=[Optional(), PHONE])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    cause_ids = MultiCheckboxField(_l("Causes of poverty"), coerce=int)
    need_ids = MultiCheckboxField(_l("Support needs"), coerce=int)

    def validate_head_birth_year(self, field):
        if field.data is not None and not (clock.today().year - 120 <= field.data <= clock.today().year - 15):
            raise ValidationError(_l("The head of household must be between 15 and 120 years old."))


class MemberForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(min=2, max=120)])
    relation = SelectField(_l("Relation to head"), choices=list(labels.RELATIONS.items()), default="child")
    sex = SelectField(_l("Sex"), choices=list(labels.SEXES.items()))
    birth_year = IntegerField(_l("Birth year"), validators=[DataRequired(message=_l("Enter a birth year."))])
    ethnicity = SelectField(_l("Ethnicity"), choices=[(e, e) for e in ETHNICITIES])
    citizen_id = StringField(_l("Citizen ID"), validators=[Optional(), CITIZEN_ID])
    occupation = StringField(_l("Occupation"), validators=[Optional(), Length(max=120)])
    health_insurance_card = StringField(
        _l("Health-insurance card"),
        validators=[
            Optional(),
            Regexp(r"^[A-Z]{2}\d{13}$", message=_l("A card number is 2 capital letters and 13 digits.")),
        ],
    )
    schooling = SelectField(_l("Schooling"), choices=[("", "—")] + list(labels.SCHOOLING.items()))
    has_disability = BooleanField(_l("Disability"))

    def validate_birth_year(self, field):
        this_year = clock.today().year
        if field.data is not None and not (this_year - 120 <= field.data <= this_year):
            raise ValidationError(
                _l("Enter a birth year between %(low)s and %(high)s.", low=this_year - 120, high=this_year)
            )


class AssignForm(FlaskForm):
    """Who follows the selected households from now on."""

    organisation_id = SelectField(
        _l("Organisation"), coerce=_optional_int, validators=[DataRequired()], validate_choice=False
    )
    officer_id = SelectField(
        _l("Officer"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    reason = StringField(_l("Reason for the handover"), validators=[Optional(), Length(max=255)])
