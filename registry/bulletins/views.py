"""The public face of the bulletins: the archive page (/bulletins), the verify page (/bulletins/verify), the files
and signed manifests to download (/bulletins/<ref>/<name>, /bulletins/<ref>/manifest) and the Atom feed
(/bulletins.atom). No sign-in, and never rate limited: a bulletin is published to be copied.

A published file's bytes never change (a correction is a new version, with new files), so downloads are cached
for a year as immutable, their ETag is their SHA-256, and Range requests are honoured (a PDF reader fetches pages,
a mirror resumes). Pages are on `bulletins_web`; the downloads and the feed are on `bulletins_files`, which is not a
page blueprint: they choose their own caching and are not held back for a password change.
"""
from __future__ import annotations

import hashlib
import io

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file, url_for

from .. import clock
from ..errors import Msg, error_body, respond
from ..extensions import limiter
from ..keys import keyring
from ..web import t
from . import archive, feed, follow
from . import services as bulletins
from .forms import VerifyForm
from .views_model import absolute, period_words, public_view

bp = Blueprint("bulletins_web", __name__)
files_bp = Blueprint("bulletins_files", __name__)
# Bulletins are for anyone to fetch, as often as they like (docs/log.md, "Proofs and endpoints").
limiter.exempt(bp)
limiter.exempt(files_bp)

IMMUTABLE = "public, max-age=31536000, immutable"
ONE_YEAR = 31536000
FEED_ENTRIES = 50
FEED_CACHE = "public, max-age=300"
# The largest file the verify page hashes (bulletin PDFs are a few MiB; open data of a big year, tens), and the
# body that carries it: the file, the multipart framing, the CSRF token and a pasted digest.
VERIFY_MAX_BYTES = 64 * 2**20
VERIFY_BODY_LIMIT = VERIFY_MAX_BYTES + 64 * 1024
CORRECT_FIELDS = Msg("Please correct the marked fields.", "请修改标出的内容。")


def too_large() -> Msg:
    mib = VERIFY_MAX_BYTES // 2**20
    return Msg(f"The file is larger than {mib} MiB: no bulletin file is that large. Check it offline with "
               "sha256sum and paste its SHA-256 instead.",
               f"文件超过 {mib} MiB，不会是公示公告文件。请在本地用 sha256sum 计算其 SHA-256 后粘贴。")


@bp.url_value_preprocessor
def _verify_body_limit(endpoint, _values):
    """Let the verify page take a file up to VERIFY_MAX_BYTES (MAX_CONTENT_LENGTH is smaller); set before the
    CSRF check reads the form."""
    if endpoint == "bulletins_web.verify_post":
        request.max_content_length = VERIFY_BODY_LIMIT


@bp.context_processor
def _words():
    def period_title(kind: str, key: str) -> str:
        return t(*period_words(kind, key))

    return {"period_title": period_title}


# --- the archive ------------------------------------------------------------------------------------------------


@bp.get("/bulletins")
def archive_page():
    """Every version of the year asked for (the latest year by default), latest made first, with their files."""
    known = archive.years()
    raw = request.args.get("year")
    if raw is None:
        year = known[0] if known else None
    elif raw.isascii() and raw.isdigit() and len(raw) == 4 and int(raw) in known:
        year = int(raw)
    else:
        abort(404)
    found = archive.of_year(year) if year is not None else []
    later = archive.successors([b for b in found if b.state == "withdrawn"])
    views = [public_view(b, later.get(b.id)) for b in found]
    return render_template("web/bulletins/archive.html", years=known, year=year, bulletins=views,
                           keys_url=url_for("bulletins.BulletinKeys"), feed_url=url_for("bulletins_files.atom"))


# --- the verify page --------------------------------------------------------------------------------------------


