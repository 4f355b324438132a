"""What the browser journeys share besides the `browser` fixture (tests/browser/conftest.py)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

# A phone's viewport: every journey's pages must fit its width.
PHONE = {"width": 390, "height": 844}


def keep_screenshot(shot: Path) -> None:
    """Copy a screenshot where a person can look at it, if asked to."""
    target = os.environ.get("JIAXIN_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / shot.name)


class Journey:
    """One journey's browser: a fresh context for each person in it (no cookies shared, as each has their own
    phone), every Content-Security-Policy complaint of the console collected, and screenshots kept."""

    def __init__(self, browser, tmp_path: Path, name: str):
        self.browser, self.tmp_path, self.name = browser, tmp_path, name
        self.csp_errors: list[str] = []
        self.context = None

    def open_page(self):
        self.close()
        self.context = self.browser.new_context(viewport=PHONE, locale="zh-CN")
        self.context.set_default_timeout(10_000)
        page = self.context.new_page()
        page.on("console", lambda m: self.csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
        return page

    def shot(self, page, label: str) -> Path:
        path = self.tmp_path / f"{self.name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        keep_screenshot(path)
        return path

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None


class TotpAgent:
    """An agency account (regulator or operator) signing in with TOTP, and the steps it has used: the registry
    refuses a code's step twice, so each sign-in takes the next unused one (waiting when it is too far ahead).

    TOTP runs on the wall clock, not the registry's (tests freeze that one)."""

    def __init__(self, new):
        self.login, self.password, self.secret = new.account.login, new.password, new.totp_secret
        self.last_step = -1

    def code(self) -> str:
        import time
        from datetime import UTC, datetime

        import pyotp

        totp = pyotp.TOTP(self.secret)
        step = max(totp.timecode(datetime.now(UTC)), self.last_step + 1)
        # The registry also accepts the next step (clock drift); for one further, wait.
        while step > totp.timecode(datetime.now(UTC)) + 1:
            time.sleep(1)
        self.last_step = step
        return totp.generate_otp(step)
