"""Making a period's bulletin: the queued task `bulletins.generate` end to end (gathered, rendered, published with
its signed manifest and one log entry), its progress, the change files from the previous bulletin, what the hourly
schedule queues, the refusals of an on-demand request, and a generation that dies before its last commit leaving
nothing behind, completed by the next run."""
from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import func, select

from registry.bulletins import generate, manifest, opendata
from registry.bulletins import services as bulletins
from registry.bulletins.api import keys_view
from registry.bulletins.models import Bulletin
from registry.errors import ApiError
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.tlog import note
from tests.support.bulletinutil import JULY, JUNE, at, by_part, commend, queue_and_run, three_sanctions
from tests.support.importutil import run_queued_tasks


@pytest.fixture
def world(app, factory, clock):
    return three_sanctions(factory, clock)


def test_the_task_publishes_every_file_signed_and_logged(app, world):
    world["clock"].freeze(at("2026-07-08"))
    before = db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()
    task = queue_and_run(app, JUNE)
    assert task.state == "done" and (task.progress_done, task.progress_total) == (4, 4)
    b = bulletins.current("2026-06")
    assert task.result["published"] == {"ref": b.ref, "version": 1, "log_index": task.result["published"]["log_index"]}
    entry = db.session.execute(select(LogEntry).where(LogEntry.seq >= before)).scalars().all()
    assert [e.action for e in entry] == ["bulletin:publish"]
    files = by_part(b)
    assert set(files) == set(opendata.file_names("2026-06", 1))
    assert files["pdf"].startswith(b"%PDF")
    assert files["full.csv"].startswith("\ufeff".encode())
    full = opendata.parse_jsonl(files["full.jsonl"])
    assert {r["ref"] for r in full} == {world["made"]["june"].ref, world["made"]["june_short"].ref}
    # The first bulletin of its kind: everything is added.
    assert files["added.jsonl"] == files["full.jsonl"] and files["removed.jsonl"] == b""
    verifiers = [note.parse_verifier_key(k["verifier_key"])
                 for k in keys_view(world["factory"].ring, app.config["LOG_ORIGIN"])["keys"]]
    opened = manifest.open_manifest(b.manifest, verifiers)
    assert opened.period == "2026-06" and opened.version == 1
    assert all(manifest.check_file(opened, f.name, f.content) for f in b.files)
    assert verify_local(world["factory"].ring, app.config["LOG_ORIGIN"]).ok


def test_the_next_bulletin_s_change_files_lead_from_the_previous_full_file_to_its_own(app, world):
    world["clock"].freeze(at("2026-07-02"))
    queue_and_run(app, JUNE)
    world["clock"].freeze(at("2026-08-03"))
    queue_and_run(app, JULY)
    june, july = by_part(bulletins.current("2026-06")), by_part(bulletins.current("2026-07"))
    made = world["made"]
    assert [r["ref"] for r in opendata.parse_jsonl(july["added.jsonl"])] == [made["july"].ref]
    assert [r["ref"] for r in opendata.parse_jsonl(july["removed.jsonl"])] == [made["june_short"].ref]
    from registry.bulletins import changes

    rebuilt = changes.apply(opendata.parse_jsonl(june["full.jsonl"]),
                            changes.Changes(added=opendata.parse_jsonl(july["added.jsonl"]),
                                            removed=opendata.parse_jsonl(july["removed.jsonl"]),
                                            changed=opendata.parse_jsonl(july["changed.jsonl"])))
    assert changes.sorted_lines(rebuilt) == changes.sorted_lines(opendata.parse_jsonl(july["full.jsonl"]))


def test_the_schedule_queues_each_ended_month_and_week_once(app, world):
    world["clock"].freeze(at("2026-07-01", time(0, 30)))
    queued = generate.queue_ended(at("2026-07-01", time(0, 30)))
    db.session.commit()
    # The log began on 2 June 2026 (a Tuesday of week 23): June and weeks 23 to 26 have ended.
    assert queued == ["2026-06", "2026-W23", "2026-W24", "2026-W25", "2026-W26"]
    assert generate.queue_ended(at("2026-07-01", time(0, 30))) == []  # queued already
    assert run_queued_tasks(app) == 5
    assert generate.queue_ended(at("2026-07-01", time(0, 30))) == []  # published
    assert [b.period_key for b in db.session.execute(select(Bulletin).order_by(Bulletin.period_key)).scalars()] == \
        ["2026-06", "2026-W23", "2026-W24", "2026-W25", "2026-W26"]


