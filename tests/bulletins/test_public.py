"""The public face of the bulletins: GET /api/v1/bulletins (every version, its files, digests and canonical state),
the downloads (byte for byte, immutable, Range and ETag honoured), the signed manifest, the archive page, the Atom
feed and the verify page. Bulletins are published through the service, with small fake files."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from registry import canonical
from registry.bulletins import manifest, periods
from registry.bulletins import services as bulletins
from registry.extensions import db
from registry.tlog import note
from tests.support.logutil import sql
from tests.support.statements import count_statements
from tests.support.webutil import csrf, text

OCTOBER, NOVEMBER = periods.parse("2026-10"), periods.parse("2026-11")
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PDF_V2 = PDF + b"% corrected\n"
CSV = "\ufeffref,名称,决定日期\r\nab12,成都某家政服务有限公司,2026-11-03\r\n".encode()
CSV_TYPE = "text/csv; charset=utf-8"
ATOM = "{http://www.w3.org/2005/Atom}"




def publish(app, factory, cited, period, files, made_at=None):
    published = bulletins.publish(factory.ring, actor="system", period=period, files=files,
                                  made_at=made_at or period.ends_at + timedelta(hours=2), checkpoint_size=cited[0],
                                  checkpoint_root=cited[1], origin=app.config["LOG_ORIGIN"])
    db.session.commit()
    return published


@pytest.fixture
def archive(app, factory, cited):
    """October v1 (current); November v1 (withdrawn, with a reason) and its correction v2 (current)."""
    oct1 = publish(app, factory, cited, OCTOBER, [("bulletin-2026-10.pdf", "application/pdf", PDF)])
    nov1 = publish(app, factory, cited, NOVEMBER, [("bulletin-2026-11.pdf", "application/pdf", PDF),
                                                   ("sanctions-2026-11.csv", CSV_TYPE, CSV)])
    withdrawn = bulletins.withdraw(factory.ring, actor="a" * 32, bulletin=nov1.bulletin,
                                   reason="第 3 条记录的决定日期有误")
    db.session.commit()
    nov2 = publish(app, factory, cited, NOVEMBER, [("bulletin-2026-11.pdf", "application/pdf", PDF_V2),
                                                   ("sanctions-2026-11.csv", CSV_TYPE, CSV)],
                   made_at=NOVEMBER.ends_at + timedelta(days=2))
    return {"oct1": oct1, "nov1": nov1, "withdraw": withdrawn, "nov2": nov2}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listed(client, query: str = "") -> tuple[list[dict], dict]:
    resp = client.get(f"/api/v1/bulletins{query}")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json(), json.loads(resp.headers["X-Pagination"])


# --- the API ------------------------------------------------------------------------------------------------------


def test_the_list_gives_every_version_newest_made_first_with_its_files_and_log_entries(client, archive, cited):
    items, pages = listed(client)
    refs = {name: p.bulletin.ref for name, p in archive.items() if name != "withdraw"}
    assert [b["ref"] for b in items] == [refs["nov2"], refs["nov1"], refs["oct1"]]
    assert pages["total"] == 3
    nov2, nov1, oct1 = items
    assert (nov1["period"], nov1["version"], nov1["state"]) == ({"kind": "month", "key": "2026-11"}, 1, "withdrawn")
    assert nov1["withdrawn"]["reason"] == "第 3 条记录的决定日期有误"
    assert nov1["withdrawn"]["log_index"] == archive["withdraw"].seq and nov1["withdrawn"]["at"]
    assert nov1["replaced_by"] == refs["nov2"]
    assert (nov2["version"], nov2["state"], nov2["withdrawn"], nov2["replaced_by"]) == (2, "current", None, None)
    assert [b["log_index"] for b in items] == [archive["nov2"].seq, archive["nov1"].seq, archive["oct1"].seq]
    assert all(b["checkpoint"] == {"size": cited[0], "root": cited[1]} for b in items)
    key_id = client.get("/api/v1/bulletins/keys").get_json()["keys"][0]["key_id"]
    assert {b["key_id"] for b in items} == {key_id}
    assert [(f["name"], f["media_type"], f["size"], f["sha256"]) for f in nov2["files"]] == [
        ("bulletin-2026-11.pdf", "application/pdf", len(PDF_V2), sha(PDF_V2)),
        ("sanctions-2026-11.csv", CSV_TYPE, len(CSV), sha(CSV))]
    # Every URL is absolute under the public URL and serves exactly the bytes listed.
    for f in nov2["files"] + oct1["files"]:
        assert f["url"].startswith("http://registry.test/bulletins/")
        body = client.get(f["url"].removeprefix("http://registry.test")).data
        assert (len(body), sha(body)) == (f["size"], f["sha256"])
    assert nov1["manifest_url"] == f"http://registry.test/bulletins/{refs['nov1']}/manifest"


def test_anyone_can_recompute_each_versions_digest_and_find_it_in_the_log(client, archive):
    """The canonical state comes with its salt: SHA-256 of its RFC 8785 bytes is the digest of the version's latest
    entry, read from the public log (the withdrawal for a withdrawn version, the publication otherwise)."""
    items, _ = listed(client)
    for b in items:
        record = b["record"]
        state = record["state"]
        assert state["salt"] and state["kind"] == "bulletin" and state["state"] == b["state"]
        assert [(f["name"], f["sha256"]) for f in state["files"]] == [(f["name"], f["sha256"]) for f in b["files"]]
        recomputed = hashlib.sha256(canonical.canonical_json(state)).hexdigest()
        assert recomputed == record["digest"]
        entry = client.get(f"/api/v1/log/entries/{record['entry_index']}").get_json()
        body = json.loads(base64.b64decode(entry["body"]))
        assert (body["subject"], body["digest"]) == (record["log_ref"], recomputed)
        expected = b["withdrawn"]["log_index"] if b["withdrawn"] else b["log_index"]
        assert record["entry_index"] == expected
        published = json.loads(base64.b64decode(client.get(f"/api/v1/log/entries/{b['log_index']}").get_json()["body"]))
        assert (published["action"], published["subject"]) == ("bulletin:publish", record["log_ref"])


def test_the_list_is_paginated_with_the_x_pagination_header(client, archive):
    first, pages = listed(client, "?page_size=2")
    assert len(first) == 2
    assert (pages["total"], pages["total_pages"], pages["page"], pages["next_page"]) == (3, 2, 1, 2)
    second, pages = listed(client, "?page=2&page_size=2")
    assert [b["ref"] for b in second] == [archive["oct1"].bulletin.ref]
    assert (pages["page"], pages["previous_page"]) == (2, 1) and "next_page" not in pages
    assert listed(client)[1]["total_pages"] == 1  # 20 a page by default


@pytest.mark.parametrize("query", ["?page=0", "?page_size=101", "?page_size=x", "?page=2147483648"])
def test_a_bad_page_is_refused_naming_the_field(client, query):
    resp = client.get(f"/api/v1/bulletins{query}")
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    field = query[1:].split("=")[0]
    assert err["code"] and err["message"]["zh"] and err["message"]["en"]
    assert err["fields"][field]["zh"] and err["fields"][field]["en"]


def test_one_bulletin_is_as_the_list_gives_it_and_an_unknown_one_is_404(client, archive):
    items, _ = listed(client)
    for b in items:
        assert client.get(f"/api/v1/bulletins/{b['ref']}").get_json() == b
    for ref in ("0" * 32, "NOT-A-REF", archive["oct1"].bulletin.ref.upper()):
        resp = client.get(f"/api/v1/bulletins/{ref}")
        assert resp.status_code == 404, ref
        err = resp.get_json()["error"]
        assert err["code"] == "not_found" and err["message"]["zh"] and err["message"]["en"]


def test_an_empty_archive_lists_nothing(client):
    items, pages = listed(client)
    assert items == [] and pages["total"] == 0


# --- downloads ----------------------------------------------------------------------------------------------------


def file_path(b, name: str) -> str:
    return f"/bulletins/{b.ref}/{name}"


def test_a_download_is_the_stored_bytes_with_its_name_type_digest_and_immutable_caching(client, archive):
    b = archive["nov2"].bulletin
    for name, media_type, data in (("bulletin-2026-11.pdf", "application/pdf", PDF_V2),
                                   ("sanctions-2026-11.csv", CSV_TYPE, CSV)):
        resp = client.get(file_path(b, name))
        assert resp.status_code == 200
        assert resp.data == data
        h = resp.headers
        assert h["Content-Type"] == media_type
        assert h["Content-Length"] == str(len(data))
        assert h["ETag"] == f'"{sha(data)}"'
        assert h["Accept-Ranges"] == "bytes"
        assert h["Content-Disposition"] == f"attachment; filename={name}"
        assert h["Cache-Control"] == "public, max-age=31536000, immutable"
        assert h["Last-Modified"] == b.made_at.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_range_requests_and_conditional_gets_are_honoured(client, archive):
    b, data = archive["nov2"].bulletin, PDF_V2
    path = file_path(b, "bulletin-2026-11.pdf")
    part = client.get(path, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.data == data[:10]
    assert part.headers["Content-Range"] == f"bytes 0-9/{len(data)}"
    assert part.headers["Content-Length"] == "10"
    tail = client.get(path, headers={"Range": "bytes=-5"})
    assert (tail.status_code, tail.data) == (206, data[-5:])
    beyond = client.get(path, headers={"Range": f"bytes={len(data)}-", "Accept": "application/json"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(data)}"
    assert beyond.get_json()["error"]["code"] == "range_not_satisfiable"
    same = client.get(path, headers={"If-None-Match": f'"{sha(data)}"'})
    assert (same.status_code, same.data) == (304, b"")
    assert same.headers["ETag"] == f'"{sha(data)}"'
    other = client.get(path, headers={"If-None-Match": f'"{sha(b"other")}"'})
    assert (other.status_code, other.data) == (200, data)
    # If-Range with a stale ETag: the whole file, not the part.
    stale = client.get(path, headers={"Range": "bytes=0-9", "If-Range": f'"{sha(b"other")}"'})
    assert (stale.status_code, stale.data) == (200, data)


def test_a_withdrawn_versions_files_stay_downloadable(client, archive):
    resp = client.get(file_path(archive["nov1"].bulletin, "bulletin-2026-11.pdf"))
    assert (resp.status_code, resp.data) == (200, PDF)


@pytest.mark.parametrize("path", ["/bulletins/{ref}/other.pdf", "/bulletins/" + "0" * 32 + "/bulletin-2026-11.pdf",
                                  "/bulletins/" + "0" * 32 + "/manifest"])
def test_an_unknown_file_or_bulletin_is_404(client, archive, path):
    resp = client.get(path.format(ref=archive["nov2"].bulletin.ref), headers={"Accept": "application/json"})
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"


def test_the_manifest_is_served_as_signed_and_opens_with_the_published_keys(app, client, archive):
    b = archive["nov2"].bulletin
    resp = client.get(f"/bulletins/{b.ref}/manifest")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert resp.get_data(as_text=True) == b.manifest
    keys = [note.parse_verifier_key(k["verifier_key"])
            for k in client.get("/api/v1/bulletins/keys").get_json()["keys"]]
    opened = manifest.open_manifest(resp.get_data(as_text=True), keys, app.config["LOG_ORIGIN"])
    assert (opened.period, opened.version) == ("2026-11", 2)
    for f in client.get(f"/api/v1/bulletins/{b.ref}").get_json()["files"]:
        assert manifest.check_file(opened, f["name"], client.get(f["url"].removeprefix("http://registry.test")).data)


# --- the archive page ---------------------------------------------------------------------------------------------


def test_the_archive_shows_each_version_its_files_and_the_withdrawn_one_with_its_reason(client, archive):
    body = text(client.get("/bulletins?lang=zh"))
    nov1, nov2 = archive["nov1"].bulletin, archive["nov2"].bulletin
    # Latest made first: November v2, v1, then October.
    order = [body.index(f'id="b-{p.bulletin.ref}"') for p in (archive["nov2"], archive["nov1"], archive["oct1"])]
    assert order == sorted(order)
    v1 = body[body.index(f'id="b-{nov1.ref}"'):body.index(f'id="b-{archive["oct1"].bulletin.ref}"')]
    assert 'data-state="withdrawn"' in v1 and "已撤回" in v1 and "第 3 条记录的决定日期有误" in v1
    assert f'#b-{nov2.ref}">第 2 版</a>' in v1  # which version replaced it
    assert "2026年11月 · 第 1 版" in v1
    for name, data in (("bulletin-2026-11.pdf", PDF), ("sanctions-2026-11.csv", CSV)):
        assert f'href="http://registry.test/bulletins/{nov1.ref}/{name}"' in v1 and sha(data) in v1
    assert f'href="http://registry.test/bulletins/{nov1.ref}/manifest"' in v1
    v2 = body[body.index(f'id="b-{nov2.ref}"'):body.index(f'id="b-{nov1.ref}"')]
    assert 'data-state="current"' in v2 and "现行" in v2 and sha(PDF_V2) in v2
    # How to verify, and the open-data columns.
    assert 'href="/bulletins/verify"' in body and "/api/v1/bulletins/keys" in body
    assert "scripts/check_bulletin.py" in body
    assert 'id="open-data"' in body and "<code>decision_no</code>" in body and "<code>window_end</code>" in body


def test_the_archive_speaks_english_when_asked(client, archive):
    body = text(client.get("/bulletins?lang=en"))
    assert "Withdrawn" in body and "November 2026 · version 1" in body and "version 2</a>" in body
    assert "Disclosure bulletins" in body


def test_the_archive_is_by_year_latest_first(app, client, factory, cited):
    old = publish(app, factory, cited, periods.parse("2025-12"), [("a-2025-12.csv", "text/csv", CSV)]).bulletin
    new = publish(app, factory, cited, periods.parse("2026-W02"), [("a-2026-W02.csv", "text/csv", CSV)]).bulletin
    body = text(client.get("/bulletins"))
    assert f'id="b-{new.ref}"' in body and f'id="b-{old.ref}"' not in body
    assert '<strong aria-current="page">2026</strong>' in body and 'href="/bulletins?year=2025"' in body
    assert "2026年第2周" in body
    body = text(client.get("/bulletins?year=2025"))
    assert f'id="b-{old.ref}"' in body and f'id="b-{new.ref}"' not in body
    for year in ("2024", "20x5", "12025"):
        assert client.get(f"/bulletins?year={year}").status_code == 404


def test_an_empty_archive_says_so(client):
    resp = client.get("/bulletins")
    assert resp.status_code == 200 and 'id="no-bulletins"' in text(resp)


# --- the Atom feed ------------------------------------------------------------------------------------------------


def parse_feed(data: bytes) -> ET.Element:
    """The feed as any XML reader parses it (feedparser is not installed: the standard library's parser)."""
    return ET.fromstring(data)  # noqa: S314 — the registry's own answer, in a test


def test_the_feed_is_atom_with_one_entry_per_version_newest_first(client, archive):
    resp = client.get("/bulletins.atom")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/atom+xml")
    root = parse_feed(resp.data)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text and root.find(f"{ATOM}id").text == "http://registry.test/bulletins.atom"
    entries = root.findall(f"{ATOM}entry")
    expected = [archive[name].bulletin for name in ("nov2", "nov1", "oct1")]
    assert [e.find(f"{ATOM}id").text for e in entries] == [
        f"http://registry.test/api/v1/bulletins/{b.ref}" for b in expected]
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == ["2026年11月公示公告（第 2 版）", "【已撤回】2026年11月公示公告（第 1 版）",
                      "2026年10月公示公告（第 1 版）"]
    nov1 = archive["nov1"].bulletin
    # A withdrawn version's entry is updated when it was withdrawn.
    updated = entries[1].find(f"{ATOM}updated").text
    assert updated.startswith(nov1.withdrawn_at.strftime("%Y-%m-%dT%H:%M:%S"))
    oct_made = archive["oct1"].bulletin.made_at.strftime("%Y-%m-%dT%H:%M")
    assert entries[2].find(f"{ATOM}updated").text.startswith(oct_made)
    enclosures = [(link.get("href"), link.get("type"), link.get("length"))
                  for link in entries[0].findall(f"{ATOM}link") if link.get("rel") == "enclosure"]
    nov2 = archive["nov2"].bulletin
    assert enclosures == [(f"http://registry.test/bulletins/{nov2.ref}/bulletin-2026-11.pdf", "application/pdf",
                           str(len(PDF_V2))),
                          (f"http://registry.test/bulletins/{nov2.ref}/sanctions-2026-11.csv", CSV_TYPE, str(len(CSV)))]
    assert "第 3 条记录的决定日期有误" in entries[1].find(f"{ATOM}content").text
    others = {link.get("rel"): (link.get("href"), link.get("type")) for link in entries[0].findall(f"{ATOM}link")
              if link.get("rel") != "enclosure"}
    assert others == {"alternate": (f"http://registry.test/bulletins?year=2026#b-{nov2.ref}", "text/html"),
                      "related": (f"http://registry.test/bulletins/{nov2.ref}/manifest", "text/plain")}
    feed_links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert feed_links == {"self": "http://registry.test/bulletins.atom", "alternate": "http://registry.test/bulletins"}


def test_the_feed_holds_the_last_50_versions(app, client, factory, cited):
    made = []
    for week in range(1, 53):
        period = periods.parse(f"2026-W{week:02d}")
        made.append(publish(app, factory, cited, period, [(f"w-{period.key}.csv", "text/csv", CSV)]).bulletin)
    entries = parse_feed(client.get("/bulletins.atom").data).findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text.rsplit("/", 1)[1] for e in entries] == [b.ref for b in reversed(made)][:50]


