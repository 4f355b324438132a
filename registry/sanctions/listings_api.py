"""/api/v1/listings: the public search of the sanctions published today, and the batch check of USCCs and card
numbers for companies and regulators (issue #12, part 8)."""
from __future__ import annotations

import json
from datetime import date

from flask import Response
from flask.views import MethodView

from schemas.common import PAGINATION_HEADER_DOC, pagination_header
from schemas.listings import ListingCheckArgs, ListingCheckSchema, ListingSchema, ListingSearchArgs

from ..accounts.auth import require
from ..accounts.roles import COMPANY_ROLES, REGULATOR_ROLES
from ..api_util import ERRORS, api_blueprint
from ..clock import today
from ..keys import keyring
from ..ratelimits import lookup_limit
from . import search

blp = api_blueprint("listings", __name__, "The public search of published sanctions and listings; the batch check.")

LISTINGS_PAGINATION_DOC = {
    **PAGINATION_HEADER_DOC,
    "description": PAGINATION_HEADER_DOC["description"] + (
        " The matches are not all counted: `more` is true while there are results past this page, and then "
        "`total` and `total_pages` are lower bounds (this page and one result more), `last_page` is absent and "
        "`next_page` is given. On the last page `more` is false and `total` is exact."),
}


# One instance for every request (webargs builds a schema from a class on each call: a hot public path).
SEARCH_ARGS = ListingSearchArgs()


def search_header(page: int, page_size: int, found: search.Page) -> str:
    """X-Pagination as for /log/checkpoints, with `more`: results past this page (the total a lower bound)."""
    meta = json.loads(pagination_header(page, page_size, found.total))
    meta["more"] = found.more
    if found.more:
        meta.pop("last_page", None)
        if found.rows:
            meta["next_page"] = page + 1
    return json.dumps(meta)


def filters_of(args: dict) -> search.Filters:
    return search.Filters(**{k: args.get(k) for k in (
        "q", "sector", "district", "kind", "severity", "decided_from", "decided_to")})


@blp.route("/listings")
class Listings(MethodView):
    @lookup_limit
    @blp.arguments(SEARCH_ARGS, location="query")
    @blp.response(200, ListingSchema(many=True), headers={"X-Pagination": LISTINGS_PAGINATION_DOC})
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def get(self, args):
        """The sanctions published today, newest decision first (public; paginated, X-Pagination header).

        `q` is a card number, a USCC, or else a fragment of a company's name or a person's exact full name;
        persons are always masked. Only sanctions public today are ever answered: published, and today within
        their publication window.
        """
        page, page_size = args["page"], args["page_size"]
        views, found = search.listings(keyring(), filters_of(args), today=today(), page=page, page_size=page_size)
        # Written as ListingSchema would (dates as ISO text), without its per-field walk: a hot public path.
        body = json.dumps(views, ensure_ascii=False, separators=(",", ":"), default=date.isoformat)
        return Response(body, mimetype="application/json",
                        headers={"X-Pagination": search_header(page, page_size, found)})


@blp.route("/listings/check")
class ListingsCheck(MethodView):
    @require(*COMPANY_ROLES, *REGULATOR_ROLES)
    @blp.arguments(ListingCheckArgs)
    @blp.response(200, ListingCheckSchema)
    @blp.alt_response(401, schema=ERRORS)
    @blp.alt_response(403, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args):
        """The standing of up to 1,000 USCCs or card numbers at once (companies and regulators).

        Each item is answered in order: what it is (`kind`), whether it is registered (`found`), whether a
        serious-dishonesty listing binds it today (`listed`), a worker's card colour, and its sanctions published
        today (persons masked). An item that is neither a USCC nor a card number, or a card number with a wrong
        check character, gets its own `error`; the others are still answered. More than 1,000 items is a 422.
        """
        day = today()
        return {"as_of": day, "results": search.check(args["items"], today=day)}
