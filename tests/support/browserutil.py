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