def test_an_empty_feed_is_still_a_feed(client):
    root = parse_feed(client.get("/bulletins.atom").data)
    assert root.tag == f"{ATOM}feed" and root.findall(f"{ATOM}entry") == []


# --- the verify page ----------------------------------------------------------------------------------------------


def verify(client, *, data: bytes | None = None, name: str = "x.pdf", sha256: str = "", lang: str = "zh",
           token: str | None = None):
    form = {"sha256": sha256, "csrf_token": token or csrf(client, f"/bulletins/verify?lang={lang}")}
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    return client.post(f"/bulletins/verify?lang={lang}", data=form, content_type="multipart/form-data")


def test_an_uploaded_published_file_is_named_with_its_bulletin_and_version(client, archive):
    resp = verify(client, data=PDF_V2, name="downloaded.pdf")
    body = text(resp)
    assert resp.status_code == 200
    assert 'data-verdict="genuine"' in body and "这是家信发布的文件" in body
    assert 'data-name="bulletin-2026-11.pdf" data-state="current"' in body
    assert "2026年11月 第 2 版" in body and sha(PDF_V2) in body and "downloaded.pdf" in body


def test_a_pasted_digest_of_bytes_published_twice_names_both_versions(client, archive):
    """The CSV is the same in November v1 and v2: both are named, the withdrawn one with its reason."""
    pasted = "  " + sha(CSV).upper() + " "
    body = text(verify(client, sha256=pasted))
    assert 'data-verdict="genuine"' in body
    assert body.count('class="match" data-name="sanctions-2026-11.csv"') == 2
    assert 'data-state="current"' in body and 'data-state="withdrawn"' in body
    assert "该版本已撤回" in body and "第 3 条记录的决定日期有误" in body and "已由第 2 版取代" in body


