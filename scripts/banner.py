"""Print the main URLs and the demo logins after `make run` started (reads `demo --json` on stdin)."""
import json
import os
import sys
from urllib.parse import urlsplit

base = sys.argv[1].rstrip("/")
data = json.load(sys.stdin)


def storage_line(url: str) -> str:
    """Where the rate limits are counted; a storage URL's password is never printed."""
    if url.startswith("memory://"):
        return ("memory:// — WARNING: each gunicorn worker counts apart, so a limit lets through up to\n"
                "                     workers × its count; start Redis on 127.0.0.1:6379 (or set"
                " REGISTRY_RATELIMIT_STORAGE_URL) and restart")
    parts = urlsplit(url)
    if parts.password:
        url = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
    return f"{url} (shared by every gunicorn worker)"


print(f"""
家信 Jiaxin is running — Ctrl-C stops the web server and the jobs process.

  Home               {base}/
  Sign in            {base}/login
  Company sign-up    {base}/signup
  API docs           {base}/api/docs
  OpenAPI document   {base}/api/openapi.json
  Health             {base}/healthz
  Check a card       {base}/c
  Worker sign-in     {base}/me/login
  Rate limits        {storage_line(os.environ.get("REGISTRY_RATELIMIT_STORAGE_URL", "memory://"))}

Demo logins (password for all: {data['accounts'][0]['password'] if data['accounts'] else '-'}):""")
for a in data["accounts"]:
    where = a.get("company_uscc") or f"{a.get('agency')} ({a.get('sector') or 'operator'})"
    totp = f"  TOTP secret {a['totp_secret']}" if a.get("totp_secret") else ""
    print(f"  {a['role']:<16} {a['login']:<22} {where}{totp}")
print()
if data.get("workers"):
    print(f"Demo card page: {base}/c/{data['workers'][0]['card_no']}")
substantiated = [c for c in data.get("complaints", []) if c.get("public")]
if substantiated:
    print(f"Demo card with reviews and a substantiated complaint: {base}/c/{substantiated[0]['card_no']}")
if data.get("self_service"):
    print(f"Demo worker self-service: card {data['self_service']['card_no']}, PIN {data['self_service']['pin']}"
          f" at {base}/me/login")
print()
