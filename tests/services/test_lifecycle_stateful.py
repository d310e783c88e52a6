"""A stateful property-based test of the task lifecycle (issue 15): any interleaving of playbook
runs, people, dispatches that crash at any step or meet an SQS outage, workers that crash
before their delete, a consumer that keeps failing (so messages reach the DLQ), triage and
redrive (crashing too), n8n's double inserts and the dedupe, on the embedded backend.

After every step: no Key is sent twice; ``sent`` never changes; the queue holds messages only
for tasks a worker may send; a queued task has a message somewhere. At the end, after an hour
of the schedules running without faults, every task has ended sent, held, intercepted,
cancelled, failed with a reason, or listed unconfirmed.
"""

import shutil
import tempfile
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.services.lifecycle_machine import SLUGS, TaskPath


class TaskLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="lifecycle-"))
        self.path = TaskPath(self.directory)

    @rule(slug=st.sampled_from(SLUGS), day=st.integers(0, 3))
    def playbook_run(self, slug, day):
        self.path.playbook_run(slug, day)

    @rule(decision=st.sampled_from(["approved", "cancelled"]), index=st.integers(0, 20))
    def person(self, decision, index):
        self.path.person(decision, index)

    @precondition(lambda self: not self.path.has_duplicate_keys())
    @rule(fault=st.sampled_from([None, None, "send", "mark", "outage", "lost_response", "worker"]))
    def dispatch(self, fault):
        self.path.dispatch(fault)

    @rule(fault=st.sampled_from([None, "delete"]), max_messages=st.integers(1, 4))
    def worker(self, fault, max_messages):
        self.path.worker(fault, max_messages)

    @rule()
    def failing_consumer(self):
        self.path.failing_consumer()

    @rule(redrive=st.booleans(), fault=st.sampled_from([None, "send", "delete", "worker"]))
    def triage(self, redrive, fault):
        self.path.triage(redrive, fault)

    @rule(index=st.integers(0, 20))
    def n8n_double_insert(self, index):
        self.path.n8n_double_insert(index)

    @rule()
    def dedupe(self):
        self.path.dedupe()

    @rule(seconds=st.sampled_from([1, 31, 250]))
    def tick(self, seconds):
        self.path.tick(seconds)

    @invariant()
    def holds(self):
        self.path.check_all()

    def teardown(self):
        try:
            self.path.settle()
            self.path.check_all()
            self.path.check_every_task_ended()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


TaskLifecycle.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None,
                                           suppress_health_check=[HealthCheck.too_slow])
test_task_lifecycle = TaskLifecycle.TestCase
