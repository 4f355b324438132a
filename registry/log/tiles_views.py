"""The log as C2SP tlog-tiles under `/log/` (mirror.py): `/log/checkpoint`, `/log/tile/<L>/<N>[.p/<W>]`,
`/log/tile/entries/<N>[.p/<W>]` and the verifier keys at `/log/key`, never rate limited, like the rest of the
public log. A full tile is immutable and cached for a year; a partial one and the checkpoint are revalidated on
every use."""
from __future__ import annotations

from flask import Blueprint, Response, current_app

from ..errors import ApiError
from ..extensions import limiter
from ..keys import keyring
from ..tlog import tiles
from . import checkpoints, mirror

bp = Blueprint("log_tiles", __name__)
limiter.exempt(bp)

TILE_TYPE = "application/octet-stream"
FULL = "public, max-age=31536000, immutable"
PARTIAL = "no-cache"


def _invalid(path: str, problem: str) -> ApiError:
    return ApiError(400, "invalid_tile_path", "瓦片路径无效。", "Not a tile path (c2sp.org/tlog-tiles).",
                    {"path": {"zh": f"不是有效的瓦片路径：{path}", "en": problem}})


def _missing() -> ApiError:
    return ApiError(404, "tile_not_found", "最新检查点尚未包含该瓦片。",
                    "The latest checkpoint's tree has no such tile (yet).")


def _answer(data: bytes | None, width: int) -> Response:
    if data is None:
        raise _missing()
    return Response(data, content_type=TILE_TYPE,
                    headers={"Cache-Control": FULL if width == tiles.WIDTH else PARTIAL})


@bp.get("/log/checkpoint")
def checkpoint():
    cp = checkpoints.latest_checkpoint()
    if cp is None:
        raise ApiError(404, "no_checkpoint", "日志尚无已签名的检查点，请稍后再试。",
                       "The log has no signed checkpoint yet; try again in a minute.")
    return Response(cp.note, content_type="text/plain; charset=utf-8", headers={"Cache-Control": PARTIAL})


@bp.get("/log/key")
def key():
    """The verifier keys, as /api/v1/log/key: the prefix /log is then a whole mirror, as an export's folder is."""
    return Response("".join(k + "\n" for k in checkpoints.verifier_keys(keyring(), current_app.config["LOG_ORIGIN"])),
                    content_type="text/plain; charset=utf-8", headers={"Cache-Control": PARTIAL})


@bp.get("/log/tile/entries/<path:index>")
def entries(index: str):
    try:
        n, width = tiles.parse_index(index)
    except tiles.TilePathError as exc:
        raise _invalid(f"tile/entries/{index}", str(exc)) from None
    return _answer(mirror.bundle_bytes(n, width, mirror.checkpoint_size()), width)


@bp.get("/log/tile/<level>/<path:index>")
def tile(level: str, index: str):
    try:
        level_n = tiles.parse_level(level)
        n, width = tiles.parse_index(index)
    except tiles.TilePathError as exc:
        raise _invalid(f"tile/{level}/{index}", str(exc)) from None
    return _answer(mirror.tile_bytes(level_n, n, width, mirror.checkpoint_size()), width)
