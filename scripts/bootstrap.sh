#!/usr/bin/env bash
# Set up everything Jiaxin needs on this machine: the virtual environment with
# the pinned packages, a Chinese font for the PDFs, and (with --browser) Debian's
# chromium for the page tests and Go for the log's interoperability test.
# Safe to run again: each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  # Debian packages, only as root and only when missing.
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]} — install them with: sudo apt-get install ${missing[*]}"
    return 0
  fi
  say "installing ${missing[*]}"
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
    apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. Chinese font for WeasyPrint (every Chinese glyph is a box without one).
if ! fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei"; then
  apt_install fonts-wqy-microhei
  command -v fc-cache >/dev/null && fc-cache -f >/dev/null 2>&1 || true
fi

# 2. Chromium for the browser tests.
if [ $want_browser -eq 1 ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
# Go and its sumdb packages for the transparency-log interoperability test (tests/go),
# built in GOPATH mode from /usr/share/gocode: no module proxy is needed. pg_dump and
# pg_restore for the backups of a PostgreSQL registry (tests/backup).
if [ $want_browser -eq 1 ]; then
  apt_install golang-go golang-golang-x-mod-dev postgresql-client
fi

# 3. The virtual environment, reinstalled only when the pins change.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.jiaxin-installed
want=$(cat requirements.txt requirements-dev.txt setup.cfg | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing Python packages"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt 2>&1 | { grep -v "^WARNING: Location" || true; }
  .venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
fi