def test_an_on_demand_request_is_refused_before_the_end_twice_or_while_current(app, world):
    world["clock"].freeze(at("2026-06-30", time(23, 59)))
    with pytest.raises(ApiError) as e:
        generate.queue(JUNE, actor_ref="test")
    assert (e.value.status, e.value.code) == (422, "period_not_ended")
    world["clock"].freeze(at("2026-07-01", time(0)))
    generate.queue(JUNE, actor_ref="test")
    db.session.commit()
    with pytest.raises(ApiError) as e:
        generate.queue(JUNE, actor_ref="test")
    assert (e.value.status, e.value.code) == (409, "bulletin_pending")
    run_queued_tasks(app)
    with pytest.raises(ApiError) as e:
        generate.queue(JUNE, actor_ref="test")
    assert (e.value.status, e.value.code) == (409, "bulletin_current_exists")


def test_a_generation_that_dies_before_its_last_commit_leaves_nothing_and_the_rerun_completes(app, world):
    world["clock"].freeze(at("2026-07-02"))
    ring = world["factory"].ring
    before = db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()

    def die_after_the_files(done):
        if done == 3:
            raise KeyboardInterrupt("killed")  # as a kill would: nothing after this runs

    with pytest.raises(KeyboardInterrupt):
        generate.generate(ring, JUNE, origin=app.config["LOG_ORIGIN"], public_url="https://x.example",
                          issuer=("发布机构", "Issuer"), progress=die_after_the_files)
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Bulletin)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one() == before
    queue_and_run(app, JUNE)
    assert [b.version for b in bulletins.versions("2026-06")] == [1]
    assert verify_local(ring, app.config["LOG_ORIGIN"]).ok


def test_the_schedule_reads_a_fixed_number_of_statements_however_many_periods_ended(app, world):
    """A month after the log began 5 periods have ended; a year later 70. The schedule's reads are the same few:
    only its inserts (one per task queued) grow with the periods."""
    from tests.support.statements import count_statements

    def reads(now) -> int:
        queued = []
        statements = count_statements(lambda: queued.extend(generate.queue_ended(now)))
        db.session.rollback()
        return statements - len(queued)

    soon, late = reads(at("2026-07-01", time(0, 30))), reads(at("2027-07-01", time(0, 30)))
    assert soon == late


# --- the red list's files ------------------------------------------------------------------------------------


def red(files: dict[str, bytes], kind: str) -> list[dict]:
    return opendata.parse_jsonl(files[f"red-list-{kind}.jsonl"])


def test_the_red_list_files_are_published_signed_and_lead_from_one_bulletin_to_the_next(app, world):
    """Each bulletin publishes the red list as it was made, CSV and JSON Lines, signed in its manifest; the first
    one's change files add every firm, the next one's lead from the first's full file to its own."""
    from registry.bulletins import changes
    from registry.bulletins.gather import red_firms
    from registry.credit.models import Commendation

    commend(world, "june", "2026-06-20", "诚信示范企业")
    world["clock"].freeze(at("2026-07-02"))
    queue_and_run(app, JUNE)
    commend(world, "july", "2026-07-10", "物业服务示范项目")
    world["clock"].freeze(at("2026-08-03"))
    queue_and_run(app, JULY)
    anxin, haobang = world["made"]["june"].company, world["made"]["july"].company
    june_b, july_b = bulletins.current("2026-06"), bulletins.current("2026-07")
    june, july = by_part(june_b), by_part(july_b)

    # June: the red list of July 2 (the day it was made), every firm added.
    assert june["red-list-full.jsonl"] == opendata.red_jsonl_bytes(red_firms(at("2026-07-02").date()))
    assert june["red-list-full.csv"] == opendata.red_csv_bytes(red_firms(at("2026-07-02").date()))
    [row] = [r for r in red(june, "full") if r["uscc"] == anxin.uscc]
    [given] = db.session.execute(select(Commendation).where(Commendation.company_id == anxin.id)).scalars().all()
    assert (row["name"], row["commendations"]) == ("成都安心家政服务有限公司", [
        {"title": "诚信示范企业", "basis": "成商务〔2026〕0620号", "commended_on": "2026-06-20",
         "valid_until": given.valid_until.isoformat()}])
    assert haobang.uscc not in {r["uscc"] for r in red(june, "full")}
    assert june["red-list-added.jsonl"] == june["red-list-full.jsonl"]
    assert june["red-list-added.csv"] == june["red-list-full.csv"]
    assert june["red-list-removed.jsonl"] == june["red-list-changed.jsonl"] == b""

    # July: the firm commended on July 10 is added; June's full file plus July's changes is July's, byte for byte.
    assert haobang.uscc in [r["uscc"] for r in red(july, "added")]
    assert anxin.uscc not in [r["uscc"] for r in red(july, "removed")]
    rebuilt = changes.apply(red(june, "full"), changes.Changes(added=red(july, "added"), removed=red(july, "removed"),
                                                               changed=red(july, "changed")), key="uscc")
    assert opendata.red_jsonl_bytes(rebuilt) == july["red-list-full.jsonl"]

    # Every red-list file is listed in the signed manifest with its SHA-256, and served as published.
    verifiers = [note.parse_verifier_key(k["verifier_key"])
                 for k in keys_view(world["factory"].ring, app.config["LOG_ORIGIN"])["keys"]]
    for b, files in ((june_b, june), (july_b, july)):
        opened = manifest.open_manifest(b.manifest, verifiers, app.config["LOG_ORIGIN"])
        names = opendata.file_names(b.period_key, b.version)
        assert set(opened.files) == set(names.values())
        for part, name in names.items():
            if part.startswith("red-list-"):
                assert manifest.check_file(opened, name, files[part]), name
                resp = app.test_client().get(f"/bulletins/{b.ref}/{name}")
                assert resp.status_code == 200 and resp.data == files[part], name
                assert resp.headers["Content-Type"] == ("application/jsonl" if name.endswith(".jsonl")
                                                        else "text/csv; charset=utf-8")
    assert verify_local(world["factory"].ring, app.config["LOG_ORIGIN"]).ok


