"""The worker's photo: a current employer uploads it with the worker's consent; it is stored sealed, stripped of
metadata, logged once, and never returned by the employer's endpoints."""
from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from registry import canonical
from registry.extensions import db
from registry.keys.crypto import aad, unseal_bytes
from registry.log.models import LogEntry
from registry.workers import photos
from registry.workers.models import WorkerPhoto
from tests.support.cardutil import picture, staff
from tests.support.factory import bearer


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def world(app, factory):
    s = staff(factory, 1)
    s.token = factory.token(s.admin)
    return s


def upload(client, world, data: bytes | None, *, consent_on=None, token=None, filename="photo.jpg",
           card_no=None):
    form = {}
    if data is not None:
        form["photo"] = (io.BytesIO(data), filename)
    if consent_on is not False:
        form["consent_on"] = (consent_on or world.today).isoformat() if not isinstance(consent_on, str) \
            else consent_on
    return client.put(f"/api/v1/workers/{card_no or world.card_nos[0]}/photo", data=form,
                      content_type="multipart/form-data", headers=bearer(token or world.token))


def stored(worker) -> WorkerPhoto:
    return db.session.execute(select(WorkerPhoto).where(WorkerPhoto.worker_id == worker.id)).scalar_one()


def test_an_upload_is_sealed_logged_once_and_stripped_of_metadata(client, factory, world):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "CameraMaker-Secret"  # Make
    exif[0x0131] = "PhoneSoftware-Secret"  # Software
    original = picture("JPEG", size=(1600, 2000), exif=exif.tobytes())
    assert b"CameraMaker-Secret" in original
    before = count(LogEntry)
    resp = upload(client, world, original)
    assert resp.status_code == 200, resp.get_json()
    assert set(resp.get_json()) == {"log_index"}  # the photo is not echoed back
    db.session.rollback()
    assert count(LogEntry) == before + 1
    entry = db.session.get(LogEntry, resp.get_json()["log_index"])
    worker = world.workers[0]
    assert entry.action == "worker:photo:set" and entry.subject == worker.log_ref
    state = canonical.state_of(factory.ring, worker)
    assert json.loads(entry.body)["digest"] == canonical.digest(state)

    photo = stored(worker)
    assert photo.content_type == "image/jpeg" and photo.consent_on == world.today
    assert photo.company_id == world.company.id and photo.uploaded_by == world.admin.ref
    # At rest: neither the upload nor what was kept of it appears in the row.
    raw_row = db.session.execute(text("SELECT photo_enc FROM worker_photos WHERE id = :i"),
                                 {"i": photo.id}).scalar_one()
    kept = unseal_bytes(factory.ring, bytes(raw_row), aad("worker_photos", "photo", photo.ref))
    assert original[:64] not in bytes(raw_row) and kept[:64] not in bytes(raw_row)
    assert kept.startswith(b"\xff\xd8\xff")
    # Re-encoded: no metadata left, shrunk to what a phone shows.
    assert b"CameraMaker-Secret" not in kept and b"PhoneSoftware-Secret" not in kept and b"Exif" not in kept
    with Image.open(io.BytesIO(kept)) as img:
        assert max(img.size) == photos.MAX_SIDE and not img.getexif()
    # The logged state holds an HMAC of the kept photo's SHA-256, nothing of the picture itself.
    assert state["photo"]["photo"] == photos.photo_state(factory.ring, kept)
    assert hashlib.sha256(kept).hexdigest() not in json.dumps(state)


def test_a_new_upload_replaces_the_photo_under_a_new_ref(client, factory, world):
    assert upload(client, world, picture("PNG")).status_code == 200
    first = stored(world.workers[0])
    first_ref, first_enc = first.ref, bytes(first.photo_enc)
    resp = upload(client, world, picture("PNG", colour=(10, 20, 30)), consent_on=world.today - timedelta(days=2),
                  filename="new.png")
    assert resp.status_code == 200
    db.session.rollback()
    assert count(WorkerPhoto) == 1
    second = stored(world.workers[0])
    assert second.ref != first_ref and second.content_type == "image/png"
    assert second.consent_on == world.today - timedelta(days=2)
    # The old ciphertext does not open under the new ref.
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        unseal_bytes(factory.ring, first_enc, aad("worker_photos", "photo", second.ref))


GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00" \
      b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


