"""The dashboard page in a real headless browser: the board moves with the log.

Drives Debian's chromium through chromedriver with plain W3C WebDriver over HTTP (urllib, no
new dependency). Skipped when chromium or chromedriver is missing, unless
``SPEC_KITTY_REQUIRE_BROWSER=1``. ``SPEC_KITTY_WRITE_SCREENSHOT=1`` saves the page to
``docs/dashboard.png`` (normal runs never write into the repository).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kitty_testing import git, make_repo, ok_json, sk, sk_json
from test_dashboard import dashboards, make_mission

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "dashboard.png"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebDriver:
    """The few W3C WebDriver commands this test needs."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.session: str | None = None

    def call(self, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return json.loads(response.read() or b"{}").get("value")
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"webdriver {method} {path}: {exc.read()[:500]!r}") from None

    def ready(self) -> bool:
        try:
            return bool(self.call("GET", "/status", timeout=2)["ready"])
        except (OSError, AssertionError, KeyError, TypeError):
            return False

    def start(self, profile: Path) -> None:
        args = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
            "--window-size=1400,900",
        ]  # fmt: skip
        options = {"binary": str(CHROMIUM), "args": args}
        capabilities = {"alwaysMatch": {"goog:chromeOptions": options}}
        value = self.call("POST", "/session", {"capabilities": capabilities})
        self.session = value["sessionId"]

    def go(self, url: str) -> None:
        self.call("POST", f"/session/{self.session}/url", {"url": url})

    def run(self, script: str) -> Any:
        return self.call(
            "POST", f"/session/{self.session}/execute/sync", {"script": script, "args": []}
        )

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("GET", f"/session/{self.session}/screenshot"))

    def quit(self) -> None:
        if self.session is not None:
            with contextlib.suppress(OSError, AssertionError):
                self.call("DELETE", f"/session/{self.session}", timeout=15)
            self.session = None


def wait_for(what: str, probe: Callable[[], Any], timeout: float) -> float:
    """Poll ``probe`` until truthy; return the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if probe():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


LANE_OF = """
const lanes = {};
for (const card of document.querySelectorAll('#board .column .card')) {
  lanes[card.dataset.wp] = card.closest('.column').dataset.lane;
}
return lanes;
"""


def test_the_card_moves_within_two_seconds_of_a_transition(tmp_path: Path) -> None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("SPEC_KITTY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are required (SPEC_KITTY_REQUIRE_BROWSER)")
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER}")
    home = tmp_path / "sk-home"
    root = make_repo(tmp_path / "repo")
    name, _ = make_mission(root)
    ok_json(root, "plan", "--mission", name)
    ok_json(root, "move-task", "WP03", "--to", "claimed", "--mission", name, "--actor", "bea")
    ok_json(root, "move-task", "WP03", "--to", "in_progress", "--mission", name, "--actor", "bea")
    side = tmp_path / "side-worktree"
    git(root, "worktree", "add", "-q", "-b", "side", str(side))
    driver_port = _free_port()
    chromedriver: subprocess.Popen[bytes] | None = None
    driver = WebDriver(driver_port)
    try:
        started = sk_json(root, home, "dashboard", "start", "--port", "0")
        chromedriver = subprocess.Popen(
            [str(CHROMEDRIVER), f"--port={driver_port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for("chromedriver", driver.ready, 20)
        driver.start(tmp_path / "chrome-profile")
        driver.go(str(started["url"]))
        wait_for("WP01 in planned", lambda: driver.run(LANE_OF).get("WP01") == "planned", 30)
        assert driver.run(LANE_OF) == {"WP01": "planned", "WP02": "planned", "WP03": "in_progress"}
        columns = driver.run(
            "return [...document.querySelectorAll('#board .column')].map(c => c.dataset.lane)"
        )
        assert columns == [
            "planned", "claimed", "in_progress", "for_review", "in_review",
            "approved", "done", "blocked", "canceled",
        ]  # fmt: skip
        card = driver.run("return document.querySelector('[data-wp=\"WP02\"]').textContent")
        assert "WP02" in card and "Board view" in card and "finalize-tasks" in card
        assert "depends on WP01" in card and "waits on WP01" in card
        card = driver.run("return document.querySelector('[data-wp=\"WP01\"]').textContent")
        assert "ready to start" in card
        # A transition made with the CLI from another worktree.
        moved = ok_json(
            side, "move-task", "WP01", "--to", "claimed", "--mission", name, "--actor", "ann"
        )
        assert moved["to_lane"] == "claimed"
        took = wait_for("WP01 in claimed", lambda: driver.run(LANE_OF).get("WP01") == "claimed", 3)
        assert took < 3.0
        card = driver.run("return document.querySelector('[data-wp=\"WP01\"]').textContent")
        assert "ann" in card
        in_step = """
        const weighted = (text) => (text.match(/([0-9.]+%) weighted/) || [])[1];
        const meta = document.querySelector('.mission .meta');
        return !!meta && weighted(meta.textContent) ===
            weighted(document.getElementById('summary').textContent);
        """
        wait_for("the mission list in step with the board", lambda: driver.run(in_step), 5)
        wait_for(
            "the rendered spec",
            lambda: driver.run("return document.querySelectorAll('#artifact h1').length") > 0,
            10,
        )
        # A block's reason shows on its card.
        ok_json(
            root, "move-task", "WP03", "--to", "blocked", "--mission", name, "--actor", "bea",
            "--note", "waits for the payment API keys",
        )  # fmt: skip
        blocked = "return (document.querySelector('[data-wp=\"WP03\"] .blocked') || {}).textContent"
        wait_for("WP03's block reason", lambda: driver.run(blocked), 5)
        assert driver.run(blocked) == "blocked: waits for the payment API keys"
        # A narrow window stacks the lanes instead of cutting the board off.
        driver.call("POST", f"/session/{driver.session}/window/rect", {"width": 480, "height": 900})
        stacked = """
        const [first, second] = document.querySelectorAll('#board .column');
        return second.getBoundingClientRect().top > first.getBoundingClientRect().bottom - 1
            && document.documentElement.scrollWidth <= window.innerWidth;
        """
        wait_for("the lanes stacked in a narrow window", lambda: driver.run(stacked), 5)
        if os.environ.get("SPEC_KITTY_WRITE_SCREENSHOT") == "1":
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            SCREENSHOT.write_bytes(driver.screenshot())
        else:
            assert driver.screenshot().startswith(b"\x89PNG")
    finally:
        driver.quit()
        if chromedriver is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(chromedriver.pid, signal.SIGKILL)
            chromedriver.wait(timeout=10)
        sk(root, home, "dashboard", "stop")
        for pid in dashboards(home):
            os.kill(pid, signal.SIGKILL)