def publish_without_red_list_files(app, world, period):
    """Publish `period`'s bulletin as the registry made one before the red list had files: the PDF and the
    sanctions' eight open-data files, in a manifest that lists nothing else."""
    from registry.bulletins import follow
    from registry.bulletins.gather import gather
    from registry.clock import now

    size, root = generate.cited_checkpoint()
    content = gather(period, version=1, issuer_zh="发布机构", issuer_en="Issuer", made_at=now(), checkpoint_size=size,
                     checkpoint_root=root, verify_url="https://x.example/bulletins/verify")
    red_names = opendata.red_list_names(period.key, 1)
    files = [f for f in generate.make_files(content, [], []) if f[0] not in red_names]
    published = bulletins.publish(world["factory"].ring, actor=generate.SYSTEM_ACTOR, period=period, files=files,
                                  made_at=content.made_at, checkpoint_size=size, checkpoint_root=root,
                                  origin=app.config["LOG_ORIGIN"])
    follow.index(published.bulletin.id, follow.carried_refs(content, []))
    db.session.commit()
    return published.bulletin


def test_a_bulletin_made_before_the_red_list_files_still_verifies_and_is_the_previous_of_the_next(app, runner,
                                                                                                 world, tmp_path):
    """Its manifest lists no red-list file and verifies as it is; the next bulletin counts its red list as empty
    (every firm added, none removed or changed) and its sanctions' change files are made from it as ever."""
    from registry.bulletins import changes

    commend(world, "june", "2026-06-20", "诚信示范企业")
    world["clock"].freeze(at("2026-07-02"))
    old = publish_without_red_list_files(app, world, JUNE)
    ring, origin = world["factory"].ring, app.config["LOG_ORIGIN"]
    opened = manifest.open_manifest(old.manifest, [note.parse_verifier_key(k["verifier_key"])
                                                   for k in keys_view(ring, origin)["keys"]], origin)
    assert len(opened.files) == 9 and not any("red-list" in name for name in opened.files)
    assert bulletins.integrity_problems(ring, old, origin) == []
    assert verify_local(ring, origin).ok
    paths = []
    for f in old.files:
        (tmp_path / f.name).write_bytes(f.content)
        paths.append(str(tmp_path / f.name))
    checked = runner.invoke(args=["bulletins", "verify", *paths])
    assert checked.exit_code == 0 and "NOT genuine" not in checked.output, checked.output
    assert all(f"genuine / 真实: {p}: " in checked.output for p in paths)  # (equal files: each name said)

    world["clock"].freeze(at("2026-08-03"))
    queue_and_run(app, JULY)
    july = by_part(bulletins.current("2026-07"))
    assert world["made"]["june"].company.uscc in {r["uscc"] for r in red(july, "full")}
    assert july["red-list-added.jsonl"] == july["red-list-full.jsonl"] != b""
    assert july["red-list-removed.jsonl"] == july["red-list-changed.jsonl"] == b""
    # The sanctions' change files lead from the old bulletin's full file, as before.
    june_full = opendata.parse_jsonl(next(f.content for f in old.files if f.name.endswith("-v1-full.jsonl")))
    rebuilt = changes.apply(june_full, changes.Changes(added=opendata.parse_jsonl(july["added.jsonl"]),
                                                       removed=opendata.parse_jsonl(july["removed.jsonl"]),
                                                       changed=opendata.parse_jsonl(july["changed.jsonl"])))
    assert opendata.jsonl_bytes(rebuilt) == july["full.jsonl"]
    assert [r["ref"] for r in opendata.parse_jsonl(july["removed.jsonl"])] == [world["made"]["june_short"].ref]
    assert verify_local(ring, origin).ok
