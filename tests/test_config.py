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
    {"PUBLIC_URL": "registry.example"},
    {"PUBLIC_URL": "https://user@registry.example"},
])
def test_production_refuses_unsafe_settings(over):
    safe = {"ENV_NAME": "production", "DEBUG": False, "SECRET_KEY": "x" * 48, "ARGON2_CHEAP": False,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "PUBLIC_URL": "https://registry.example/jiaxin"}
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


@pytest.fixture
def usual_umask():
    """The umask most shells start with (0022), under which files are created world-readable by default."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_app_creates_its_instance_folder_and_sqlite_database_owner_only(tmp_path, usual_umask):
    """What `make run` does first: a command builds the app, which makes the instance folder and the database."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(REGISTRY_INSTANCE_PATH=str(instance), REGISTRY_KEYS_DIR=str(tmp_path / "keys"), PYTHONPATH=str(root))
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=root, env=env, check=True,
                   capture_output=True, timeout=120)
    assert _mode(instance) == 0o700
    assert _mode(instance / "registry.sqlite3") == 0o600
    assert _mode(instance / "secret_key") == 0o600


def test_sqlite_gives_its_wal_and_shm_files_the_database_s_private_mode(tmp_path, usual_umask):
    from sqlalchemy import create_engine, make_url

    from registry.config import prepare_instance, prepare_sqlite_file
    from registry.database import configure_engine

    folder = tmp_path / "a" / "instance"
    prepare_instance(folder)
    assert _mode(folder) == 0o700
    url = make_url(f"sqlite:///{folder / 'registry.sqlite3'}")
    prepare_sqlite_file(url)
    engine = create_engine(url)
    configure_engine(engine, 1000)
    try:
        with engine.begin() as conn:  # WAL mode: the first write makes the -wal and -shm files
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        with engine.connect() as conn:  # held open, so SQLite keeps them
            assert conn.exec_driver_sql("SELECT x FROM t").scalar_one() == 1
            for name in ("registry.sqlite3", "registry.sqlite3-wal", "registry.sqlite3-shm"):
                assert _mode(folder / name) == 0o600, name
    finally:
        engine.dispose()


def test_an_existing_database_and_in_memory_ones_are_left_alone(tmp_path):
    from sqlalchemy import make_url

    from registry.config import prepare_sqlite_file

    existing = tmp_path / "kept.sqlite3"
    existing.write_bytes(b"")
    os.chmod(existing, 0o640)
    prepare_sqlite_file(make_url(f"sqlite:///{existing}"))
    assert _mode(existing) == 0o640
    prepare_sqlite_file(make_url("sqlite://"))
    prepare_sqlite_file(make_url("postgresql+psycopg://postgres@127.0.0.1/x"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.sqlite3"]