def test_a_file_in_a_withdrawn_and_a_current_version_is_named_in_both_in_english(client, archive):
    body = text(verify(client, sha256=sha(PDF), lang="en"))
    assert 'data-verdict="genuine"' in body and "this version was withdrawn" in body and "replaced by version 2" in body
    # PDF is also October's (current) file.
    assert "October 2026 version 1" in body


def test_an_unknown_file_or_digest_is_not_a_file_jiaxin_published(client, archive):
    forged = PDF_V2.replace(b"corrected", b"corrupted")
    for resp in (verify(client, data=forged), verify(client, sha256=sha(b"anything"))):
        assert resp.status_code == 200
        assert 'data-verdict="unknown"' in text(resp) and "这不是家信发布的文件" in text(resp)
    assert "Not a file Jiaxin published" in text(verify(client, sha256=sha(b"x"), lang="en"))


def test_a_file_whose_manifest_was_tampered_with_is_not_called_genuine(client, archive):
    b = archive["nov2"].bulletin
    sql("UPDATE bulletins SET manifest = :m WHERE id = :i", m=b.manifest.replace(" v2\n", " v3\n"), i=b.id)
    body = text(verify(client, data=PDF_V2))
    assert 'data-verdict="unverified"' in body and 'data-verdict="genuine"' not in body


