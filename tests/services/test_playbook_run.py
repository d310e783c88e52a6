"""One playbook run at service level, on both SSOT backends (the Airtable one is pyairtable
against the local Airtable server)."""

import datetime as dt

import pytest

from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.services.playbook_run import PlaybookRefused, run_playbook

TICK = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.timezone.utc)
SLUGS = [v.playbook.slug for v in validate_playbooks(playbook_records())]


def state_of(client):
    return {record["id"]: record["fields"] for record in client.list_records(TASKS_TABLE)}


def run_all(ssot, crm):
    outcomes = {}
    for slug in SLUGS:
        try:
            outcomes[slug] = run_playbook(ssot, crm, slug, TICK)
        except PlaybookRefused as refused:
            outcomes[slug] = refused
    return outcomes


def test_every_playbook_twice_writes_once(backend):
    ssot, crm = backend["ssot"].client(), backend["crm"].client()
    before = state_of(ssot)
    first = run_all(ssot, crm)
    after_first = state_of(ssot)
    requests_before_second = len(backend["server"].log) if "server" in backend else 0
    second = run_all(ssot, crm)
    assert state_of(ssot) == after_first
    refused = {slug for slug, outcome in first.items() if isinstance(outcome, PlaybookRefused)}
    assert refused == {"cold_outbound_eu_founders", "cold_outbound_us_saas"}
    created = {rid: fields for rid, fields in after_first.items() if rid not in before}
    assert created and len({fields["Key"] for fields in created.values()}) == len(created)
    assert {fields["Source"] for fields in created.values()} == {"dagster"}
    assert all(outcome.created == 0 for outcome in second.values() if not isinstance(outcome, PlaybookRefused))
    if "server" in backend:
        second_firing = backend["server"].log[requests_before_second:]
        assert second_firing and all(request.method == "GET" for request in second_firing)


def test_a_deal_flagged_do_not_contact_gets_an_intercepted_task(backend):
    ssot, crm = backend["ssot"].client(), backend["crm"].client()
    outcomes = run_all(ssot, crm)
    flagged = sum(o.do_not_contact for o in outcomes.values() if not isinstance(o, PlaybookRefused))
    assert flagged > 0
    intercepted = [f for f in state_of(ssot).values() if f.get("Source") == "dagster" and f.get("Status") == "intercepted"]
    assert len(intercepted) == flagged and {f["Intercept Reason"] for f in intercepted} == {"do_not_contact"}


@pytest.mark.parametrize("slug, reason", [("stale_deal_nudge", "owned by n8n, not dagster"), ("upsell_expansion", "not Enabled")])
def test_disabled_or_n8n_owned_playbooks_are_skipped_and_write_nothing(backend, slug, reason):
    ssot, crm = backend["ssot"].client(), backend["crm"].client()
    before = state_of(ssot)
    assert run_playbook(ssot, crm, slug, TICK).skipped == reason
    assert state_of(ssot) == before
