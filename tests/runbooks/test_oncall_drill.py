"""Drill for docs/runbooks/oncall.md: on a throwaway instance where an ERROR check fails (the
demo's broken COLD playbooks fail ``trigger_and_approval_present``) and a DLQ incident is open,
the page's ``handover`` block writes the weekly handover, and it names both with their runbooks."""

import dagster as dg

from clawbot_assets.names import DLQ_INCIDENT_TAG, SALES_DLQ
from clawbot_assets.resources import local_resources
from tests.dagster.helpers import defs_for, materialize_playbooks

RUNBOOK = "oncall"


def test_the_handover_names_the_open_incident_and_the_failing_error_check(operator):
    defs = defs_for(local_resources(str(operator.data)))
    with operator.instance() as instance:
        materialize_playbooks(defs, instance)
        incident = "dlq-1-20261207T080000Z"
        assert defs.resolve_job_def("dlq_triage").execute_in_process(instance=instance, tags={DLQ_INCIDENT_TAG: incident}).success
        instance.report_runless_asset_event(dg.AssetObservation(SALES_DLQ, metadata={"depth": 3, "threshold": 0}))

    handover = operator.run(RUNBOOK, "handover").stdout
    assert f"DLQ incident `{incident}`" in handover and "depth 3 above 0" in handover
    assert "docs/runbooks/dlq_not_empty.md" in handover
    assert "ERROR check `playbooks:trigger_and_approval_present` failing since" in handover
    assert "docs/runbooks/oncall.md#playbook-checks" in handover
    assert "| pager | 0 |" in handover and "| channel-no-pager | 2 |" in handover, "no pager in the drill: what would page went to the channel"
    assert "Not measured" in handover
