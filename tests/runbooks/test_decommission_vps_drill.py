"""Drill for docs/runbooks/decommission_vps.md: the runbook's precondition check fails on the
demo as seeded, and passes once every playbook is cut over, n8n fires nothing, the DLQ is empty
and the reference worker consumes from SQS (moto)."""

import json

import pytest

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo.data import n8n_workflows, playbook_records
from clawbot_assets.resources import local_resources
from clawbot_assets.resources.backends import LOCAL_N8N_FILE
from clawbot_assets.resources.queue import SqsQueueResource
from tests.dagster.helpers import defs_for
from tests.fakes.aws import REGION, fake_credentials, fifo_queues
from tests.runbooks.drill import assert_documents, exec_python

RUNBOOK = "decommission_vps"
BROKEN_COLD = {"Cold Outbound — EU Founders", "Cold Outbound — US SaaS"}


def preconditions(operator, monkeypatch, capsys, **environ) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        exec_python(RUNBOOK, "preconditions", monkeypatch, DAGSTER_HOME=str(operator.home),
                    CLAWBOT_DATA_DIR=str(operator.data), **environ)
    return exit_.value.code, capsys.readouterr().out


def run_jobs(defs, instance, *jobs):
    for job in jobs:
        assert_documents(RUNBOOK, f"dg launch --job {job}") if job in ("ssot_audit_refresh", "publish_ops_metrics") else None
        config = {"ops": {"consume_queue": {"config": {"visibility_timeout": 0}}}} if job == "reference_worker" else {}
        assert defs.resolve_job_def(job).execute_in_process(instance=instance, run_config=config).success, job


def test_the_preconditions_fail_on_the_demo_and_hold_after_the_cut_over(operator, monkeypatch, capsys):
    fake_credentials(monkeypatch)
    resources = local_resources(str(operator.data))
    with operator.instance() as instance:
        run_jobs(defs_for(resources), instance, "ssot_audit_refresh", "publish_ops_metrics")
    code, out = preconditions(operator, monkeypatch, capsys)
    assert code == 1
    assert "FAIL Renewal Reminder — 30 Days: Scheduler is n8n, not dagster" in out
    assert "FAIL check single_scheduler has not passed on the latest audit" in out
    assert "FAIL CLAWBOT_QUEUE is not sqs" in out and "ops_metrics shows no task sent" in out

    ssot = resources["ssot"].client()
    ssot.update(PLAYBOOKS_TABLE, [(r["id"], {"Scheduler": "dagster", **({"Enabled": False} if r["fields"]["Name"] in BROKEN_COLD else {})})
                                  for r in ssot.list_records(PLAYBOOKS_TABLE)])
    (operator.data / LOCAL_N8N_FILE).write_text(json.dumps([{**w, "active": False} for w in n8n_workflows()]))
    snapshot = [{**r, "fields": {**r["fields"], "Scheduler": "dagster", **({"Enabled": False} if r["fields"]["Name"] in BROKEN_COLD else {})}}
                for r in playbook_records()]
    with fifo_queues() as sqs:
        queue = SqsQueueResource(queue_url=sqs.queue_url, dlq_url=sqs.dlq_url, region_name=REGION)
        defs = defs_for({**resources, "queue": queue}, snapshot=snapshot)
        with operator.instance() as instance:
            run_jobs(defs, instance, "nightly_dedupe", "dispatch_sales_tasks", "reference_worker", "publish_ops_metrics", "ssot_audit_refresh")
        code, out = preconditions(operator, monkeypatch, capsys, CLAWBOT_QUEUE="sqs",
                                  CLAWBOT_QUEUE_URL=sqs.queue_url, CLAWBOT_DLQ_URL=sqs.dlq_url)
    assert (code, out.strip()) == (0, "all preconditions hold: the VPS can go")
