"""The page /listings: the public search of the sanctions published today (the same search as GET
/api/v1/listings, under the same look-up rate limit), on the sanctions pages' blueprint."""
from __future__ import annotations

from flask import render_template, request

from .. import clock
from ..companies import districts
from ..errors import ApiError, Msg
from ..keys import keyring
from ..ratelimits import lookup_limit
from ..web import apply_api_error
from . import search
from .forms import ListingSearchForm
from .views import bp

PAGE_SIZE = 20
CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")
FILTERS = ("q", "sector", "district", "kind", "severity", "decided_from", "decided_to")


@bp.get("/listings")
@lookup_limit
def listings():
    form = ListingSearchForm(formdata=request.args)
    status, error, extra, rows, found = 200, None, [], [], None
    if not form.validate():
        status, error = 422, CORRECT_FIELDS
    else:
        f = search.Filters(**{name: form[name].data or None for name in FILTERS})
        try:
            rows, found = search.listings(keyring(), f, today=clock.today(), page=form.page_number(),
                                          page_size=PAGE_SIZE)
        except ApiError as exc:
            error, extra = apply_api_error(form, exc)
            status = exc.status
    args = {name: (form[name].raw_data[0] if form[name].raw_data else "") for name in FILTERS}
    page = form.page_number()
    more = found is not None and (found.more or found.total > page * PAGE_SIZE)
    return render_template("web/sanctions/listings.html", form=form, rows=rows, found=found, page=page, more=more,
                           args=args, districts=districts.DISTRICTS, searched=found is not None,
                           error=error, extra=extra), status
