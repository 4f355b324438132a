#!/usr/bin/env bash
# Prepare the database, keys and demo data, then serve the registry with
# gunicorn and run the jobs process beside it. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
export REGISTRY_PUBLIC_URL=${REGISTRY_PUBLIC_URL:-http://$HOST:$PORT}
FLASK=".venv/bin/flask --app wsgi"

$FLASK db upgrade
$FLASK keys init
demo_json=$($FLASK demo --if-empty --logins)

# The gunicorn workers must count rate limits in one place, or each lets a limit
# through again: Redis when it answers locally (unless a storage is already set).
REGISTRY_RATELIMIT_STORAGE_URL=$(.venv/bin/python scripts/ratelimit_storage.py)
export REGISTRY_RATELIMIT_STORAGE_URL

# Each gunicorn worker writes its request metrics here and /metrics adds up all of them; emptied at each start,
# as prometheus_client requires (a dead worker's files would otherwise count again after a restart).
metrics_dir=${PROMETHEUS_MULTIPROC_DIR:-instance/prometheus}
rm -rf "$metrics_dir" && mkdir -p -m 0700 "$metrics_dir"

.venv/bin/python -m jobs &
jobs_pid=$!
# The access log names the path only: a query string (a listings search by a person's full name) or a referer
# holding one never reaches a log.
# The logger class writes gunicorn's own lines as JSON too when REGISTRY_LOG_FORMAT=json.
PROMETHEUS_MULTIPROC_DIR=$metrics_dir .venv/bin/gunicorn --workers 2 --bind "$HOST:$PORT" --access-logfile - \
  --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)s' --log-level warning \
  --logger-class registry.monitoring.logs.GunicornLogger wsgi:app &
web_pid=$!

stop() { kill "$web_pid" "$jobs_pid" 2>/dev/null || true; wait "$web_pid" "$jobs_pid" 2>/dev/null || true; }
trap stop INT TERM EXIT

.venv/bin/python scripts/banner.py "$REGISTRY_PUBLIC_URL" <<<"$demo_json"
wait -n "$web_pid" "$jobs_pid"
