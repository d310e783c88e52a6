"""Every check and every alert kind names a runbook that exists, down to the section of
oncall.md, and the alert text carries it (issue 19)."""

import re
from pathlib import Path

import pytest

from clawbot_assets.domain.runbooks import ALARMS, CHECK_RUNBOOKS, KIND_RUNBOOKS, ONCALL, alarm_runbook, runbook_path, runbook_reference
from clawbot_assets.names import Checks
from clawbot_assets.observability.dashboards import ALARM_TOPIC, PAGER_TOPIC, alarms
from clawbot_assets.resources.alerts import Alert

ROOT = Path(__file__).resolve().parents[2]
CHECK_NAMES = sorted(value for name, value in vars(Checks).items() if name.isupper())


def github_anchor(heading: str) -> str:
    """GitHub's anchor for a markdown heading: lower-case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def target_exists(reference: str) -> bool:
    path, _, anchor = reference.partition("#")
    page = ROOT / path
    if not page.is_file():
        return False
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return not anchor or anchor in {github_anchor(heading) for heading in headings}


@pytest.mark.parametrize("check", CHECK_NAMES)
def test_every_check_maps_to_a_runbook_that_exists_and_its_alert_names_it(check):
    assert check in CHECK_RUNBOOKS, f"{check} has no runbook in domain/runbooks.py"
    path = runbook_path("check_failed", check)
    assert path.startswith("docs/runbooks/") and target_exists(path), path
    alert = Alert(kind="check_failed", title=f"ClawBot check failed: a / {check}", severity="ERROR", asset="a", check=check)
    assert f"runbook: {path}" in alert.text().splitlines()


@pytest.mark.parametrize("kind", ["check_failed", "check_recovered", "dlq_incident"])
def test_every_alert_kind_names_a_runbook_that_exists(kind):
    assert target_exists(runbook_path(kind, "unknown_check"))


def test_an_unknown_check_is_sent_to_the_on_call_page_and_the_dlq_to_its_own():
    assert runbook_path("check_failed", "brand_new_check") == f"{ONCALL}#any-other-check"
    assert runbook_path("dlq_incident") == KIND_RUNBOOKS["dlq_incident"] == "docs/runbooks/dlq_not_empty.md"
    assert runbook_path("check_recovered", Checks.SINGLE_SCHEDULER) == "docs/runbooks/playbook_double_scheduled.md"


def test_a_base_url_prefixes_the_path_once():
    base = "https://github.com/acme/clawbot/blob/main/"
    assert runbook_reference("docs/runbooks/oncall.md#playbook-checks", base) == \
        "https://github.com/acme/clawbot/blob/main/docs/runbooks/oncall.md#playbook-checks"
    assert runbook_reference("docs/runbooks/dlq_not_empty.md", "  ") == "docs/runbooks/dlq_not_empty.md"


def test_an_alert_given_its_runbook_shows_that_one():
    alert = Alert(kind="dlq_incident", title="t", severity="ERROR", runbook="https://x/docs/runbooks/dlq_not_empty.md")
    assert alert.text().splitlines()[-1] == "runbook: https://x/docs/runbooks/dlq_not_empty.md"


@pytest.mark.parametrize("alarm", [alarm["AlarmName"] for alarm in alarms()])
def test_every_cloudwatch_alarm_names_a_runbook_that_exists_and_is_routed_by_its_severity(alarm):
    (found,) = [candidate for candidate in alarms() if candidate["AlarmName"] == alarm]
    severity, _, rest = found["AlarmDescription"].partition(": ")
    assert severity in ("ERROR", "WARN"), found["AlarmDescription"]
    runbook = rest.rsplit("Runbook: ", 1)[1]
    assert runbook == alarm_runbook(alarm) and target_exists(runbook), runbook
    assert runbook != ALARMS, f"{alarm} has no section of its own in domain/runbooks.py"
    assert found["AlarmActions"] == [PAGER_TOPIC if severity == "ERROR" else ALARM_TOPIC]
    assert found["OKActions"] == [ALARM_TOPIC], "a recovery never pages"


def test_the_alarms_that_fire_with_dagster_down_page_for_what_stops_every_send():
    paging = {alarm["AlarmName"] for alarm in alarms() if alarm["AlarmActions"] == [PAGER_TOPIC]}
    assert {"clawbot-dlq-not-empty", "clawbot-daemon-heartbeat-stopped", "clawbot-worker-not-running"} <= paging
    assert "clawbot-intercept-spike" not in paging, "guardrails holding tasks back is news for the channel"
