"""The template passes cfn-lint with no error or warning, and checkov with no failed check:
every finding is fixed, or skipped in the template with the reason beside it."""

import json
import subprocess
import time

import pytest

from tests.infra.cfn_template import REPO, TEMPLATE, load_template
from tests.deploy.tools import infra_tool


def test_cfn_lint_reports_nothing():
    started = time.monotonic()
    result = subprocess.run(
        [str(infra_tool("cfn-lint")), str(TEMPLATE)], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    print(f"cfn-lint took {time.monotonic() - started:.1f}s")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def checkov_report():
    """One checkov run for the module: it is the slow one (about 5 s here)."""
    started = time.monotonic()
    result = subprocess.run(
        [
            str(infra_tool("checkov")),
            "-f", str(TEMPLATE),
            "--framework", "cloudformation",
            "--skip-download", "--compact", "--quiet",
            "-o", "json",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    print(f"checkov took {time.monotonic() - started:.1f}s")
    assert result.stdout.strip(), result.stderr
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def test_checkov_fails_no_check(checkov_report):
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in checkov_report.get("results", {}).get("failed_checks", [])
    ]
    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["resource_count"] == len(load_template()["Resources"])
    assert not failed, "\n".join(failed)


def test_checkov_ran_checks(checkov_report):
    """A quiet report with nothing failed must still have checked something."""
    assert checkov_report["summary"]["passed"] > 50


def test_every_checkov_skip_says_why():
    for logical_id, resource in load_template()["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert skip["id"].startswith("CKV"), logical_id
            assert len(skip.get("comment", "")) > 30, f"{logical_id} skips {skip['id']} without a reason"
