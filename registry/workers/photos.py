"""The worker's photo: uploaded by a current employer with the worker's consent, stored sealed.

The photo is personal data: it is sealed like a name (AES-GCM, its associated
data naming the row's ref, which is new for every upload), the canonical state
holds only an HMAC of its SHA-256, and it is shown nowhere but the detailed
view a resident opens with the worker's consent. No endpoint of the employer's
returns it.

The file is checked by its first bytes (JPEG or PNG, whatever the browser
claims) and, with Pillow, decoded and written again: that drops EXIF and other
metadata (a phone's GPS position, the camera's serial number), turns the
picture upright, and shrinks it to what a phone screen shows.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from datetime import date

from sqlalchemy import select

from .. import clock
from ..accounts.models import Account
from ..companies.access import require_member
from ..companies.models import Company
from ..errors import field_error, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal_bytes, state_hmac
from ..log.actions import Action
from ..log.services import Recorded, lock_head, record_change
from ..models import new_ref
from .models import Worker, WorkerPhoto
from .services import active_employment

MAX_BYTES = 2 * 1024 * 1024
# Larger pictures are shrunk to fit this box (pixels); the detailed view shows a phone-sized photo.
MAX_SIDE = 1200
# Refused before decoding: a small file can claim a huge canvas (a decompression bomb).
MAX_PIXELS = 40_000_000
MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
PIL_FORMATS = {"image/jpeg": ("JPEG", "MPO"), "image/png": ("PNG",)}


def sniff(data: bytes) -> str | None:
    """The content type the file's first bytes prove, or None."""
    return next((kind for kind, magic in MAGIC.items() if data.startswith(magic)), None)


def _bad_photo():
    return field_error("photo", "The file is not a readable JPEG or PNG picture.",
                       "文件不是可读取的 JPEG 或 PNG 图片。", code="photo_unreadable")


def cleaned(data: bytes, content_type: str) -> bytes:
    """The picture decoded and encoded again without metadata; the bytes as given if Pillow is missing."""
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover - WeasyPrint depends on Pillow, so it is normally there
        return data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                # Phones write JPEGs with a multi-picture segment, which Pillow names MPO.
                if probe.format not in PIL_FORMATS[content_type]:
                    raise _bad_photo()
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise field_error("photo", "The picture has too many pixels (at most 40 megapixels).",
                                      "图片像素过多（最多 4000 万像素）。", code="photo_too_large")
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                img = ImageOps.exif_transpose(img)
                img.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                if content_type == "image/jpeg":
                    img.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
                else:
                    if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                        img = img.convert("RGBA")
                    img.save(out, "PNG", optimize=True)
                return out.getvalue()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise _bad_photo() from None


def check_upload(data: bytes | None, consent_on: date, today: date) -> tuple[str, bytes]:
    """(content type, bytes to store), or a field error naming `photo` or `consent_on`."""
    if consent_on > today:
        raise field_error("consent_on", "The consent date cannot be in the future.", "同意日期不能晚于今天。",
                          code="consent_in_future")
    if not data:
        raise field_error("photo", "Choose a photo to upload.", "请选择要上传的照片。", code="photo_missing")
    if len(data) > MAX_BYTES:
        raise field_error("photo", "The photo is larger than 2 MiB.", "照片超过 2 MiB。", code="photo_too_large",
                          status=413)
    content_type = sniff(data)
    if content_type is None:
        raise field_error("photo", "Upload a JPEG or PNG picture.", "请上传 JPEG 或 PNG 格式的图片。",
                          code="photo_type")
    return content_type, cleaned(data, content_type)


def set_photo(ring: KeyRing, *, account: Account, company: Company, worker: Worker, data: bytes | None,
              consent_on: date, today: date) -> Recorded:
    """Store (or replace) the worker's photo for a current employer, recording the date of consent."""
    require_member(account, company)
    if active_employment(worker, company) is None:
        raise not_found("worker", "从业人员")
    content_type, stored = check_upload(data, consent_on, today)
    # The head's lock before the look-up: two first uploads at once then update one row instead of both inserting.
    lock_head()
    photo = db.session.execute(select(WorkerPhoto).where(WorkerPhoto.worker_id == worker.id)).scalar_one_or_none()
    if photo is None:
        photo = WorkerPhoto(worker_id=worker.id)
        db.session.add(photo)
    # A new ref for every upload: the old ciphertext can never be swapped back in under the new row.
    photo.ref = new_ref()
    photo.content_type = content_type
    photo.photo_enc = seal_bytes(ring, stored, aad("worker_photos", "photo", photo.ref))
    photo.photo_state = photo_state(ring, stored)
    photo.consent_on = consent_on
    photo.company_id = company.id
    photo.uploaded_by = account.ref
    photo.created_dt = clock.now()
    db.session.flush()
    return record_change(ring, actor=account.ref, action=Action.WORKER_PHOTO_SET, aggregate=worker)


def photo_state(ring: KeyRing, data: bytes) -> str:
    """What the canonical state holds for a photo: an HMAC of its SHA-256 (hex)."""
    return state_hmac(ring, "photo", hashlib.sha256(data).hexdigest())
