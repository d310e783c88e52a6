"""The playbooks change sensor polls only what changed since its cursor."""

import datetime as dt

import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from sensors.playbooks_change import playbooks_change_sensor


def evaluate(resources, instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"ssot": resources["ssot"]})
    return playbooks_change_sensor(context)


def test_requests_an_audit_first_then_only_when_a_playbook_changed(local_resources, instance):
    first = evaluate(local_resources, instance)
    assert len(first.run_requests) == 1 and first.cursor
    client = local_resources["ssot"].client()

    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)).isoformat()
    quiet = evaluate(local_resources, instance, cursor=later)
    assert not quiet.run_requests and "no playbook changed" in quiet.skip_reason.skip_message

    record = client.list_records(PLAYBOOKS_TABLE)[0]
    client.update(PLAYBOOKS_TABLE, [(record["id"], {"Status": "Paused"})])
    changed = evaluate(local_resources, instance, cursor=first.cursor)
    assert len(changed.run_requests) == 1 and changed.cursor > first.cursor
    assert record["fields"]["Name"] in changed.run_requests[0].tags["clawbot/changed_playbooks"]
    again = evaluate(local_resources, instance, cursor=first.cursor)
    assert again.run_requests[0].run_key == changed.run_requests[0].run_key