@pytest.mark.parametrize(("form", "status", "field", "zh", "en"), [
    ({}, 400, "file", "请选择文件，或粘贴其 SHA-256", "Choose a file, or paste its SHA-256"),
    ({"sha256": "xyz"}, 422, "sha256", "SHA-256 应为 64 位十六进制数字", "A SHA-256 is 64 hexadecimal digits"),
    ({"sha256": "a" * 63}, 422, "sha256", "SHA-256 应为 64 位十六进制数字", "A SHA-256 is 64 hexadecimal digits"),
    ({"sha256": "g" * 64}, 422, "sha256", "SHA-256 应为 64 位十六进制数字", "A SHA-256 is 64 hexadecimal digits"),
    ({"sha256": sha(b"other"), "data": PDF}, 422, "sha256", "这不是所选文件的 SHA-256",
     "This is not the SHA-256 of the file"),
])
def test_bad_input_is_refused_naming_the_field_in_either_language(client, archive, form, status, field, zh, en):
    for lang, words in (("zh", zh), ("en", en)):
        resp = verify(client, data=form.get("data"), sha256=form.get("sha256", ""), lang=lang)
        body = text(resp)
        assert resp.status_code == status, body
        assert f'id="{field}-error"' in body and words in body
        assert f'<a href="#{field}">' in body  # the error summary links to the field
        assert 'id="verify-result"' not in body


