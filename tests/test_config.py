"""Configuration: safe defaults, refusal of unsafe production settings, keys on disk."""
import os
import stat

import pytest

from registry.config import UnsafeConfiguration, check_safe, load_secret_key
from registry.keys import PURPOSES, KeyRing


@pytest.mark.parametrize("over", [
    {"DEBUG": True},
    {"SECRET_KEY": "dev"},
    {"SECRET_KEY": "short"},
    {"ARGON2_CHEAP": True},
    {"RATELIMIT_STORAGE_URI": "memory://"},
])
def test_production_refuses_unsafe_settings(over):
    safe = {"ENV_NAME": "production", "DEBUG": False, "SECRET_KEY": "x" * 48, "ARGON2_CHEAP": False,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    check_safe(safe)
    with pytest.raises(UnsafeConfiguration):
        check_safe({**safe, **over})


def test_development_allows_the_defaults():
    check_safe({"ENV_NAME": "development", "DEBUG": True, "SECRET_KEY": None, "RATELIMIT_STORAGE_URI": "memory://"})


def test_secret_key_is_generated_once_and_private(tmp_path):
    first = load_secret_key(tmp_path)
    assert len(first) >= 48
    assert load_secret_key(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_keys_dir_is_private_and_holds_one_file_per_purpose(tmp_path):
    ring = KeyRing(tmp_path / "keys")
    made = ring.ensure_all()
    assert set(made) == set(PURPOSES)
    assert stat.S_IMODE(os.stat(tmp_path / "keys").st_mode) == 0o700
    for purpose in PURPOSES:
        assert stat.S_IMODE(os.stat(tmp_path / "keys" / f"{purpose}.json").st_mode) == 0o600
    assert ring.ensure_all() == []


def test_a_new_key_becomes_current_and_the_old_stays_usable(tmp_path):
    from registry.keys.crypto import aad, seal, unseal

    ring = KeyRing(tmp_path / "keys")
    ring.ensure_all()
    sealed = seal(ring, "王小明", aad("t", "c", "r"))
    old = ring.current("field").id
    ring.add("field")
    assert ring.current("field").id != old
    assert unseal(KeyRing(tmp_path / "keys"), sealed, aad("t", "c", "r")) == "王小明"


def test_ciphertext_is_bound_to_its_row(tmp_path):
    from cryptography.exceptions import InvalidTag

    from registry.keys.crypto import aad, seal, unseal

    ring = KeyRing(tmp_path / "keys")
    ring.ensure_all()
    sealed = seal(ring, "13800138000", aad("companies", "contact_phone", "row-a"))
    with pytest.raises(InvalidTag):
        unseal(ring, sealed, aad("companies", "contact_phone", "row-b"))


def test_default_keys_dir_is_beside_not_inside_the_instance(tmp_path, monkeypatch):
    from registry.config import from_environment

    monkeypatch.delenv("REGISTRY_KEYS_DIR", raising=False)
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    cfg = from_environment(tmp_path / "instance")
    assert cfg["SQLALCHEMY_DATABASE_URI"].endswith(str(tmp_path / "instance" / "registry.sqlite3"))
    assert os.path.dirname(cfg["KEYS_DIR"]) == str(tmp_path)


def test_signup_is_rate_limited(app, client, factory):
    app.config["SIGNUP_LIMIT"] = "2 per hour"
    try:
        codes = [client.post("/api/v1/companies", json={}).status_code for _ in range(3)]
    finally:
        app.config["SIGNUP_LIMIT"] = "1000 per hour"
    assert codes[:2] == [422, 422]
    assert codes[2] == 429


def test_sqlite_engine_runs_in_wal_mode_with_immediate_writes(tmp_path):
    import threading
    import time

    from sqlalchemy import create_engine, text

    from registry.database import configure_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    configure_engine(engine, 5000)
    with engine.begin() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    # A second writer queues behind the first instead of failing.
    order = []

    def writer(tag, hold):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            order.append(f"{tag}-in")
            time.sleep(hold)
            order.append(f"{tag}-out")

    first = threading.Thread(target=writer, args=("a", 0.5))
    first.start()
    time.sleep(0.1)
    writer("b", 0)
    first.join()
    assert order == ["a-in", "a-out", "b-in", "b-out"]
    engine.dispose()
