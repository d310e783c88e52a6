"""Drill for docs/runbooks/playbook_double_scheduled.md: the demo's *Renewal Reminder — 90 Days*
is live in n8n and Dagster; single_scheduler fails; the runbook's n8n deactivation (a shell,
against a local n8n API) or its Dagster schedule stop (in process) makes it pass."""

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo.data import n8n_workflows
from clawbot_assets.instance.schedule_state import set_schedule_running
from clawbot_assets.resources import local_resources
from clawbot_assets.resources.n8n import N8nApiResource
from tests.dagster.helpers import defs_for
from tests.fakes.n8n_server import FakeN8n
from tests.fakes.secrets import FixedSecretsResource
from tests.runbooks.drill import assert_documents

RUNBOOK = "playbook_double_scheduled"
PLAYBOOK, SLUG, WORKFLOW = "Renewal Reminder — 90 Days", "renewal_reminder_90_days", "wf0004"
KEY = "n8n_api_key_runbook_drill"


def single_scheduler(defs, instance):
    assert_documents(RUNBOOK, "dg launch --job ssot_audit_refresh")
    result = defs.resolve_job_def("ssot_audit_refresh").execute_in_process(instance=instance)
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == "single_scheduler"]
    return check


def test_deactivating_the_n8n_workflow_clears_single_scheduler(operator):
    with FakeN8n(api_key=KEY, workflows=n8n_workflows()) as server, operator.instance() as instance:
        n8n = N8nApiResource(secrets=FixedSecretsResource(values={"N8N_API_KEY": KEY}), base_url=server.url)
        defs = defs_for({**local_resources(str(operator.data)), "n8n": n8n})
        check = single_scheduler(defs, instance)
        assert not check.passed and f"({WORKFLOW})" in check.metadata["offenders"].value[PLAYBOOK]

        operator.run(RUNBOOK, "deactivate-n8n", expect_success=False, N8N_BASE_URL=server.url, N8N_API_KEY=KEY)
        shell = operator.run(RUNBOOK, "deactivate-n8n", N8N_BASE_URL=server.url, N8N_API_KEY=KEY, WORKFLOW_ID=WORKFLOW)
        assert f"workflow {WORKFLOW} deactivated (HTTP 200)" in shell.stdout and KEY not in shell.stdout + shell.stderr
        assert single_scheduler(defs, instance).passed


def test_stopping_the_dagster_schedule_clears_single_scheduler(operator):
    resources = local_resources(str(operator.data))
    ssot = resources["ssot"].client()
    with operator.instance() as instance:
        defs = defs_for(resources)
        assert not single_scheduler(defs, instance).passed
        [row] = [r for r in ssot.list_records(PLAYBOOKS_TABLE) if r["fields"]["Name"] == PLAYBOOK]
        ssot.update(PLAYBOOKS_TABLE, [(row["id"], {"Scheduler": "n8n"})])
        assert_documents(RUNBOOK, "dagster schedule stop playbook__<slug> -w workspace.yaml")
        set_schedule_running(instance, defs.get_repository_def().get_schedule_def(f"playbook__{SLUG}"), False)
        assert single_scheduler(defs, instance).passed