def _verify_page(form: VerifyForm, status: int = 200, **extra):
    return render_template("web/bulletins/verify.html", form=form, max_mib=VERIFY_MAX_BYTES // 2**20, **extra), status


@bp.get("/bulletins/verify")
def verify_page():
    return _verify_page(VerifyForm(formdata=None))


@bp.post("/bulletins/verify")
def verify_post():
    """Which published file an upload or a pasted SHA-256 is (every match: the same bytes may be in two versions),
    and whether its version is current or withdrawn; or that Jiaxin never published it."""
    form = VerifyForm()
    if not form.validate():
        return _verify_page(form, 400 if form.file.errors else 422, error=CORRECT_FIELDS)
    pasted = form.digest()
    uploaded = None
    chosen = form.chosen()
    if chosen is not None:
        hashed = archive.sha256_of(chosen.stream, VERIFY_MAX_BYTES)
        if hashed is None:
            form.file.errors = [too_large()]
            return _verify_page(form, 413, error=_refused())
        uploaded = {"name": _base_name(chosen.filename), "sha256": hashed[0], "size": hashed[1]}
        if pasted is not None and pasted != uploaded["sha256"]:
            form.sha256.errors = [Msg(f"This is not the SHA-256 of the file chosen ({uploaded['sha256']}).",
                                      f"这不是所选文件的 SHA-256（该文件为 {uploaded['sha256']}）。")]
            return _verify_page(form, 422, error=CORRECT_FIELDS)
    digest = uploaded["sha256"] if uploaded else pasted
    matches = archive.find(keyring(), current_app.config["LOG_ORIGIN"], digest)
    later = archive.successors([m.bulletin for m in matches if m.bulletin.state == "withdrawn"])
    results = [{"bulletin": public_view(m.bulletin, later.get(m.bulletin.id)), "file": m.file, "signed": m.signed}
               for m in matches]
    return _verify_page(form, digest=digest, uploaded=uploaded, results=results, checked=True)


def _refused() -> Msg:
    error = Msg("The file was not accepted.", "文件未被接受。")
    error.code = "too_large"
    return error


def _base_name(filename: str) -> str:
    # Some browsers send the chooser's whole path: keep the file's own name.
    return filename.replace("\\", "/").rsplit("/", 1)[-1][:255]


@bp.errorhandler(413)
def _too_large(_exc):
    """A body over VERIFY_BODY_LIMIT is refused before the view runs: show the form again, naming the file."""
    form = VerifyForm(formdata=None)
    form.file.errors = [too_large()]
    return _verify_page(form, 413, error=_refused())


# --- downloads and the feed --------------------------------------------------------------------------------------


def _immutable(resp: Response) -> Response:
    resp.headers["Cache-Control"] = IMMUTABLE
    return resp


@files_bp.get("/bulletins/<ref:ref>/<name>")
def download(ref, name):
    """One published file, byte for byte: an attachment under its own name and media type, its SHA-256 as ETag.
    410 for the PDF and the sanctions' open data of a version that carries a record since repaired or withdrawn
    (`follow.file_withheld`; its red-list files carry no sanction and stay)."""
    f = bulletins.file(ref, name)
    if follow.file_withheld(f.bulletin, f.name):
        return respond(410, error_body(
            "bulletin_withheld", "该版本所载记录已信用修复或撤回，依法停止公示，文件不再提供；请查看现行版本。",
            "A record this version carried has since been repaired or withdrawn and may no longer be published: "
            "its files are withheld. See the current version."), [("Cache-Control", "no-store")])
    resp = send_file(io.BytesIO(bytes(f.content)), mimetype=f.media_type, as_attachment=True, download_name=f.name,
                     conditional=True, etag=f.sha256, last_modified=f.bulletin.made_at, max_age=ONE_YEAR)
    # As published (werkzeug would add a charset to a text/* type that names none).
    resp.headers["Content-Type"] = f.media_type
    return _immutable(resp)


@files_bp.get("/bulletins/<ref:ref>/manifest")
def manifest(ref):
    """The version's signed manifest (a C2SP signed note in `sha256sum` form), as text, as signed."""
    b = bulletins.get(ref)
    data = b.manifest.encode("utf-8")
    resp = send_file(io.BytesIO(data), mimetype="text/plain", conditional=True,
                     etag=hashlib.sha256(data).hexdigest(), last_modified=b.made_at, max_age=ONE_YEAR)
    resp.headers["Content-Type"] = "text/plain; charset=utf-8"
    return _immutable(resp)


@files_bp.errorhandler(416)
def _unsatisfiable(exc):
    """A range past the end: 416 with `Content-Range: bytes */<size>` (RFC 9110 §15.5.17), which the app's error
    handler would drop, so a client learns the file's size and asks again."""
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() == "content-range"]
    return respond(416, error_body("range_not_satisfiable", "请求的字节范围超出文件长度。",
                                   "The range asked for lies outside the file."), headers)


@files_bp.get("/bulletins.atom")
def atom():
    """The last FEED_ENTRIES versions made, newest first (withdrawn ones as updated entries)."""
    found = archive.recent(FEED_ENTRIES)
    later = archive.successors([b for b in found if b.state == "withdrawn"])
    body = feed.atom([public_view(b, later.get(b.id)) for b in found],
                     feed_url=absolute(url_for("bulletins_files.atom")),
                     archive_url=absolute(url_for("bulletins_web.archive_page")),
                     entry_url=lambda ref: absolute(url_for("bulletins.OneBulletin", ref=ref)), now=clock.now())
    return Response(body, content_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": FEED_CACHE})
