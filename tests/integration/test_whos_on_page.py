"""The Who's On page in a real browser, on the whole local system (``footfall dev``).

Starts ``footfall dev`` (real Kafka, processor, workers, sinks, example rules and the
traffic generator), opens the page in headless Debian Chromium driven by Playwright,
checks that it shows nothing without a token (nor with a wrong one), opens the signed-in
link ``footfall dev`` prints, checks that a visitor from the generator appears with the
SmarterTrack columns, removes them with the page's button and checks that they leave
the list. A screenshot is saved in the test's temp dir.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _start_dev(run_dir: Path, base_port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "footfall", "dev",
            "--web-port", str(base_port), "--webhook-port", str(base_port + 2),
            "--workers", "1", "--rate", "4", "--visitors", "40", "--seed", "7",
            "--run-dir", str(run_dir), "--progress", "10m",
        ],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "FOOTFALL_TOPIC_PREFIX": "page."},
    )  # fmt: skip
    found: dict[str, str] = {}
    lines: list[str] = []
    deadline = time.monotonic() + 180
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if match := re.search(r"Who's On page:\s+(\S+)", line):
            found["page"] = match.group(1)
        if match := re.search(r"Who's On, signed in:\s+(\S+)", line):
            found["signed_in"] = match.group(1)
        if match := re.search(r"Admin token:\s+(\S+)", line):
            found["token"] = match.group(1)
        if "Press Ctrl-C to stop" in line:
            return proc, found
    proc.kill()
    raise AssertionError("footfall dev did not become ready:\n" + "".join(lines[-40:]))


async def _started_at(page: Page, visitor_id: str) -> str | None:
    row = page.locator(f'#visitor-rows tr[data-visitor="{visitor_id}"]')
    if await row.count() == 0:
        return None
    return await row.locator("td").nth(2).inner_text()


async def _status_says(page: Page, text: str) -> None:
    await page.wait_for_function(
        "text => document.getElementById('status').textContent.includes(text)", arg=text
    )


async def test_whos_on_page_lists_and_removes_visitors(
    tmp_path: Path, port_block: Callable[[int], int]
) -> None:
    # processor, one worker, webhook sink
    proc, found = _start_dev(tmp_path, port_block(3))
    try:
        assert {"page", "signed_in", "token"} <= set(found), found
        assert found["signed_in"] == f"{found['page']}#token={found['token']}"
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 900})
                # Without a token, or with a wrong one, the page shows no visitor.
                await page.goto(found["page"])
                await _status_says(page, "Enter a token to see the lists")
                await page.fill("#token", "not-the-token")
                await page.click("#token-form button")
                await _status_says(page, "The token was refused")
                assert await page.locator("#visitor-rows tr").count() == 0
                assert await page.inner_text("#online-count") == "–"
                assert await page.locator("#no-visitors").is_hidden()

                # The link footfall dev prints signs the tab in and leaves the address bar.
                await page.goto(found["signed_in"])
                await page.wait_for_selector("#visitor-rows tr", timeout=60_000)
                assert page.url == found["page"], page.url

                first = page.locator("#visitor-rows tr").first
                visitor_id = await first.get_attribute("data-visitor")
                assert visitor_id and visitor_id.startswith("v-")
                cells = [await c.inner_text() for c in await first.locator("td").all()]
                status, started_at, duration, hits, idle = (
                    cells[0],
                    cells[2],
                    cells[3],
                    cells[4],
                    cells[5],
                )
                assert status in {"browsing", "invited", "chatting"}
                assert re.fullmatch(r"\d+:\d\d(:\d\d)?", duration), duration
                assert re.fullmatch(r"\d+:\d\d(:\d\d)?", idle), idle
                assert int(hits) >= 0
                assert started_at
                assert int(await page.inner_text("#online-count")) >= 1
                await page.screenshot(path=str(tmp_path / "whos-on.png"))

                await page.locator(
                    f'#visitor-rows tr[data-visitor="{visitor_id}"] button.remove'
                ).click()
                # Removed: the row leaves the list (or, if the visitor browsed again in
                # the meantime, comes back as a new session with a later start).
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    now = await _started_at(page, visitor_id)
                    if now != started_at:
                        break
                    await page.wait_for_timeout(250)
                else:
                    raise AssertionError(f"{visitor_id} is still listed with the same session")
                await page.screenshot(path=str(tmp_path / "whos-on-after-remove.png"))

                await page.click("[data-tab=rules]")
                await page.wait_for_selector('#rule-rows tr[data-rule="invite-pricing-visitors"]')
                await page.screenshot(path=str(tmp_path / "whos-on-rules.png"))
            finally:
                await browser.close()
        assert (tmp_path / "whos-on.png").stat().st_size > 10_000
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
