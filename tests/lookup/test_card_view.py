"""The public card view at /api/v1/cards/{card_no} and /c/{card_no}: masked, for today, cache-validated."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from registry.cards import qr
from registry.cards import services as cards
from registry.extensions import db
from registry.lookup import services as lookup
from registry.workers import cardno
from registry.workers import services as workers
from tests.support.cardworld import REAL_NAME, green_worker, issue


@pytest.fixture
def world(app, factory):
    return green_worker(factory)


def test_the_view_shows_what_a_resident_needs_and_nothing_personal(client, world):
    resp = client.get(f"/api/v1/cards/{world.card_no}")
    assert resp.status_code == 200
    view = resp.get_json()
    assert view["card_no"] == world.card_no
    assert view["name_masked"] == "欧阳**"
    assert view["status"] == {"colour": "green", "reasons": [
        {"code": "all_valid", "zh": "身份已核验，体检、保险有效，背景审查通过",
         "en": "Identity verified, health check and insurance valid, background check passed"}]}
    assert view["employed"] is True
    assert [(e["uscc"], e["name"], e["occupation"]) for e in view["employers"]] == [
        (world.company.uscc, world.company.name, "cleaner")]
    assert view["identity_verified"] is True and view["background"] == "passed"
    assert view["health_valid_until"] == (world.today + timedelta(days=300)).isoformat()
    assert view["insurance_valid_until"] == (world.today + timedelta(days=355)).isoformat()
    assert view["training"]["courses"] == 1 and view["training"]["hours"] == "24.0"
    assert view["training"]["exams_passed"] == 1
    assert view["card"] is None
    assert view["as_of"] == world.today.isoformat()
    assert view["sanctions"] == []
    # Identity, health, training and background 80, no review yet; a worker has a score and no grade.
    assert (view["score"], view["grade"], view["score_rules_version"]) == (80, None, "v1")
    text = resp.get_data(as_text=True)
    assert REAL_NAME not in text and "明华" not in text and "13800005678" not in text


def test_yellow_shows_its_reasons_in_plain_words(client, factory, world):
    workers.add_record(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                       kind="background", data={"result": "pending", "checked_on": world.today,
                                                "authority": "成都市公安局"}, today=world.today)
    db.session.commit()
    view = client.get(f"/api/v1/cards/{world.card_no}").get_json()
    assert view["status"]["colour"] == "yellow"
    assert [r["code"] for r in view["status"]["reasons"]] == ["background_pending"]
    page = client.get(f"/c/{world.card_no}").get_data(as_text=True)
    assert "背景审查进行中" in page and 'data-colour="yellow"' in page


def test_a_wrong_check_character_is_a_probable_typo_not_not_found(client, world):
    number = world.card_no
    typo = number[:-1] + next(c for c in cardno.ALPHABET if c != number[-1])
    resp = client.get(f"/api/v1/cards/{typo}")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "card_no_typo"
    assert "card_no" in resp.get_json()["error"]["fields"]
    swapped = number[:5] + number[6] + number[5] + number[7:]
    if swapped != number:
        assert client.get(f"/api/v1/cards/{swapped}").get_json()["error"]["code"] == "card_no_typo"
    page = client.get(f"/c/{typo}")
    assert page.status_code == 422 and "卡号有一位输错了" in page.get_data(as_text=True)


def test_malformed_and_unknown_numbers(client, world):
    resp = client.get("/api/v1/cards/JX123")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "card_no_invalid"
    unknown = cardno.new_card_no()
    resp = client.get(f"/api/v1/cards/{unknown}")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "card_not_found"
    assert client.get(f"/c/{unknown}").status_code == 404


def test_lowercase_and_grouped_numbers_are_read(client, world):
    grouped = f"{world.card_no[:4]}-{world.card_no[4:8]} {world.card_no[8:]}".lower()
    resp = client.get(f"/api/v1/cards/{grouped}")
    assert resp.status_code == 200 and resp.get_json()["card_no"] == world.card_no


def test_the_lookup_form_goes_to_the_card_page(client, world):
    resp = client.get("/c", query_string={"card_no": world.card_no.lower()})
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == f"/c/{world.card_no}"
    assert client.get("/c", query_string={"card_no": "JX1"}).status_code == 422


@pytest.mark.parametrize("path", ["/api/v1/cards/{}", "/c/{}"])
def test_etag_is_the_hash_of_todays_body_and_304_only_while_unchanged(client, factory, world, path):
    url = path.format(world.card_no)
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]
    assert etag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    # If-None-Match compares weakly (RFC 9110): a proxy that weakened the tag still gets its 304.
    assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    # A change to the record changes today's body: the old ETag no longer matches.
    workers.add_record(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                       kind="background", data={"result": "failed", "checked_on": world.today,
                                                "authority": "成都市公安局"}, today=world.today)
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_the_same_records_read_differently_tomorrow(app, factory):
    """The body (and so the ETag) is rendered for a day: a health check valid through today is not tomorrow."""
    world = green_worker(factory, health_until=None)
    from registry.clock import today

    workers.add_record(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                       kind="health", data={"result": "passed", "checked_on": world.today,
                                            "valid_until": world.today}, today=world.today)
    db.session.commit()
    now = lookup.card_view(world.card_no, today())
    tomorrow = lookup.card_view(world.card_no, today() + timedelta(days=1))
    assert now["status"]["colour"] == "green"
    assert tomorrow["status"]["colour"] == "yellow"
    assert [r["code"] for r in tomorrow["status"]["reasons"]] == ["health_expired"]


def test_an_ended_employment_says_no_registered_company_employs_them(client, factory, world):
    workers.end_employment(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                           end_date=world.today, today=world.today)
    db.session.commit()
    view = client.get(f"/api/v1/cards/{world.card_no}").get_json()
    assert view["employed"] is False and view["employers"] == []
    page = client.get(f"/c/{world.card_no}").get_data(as_text=True)
    assert 'id="not-employed"' in page
    # Complete, valid records; but no company sends the person now: never green.
    assert view["status"]["colour"] == "yellow"
    assert [r["code"] for r in view["status"]["reasons"]] == ["no_employer"]
    assert 'data-colour="green"' not in page
    assert "目前没有登记企业派遣此人" in page


# --- the QR verdict ---------------------------------------------------------------

# The tests' PUBLIC_URL: a scan is checked only when the request arrives there (the client's default is localhost).
OFFICIAL = "http://registry.test"


def _q(url: str) -> str:
    return urlsplit(url).query.removeprefix("q=")


def test_a_genuine_qr_reads_genuine_on_the_api_and_the_page(app, client, factory, world):
    card = issue(factory, world)
    url = cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"])
    assert url.startswith(f"{app.config['PUBLIC_URL']}/c/{world.card_no}?q=1.")
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": _q(url)}, base_url=OFFICIAL).get_json()
    assert view["qr"]["verdict"] == "genuine" and view["qr"]["serial"] == 1
    assert view["card"]["serial"] == 1 and view["card"]["company_uscc"] == world.company.uscc
    page = client.get(url).get_data(as_text=True)  # the QR's own absolute URL, at the official host
    assert 'data-verdict="genuine"' in page and "真实有效" in page


def test_a_reissued_card_replaces_the_old_qr(app, client, factory, world):
    old = issue(factory, world)
    old_url = cards.qr_payload(factory.ring, world.worker, old, app.config["PUBLIC_URL"])
    new = issue(factory, world)
    assert (old.serial, new.serial) == (1, 2)
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": _q(old_url)}, base_url=OFFICIAL).get_json()
    assert view["qr"]["verdict"] == "replaced"
    new_url = cards.qr_payload(factory.ring, world.worker, new, app.config["PUBLIC_URL"])
    assert client.get(f"/api/v1/cards/{world.card_no}",
                      query_string={"q": _q(new_url)}, base_url=OFFICIAL).get_json()["qr"]["verdict"] == "genuine"


def test_an_expired_card_reads_expired(app, client, factory, world):
    card = issue(factory, world, today=world.today - timedelta(days=400))
    url = cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"])
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": _q(url)}, base_url=OFFICIAL).get_json()
    assert view["qr"]["verdict"] == "expired"


def test_a_card_whose_issuer_ended_the_employment_reads_void_and_not_green(app, client, factory, world):
    card = issue(factory, world)
    url = cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"])
    scanned = lambda: client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": _q(url)},  # noqa: E731
                                 base_url=OFFICIAL).get_json()
    before = scanned()
    assert (before["qr"]["verdict"], before["status"]["colour"], before["card"]["void"]) == ("genuine", "green", False)
    # Dismissed the same day: the card in the person's hand still names the company.
    ended = workers.end_employment(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                                   end_date=world.today, today=world.today)
    db.session.commit()
    assert ended.voided_serials == [1]
    view = scanned()
    assert view["qr"]["verdict"] == "void"
    assert (view["qr"]["zh"], view["qr"]["en"]) == ("已作废：发证企业已不再雇用此人。",
                                                    "Void: the issuing company no longer employs this person.")
    assert view["card"]["void"] is True
    # The records are all still valid, yet no company sends this person: yellow, saying so first.
    assert view["status"]["colour"] == "yellow"
    assert [r["code"] for r in view["status"]["reasons"]] == ["no_employer"]
    assert view["status"]["reasons"][0]["zh"] == "目前没有登记企业派遣此人"
    page = client.get(url).get_data(as_text=True)
    assert 'data-verdict="void"' in page and "已作废" in page and 'data-colour="green"' not in page
    assert 'id="card-void"' in page
    # Typing the number (no scan) says the same: not green, the card void.
    typed = client.get(f"/c/{world.card_no}").get_data(as_text=True)
    assert 'data-colour="yellow"' in typed and "目前没有登记企业派遣此人" in typed and 'id="card-void"' in typed


def test_a_void_card_stays_void_when_the_company_employs_the_person_again(app, client, factory, world):
    """The void is recorded, not recomputed: a re-employment needs a new card (a new serial)."""
    from registry.workers.models import Employment

    card = issue(factory, world)
    url = cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"])
    workers.end_employment(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                           end_date=world.today, today=world.today)
    db.session.commit()
    # Employed again (as a confirmed attachment would leave it): the old card is still void...
    world.worker.employments.append(Employment(company_id=world.company.id, occupation="cleaner",
                                               kind="labour_contract", start_date=world.today,
                                               social_insurance=True, recorded_by=world.admin.ref))
    db.session.commit()
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": _q(url)}, base_url=OFFICIAL).get_json()
    assert view["qr"]["verdict"] == "void" and view["status"]["colour"] == "green"
    # ...until the employer issues a new one, which is genuine and replaces it.
    new = issue(factory, world)
    new_url = cards.qr_payload(factory.ring, world.worker, new, app.config["PUBLIC_URL"])
    assert new.serial == 2
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": _q(new_url)}, base_url=OFFICIAL).get_json()
    assert view["qr"]["verdict"] == "genuine" and view["card"]["void"] is False
    old = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": _q(url)}, base_url=OFFICIAL).get_json()
    assert old["qr"]["verdict"] == "replaced"


def test_a_forged_qr_reads_not_issued_and_an_altered_one_altered(app, client, factory, world):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    card = issue(factory, world)
    forged = qr.make_q(Ed25519PrivateKey.generate(), world.card_no, 1, card.valid_until)
    page = client.get(f"/c/{world.card_no}", query_string={"q": forged}, base_url=OFFICIAL)
    assert page.status_code == 200
    assert 'data-verdict="not_issued"' in page.get_data(as_text=True)
    genuine = _q(cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"]))
    later = (card.valid_until + timedelta(days=365)).isoformat()
    altered = genuine.replace(card.valid_until.isoformat(), later)
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": altered}, base_url=OFFICIAL).get_json()
    assert view["qr"]["verdict"] == "altered"


def test_the_qr_of_one_card_on_another_cards_page_is_altered(app, client, factory, world):
    other = green_worker(factory, name="李四", seed=9)
    card = issue(factory, other)
    q = _q(cards.qr_payload(factory.ring, other.worker, card, app.config["PUBLIC_URL"]))
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": q}, base_url=OFFICIAL).get_json()
    assert view["qr"]["verdict"] == "altered"


def test_a_card_signed_by_a_key_since_rotated_is_still_genuine(app, client, factory, world):
    card = issue(factory, world)
    url = cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"])
    factory.ring.add("card")
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": _q(url)}, base_url=OFFICIAL).get_json()
    assert view["qr"]["verdict"] == "genuine"


@pytest.mark.parametrize("base_url,verdict", [
    ("http://registry.test", "genuine"),
    ("http://REGISTRY.test:80", "genuine"),
    ("https://jiaxin-registry.evil.example", "wrong_origin"),
    ("http://registry.test.evil.example", "wrong_origin"),
    ("https://registry.test", "wrong_origin"),
    ("http://registry.test:8080", "wrong_origin"),
    ("http://localhost", "wrong_origin"),
], ids=["official", "official_spelled_otherwise", "lookalike", "subdomain_trick", "https", "port", "localhost"])
def test_a_genuine_qr_read_anywhere_but_the_official_address_is_wrong_origin(app, client, factory, world,
                                                                            base_url, verdict):
    """Whoever serves the page decides what it says: a genuine q proves nothing about a page on another host."""
    card = issue(factory, world)
    q = _q(cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"]))
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": q}, base_url=base_url).get_json()
    assert view["qr"]["verdict"] == verdict
    page = client.get(f"/c/{world.card_no}", query_string={"q": q}, base_url=base_url).get_data(as_text=True)
    assert f'data-verdict="{verdict}"' in page
    if verdict == "wrong_origin":
        # Named in both languages, with the official address to go to instead; nothing from the card is vouched.
        assert "不是官方地址" in view["qr"]["zh"] and "http://registry.test" in view["qr"]["zh"]
        assert "not on Jiaxin's official address http://registry.test" in view["qr"]["en"]
        assert view["qr"]["serial"] is None and view["qr"]["valid_until"] is None
        assert "不是官方地址" in page and "http://registry.test" in page


def test_without_a_scan_the_page_reads_the_same_on_any_host(client, world):
    """The origin rule is about the QR's verdict: a typed number has none to give."""
    view = client.get(f"/api/v1/cards/{world.card_no}", base_url="https://jiaxin-registry.evil.example").get_json()
    assert view["card_no"] == world.card_no and "qr" not in view


def test_ids_beyond_32_bits_are_not_found_not_a_database_error(client, factory):
    _company, admin = factory.company()
    token = factory.token(admin.account)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tasks/99999999999999999999", headers=headers).status_code == 404
    regulator = factory.token(factory.regulator_for("housekeeping"))
    resp = client.get("/api/v1/reports?offset=99999999999999999999", headers={"Authorization": f"Bearer {regulator}"})
    assert resp.status_code == 422 and "offset" in resp.get_json()["error"]["fields"]


def test_the_page_is_private_for_a_signed_in_user(app, factory, world):
    from tests.support.webutil import login

    signed_in = app.test_client()
    assert login(signed_in, world.admin.login, "correct horse battery").status_code == 302
    assert signed_in.get(f"/c/{world.card_no}").headers["Cache-Control"] == "private, no-cache"