def test_an_upload_over_the_cap_is_refused_with_a_clear_error(client, archive, monkeypatch):
    from registry.bulletins import views

    token = csrf(client, "/bulletins/verify")
    monkeypatch.setattr(views, "VERIFY_BODY_LIMIT", 4000)
    resp = verify(client, data=b"x" * 5000, token=token)
    body = text(resp)
    assert resp.status_code == 413 and 'id="file-error"' in body and "文件超过" in body and "too_large" in body
    # A body under the limit whose file is over the file cap: refused the same.
    monkeypatch.setattr(views, "VERIFY_BODY_LIMIT", 10**6)
    monkeypatch.setattr(views, "VERIFY_MAX_BYTES", 100)
    resp = verify(client, data=PDF)
    assert resp.status_code == 413 and 'id="file-error"' in text(resp) and 'id="verify-result"' not in text(resp)


def test_the_cap_is_the_pages_own_not_max_content_length(app, client, archive, monkeypatch):
    from registry.bulletins import views

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    assert len(PDF_V2) > 1000 and views.VERIFY_MAX_BYTES == 64 * 2**20
    resp = verify(client, data=PDF_V2)
    assert resp.status_code == 200 and 'data-verdict="genuine"' in text(resp)


def test_the_form_needs_its_csrf_token(client, archive):
    resp = client.post("/bulletins/verify", data={"sha256": sha(PDF)}, content_type="multipart/form-data")
    assert resp.status_code == 400 and 'id="verify-result"' not in text(resp)


