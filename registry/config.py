"""Settings from environment variables, with safe defaults."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"
# The consequences of a market access mark (a firm graded C or bound by a serious listing), unless configured.
MARKET_ACCESS_TEXT_ZH = ("信用等级为 C 或被列入严重失信主体名单的企业：监管部门加大检查频次；不得参加评先评优；"
                         "不得享受财政资金扶持。")
MARKET_ACCESS_TEXT_EN = ("A firm graded C or on the serious-dishonesty list: its regulators inspect it more often "
                         "(加大检查频次); it may not take part in awards or commendations (不得参加评先评优); it "
                         "receives no public funding.")


class UnsafeConfiguration(RuntimeError):
    """The settings are not safe to serve outside development."""


def _bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str | os.PathLike) -> dict:
    """Read REGISTRY_* variables; nothing here touches the disk."""
    instance = Path(instance_path)
    env = os.environ.get("REGISTRY_ENV", "development")
    return {
        "ENV_NAME": env,
        "DEBUG": _bool("REGISTRY_DEBUG", False),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "REGISTRY_DATABASE_URL", f"sqlite:///{instance / 'registry.sqlite3'}"
        ),
        # Beside the database's folder, never inside it, so a copy of the
        # database (or its backup) does not carry the keys.
        "KEYS_DIR": os.environ.get("REGISTRY_KEYS_DIR", str(instance.parent / "instance-keys")),
        "SECRET_KEY": os.environ.get("REGISTRY_SECRET_KEY"),
        "RATELIMIT_STORAGE_URI": os.environ.get("REGISTRY_RATELIMIT_STORAGE_URL", "memory://"),
        "RATELIMIT_ENABLED": _bool("REGISTRY_RATELIMIT_ENABLED", True),
        # Card and company look-ups per client address; consent, activation and PIN attempts per card.
        "LOOKUP_LIMIT": os.environ.get("REGISTRY_LOOKUP_LIMIT", "300 per minute"),
        "ATTEMPT_LIMIT": os.environ.get("REGISTRY_ATTEMPT_LIMIT", "10 per 15 minutes"),
        "LOGIN_FAILURE_LIMIT": os.environ.get("REGISTRY_LOGIN_FAILURE_LIMIT", "10 per 15 minutes"),
        # Household queries per regulator account: trusted users, but a stolen token must not sweep phones.
        "HOUSEHOLD_QUERY_LIMIT": os.environ.get("REGISTRY_HOUSEHOLD_QUERY_LIMIT", "600 per hour"),
        "PUBLIC_URL": os.environ.get("REGISTRY_PUBLIC_URL", "http://127.0.0.1:5000"),
        # The regulator's public hotline residents are told to call (Chengdu's 12345 citizen service line).
        "REGULATOR_HOTLINE": os.environ.get("REGISTRY_REGULATOR_HOTLINE", "12345"),
        "LOG_ORIGIN": os.environ.get("REGISTRY_LOG_ORIGIN", "jiaxin.example/log"),
        "NOTIFY_BACKEND": os.environ.get("REGISTRY_NOTIFY_BACKEND", "outbox"),
        "ARGON2_CHEAP": _bool("REGISTRY_ARGON2_CHEAP", False),
        # The most rows an import batch (staff or service records) stores and commits at once.
        "IMPORT_BATCH": int(os.environ.get("REGISTRY_IMPORT_BATCH", "1000")),
        # Seconds an import's batch may hold the log head's lock (registry/tasks/pacing.py): batches are sized so
        # that every other change waits about this long at most behind an import.
        "BULK_LOCK_SECONDS": float(os.environ.get("REGISTRY_BULK_LOCK_SECONDS", "0.05")),
        # The share of its time bulk work may hold the log head's lock: it rests as long as each batch took
        # (0.5); 1 never rests (tasks/pacing.py).
        "BULK_SHARE": float(os.environ.get("REGISTRY_BULK_SHARE", "0.5")),
        # While nobody else writes, the seconds an import's batch may hold the lock instead, and it does not rest
        # (tasks/pacing.py, "Only while others write"); set it to BULK_LOCK_SECONDS to pace imports always.
        "BULK_QUIET_SECONDS": float(os.environ.get("REGISTRY_BULK_QUIET_SECONDS", "0.25")),
        # Values a key-rotation batch moves (and commits) at once.
        "ROTATION_BATCH": int(os.environ.get("REGISTRY_ROTATION_BATCH", "500")),
        # Worker self-service: code validity, the PIN lock-out, how long a worker stays signed in.
        "ACTIVATION_CODE_HOURS": int(os.environ.get("REGISTRY_ACTIVATION_CODE_HOURS", "72")),
        "CONSENT_CODE_MINUTES": int(os.environ.get("REGISTRY_CONSENT_CODE_MINUTES", "30")),
        # How long a customer's review code lasts (it is sent when the service is recorded).
        "REVIEW_CODE_DAYS": int(os.environ.get("REGISTRY_REVIEW_CODE_DAYS", "14")),
        # Failed review-code attempts per client address (the review page and POST /reviews).
        "REVIEW_ATTEMPT_LIMIT": os.environ.get("REGISTRY_REVIEW_ATTEMPT_LIMIT", "10 per 15 minutes"),
        # How long the outbox keeps a message to a customer (a review code) before deleting it.
        "CUSTOMER_MESSAGE_DAYS": int(os.environ.get("REGISTRY_CUSTOMER_MESSAGE_DAYS", "30")),
        # Retention (PIPL art. 19, 47; docs/privacy.md, "Retention and erasure"): a worker with no employment for
        # this many years has their name, ID number, phone and photo erased; uploaded staff files are deleted after
        # these days; access records and household query records after these years. Rows a batch deletes at once.
        "RETENTION_WORKER_YEARS": int(os.environ.get("REGISTRY_RETENTION_WORKER_YEARS", "5")),
        "RETENTION_STAFF_FILE_DAYS": int(os.environ.get("REGISTRY_RETENTION_STAFF_FILE_DAYS", "30")),
        "RETENTION_ACCESS_RECORD_YEARS": int(os.environ.get("REGISTRY_RETENTION_ACCESS_RECORD_YEARS", "3")),
        "RETENTION_HOUSEHOLD_QUERY_YEARS": int(os.environ.get("REGISTRY_RETENTION_HOUSEHOLD_QUERY_YEARS", "3")),
        "RETENTION_BATCH": int(os.environ.get("REGISTRY_RETENTION_BATCH", "200")),
        "ATTACH_CONFIRM_DAYS": int(os.environ.get("REGISTRY_ATTACH_CONFIRM_DAYS", "7")),
        # The working days a subject noticed of a proposed serious listing has to object (国办发〔2020〕49号).
        "OBJECTION_WORKING_DAYS": int(os.environ.get("REGISTRY_OBJECTION_WORKING_DAYS", "5")),
        # Objections to a sanction: working days to accept or reject after filing, and to answer after acceptance
        # (the Guangzhou public credit platform's practice: 2 and 10).
        "SANCTION_OBJECTION_ACCEPT_WORKING_DAYS": int(os.environ.get(
            "REGISTRY_SANCTION_OBJECTION_ACCEPT_WORKING_DAYS", "2")),
        "SANCTION_OBJECTION_ANSWER_WORKING_DAYS": int(os.environ.get(
            "REGISTRY_SANCTION_OBJECTION_ANSWER_WORKING_DAYS", "10")),
        # The registry's default for answering a credit repair application (to be checked against 《信用修复管理办法》).
        "SANCTION_REPAIR_ANSWER_WORKING_DAYS": int(os.environ.get(
            "REGISTRY_SANCTION_REPAIR_ANSWER_WORKING_DAYS", "10")),
        # Complaints: working days to accept or reject after filing, and to conclude after acceptance
        # (《市场监督管理投诉举报处理暂行办法》: 7 and 45).
        "COMPLAINT_ACCEPT_WORKING_DAYS": int(os.environ.get("REGISTRY_COMPLAINT_ACCEPT_WORKING_DAYS", "7")),
        "COMPLAINT_CONCLUDE_WORKING_DAYS": int(os.environ.get("REGISTRY_COMPLAINT_CONCLUDE_WORKING_DAYS", "45")),
        # How long a commendation (表彰) counts when the recording regulator gives no last day: months after it.
        "COMMENDATION_VALID_MONTHS": int(os.environ.get("REGISTRY_COMMENDATION_VALID_MONTHS", "12")),
        # Where the credit-rules files (vN.toml) are read from; empty: the repository's registry/credit/versions.
        "CREDIT_RULES_DIR": os.environ.get("REGISTRY_CREDIT_RULES_DIR", ""),
        # Subjects a credit-score recompute batch computes (and commits) at once.
        "CREDIT_RECOMPUTE_BATCH": int(os.environ.get("REGISTRY_CREDIT_RECOMPUTE_BATCH", "2000")),
        # Processes `flask credit rebuild` computes in; 0: two on PostgreSQL (one where there is one core), one on
        # SQLite (services.rebuild_processes).
        "CREDIT_REBUILD_PROCESSES": int(os.environ.get("REGISTRY_CREDIT_REBUILD_PROCESSES", "0")),
        # Working days a regulator has to answer a request for human review of a credit score (PIPL art. 50 asks for
        # a timely answer; 15 is the registry's own default).
        "SCORE_REVIEW_ANSWER_WORKING_DAYS": int(os.environ.get("REGISTRY_SCORE_REVIEW_ANSWER_WORKING_DAYS", "15")),
        # The consequences shown beside a firm graded C or bound by a serious listing (market access marks).
        "MARKET_ACCESS_TEXT_ZH": os.environ.get("REGISTRY_MARKET_ACCESS_TEXT_ZH", MARKET_ACCESS_TEXT_ZH),
        "MARKET_ACCESS_TEXT_EN": os.environ.get("REGISTRY_MARKET_ACCESS_TEXT_EN", MARKET_ACCESS_TEXT_EN),
        # How long a process remembers how many company sanctions each name gram has: the listings search starts
        # from a fragment's rarest gram; the counts only choose where to start, never what is found.
        "SEARCH_COUNTS_SECONDS": int(os.environ.get("REGISTRY_SEARCH_COUNTS_SECONDS", "300")),
        # The issuing body a disclosure bulletin's title page names.
        "BULLETIN_ISSUER_ZH": os.environ.get("REGISTRY_BULLETIN_ISSUER_ZH",
                                             "家信信用登记平台（商务、住建、市场监管部门联合公示）"),
        "BULLETIN_ISSUER_EN": os.environ.get(
            "REGISTRY_BULLETIN_ISSUER_EN",
            "Jiaxin credit registry (joint disclosure of the commerce, housing and market regulators)"),
        # What a new company is told to expect: a regulator's review in about this many working days.
        "REVIEW_WORKING_DAYS": int(os.environ.get("REGISTRY_REVIEW_WORKING_DAYS", "5")),
        "PIN_LOCK_MINUTES": int(os.environ.get("REGISTRY_PIN_LOCK_MINUTES", "15")),
        # How often the jobs process replays the whole log (jobs/schedules.py reads the same variable).
        "LOG_VERIFY_MINUTES": int(os.environ.get("REGISTRY_LOG_VERIFY_MINUTES", "60")),
        "WORKER_SESSION_HOURS": int(os.environ.get("REGISTRY_WORKER_SESSION_HOURS", "12")),
        # An account's web session ends after this long unused, and this long after sign-in whatever happens.
        "SESSION_IDLE_MINUTES": int(os.environ.get("REGISTRY_SESSION_IDLE_MINUTES", "30")),
        "SESSION_MAX_HOURS": int(os.environ.get("REGISTRY_SESSION_MAX_HOURS", "12")),
        # Who may read /metrics: the holder of this bearer token; without one, this machine alone (development) or
        # nobody (production).
        "METRICS_TOKEN": os.environ.get("REGISTRY_METRICS_TOKEN", ""),
        # /readyz fails when no jobs process has recorded its heartbeat for this long; 0: not checked.
        "READY_JOBS_SECONDS": int(os.environ.get("REGISTRY_READY_JOBS_SECONDS", "60")),
        # text, or json: one JSON object per log line (registry/monitoring/logs.py).
        "LOG_FORMAT": os.environ.get("REGISTRY_LOG_FORMAT", "text").strip().lower(),
    }


DEFAULTS = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    # Idle connections are pinged before use by database.ping_when_idle, not every checkout.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
    "API_TITLE": "Jiaxin 家信 registry API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    # Served from our own origin (swagger-ui-bundle), never from a CDN.
    "OPENAPI_SWAGGER_UI_URL": "/api/docs-assets/",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_STRATEGY": "fixed-window",
    # Company self-registrations per client address.
    "SIGNUP_LIMIT": "30 per hour",
    "BABEL_DEFAULT_LOCALE": "zh",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ("zh", "en"),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    # Room for a 20 MiB staff file (the import's own limit, which answers in its own words) and the form.
    "MAX_CONTENT_LENGTH": 21 * 1024 * 1024,
    "JSON_SORT_KEYS": False,
    "SQLITE_BUSY_TIMEOUT_MS": 30000,
}

_INSECURE_SECRETS = {None, "", "dev", "secret", "changeme", "change-me"}


def prepare_instance(instance_path: Path) -> None:
    """Create the instance folder owner-only (0700): it holds the SQLite database and the session secret.

    A folder that already exists is left as its owner set it.
    """
    path = Path(instance_path)
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:  # another process (a second gunicorn worker) made it first
        return
    os.chmod(path, 0o700)  # whatever the umask


def prepare_sqlite_file(url) -> None:
    """Create a file-backed SQLite database owner-only (0600) before SQLite creates it 0644.

    An empty file is a valid empty database. SQLite gives the -wal and -shm
    files it makes later the database file's permissions, so they are 0600 too.
    A database that exists, a missing folder (SQLite's own error says so) and
    in-memory databases are left alone.
    """
    if url.get_backend_name() != "sqlite":
        return
    name = url.database or ""
    if name in ("", ":memory:") or name.startswith("file:") or url.query.get("mode") == "memory":
        return
    path = Path(name)
    if not path.parent.is_dir():
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.fchmod(fd, 0o600)  # whatever the umask
    os.close(fd)


def load_secret_key(instance_path: Path) -> str:
    """Return the stored secret key, generating it (0600) on first run."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def check_safe(config: dict) -> None:
    """Refuse production settings that would be unsafe to serve."""
    if config.get("ENV_NAME") in {"development", "test"} or config.get("TESTING"):
        return
    problems = []
    if config.get("DEBUG"):
        problems.append("REGISTRY_DEBUG is on")
    if config.get("SECRET_KEY") in _INSECURE_SECRETS or len(config.get("SECRET_KEY") or "") < 32:
        problems.append("REGISTRY_SECRET_KEY is missing, a default or shorter than 32 characters")
    if config.get("ARGON2_CHEAP"):
        problems.append("REGISTRY_ARGON2_CHEAP is on")
    if config.get("METRICS_TOKEN") and len(config["METRICS_TOKEN"]) < 32:
        problems.append("REGISTRY_METRICS_TOKEN is shorter than 32 characters")
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        problems.append("REGISTRY_RATELIMIT_STORAGE_URL is memory:// (use redis://)")
    from .cards.qr import origin_of

    # Every scanned card is checked against this origin: without one, no card could ever read genuine.
    if origin_of(str(config.get("PUBLIC_URL", ""))) is None:
        problems.append("REGISTRY_PUBLIC_URL is not a plain http(s) URL (scheme://host[:port][/path])")
    if problems:
        raise UnsafeConfiguration(
            f"refusing to start in {config.get('ENV_NAME')!r}: " + "; ".join(problems)
        )