@pytest.mark.parametrize("case,status,field,code", [
    ("gif", 422, "photo", "photo_type"),
    ("renamed", 422, "photo", "photo_type"),
    ("broken_png", 422, "photo", "photo_unreadable"),
    ("oversize", 413, "photo", "photo_too_large"),
    ("no_photo", 422, "photo", "photo_missing"),
    ("future_consent", 422, "consent_on", "consent_in_future"),
    ("no_consent", 422, "consent_on", None),
    ("bad_consent", 422, "consent_on", None),
])
def test_bad_uploads_are_refused_with_the_field_named_and_nothing_stored(client, world, monkeypatch, case, status,
                                                                        field, code):
    good = picture("PNG")
    assert photos.MAX_BYTES == 2 * 1024 * 1024
    # A small limit for the oversize case: the test client spools multi-megabyte bodies to files it never closes.
    monkeypatch.setattr(photos, "MAX_BYTES", len(good) + 100)
    data, consent = {
        "gif": (GIF, None),
        "renamed": (b"%PDF-1.7 not a picture at all", None),
        "broken_png": (good[:40], None),
        "oversize": (good + b"\x00" * (photos.MAX_BYTES + 1 - len(good)), None),
        "no_photo": (None, None),
        "future_consent": (good, world.today + timedelta(days=1)),
        "no_consent": (good, False),
        "bad_consent": (good, "yesterday"),
    }[case]
    before = (count(LogEntry), count(WorkerPhoto))
    resp = upload(client, world, data, consent_on=consent, filename="photo.png")
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert field in error["fields"], error
    assert error["fields"][field]["zh"] and error["fields"][field]["en"]
    if code:
        assert error["code"] == code
    db.session.rollback()
    assert (count(LogEntry), count(WorkerPhoto)) == before


def test_only_a_current_employer_uploads(client, factory, world):
    _other, other_admin = factory.company()
    stranger = factory.token(other_admin.account)
    regulator = factory.token(factory.regulator_for("housekeeping"))
    before = count(LogEntry)
    assert upload(client, world, picture("PNG"), token=stranger).status_code == 404
    assert upload(client, world, picture("PNG"), token=regulator).status_code == 403
    db.session.rollback()
    assert count(LogEntry) == before and count(WorkerPhoto) == 0


def test_the_photo_is_never_returned(client, factory, world):
    """Not in the detailed record, not in the card, not in the company's downloaded states."""
    assert upload(client, world, picture("PNG", colour=(1, 2, 3))).status_code == 200
    photo = stored(world.workers[0])
    kept = unseal_bytes(factory.ring, bytes(photo.photo_enc), aad("worker_photos", "photo", photo.ref))
    import base64

    needles = [kept[8:40], base64.b64encode(kept)[:40], bytes(photo.photo_enc)[:40]]
    number = world.card_nos[0]
    from registry.cards.services import issue_card

    issue_card(factory.ring, account=world.admin, company=world.company, worker=world.workers[0],
                              today=world.today)
    db.session.commit()
    for path in (f"/api/v1/workers/{number}", f"/api/v1/workers/{number}/card?format=html",
                 f"/api/v1/companies/{world.company.uscc}/states", f"/api/v1/companies/{world.company.uscc}/workers"):
        resp = client.get(path, headers=bearer(world.token))
        assert resp.status_code == 200, path
        assert not any(n in resp.data for n in needles), path
        assert b"photo_enc" not in resp.data


def test_uploads_at_the_same_moment_leave_one_photo(app, factory, world):
    """Parallel first uploads (own sessions, a token each): one row, the last upload's, and a log that verifies."""
    import threading

    from registry.log.verify import verify_local

    callers = 4
    tokens = [factory.token(world.admin, name=f"t{i}") for i in range(callers)]
    path = f"/api/v1/workers/{world.card_nos[0]}/photo"
    pictures = [picture("PNG", colour=(i * 40, 10, 10)) for i in range(callers)]
    results = []
    barrier = threading.Barrier(callers)

    def go(token, data):
        c = app.test_client()
        barrier.wait()
        results.append(c.put(path, data={"photo": (io.BytesIO(data), "p.png"), "consent_on": "2020-01-01"},
                             content_type="multipart/form-data", headers=bearer(token)))

    threads = [threading.Thread(target=go, args=args) for args in zip(tokens, pictures)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.status_code for r in results] == [200] * callers, [r.get_json() for r in results]
    db.session.rollback()
    assert count(WorkerPhoto) == 1
    report = verify_local(factory.ring, app.config["LOG_ORIGIN"])
    assert report.ok, report.failures


def test_a_phone_jpeg_with_a_multi_picture_segment_is_accepted(client, factory, world):
    """Many phones write JPEGs with an MPF segment, which Pillow reads as "MPO"; they are JPEGs all the same."""
    from PIL import Image

    first, second = Image.new("RGB", (64, 80), (10, 120, 200)), Image.new("RGB", (32, 40), (200, 10, 10))
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(buf.getvalue())).format == "MPO"
    resp = upload(client, world, buf.getvalue())
    assert resp.status_code == 200, resp.get_json()
    row = stored(world.workers[0])
    opened = unseal_bytes(factory.ring, row.photo_enc, aad("worker_photos", "photo", row.ref))
    assert row.content_type == "image/jpeg" and Image.open(io.BytesIO(opened)).format == "JPEG"
