"""Drill for docs/runbooks/rollback_cutover.md: *Renewal Reminder — 90 Days* starts cut over to
Dagster; the runbook's steps hand it back to n8n with Dagster in shadow, and the audit proves it."""

import contextlib
import copy
import datetime as dt

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo.data import n8n_workflows
from clawbot_assets.names import PLAYBOOK_PARTITIONS, SCHEDULED_FOR_TAG, SHADOW_TAG
from clawbot_assets.resources import local_resources
from clawbot_assets.resources.n8n import N8nApiResource
from tests.dagster.helpers import defs_for, table_state
from tests.fakes.n8n_server import FakeN8n
from tests.fakes.secrets import FixedSecretsResource
from tests.runbooks.drill import assert_documents

RUNBOOK = "rollback_cutover"
PLAYBOOK, SLUG, WORKFLOW = "Renewal Reminder — 90 Days", "renewal_reminder_90_days", "wf0004"
KEY = "n8n_api_key_rollback_drill"
SCHEDULING_CHECKS = ("single_scheduler", "enabled_matches_schedule")


def cut_over_workflows() -> list[dict]:
    """The demo's n8n, after the playbook's cut-over: its workflow deactivated."""
    workflows = copy.deepcopy(n8n_workflows())
    next(w for w in workflows if w["id"] == WORKFLOW)["active"] = False
    return workflows


@contextlib.contextmanager
def cut_over_demo(operator):
    """The embedded backend, an n8n API server after the cut-over, an instance and the defs."""
    resources = local_resources(str(operator.data))
    with FakeN8n(api_key=KEY, workflows=cut_over_workflows()) as server, operator.instance() as instance:
        n8n = N8nApiResource(secrets=FixedSecretsResource(values={"N8N_API_KEY": KEY}), base_url=server.url)
        yield resources, server, instance, defs_for({**resources, "n8n": n8n})


def set_scheduler(resources, value: str) -> None:
    """What the operator does in Airtable: the playbook's Scheduler field."""
    ssot = resources["ssot"].client()
    [row] = [r for r in ssot.list_records(PLAYBOOKS_TABLE) if r["fields"]["Name"] == PLAYBOOK]
    ssot.update(PLAYBOOKS_TABLE, [(row["id"], {"Scheduler": value})])


def scheduling_offenders(defs, instance) -> dict[str, dict]:
    assert_documents(RUNBOOK, "dg launch --job ssot_audit_refresh")
    result = defs.resolve_job_def("ssot_audit_refresh").execute_in_process(instance=instance)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    return {name: checks[name].metadata["offenders"].value for name in SCHEDULING_CHECKS}


def tick(defs, instance, when: dt.datetime):
    return defs.resolve_job_def("playbook_run").execute_in_process(
        instance=instance, partition_key=SLUG, tags={SCHEDULED_FOR_TAG: when.isoformat()}
    )


def test_rolling_back_hands_the_playbook_to_n8n_and_dagster_writes_nothing_more(operator):
    with cut_over_demo(operator) as (resources, server, instance, defs):
        instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, [SLUG])
        assert all(PLAYBOOK not in found for found in scheduling_offenders(defs, instance).values()), "cut over cleanly"
        before = table_state(resources)
        tick(defs, instance, dt.datetime(2026, 11, 24, 7, tzinfo=dt.timezone.utc))
        assert len(table_state(resources)) > len(before), "Dagster writes the playbook's tasks"

        set_scheduler(resources, "shadow")  # step 1
        shell = operator.run(RUNBOOK, "activate-n8n", N8N_BASE_URL=server.url, N8N_API_KEY=KEY, WORKFLOW_ID=WORKFLOW)
        assert f"workflow {WORKFLOW} activated (HTTP 200)" in shell.stdout and KEY not in shell.stdout + shell.stderr

        offenders = scheduling_offenders(defs, instance)
        assert all(PLAYBOOK not in found for found in offenders.values()), offenders
        written = table_state(resources)
        run = tick(defs, instance, dt.datetime(2026, 11, 25, 7, tzinfo=dt.timezone.utc))
        assert table_state(resources) == written and SHADOW_TAG in instance.get_run_by_id(run.run_id).tags


def test_skipping_the_n8n_step_leaves_the_playbook_scheduled_nowhere(operator):
    """The audit catches a rollback done halfway: shadow, but n8n's workflow still off."""
    with cut_over_demo(operator) as (resources, _server, instance, defs):
        set_scheduler(resources, "shadow")
        assert "no active n8n workflow" in scheduling_offenders(defs, instance)["enabled_matches_schedule"][PLAYBOOK]
