"""/api/v1: the card keys, issuing and printing cards, bulk print runs, the worker's photo upload."""
from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView

from schemas.cards import (
    CardFormatArgs,
    CardIssuedSchema,
    CardKeysSchema,
    CardPrintArgs,
    CardPrintQueuedSchema,
    PhotoArgs,
)
from schemas.common import ChangeSchema

from ..accounts.auth import bearer_account, require
from ..accounts.roles import COMPANY_ROLES
from ..api_util import ERRORS, api_blueprint, commit
from ..clock import today
from ..companies import services as companies
from ..errors import not_found
from ..keys import keyring
from ..workers import photos
from ..workers import services as workers
from . import print_runs, qr, render, services

blp = api_blueprint("cards", __name__, "Home-service cards: the signing keys, issuing and printing, the worker's "
                                      "photo.")

# The API's HTML card is a standalone document with its own <style>: allow exactly that, and no script.
STANDALONE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                  "form-action 'none'; frame-ancestors 'none'")


def _employer(card_no: str):
    """The caller, its company and the worker, who must be on the company's staff today (else 404)."""
    account = bearer_account()
    company, worker = workers.employed_by(account, card_no)
    return account, company, worker


def _member_company(uscc: str):
    account = bearer_account()
    return account, companies.member_company(account, uscc)


def pdf_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def html_response(html: str) -> Response:
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = STANDALONE_CSP
    return resp


@blp.route("/cards/keys")
class CardKeys(MethodView):
    @blp.response(200, CardKeysSchema)
    def get(self):
        """The card-signing public keys, current first; retired keys stay listed while cards they signed exist.

        A card's QR carries `q={serial}.{valid_until}.{key_id}.{sig}`; `sig` is the Ed25519 signature, by the key
        `key_id` names, of the ASCII bytes `jx1:{card_no}:{serial}:{valid_until}` (see the README for checking a
        card offline). `official_origin` is the registry's address (`scheme://host[:port]`): a card URL on any
        other origin is not to be trusted, however good its signature.
        """
        return {"keys": services.keys_view(keyring()),
                "official_origin": qr.origin_of(current_app.config["PUBLIC_URL"])}


@blp.route("/workers/<card_no:card_no>/cards")
class IssueCard(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(201, CardIssuedSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(409, schema=ERRORS)
    def post(self, card_no):
        """Issue the worker's card, or reissue a lost one: same card number, next serial (current employers).

        Every earlier serial then reads "replaced" when scanned. A worker whose status is red gets no card (409).
        """
        account, company, worker = _employer(card_no)
        ring = keyring()
        issued = services.issue_card(ring, account=account, company=company, worker=worker, today=today())
        card = issued.card
        body = {"card_no": worker.card_no, "serial": card.serial, "issued_on": card.issued_on,
                "valid_until": card.valid_until, "log_index": issued.recorded.seq,
                "qr_url": services.qr_payload(ring, worker, card, current_app.config["PUBLIC_URL"])}
        commit()
        return body


@blp.route("/workers/<card_no:card_no>/card")
class LatestCard(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(CardFormatArgs, location="query")
    @blp.response(200, content_type="application/pdf")
    @blp.doc(responses={"200": {
        "description": "The card as a PDF (85.6 × 54 mm), or with format=html as a standalone HTML page.",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "text/html": {"schema": {"type": "string"}}}}})
    @blp.alt_response(404, schema=ERRORS)
    def get(self, args, card_no):
        """The worker's latest card, to print (current employers; 404 until a card is issued)."""
        _account, _company, worker = _employer(card_no)
        card = services.printable_card(worker, today())
        view = render.card_view(keyring(), worker, card, current_app.config["PUBLIC_URL"])
        if args["format"] == "html":
            return html_response(render.render_html([view]))
        return pdf_response(render.render_pdf([view]), f"card-{worker.card_no}-{card.serial}.pdf")


@blp.route("/companies/<uscc:uscc>/card-prints")
class CardPrints(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(CardPrintArgs)
    @blp.response(202, CardPrintQueuedSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def post(self, args, uscc):
        """Queue a print run: `card_nos` (your current staff) or `all_active: true`. Poll /tasks/{task_id}.

        The task issues a card (one log entry each) to every listed worker without an unexpired card from a
        current employer, skips red workers, then renders one PDF with a page per card. Card numbers that are not
        your current staff are refused up front, each named (`card_nos.<index>`), and nothing is queued.
        """
        account, company = _member_company(uscc)
        task = print_runs.start_print(account=account, company=company, card_nos=args.get("card_nos"),
                                      all_active=args.get("all_active", False))
        task_id = task.id
        commit()
        return {"task_id": task_id}


@blp.route("/companies/<uscc:uscc>/card-prints/<int:task_id>/pdf")
class CardPrintPdf(MethodView):
    @require(*COMPANY_ROLES)
    @blp.response(200, content_type="application/pdf")
    @blp.alt_response(404, schema=ERRORS)
    def get(self, uscc, task_id):
        """The print run's PDF, a page per card (members; 404 until the task is done)."""
        _account, company = _member_company(uscc)
        found = print_runs.print_file(company, task_id)
        if found is None:
            raise not_found("print run", "打印任务")
        return pdf_response(found.pdf, f"cards-{task_id}.pdf")


@blp.route("/workers/<card_no:card_no>/photo")
class Photo(MethodView):
    @require(*COMPANY_ROLES)
    @blp.arguments(PhotoArgs, location="multipart")
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, schema=ERRORS)
    @blp.alt_response(413, schema=ERRORS)
    @blp.alt_response(422, schema=ERRORS)
    def put(self, form, card_no):
        """Upload (or replace) the worker's photo, with the date of the worker's consent (current employers).

        The photo is stored encrypted and is shown only in the detailed view a resident opens with the worker's
        consent; no endpoint here returns it.
        """
        account, company, worker = _employer(card_no)
        upload = form.get("photo")
        data = upload.read(photos.MAX_BYTES + 1) if hasattr(upload, "read") else None
        recorded = photos.set_photo(keyring(), account=account, company=company, worker=worker, data=data,
                                    consent_on=form["consent_on"], today=today())
        commit()
        return {"log_index": recorded.seq}
