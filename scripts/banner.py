"""Print the main URLs and the demo logins after `make run` started (reads `demo --json` on stdin)."""
import json
import sys

base = sys.argv[1].rstrip("/")
data = json.load(sys.stdin)
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

Demo logins (password for all: {data['accounts'][0]['password'] if data['accounts'] else '-'}):""")
for a in data["accounts"]:
    where = a.get("company_uscc") or f"{a.get('agency')} ({a.get('sector') or 'operator'})"
    totp = f"  TOTP secret {a['totp_secret']}" if a.get("totp_secret") else ""
    print(f"  {a['role']:<16} {a['login']:<22} {where}{totp}")
print()
if data.get("workers"):
    print(f"Demo card page: {base}/c/{data['workers'][0]['card_no']}")
if data.get("self_service"):
    print(f"Demo worker self-service: card {data['self_service']['card_no']}, PIN {data['self_service']['pin']}"
          f" at {base}/me/login")
print()
