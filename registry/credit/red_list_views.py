"""The page /red-list: the public red list (守信激励), the same list as GET /api/v1/red-list under the same look-up
rate limit, beside the public search of published listings (/listings)."""
from __future__ import annotations

from flask import render_template, request
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional, ValidationError

from .. import clock
from ..accounts.forms import strip
from ..accounts.models import SECTORS
from ..companies import districts
from ..errors import Msg
from ..ratelimits import lookup_limit
from ..sanctions.forms import PAGE_MAX
from ..workers.forms import Choice
from . import red_list
from .commendations_views import bp

PAGE_SIZE = 20
CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
FILTERS = ("sector", "district")


class RedListForm(FlaskForm):
    """The red list's filter (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    sector = SelectField(choices=["", *SECTORS], default="", validate_choice=False,
                         validators=[Optional(), Choice(SECTORS, "Choose a sector from the list.",
                                                        "请从列表中选择行业。")])
    district = SelectField(choices=["", *districts.CODES], default="", validate_choice=False,
                           validators=[Optional(), Choice(districts.CODES, "Choose a district from the list.",
                                                          "请从列表中选择区县。")])
    page = StringField(default="1", filters=[strip])

    def validate_page(self, field):
        text = field.data or "1"
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= PAGE_MAX):
            raise ValidationError(Msg(f"Give a page number from 1 to {PAGE_MAX}.", f"请填写 1 至 {PAGE_MAX} 的页码。"))

    def page_number(self) -> int:
        return int(self.page.data or "1") if not self.page.errors else 1


@bp.get("/red-list")
@lookup_limit
def red_list_page():
    form = RedListForm(formdata=request.args)
    status, error, found = 200, None, None
    if not form.validate():
        status, error = 422, CORRECT_FIELDS
    else:
        found = red_list.red_list(red_list.Filters(**{name: form[name].data or None for name in FILTERS}),
                                  today=clock.today(), page=form.page_number(), page_size=PAGE_SIZE)
    args = {name: (form[name].raw_data[0] if form[name].raw_data else "") for name in FILTERS}
    page = form.page_number()
    more = found is not None and found.total > page * PAGE_SIZE
    return render_template("web/credit/red_list.html", form=form, found=found, page=page, more=more, args=args,
                           page_size=PAGE_SIZE, districts=districts.DISTRICTS, error=error, extra=[]), status
