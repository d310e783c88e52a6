"""Reconcile writes no Status it cannot know (issue 15, finding 7).

*Stale Deal Nudge* has been handed to Dagster on paper (Scheduler ``dagster``, Enabled off,
Status ``Live``) while its n8n workflow still fires it. With n8n unreachable or failing, "is it
scheduled anywhere?" has no answer: ``reconcile`` with apply used to write ``Paused`` over it.
It must leave the Status alone and say why, on both SSOT backends."""

import logging

import pytest

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.demo.data import n8n_workflows, playbook_records
from clawbot_assets.resources.n8n import N8nApiResource
from tests.dagster.helpers import defs_for, materialize_playbooks
from tests.dagster.test_ssot_audit import _op_metadata
from tests.deploy.production_home import closed_port
from tests.fakes.n8n_server import FakeN8n
from tests.fakes.secrets import FixedSecretsResource

HANDED_OVER = {"Scheduler": "dagster", "Enabled": False}
APPLY = {"ops": {"reconcile_ssot": {"config": {"apply": True}}}}


def n8n_at(url: str) -> N8nApiResource:
    return N8nApiResource(secrets=FixedSecretsResource(values={"N8N_API_KEY": "n8n_key"}), base_url=url)


def stale_deal_nudge(ssot) -> dict:
    return next(r for r in ssot.client().list_records(PLAYBOOKS_TABLE) if r["fields"]["Name"] == "Stale Deal Nudge")


@pytest.mark.parametrize("n8n_fault", ["unreachable", "answers 500"])
def test_reconcile_apply_writes_no_status_for_a_playbook_whose_n8n_facts_are_unknown(backend, instance, n8n_fault):
    ssot = backend["ssot"]
    record = stale_deal_nudge(ssot)
    ssot.client().update(PLAYBOOKS_TABLE, [(record["id"], HANDED_OVER)])
    snapshot = [{**r, "fields": {**r["fields"], **HANDED_OVER}} if r["fields"]["Name"] == "Stale Deal Nudge" else r for r in playbook_records()]
    before = {r["id"]: r["fields"].get("Status") for r in ssot.client().list_records(PLAYBOOKS_TABLE)}

    with FakeN8n(api_key="n8n_key", workflows=n8n_workflows(), fail_status=500) as failing:
        url = f"http://127.0.0.1:{closed_port()}" if n8n_fault == "unreachable" else failing.url
        defs = defs_for({**backend, "n8n": n8n_at(url)}, snapshot=snapshot)
        materialize_playbooks(defs, instance)
        result = defs.resolve_job_def("reconcile").execute_in_process(instance=instance, run_config=APPLY)

    after = {r["id"]: r["fields"].get("Status") for r in ssot.client().list_records(PLAYBOOKS_TABLE)}
    assert after[record["id"]] == "Live"  # n8n still fires it: Paused would be a lie
    assert after == before  # n8n unknown: no playbook's Status is written at all
    metadata = _op_metadata(result)
    assert metadata["ssot_changes"].value == []
    withheld = metadata["status_withheld"].value
    assert "[withheld] Stale Deal Nudge: Status Live left as it is: unknown whether n8n still schedules it" in withheld
    warnings = [entry.user_message for entry in instance.all_logs(result.run_id) if entry.level >= logging.WARNING]
    assert any("not written" in message and "Stale Deal Nudge" in message for message in warnings)
    assert any("n8n could not be read" in message for message in warnings)


def test_with_n8n_known_the_same_playbook_is_not_called_paused_either(backend, instance):
    """The control: n8n readable and still firing it, so it is scheduled somewhere; reconcile
    proposes deactivating n8n instead of writing Paused."""
    ssot = backend["ssot"]
    record = stale_deal_nudge(ssot)
    ssot.client().update(PLAYBOOKS_TABLE, [(record["id"], HANDED_OVER)])
    with FakeN8n(api_key="n8n_key", workflows=n8n_workflows()) as server:
        defs = defs_for({**backend, "n8n": n8n_at(server.url)})
        result = defs.resolve_job_def("reconcile").execute_in_process(instance=instance, run_config=APPLY)
    metadata = _op_metadata(result)
    assert stale_deal_nudge(ssot)["fields"]["Status"] == "Live"
    assert not any("Stale Deal Nudge" in change for change in metadata["ssot_changes"].value)
    assert any("Stale Deal Nudge" in proposal for proposal in metadata["n8n_proposals"].value)
