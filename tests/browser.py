"""A real browser for the HTML xlflow mails: headless Chromium (Debian's `chromium`,
installed by scripts/install-system-deps.sh) renders a page to a PNG and dumps its DOM.
Without Chromium the test is skipped, except under CI, where it fails."""

from __future__ import annotations

import os
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; run scripts/install-system-deps.sh")
    pytest.skip("chromium not installed (make test installs it)")


def _run(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = page.parent / ".chromium-profile"
    return subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
         *args, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, check=True)


def screenshot(page: Path, out: Path, width: int, height: int) -> Path:
    _run(page, f"--screenshot={out.resolve()}", f"--window-size={width},{height}")
    assert out.is_file(), f"chromium wrote no screenshot of {page}"
    return out


def dump_dom(page: Path) -> str:
    """The page's DOM after loading, as HTML."""
    return _run(page, "--virtual-time-budget=5000", "--dump-dom").stdout


def save_html(msg: EmailMessage, folder: Path) -> Path:
    """The message's HTML with its inline images written beside it, each `cid:` reference
    rewritten to the image's file name, as a browser (not a mail client) needs it."""
    folder.mkdir(parents=True, exist_ok=True)
    body = msg.get_body(("html",))
    assert body is not None, "the message has no HTML part"
    html = body.get_content()
    for part in msg.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_maintype() == "image":
            name = part.get_filename() or f"{cid.strip('<>').split('@')[0]}.png"
            (folder / name).write_bytes(part.get_content())
            html = html.replace(f"cid:{cid.strip('<>')}", name)
    page = folder / "notice.html"
    page.write_text(html, encoding="utf-8")
    return page
