"""Issue 15, finding 4, as Dagster runs it on each SSOT backend: once a ClawBot password is
configured anywhere, a password that cannot be read fails the dispatch (nothing sent) and the
reference worker (nothing accepted), with an error that names where it looked and never holds
the secret; unsigned messages only with ``CLAWBOT_ALLOW_UNSIGNED=true``."""

import json
from collections import Counter

import pytest

from clawbot_assets.adapters.queue import OutgoingMessage
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.resources import resource_for
from clawbot_assets.resources.secrets import EnvSecretsResource, UnsignedAllowedEnvSecretsResource
from tests.dagster.helpers import defs_for
from tests.dagster.test_dispatch_loop import run, worker
from tests.fakes.aws import fake_credentials

PASSWORD = "pw-Never-In-Logs-4711"


def statuses(resources) -> Counter:
    return Counter(r["fields"].get("Status") for r in resources["ssot"].client().list_records(TASKS_TABLE))


def unreadable_secrets(how: str):
    if how == "mistyped CLAWBOT_SECRETS":
        return resource_for("secrets", {"CLAWBOT_SECRETS": "aws-sm", "CLAWBOT_PASSWORD": PASSWORD})
    return resource_for("secrets", {"CLAWBOT_SECRETS": "aws", "CLAWBOT_SECRET_ID": "clawbot/app",
                             "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})


@pytest.mark.parametrize("how", ["mistyped CLAWBOT_SECRETS", "unreachable Secrets Manager"])
def test_an_unreadable_password_fails_the_dispatch_and_sends_nothing(backend, instance, monkeypatch, how):
    fake_credentials(monkeypatch)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("CLAWBOT_PASSWORD", PASSWORD)
    defs = defs_for({**backend, "secrets": unreadable_secrets(how)})
    assert run(defs, "nightly_dedupe", instance).success
    before = statuses(backend)
    dispatched = run(defs, "dispatch_sales_tasks", instance)
    assert not dispatched.success
    failure = str(dispatched.all_events)
    assert "CLAWBOT_PASSWORD cannot be read" in failure and PASSWORD not in failure
    assert backend["queue"].queue().depth().total == 0 and statuses(backend) == before


def test_without_a_password_messages_go_unsigned_only_when_the_configuration_says_so(backend, instance, monkeypatch):
    monkeypatch.delenv("CLAWBOT_PASSWORD", raising=False)
    refusing = defs_for({**backend, "secrets": EnvSecretsResource()})
    assert run(refusing, "nightly_dedupe", instance).success
    refused = run(refusing, "dispatch_sales_tasks", instance)
    assert not refused.success and "CLAWBOT_ALLOW_UNSIGNED=true" in str(refused.all_events)
    assert backend["queue"].queue().depth().total == 0

    allowing = defs_for({**backend, "secrets": UnsignedAllowedEnvSecretsResource()})
    assert run(allowing, "dispatch_sales_tasks", instance).success
    assert backend["queue"].queue().depth().total > 0


def test_the_reference_worker_refuses_a_forged_unsigned_message_unless_configured_to_accept_them(local_resources, instance, monkeypatch):
    """The forged message names a real queued task, with another deal and channel. (The embedded
    resources dispatch unsigned: ``local_resources`` sets ``CLAWBOT_ALLOW_UNSIGNED=true``.)"""
    monkeypatch.delenv("CLAWBOT_PASSWORD", raising=False)
    defs = defs_for(local_resources)
    assert run(defs, "nightly_dedupe", instance).success
    assert run(defs, "dispatch_sales_tasks", instance).success
    queue = local_resources["queue"].queue()
    genuine = queue.receive(1, visibility_timeout=0)[0]
    while batch := queue.receive(10, visibility_timeout=60):  # only the forged message stays
        for message in batch:
            queue.delete(message.receipt_handle)
    queue.delete(genuine.receipt_handle)
    forged = {**json.loads(genuine.body), "deal_id": "666", "channel": "call"}
    queue.send_batch([OutgoingMessage("forged", forged["key"].split("|")[0], json.dumps(forged))])

    strict = defs_for({**local_resources, "secrets": EnvSecretsResource()})
    refused = worker(strict, instance)
    assert not refused.success and "CLAWBOT_ALLOW_UNSIGNED" in str(refused.all_events)
    task = local_resources["ssot"].client().find_by_ids(TASKS_TABLE, [forged["record_id"]])[0]
    assert task["fields"]["Status"] == "queued" and queue.depth().total == 1
