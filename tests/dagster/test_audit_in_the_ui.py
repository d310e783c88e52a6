"""The audit and the what's-live page as a person sees them in the Dagster UI: the real
webserver on a test instance, read in headless chromium (issue 18, item 9).

Dagster's UI draws a table metadata value at its natural width inside the metadata's value
column, so a wide table runs past the edge and is cut off; markdown opens in a wide dialog.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import dagster as dg
import pytest
from playwright.sync_api import expect

from clawbot_assets.resources import local_resources
from tests.dagster.helpers import defs_for
from tests.dagster.test_live_page import browser  # noqa: F401 (a fixture)

SKIP_COMMUNITY_DIALOG = "window.localStorage.setItem('communityNux', 'true')"  # the UI's "Join the community" dialog


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ui_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ui") / "data"


@pytest.fixture(scope="module")
def ui(ui_data_dir):
    """The webserver's URL, over an instance where ``ssot_audit_refresh`` has run once. One
    webserver for the module: it takes seconds to start, and the tests only read."""
    data_dir = ui_data_dir
    home = data_dir.parent / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        job = defs_for(local_resources(str(data_dir))).resolve_job_def("ssot_audit_refresh")
        assert job.execute_in_process(instance=instance).success
    port = free_port()
    environment = {**os.environ, "DAGSTER_HOME": str(home), "CLAWBOT_TEST_DATA_DIR": str(data_dir), "PYTHONWARNINGS": "ignore"}
    server = subprocess.Popen(
        [sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port), "-m", "tests.dagster.demo_location", "-a", "defs"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the webserver did not start"
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def open_asset(browser, url: str, asset: str):  # noqa: F811 (the fixture, passed on)
    """The asset's overview, its metadata rendered. Reads below wait for what they read (a
    loaded machine renders late): ``wait_for`` and ``expect``, never an instant ``is_visible``."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.add_init_script(SKIP_COMMUNITY_DIALOG)
    page = context.new_page()
    page.goto(f"{url}/assets/{asset}", timeout=60_000)
    page.get_by_text("Metadata", exact=True).first.wait_for(timeout=60_000)
    return page


def metadata_value(page, key: str):
    """The value cell of the metadata row ``key`` on the asset's overview."""
    return page.locator(f"xpath=//tr[td[1][normalize-space()='{key}']]/td[last()]").first


def test_the_audit_reads_in_the_ui_without_a_table_cut_off(ui, browser):  # noqa: F811
    page = open_asset(browser, ui, "ssot_audit")
    metadata_value(page, "audit").wait_for()
    keys = page.locator("tbody > tr > td:first-child").all_inner_texts()
    assert keys.index("report") < keys.index("summary") < keys.index("audit"), keys

    summary = metadata_value(page, "summary")
    table = summary.locator("table").first
    table.wait_for()
    overflow = table.evaluate("t => t.getBoundingClientRect().width - t.closest('td').getBoundingClientRect().width")
    assert overflow <= 0, f"the summary table runs {overflow:.0f} px past its cell"
    assert "BROKEN" in table.inner_text() and "Churn Rescue" in table.inner_text()

    metadata_value(page, "report").get_by_text("Show Markdown").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="BROKEN: Cold Outbound — EU Founders (COLD, Lena)")).to_be_visible(timeout=30_000)
    text = dialog.inner_text()
    assert "unsafe to run: Trigger is empty; Approval is empty" in text
    assert "Fix: fix the row in the SSOT (check trigger_and_approval_present on playbooks)" in text
    assert text.index("BROKEN:") < text.index("OK:")


def test_the_whats_live_page_is_read_in_the_ui_and_its_file_is_a_path(ui, browser, ui_data_dir):  # noqa: F811
    page = open_asset(browser, ui, "whats_live_page")
    metadata_value(page, "page").wait_for()
    keys = page.locator("tbody > tr > td:first-child").all_inner_texts()
    assert keys[0] == "preview", keys
    assert metadata_value(page, "page").inner_text().strip() == str((ui_data_dir / "whats_live" / "index.html").resolve())
    assert metadata_value(page, "page").locator("a[href^='file:']").count() == 0, "a file:// link the browser would refuse"

    metadata_value(page, "preview").get_by_text("Show Markdown").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="What's live")).to_be_visible(timeout=30_000)
    assert dialog.locator("tr", has_text="Cold Outbound — US SaaS").inner_text().startswith("BROKEN")
