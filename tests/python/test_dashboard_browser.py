"""End to end: `bankmart dashboard` serves a small published bank, real headless Chromium loads
every page, and any Streamlit exception, error element or browser-side exception fails the test.

Chromium is Debian's package (`make browser-deps`, a prerequisite of `make test`). It is driven
through the Chrome DevTools protocol over the `websockets` package Streamlit already depends on,
so no WebDriver or extra Python package is needed. A screenshot of every page is saved to
artifacts/screenshots/ and the load times go to artifacts/page_load_times.json.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from conftest import BIN, PROJECT_DIR, Bank, run_cli

CHROMIUM = os.environ.get("BANKMART_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = PROJECT_DIR / "artifacts"
# Page name -> URL path (the default page lives at the root).
PAGES = {
    "portfolio": "",
    "spend-tiers": "spend-tiers",
    "segments": "segments",
    "cities": "cities",
    "risk": "risk",
    "customer-360": "customer-360",
}
PAGE_TIMEOUT_S = 60.0

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--hide-scrollbars",
    "--window-size=1400,2000",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]

# Evaluated in the page: is Streamlit done (script finished, charts drawn) and what went wrong.
PAGE_STATE_JS = """
(() => {
  const q = (s) => document.querySelectorAll(s);
  const text = (els) => Array.from(els).map(e => e.innerText.slice(0, 500));
  return {
    app: q('[data-testid="stApp"]').length > 0,
    title: text(q('[data-testid="stMain"] h1')),
    running: q('[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"], [data-testid="stSkeleton"]').length,
    charts: q('[data-testid="stPlotlyChart"]').length,
    drawn: q('[data-testid="stPlotlyChart"] .main-svg').length > 0
      ? Array.from(q('[data-testid="stPlotlyChart"]')).filter(c => c.querySelector('.main-svg')).length : 0,
    exceptions: text(q('[data-testid="stException"]')),
    errors: text(q('[data-testid="stAlertContentError"]')),
    infos: text(q('[data-testid="stAlertContentInfo"]')),
    connection: text(q('[data-testid="stConnectionStatus"], [role="dialog"]')),
  };
})()
"""


class Cdp:
    """The few DevTools protocol calls the test needs, on one page target."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def browser_problems(self) -> list[str]:
        """Uncaught exceptions and console/log errors seen so far (then forgotten)."""
        problems = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                problems.append("exception: " + str(
                    details.get("exception", {}).get("description") or details.get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
                args = [a.get("value") or a.get("description") for a in params.get("args", [])]
                problems.append("console.error: " + " ".join(map(str, args))[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                if _is_base_path_probe(entry):
                    continue
                problems.append(f"log error ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
        self.events.clear()
        return problems


def _is_base_path_probe(entry: dict[str, Any]) -> bool:
    """Streamlit's frontend, opened at /<page>, first asks /<page>/_stcore/{health,host-config}
    in case the app is served under that prefix, gets a 404 and falls back to the root. That
    is how it finds its base path, not a fault of the app."""
    url = entry.get("url", "")
    return (
        entry.get("source") == "network"
        and "404" in entry.get("text", "")
        and any(url.endswith(f"/{path}/_stcore/{end}") for path in PAGES.values() if path
                for end in ("health", "host-config"))
    )


@contextlib.contextmanager
def chromium() -> Iterator[Cdp]:
    """Headless Chromium with a fresh profile; yields a DevTools session on its first page."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run `make browser-deps` (apt-get install chromium)")
    profile = Path(tempfile.mkdtemp(prefix="bankmart-chromium-"))
    proc = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Chromium did not start (exit code {proc.poll()})")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=64 * 2**20, open_timeout=10) as ws:
            cdp = Cdp(ws)
            for domain in ("Page", "Runtime", "Log"):
                cdp.call(f"{domain}.enable")
            yield cdp
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dashboard_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`bankmart dashboard` on a free port; yields its base URL once it answers."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(BIN / "bankmart"), "dashboard", "--port", str(port)],
            env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"dashboard exited {proc.returncode}:\n{log_path.read_text()[-3000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"dashboard did not answer on {url}:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def load_page(cdp: Cdp, url: str, settle_s: float = 0.6) -> tuple[float, dict[str, Any]]:
    """Navigate and wait until Streamlit has finished the script and drawn every chart.

    Returns the seconds from navigation to a page that stayed finished for ``settle_s``.
    """
    started = time.monotonic()
    cdp.call("Page.navigate", url=url)
    deadline = started + PAGE_TIMEOUT_S
    stable_since: float | None = None
    ready_at = started
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = cdp.evaluate(PAGE_STATE_JS) or {}
        done = (
            state.get("app")
            and state.get("title")
            and not state.get("running")
            and state.get("drawn") == state.get("charts")
        )
        if state.get("exceptions") or state.get("errors"):
            return time.monotonic() - started, state
        if done:
            if stable_since is None:
                stable_since = ready_at = time.monotonic()
            elif time.monotonic() - stable_since >= settle_s:
                return ready_at - started, state
        else:
            stable_since = None
        time.sleep(0.1)
    raise AssertionError(f"{url} did not finish loading in {PAGE_TIMEOUT_S:.0f} s: {state}")


def screenshot(cdp: Cdp, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = cdp.call("Page.captureScreenshot", format="png")["data"]
    path.write_bytes(base64.b64decode(data))


def check_every_page(env: dict[str, str], label: str, rounds: int = 1) -> list[dict[str, float]]:
    """Load each page ``rounds`` times on one server; fail on any problem; return load seconds.

    The first round meets an empty query cache; later rounds show the cached case.
    """
    times: list[dict[str, float]] = []
    problems: dict[str, list[str]] = {}
    with dashboard_server(env, ARTIFACTS / f"dashboard-{label}.log") as url, chromium() as cdp:
        for round_number in range(rounds):
            times.append({})
            for page, path in PAGES.items():
                seconds, state = load_page(cdp, f"{url}/{path}")
                times[-1][page] = round(seconds, 2)
                if round_number == 0:
                    screenshot(cdp, ARTIFACTS / "screenshots" / f"{label}-{page}.png")
                found = [f"streamlit exception: {e}" for e in state.get("exceptions", [])]
                found += [f"error element: {e}" for e in state.get("errors", [])]
                found += cdp.browser_problems()
                if found:
                    problems[f"{page} (round {round_number + 1})"] = found
    assert not problems, json.dumps(problems, indent=2)
    return times


# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published_bank(built_bank: Bank) -> Bank:
    run_cli("publish", env=built_bank.env)
    return built_bank


@pytest.mark.browser
@pytest.mark.dbt
def test_every_page_loads_in_chromium(published_bank: Bank) -> None:
    (times,) = check_every_page(published_bank.env, "small-bank")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "page_load_times.json").write_text(json.dumps(
        {"bank": "tests small bank", "seconds": times}, indent=2))
    for page in PAGES:
        assert (ARTIFACTS / "screenshots" / f"small-bank-{page}.png").stat().st_size > 10_000


@pytest.mark.browser
def test_without_a_serving_file_the_page_says_how_to_build_one(tmp_path: Path) -> None:
    env = dict(os.environ, BANKMART_PROJECT_DIR=str(PROJECT_DIR),
               BANKMART_SERVING_DIR=str(tmp_path / "serving"))
    with dashboard_server(env, ARTIFACTS / "dashboard-empty.log") as url, chromium() as cdp:
        _, state = load_page(cdp, f"{url}/risk")
        body = cdp.evaluate("document.body.innerText")
        screenshot(cdp, ARTIFACTS / "screenshots" / "no-serving-file.png")
        assert not state["exceptions"] and not state["errors"]
        assert "make run" in body and str(tmp_path / "serving") in body
        assert not cdp.browser_problems()


def main() -> None:
    """Measure page loads against whatever BANKMART_SERVING_DIR points at (e.g. the demo bank):
    `python tests/python/test_dashboard_browser.py [label]`."""
    label = sys.argv[1] if len(sys.argv) > 1 else "demo"
    env = dict(os.environ, BANKMART_PROJECT_DIR=str(PROJECT_DIR))
    cold, warm = check_every_page(env, label, rounds=2)
    print(json.dumps({"first load (empty cache)": cold, "second load (cached)": warm}, indent=2))


if __name__ == "__main__":
    main()
