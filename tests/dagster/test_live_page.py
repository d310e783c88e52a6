"""The "what's live" page, opened in a real headless browser (Debian's chromium, driven by
playwright). Without chromium the test skips locally and fails on CI, which must run it."""

import os
import shutil
from pathlib import Path

import pytest

from tests.dagster.helpers import defs_for

CHROMIUM = os.environ.get("CLAWBOT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "playwright is not installed"
    if problem is None and not Path(CHROMIUM).exists():
        problem = f"chromium not found at {CHROMIUM} (scripts/test.sh installs it)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run on CI: {problem}")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page_path(local_resources, instance):
    """Rendered before the browser starts: playwright's event loop must not wrap a Dagster run."""
    result = defs_for(local_resources).resolve_job_def("ssot_audit_refresh").execute_in_process(instance=instance)
    return Path(result.asset_materializations_for_node("whats_live_page")[0].metadata["page"].value)


def test_the_page_shows_broken_playbooks_first_with_what_to_fix(page_path, data_dir, browser):
    assert page_path == (data_dir / "whats_live" / "index.html").resolve()
    assert (data_dir / "whats_live" / "whats_live.md").read_text().startswith("# What's live")

    page = browser.new_page()
    page.goto(page_path.as_uri())
    assert page.title() == "ClawBot: what's live"
    assert "What's live" in page.locator("h1").inner_text()
    rows = page.locator("tbody tr")
    assert rows.count() == 16
    first = rows.nth(0).inner_text()
    assert first.startswith("BROKEN")
    states = [rows.nth(i).inner_text().split()[0] for i in range(16)]
    assert states == sorted(states, key=["BROKEN", "UNKNOWN", "OK"].index)
    webinar = page.locator("tr", has_text="Webinar Attendee Follow-up").inner_text()
    assert "Fix: deactivate 'Webinar Attendee Follow-up' (wf0006) in n8n" in webinar
    stale = page.locator("tr", has_text="Stale Deal Nudge").inner_text()
    assert stale.startswith("OK") and "at 08:00 on Mon (Europe/Paris)" in stale and "Marcus" in stale
    for cold in ("Cold Outbound — US SaaS", "Cold Outbound — EU Founders"):
        row = page.locator("tr", has_text=cold).inner_text()
        assert row.startswith("BROKEN") and "unsafe to run: Trigger is empty; Approval is empty" in row
    assert "Last n8n execution" in page.locator("thead").inner_text() and "success at " in stale