# --- cost -----------------------------------------------------------------------------------------------------------




def test_the_archive_and_the_feed_read_in_a_fixed_number_of_statements(app, client, factory, cited):
    """Never one statement per bulletin or file: a year holds some sixty versions, the feed fifty."""
    def fetch():
        for path in ("/bulletins?year=2026", "/bulletins.atom", "/bulletins/verify"):
            assert client.get(path).status_code == 200

    def weeks(first, last):
        for week in range(first, last):
            period = periods.parse(f"2026-W{week:02d}")
            b = publish(app, factory, cited, period, [(f"w-{period.key}.csv", "text/csv", CSV + bytes([week])),
                                                     (f"w-{period.key}.pdf", "application/pdf", PDF)]).bulletin
            if week % 2:
                bulletins.withdraw(factory.ring, actor="a" * 32, bulletin=b, reason="更正")
                db.session.commit()

    weeks(1, 3)
    fetch()  # warm
    few = count_statements(fetch)
    weeks(3, 12)
    assert count_statements(fetch) == few


def test_the_archive_page_documents_exactly_the_open_data_columns(client, archive):
    """The columns table on /bulletins names each column of the files, in the files' order (opendata.COLUMNS)."""
    import re

    from registry.bulletins.opendata import COLUMNS

    page = text(client.get("/bulletins"))
    table = page[page.index('class="bulletin-columns"'):]
    named = [n.strip() for code in re.findall(r"<code>([^<]+)</code>", table[:table.index("</table>")])
             for n in code.split("/")]
    assert named == list(COLUMNS)


def test_the_archive_page_documents_exactly_the_red_list_columns(client, archive):
    """The red list's columns table on /bulletins names each column of its files, in their order
    (opendata.RED_COLUMNS)."""
    import re

    from registry.bulletins.opendata import RED_COLUMNS

    page = text(client.get("/bulletins"))
    table = page[page.index('class="bulletin-columns-red-list"'):]
    named = re.findall(r"<code>([^<]+)</code>", table[:table.index("</table>")])
    assert named == list(RED_COLUMNS)
    assert "-red-list-full" in page
