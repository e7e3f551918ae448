"""The upload of a workbook, and the page of a list (history, problems) read from the query string."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from app.services import xlsx_guard

XLSX_TYPES = ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(FlaskForm):
    """The workbook; its content is checked by ``xlsx_guard`` in the service, whatever its name."""

    file = FileField(
        _l("Excel workbook (.xlsx)"),
        validators=[FileRequired(message=_l(xlsx_guard.MESSAGES["empty"]))],
        description=_l("At most 10 MB, filled in from the template."),
    )


class PageForm(FlaskForm):
    class Meta:
        csrf = False

    page = IntegerField(validators=[Optional(), NumberRange(min=1)])

    def number(self) -> int:
        """The page asked for; 1 when none or not a page number."""
        return self.page.data if self.validate() and self.page.data else 1
