"""The worker conformance kit passes the reference worker and fails workers that break the contract.

The broken workers are small, plausible mistakes built from the same adapters as the reference
worker, so each failure shown here is one the kit would report against ClawBot's FastAPI worker."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Mapping

from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.domain.queue_message import parse_message
from clawbot_assets.domain.task_lifecycle import SENDABLE, SENT_AT_FIELD, Status, effective_status
from clawbot_assets.resources import backends, queue as queue_resources, secrets
from clawbot_assets.adapters import ssot_local_fixture
from clawbot_assets.services.worker import run_worker
from clawbot_assets.resources import ssot as ssot_resources
from clawbot_assets.worker_conformance import environment, environment_aws
from clawbot_assets.worker_conformance.__main__ import main
from clawbot_assets.worker_conformance.reference_worker import backend, recorder, run_reference_worker
from clawbot_assets.worker_conformance.runner import run_kit
from clawbot_assets.worker_conformance.environment import CLAWBOT_PASSWORD, DELIVERIES
from tests.fakes.aws import fake_credentials


def _failed(results) -> dict[str, list[str]]:
    return {result.name: result.failures for result in results if not result.passed}


def test_the_reference_worker_passes_every_scenario_through_the_command_line():
    done = subprocess.run([sys.executable, "-m", "clawbot_assets.worker_conformance"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASS ") == 6 and "FAIL" not in done.stdout


def test_a_failing_worker_command_makes_the_kit_exit_non_zero_with_the_reasons(tmp_path):
    idle = tmp_path / "idle_worker.py"
    idle.write_text("raise SystemExit(0)\n")
    done = subprocess.run([sys.executable, "-m", "clawbot_assets.worker_conformance", "--worker",
                           f"{sys.executable} {idle}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "FAIL sends_a_queued_task" in done.stdout
    assert "delivered 0 times, not once" in done.stdout
    assert "FAIL sends_once_under_redelivery" in done.stdout


def _ignores_signatures(variables: Mapping[str, str]) -> int:
    ssot, queue = backend(variables)
    run_worker(ssot, queue, recorder(variables[DELIVERIES]), signing_key=None, accept_unsigned=True)
    return 0


def _signed_messages(queue, variables: Mapping[str, str]):
    """The received messages whose signature holds, with their tasks; the others are skipped."""
    for message in queue.receive(10, visibility_timeout=30):
        try:
            yield message, parse_message(message.body, variables[CLAWBOT_PASSWORD])
        except ValueError:
            continue


def _send_and_mark(ssot, deliver, task) -> None:
    deliver(task)
    ssot.update(TASKS_TABLE, [(task.record_id, {"Status": Status.SENT, SENT_AT_FIELD: "2026-11-25T14:00:00+00:00"})])


def _sends_without_checking_status(variables: Mapping[str, str]) -> int:
    ssot, queue = backend(variables)
    deliver = recorder(variables[DELIVERIES])
    for message, task in _signed_messages(queue, variables):
        _send_and_mark(ssot, deliver, task)
        queue.delete(message.receipt_handle)
    return 0


def _deletes_what_it_cannot_read(variables: Mapping[str, str]) -> int:
    """Checks status and signature, but deletes every message it received (a ``finally``)."""
    ssot, queue = backend(variables)
    deliver = recorder(variables[DELIVERIES])
    for message in queue.receive(10, visibility_timeout=30):
        try:
            task = parse_message(message.body, variables[CLAWBOT_PASSWORD])
            if effective_status(ssot.find_by_ids(TASKS_TABLE, [task.record_id])[0]["fields"]) in SENDABLE:
                _send_and_mark(ssot, deliver, task)
        except ValueError:
            pass
        finally:
            queue.delete(message.receipt_handle)
    return 0


def _leaves_what_it_does_not_send(variables: Mapping[str, str]) -> int:
    """Sends only queued tasks of the message's Key, but deletes only the messages it sent."""
    ssot, queue = backend(variables)
    deliver = recorder(variables[DELIVERIES])
    for message, task in _signed_messages(queue, variables):
        fields = ssot.find_by_ids(TASKS_TABLE, [task.record_id])[0]["fields"]
        if fields.get("Key") != task.key:
            continue
        status = effective_status(fields)
        if status in SENDABLE:
            _send_and_mark(ssot, deliver, task)
            queue.delete(message.receipt_handle)
        elif status == Status.SENT:
            queue.delete(message.receipt_handle)
    return 0


def _crashes_on_poison(variables: Mapping[str, str]) -> int:
    ssot, queue = backend(variables)
    for message in queue.receive(10, visibility_timeout=30):
        json.loads(message.body)
    return run_reference_worker(variables)


def test_the_reference_worker_passes_in_process():
    assert _failed(run_kit(run_reference_worker)) == {}


