"""/api/v1/red-list: the public red list (守信激励) — the verified firms graded AAA and the commended, never a firm
a serious listing binds — beside the public search of published listings, under the same look-up rate limit."""
from __future__ import annotations

from flask.views import MethodView

from schemas.common import PAGINATION_HEADER_DOC, pagination_header
from schemas.red_list import RedListArgs, RedListRowSchema

from ..api_util import ERRORS, api_blueprint
from ..clock import today
from ..ratelimits import lookup_limit
from . import red_list

blp = api_blueprint("red_list", __name__, "The red list (守信激励): firms graded AAA and firms commended.")


@blp.route("/red-list")
class RedList(MethodView):
    @lookup_limit
    @blp.arguments(RedListArgs, location="query")
    @blp.response(200, RedListRowSchema(many=True), headers={"X-Pagination": PAGINATION_HEADER_DOC})
    @blp.alt_response(422, schema=ERRORS)
    @blp.alt_response(429, schema=ERRORS)
    def get(self, args):
        """The red list today: verified firms graded AAA or holding a commendation in force (public; paginated).

        A firm a serious-dishonesty listing binds today is never listed, whatever its grade. The order is stable:
        the highest score first, then by USCC; `total` in X-Pagination is exact.
        """
        page, page_size = args["page"], args["page_size"]
        found = red_list.red_list(red_list.Filters(sector=args["sector"], district=args["district"]),
                                  today=today(), page=page, page_size=page_size)
        return found.rows, 200, {"X-Pagination": pagination_header(page, page_size, found.total)}
