"""The page /red-list: the public red list (守信激励), the same list as GET /api/v1/red-list under the same look-up
rate limit, beside the public search of published listings (/listings)."""
from __future__ import annotations

from flask import render_template, request

from .. import clock
from ..companies import districts
from ..errors import Msg
from ..ratelimits import lookup_limit
from ..sanctions.forms import SectorDistrictFilterForm
from . import red_list
from .commendations_views import bp

PAGE_SIZE = 20
CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
FILTERS = ("sector", "district")


class RedListForm(SectorDistrictFilterForm):
    """The red list's filter (a GET form: no CSRF token): sector, district, page."""


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