def test_a_worker_that_ignores_signatures_fails_the_refusal_scenario():
    failed = _failed(run_kit(_ignores_signatures))
    assert set(failed) == {"refuses_unsigned_and_forged"}
    assert any("contacted 1 times from an unsigned or forged message" in reason for reason in failed["refuses_unsigned_and_forged"])


def test_a_worker_that_sends_without_checking_status_fails_not_queued_and_redelivery():
    failed = _failed(run_kit(_sends_without_checking_status))
    assert set(failed) == {"never_sends_a_task_not_queued", "sends_once_under_redelivery", "judges_by_the_task"}
    assert any("a pending task was sent 1 times" in reason for reason in failed["never_sends_a_task_not_queued"])
    assert any("contacted 3 times, not once" in reason for reason in failed["sends_once_under_redelivery"])


def test_a_worker_that_deletes_unreadable_messages_fails_the_dlq_scenarios():
    failed = _failed(run_kit(_deletes_what_it_cannot_read))
    assert set(failed) == {"refuses_unsigned_and_forged", "leaves_poison_for_the_dlq", "judges_by_the_task"}
    assert failed["judges_by_the_task"] == ["a message whose Key is not its task's was sent 1 times",
                                            "the task a stale message names was changed to 'sent'"]
    assert any("did not reach the DLQ" in reason for reason in failed["leaves_poison_for_the_dlq"])


def test_a_worker_that_leaves_the_messages_of_tasks_not_queued_fails_that_scenario():
    failed = _failed(run_kit(_leaves_what_it_does_not_send))
    assert set(failed) == {"never_sends_a_task_not_queued"}
    assert failed["never_sends_a_task_not_queued"] == ["messages of tasks not queued were not deleted"]


def test_a_worker_that_crashes_on_poison_fails_the_poison_scenario():
    failed = _failed(run_kit(_command_like(_crashes_on_poison)))
    assert "leaves_poison_for_the_dlq" in failed
    assert any("exited 1 (crashed)" in reason for reason in failed["leaves_poison_for_the_dlq"])


def _command_like(worker):
    """A crash in a command is a non-zero exit: the in-process worker reports it the same way."""
    def run(variables):
        try:
            return worker(variables)
        except Exception:  # noqa: BLE001 - the crash is what is being judged
            return 1
    return run


def test_the_kit_names_the_backend_as_the_project_does():
    assert (environment.DATA_DIR, environment.ALLOW_UNSIGNED) == (backends.DATA_DIR, backends.ALLOW_UNSIGNED)
    assert (environment.LOCAL_QUEUE_FILE, environment.LOCAL_SSOT_FILE) == (backends.LOCAL_QUEUE_FILE, backends.LOCAL_SSOT_FILE)
    assert (environment.LOCAL_QUEUE, environment.LOCAL_DLQ, environment.MAX_RECEIVE_COUNT) == (
        queue_resources.LOCAL_QUEUE, queue_resources.LOCAL_DLQ, queue_resources.MAX_RECEIVE_COUNT)
    assert environment.CLAWBOT_PASSWORD == secrets.CLAWBOT_PASSWORD
    assert environment.SEEDED_MARKER == ssot_local_fixture.SEEDED_MARKER
    assert (environment.QUEUE_SWITCH, environment.SSOT_SWITCH) == (backends.QUEUE_SWITCH, backends.SSOT_SWITCH)
    assert (environment_aws.QUEUE_URL, environment_aws.DLQ_URL, environment_aws.RATE_LIMITER_URL, environment_aws.RATE_LIMIT_FILE) == (
        backends.QUEUE_URL, backends.DLQ_URL, backends.RATE_LIMITER_URL, backends.RATE_LIMIT_FILE)
    assert environment_aws.AIRTABLE_API_KEY == ssot_resources.AIRTABLE_API_KEY


def test_on_sqs_and_airtable_the_reference_worker_passes_and_a_status_blind_worker_fails(monkeypatch):
    """The in-process workers make their boto3 clients from this process's environment, as a worker
    process does from the variables the kit gives it."""
    fake_credentials(monkeypatch)
    assert _failed(run_kit(run_reference_worker, backend="aws-airtable")) == {}
    failed = _failed(run_kit(_sends_without_checking_status, backend="aws-airtable"))
    assert set(failed) == {"never_sends_a_task_not_queued", "sends_once_under_redelivery", "judges_by_the_task"}
    assert any("contacted 3 times, not once" in reason for reason in failed["sends_once_under_redelivery"])


def test_outside_the_repository_the_aws_airtable_backend_says_what_is_missing(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tests.fakes.airtable_server", None)
    try:
        main(["--backend", "aws-airtable"])
    except SystemExit as exit_:
        assert exit_.code == 2
    else:
        raise AssertionError("the kit ran without the Airtable fake")
    error = capsys.readouterr().err
    assert "tests/fakes/airtable_server.py" in error and "checkout of the repository" in error
