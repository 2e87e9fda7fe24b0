"""Headless Chromium helper (Debian's ``chromium`` driven by Playwright; no browser download).

``open_page(path, screenshot)`` loads a local file, waits for the network to go idle, and
returns the console errors, page errors and every non-local request it saw, plus whether the
screenshot has content. Tests skip when no Chromium is installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if CHROMIUM is None and os.environ.get("SMALLCAP_REQUIRE_BROWSER"):  # CI must not skip silently
    raise RuntimeError("SMALLCAP_REQUIRE_BROWSER is set but chromium is not installed")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)


@dataclass
class PageVisit:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    remote_requests: list[str] = field(default_factory=list)
    title: str = ""
    screenshot: Path | None = None

    def screenshot_has_content(self) -> bool:
        """True if the screenshot is not one flat colour."""
        from PIL import Image, ImageStat

        with Image.open(self.screenshot) as img:
            stat = ImageStat.Stat(img.convert("L"))
        return stat.stddev[0] > 5.0


def open_page(path: Path, screenshot: Path, width: int = 1300, height: int = 1600) -> PageVisit:
    """Open ``path`` (a local HTML file) in headless Chromium and record what happened."""
    from playwright.sync_api import sync_playwright

    visit = PageVisit(screenshot=screenshot)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.on(
            "console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:", "about:"))
                else visit.remote_requests.append(r.url))
        page.goto(path.resolve().as_uri(), wait_until="networkidle")
        page.wait_for_timeout(500)
        visit.title = page.title()
        page.screenshot(path=str(screenshot), full_page=False)
        browser.close()
    return visit
