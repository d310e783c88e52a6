"""``python -m clawbot_assets.demo rehearse``: the whole migration (roadmap F0 to F5) walked on the
embedded demo, in the order an operator would take it, each step proven before the next.

It drives the code location's real jobs, schedule ticks and checks in process against the
instance in ``DAGSTER_HOME`` and the embedded backend in ``CLAWBOT_DATA_DIR``. Time is simulated
where waiting is not an option: a shadow week is the cron's ticks of the last ``SHADOW_DAYS``
days, played now (``demo/shadow_week.py``). The playbook snapshot is refreshed in memory from
the SSOT after every change of a playbook row (what ``dg utils refresh-defs-state`` does in
production), so the snapshot in the source tree is never written.

The order and the proofs follow the runbooks: docs/runbooks/oncall.md (*Playbook checks*, *SSOT
audit checks*), docs/cutover.md, docs/runbooks/decommission_vps.md. ``domain/rehearsal.py`` keeps
the step bookkeeping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.assets.audit_facts import gather_audit
from clawbot_assets.assets.event_metadata import table_rows
from clawbot_assets.definitions import build_defs
from clawbot_assets.demo import n8n_export
from clawbot_assets.demo.shadow_week import SHADOW_DAYS, put_in_shadow, simulate_shadow_week
from clawbot_assets.demo.ticks import play_tick, schedule_named
from clawbot_assets.domain.audit import owner
from clawbot_assets.domain.cron_words import previous_tick
from clawbot_assets.domain.playbook import Playbook, validate_playbooks
from clawbot_assets.domain.rehearsal import ProofFailed, RehearsalReport, Step, StepOutcome, prove, run_steps
from clawbot_assets.names import (
    CUTOVER_READINESS,
    DLQ_DEPTH_SENSOR,
    DLQ_INCIDENT_TAG,
    NIGHTLY_DEDUPE_JOB,
    OPS_METRICS,
    OPS_METRICS_JOB,
    PLAYBOOKS_REFRESH_JOB,
    RECONCILE_JOB,
    REFERENCE_WORKER_JOB,
    SALES_DISPATCH,
    SALES_DISPATCH_JOB,
    SSOT_AUDIT,
    SSOT_AUDIT_JOB,
    TASK_QUEUE_SALES,
    Checks as CheckNames,
    schedule_name,
)
from clawbot_assets.postmortem import write_postmortem
from clawbot_assets.resources.backends import LOCAL_N8N_FILE
from clawbot_assets.resources.n8n import LocalN8nResource
from clawbot_assets.resources.queue import LocalQueueResource
from clawbot_assets.resources.ssot import LocalSsotResource
from clawbot_assets.instance.schedule_state import schedule_states, set_schedule_running
from schedules.playbook_schedules import build_playbook_schedules

#: The fix of each seeded broken COLD playbook, as its Owner gives it (oncall.md, *Playbook
#: checks*: "fix the row in the SSOT with its Owner"): a Trigger stage, and manual approval,
#: which a COLD playbook must have.
COLD_FIXES: Mapping[str, Mapping[str, str]] = {
    "Cold Outbound — EU Founders": {"Trigger": "hubspot_stage:default/appointmentscheduled", "Approval": "manual"},
    "Cold Outbound — US SaaS": {"Trigger": "hubspot_stage:default/qualifiedtobuy", "Approval": "manual"},
}
AUDIT_ROUNDS = 3
WORKER_ROUNDS = 10
SIMULATED_TIME = (
    f"simulated time: each shadow playbook's cron ticks of the last {SHADOW_DAYS} days are played now, n8n's side "
    "written as its old worker did; schedule ticks are evaluated in process, not by the daemon"
)
REHEARSAL_FOLDER = "rehearsal"
#: Beside the post-mortem: the Dagster log lines of every run the rehearsal made.
RUN_LOG = "rehearsal.log"
AUDIT_ERROR_CHECKS = (CheckNames.ENABLED_MATCHES_SCHEDULE, CheckNames.SINGLE_SCHEDULER)


@dataclass
class Rehearsal:
    """One rehearsal on ``resources`` (the embedded backend) and ``instance``."""

    resources: dict[str, dg.ConfigurableResource]
    instance: dg.DagsterInstance
    out: Path
    cold_fixes: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: COLD_FIXES)
    build: Callable[..., dg.Definitions] = build_defs
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    #: What the rehearsal's own runs recorded, for the post-mortem's cross-check.
    dedupe_removed: list[int] = field(default_factory=list)
    cut_over: list[str] = field(default_factory=list)
    defs: dg.Definitions | None = None

    def __post_init__(self) -> None:
        for name, kind in (("ssot", LocalSsotResource), ("n8n", LocalN8nResource), ("queue", LocalQueueResource)):
            if not isinstance(self.resources.get(name), kind):
                raise RuntimeError(f"the rehearsal runs on the embedded backend only: resource {name} is not {kind.__name__}")
        self.refresh_snapshot()

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def ssot(self):
        return self.resources["ssot"].client()

    @property
    def n8n_file(self) -> Path:
        return Path(self.resources["n8n"].data_dir) / LOCAL_N8N_FILE

    def playbooks(self) -> list[Playbook]:
        return [v.playbook for v in validate_playbooks(self.ssot.list_records(PLAYBOOKS_TABLE)) if v.playbook]

    def refresh_snapshot(self) -> dg.Definitions:
        """The code location as it loads after ``dg utils refresh-defs-state``, in memory."""
        schedules = build_playbook_schedules(validate_playbooks(self.ssot.list_records(PLAYBOOKS_TABLE)))
        self.defs = self.build(self.resources, playbook_schedules=dg.Definitions(schedules=schedules))
        return self.defs

    def run(self, job: str, config: Mapping | None = None) -> dg.ExecuteInProcessResult:
        assert self.defs is not None
        result = self.defs.resolve_job_def(job).execute_in_process(instance=self.instance, raise_on_error=False, run_config=dict(config or {}))
        prove(result.success, f"job {job} failed (run {result.run_id}): {failure_text(result)}")
        return result

    def start_schedule(self, slug: str) -> None:
        assert self.defs is not None
        set_schedule_running(self.instance, schedule_named(self.defs, schedule_name(slug)), True)

    def audit(self) -> tuple[dict[str, dg.AssetCheckEvaluation], list[dict]]:
        result = self.run(SSOT_AUDIT_JOB)
        return checks_of(result), table_rows(materialisation(result, SSOT_AUDIT), "audit")

    # -- the steps --------------------------------------------------------------------------

    def steps(self) -> list[Step]:
        return [
            Step("nightly dedupe", self.nightly_dedupe),
            Step("fix the broken COLD playbooks", self.fix_cold_playbooks),
            Step("audit and reconcile until the SSOT matches", self.audit_and_reconcile),
            Step("shadow every n8n-owned playbook", self.shadow),
            Step("cut over one playbook at a time", self.cut_over_each),
            Step("dispatch and drain the queue", self.dispatch_and_drain),
            Step("decommission preconditions", self.decommission_preconditions),
            Step("end state", self.end_state),
            Step("post-mortem", self.post_mortem),
        ]

    def nightly_dedupe(self) -> str:
        result = self.run(NIGHTLY_DEDUPE_JOB)
        figures = materialisation(result, TASK_QUEUE_SALES)
        self.dedupe_removed.append(int(figures["removed"]))
        unique = checks_of(result).get(CheckNames.UNIQUE_COMPOSITE_KEY)
        prove(unique is not None and unique.passed, "unique_composite_key did not pass after the dedupe")
        return (f"removed {figures['removed']} duplicates in {figures['duplicate_groups']} groups "
                "(archived first); unique_composite_key passed")

    def fix_cold_playbooks(self) -> str:
        before = checks_of(self.run(PLAYBOOKS_REFRESH_JOB)).get(CheckNames.TRIGGER_AND_APPROVAL_PRESENT)
        unsafe = sorted(offending(before)) if before is not None and not before.passed else []
        prove(bool(unsafe), "trigger_and_approval_present already passes: the demo is not as seeded")
        rows = {r["fields"].get("Name"): r["id"] for r in self.ssot.list_records(PLAYBOOKS_TABLE)}
        missing = [name for name in unsafe if name not in self.cold_fixes]
        prove(not missing, f"no fix from its Owner for {', '.join(missing)}")
        self.ssot.update(PLAYBOOKS_TABLE, [(rows[name], dict(self.cold_fixes[name])) for name in unsafe])
        after = checks_of(self.run(PLAYBOOKS_REFRESH_JOB)).get(CheckNames.TRIGGER_AND_APPROVAL_PRESENT)
        prove(after is not None and after.passed,
              f"trigger_and_approval_present still fails after the fix: {', '.join(offending(after)) or 'no evaluation'}")
        self.refresh_snapshot()
        assert self.defs is not None
        scheduled = {s.name for s in self.defs.schedules or []}
        fixed = {p.slug for p in self.playbooks() if p.name in unsafe}
        prove(all(schedule_name(slug) in scheduled for slug in fixed), "a fixed playbook got no schedule from the refreshed snapshot")
        return f"fixed {', '.join(unsafe)} (Trigger, Approval manual); trigger_and_approval_present passed; both have a schedule"

    def n8n_side_fixes(self) -> list[str]:
        """What the audit's n8n-side findings ask for, done in the demo's n8n: deactivate the
        workflows of a playbook that Dagster owns or that is disabled, activate the workflow of an
        Enabled n8n-owned playbook that no active workflow fires."""
        assert self.defs is not None
        gathered = gather_audit(self.instance, self.defs.schedules or [], self.resources["ssot"], self.resources["n8n"])
        done = []
        for item in gathered.report.playbooks:
            playbook, workflows = item.facts.playbook, item.facts.n8n or ()
            if owner(playbook) == "dagster" or not playbook.enabled:
                done += n8n_export.set_active(self.n8n_file, [w.id for w in workflows if w.active], False)
            elif not any(w.live for w in workflows):
                done += [f"{name} (activated)" for name in n8n_export.set_active(self.n8n_file, [w.id for w in workflows], True)]
        return done

    def audit_and_reconcile(self) -> str:
        """Dagster-owned playbooks get the latest tick of their running schedule first: on a
        fresh instance none has run, and the daemon would have run them."""
        states = schedule_states(self.instance, (self.defs.schedules if self.defs else None) or [])
        daemon_ticks = [p for p in self.playbooks() if p.scheduler == "dagster" and p.enabled
                        and (state := states.get(schedule_name(p.slug))) is not None and state.running]
        for playbook in daemon_ticks:
            self.tick_now(playbook)
        actions: list[str] = [f"played the latest tick of {len(daemon_ticks)} running Dagster-owned playbook schedules"]
        for round_ in range(AUDIT_ROUNDS + 1):  # the last audit judges the last round's fixes
            checks, _rows = self.audit()
            failing = [name for name in (*AUDIT_ERROR_CHECKS, CheckNames.STATUS_REFLECTS_REALITY) if not passed(checks, name)]
            dry = op_output_metadata(self.run(RECONCILE_JOB))
            pending = [*dry.get("ssot_changes", []), *dry.get("dagster_changes", [])]
            if not failing and not pending:
                return (f"{', '.join(AUDIT_ERROR_CHECKS)} and status_reflects_reality passed, reconcile proposes nothing; "
                        f"done: {'; '.join(actions) or 'nothing'}")
            if round_ == AUDIT_ROUNDS:
                break
            if pending:
                self.run(RECONCILE_JOB, {"ops": {"reconcile_ssot": {"config": {"apply": True}}}})
                actions.append(f"reconcile applied {len(pending)} changes")
            deactivated = self.n8n_side_fixes()
            if deactivated:
                actions.append("in n8n: " + ", ".join(deactivated))
        raise ProofFailed(f"after {AUDIT_ROUNDS} rounds of audit and reconcile, still failing: "
                          f"{', '.join(failing) or 'none'}; reconcile still proposes: {'; '.join(pending) or 'nothing'}")

    def shadow(self) -> str:
        slugs = [p.slug for p in self.playbooks() if p.scheduler == "n8n" and p.enabled]
        prove(bool(slugs), "no Enabled playbook is owned by n8n: nothing to shadow")
        for slug in slugs:
            put_in_shadow(self.ssot, slug)
        self.refresh_snapshot()
        for slug in slugs:
            self.start_schedule(slug)
        result = simulate_shadow_week(self.defs, self.instance, slugs)
        readiness = table_rows(materialisation(result, CUTOVER_READINESS), "readiness")
        not_ready = [f"{row['playbook']}: {row.get('reason', '')}" for row in readiness if not row.get("ready")]
        check = checks_of(result).get(CheckNames.CUTOVER_READINESS)
        prove(check is not None and check.passed and not not_ready,
              f"cutover_readiness does not pass: {'; '.join(not_ready) or 'no evaluation'}")
        checks, _rows = self.audit()
        prove(all(passed(checks, name) for name in AUDIT_ERROR_CHECKS), "the audit fails while in shadow: "
              + ", ".join(name for name in AUDIT_ERROR_CHECKS if not passed(checks, name)))
        return f"{len(slugs)} playbooks shadowed with empty diffs, cutover_readiness passed (simulated: the cron ticks of the last {SHADOW_DAYS} days)"

    def cut_over_each(self) -> str:
        in_shadow = [p for p in self.playbooks() if p.scheduler == "shadow"]
        prove(bool(in_shadow), "no playbook is in shadow")
        for playbook in in_shadow:
            n8n_export.set_active(self.n8n_file, n8n_export.playbook_workflow_ids(self.n8n_file, playbook.slug), False)
            record_id = playbook.record_id
            self.ssot.update(PLAYBOOKS_TABLE, [(record_id, {"Scheduler": "dagster"})])
            self.refresh_snapshot()
            self.start_schedule(playbook.slug)
            checks, rows = self.audit()
            row = next((r for r in rows if r["playbook"] == playbook.name), {})
            prove(all(passed(checks, name) for name in AUDIT_ERROR_CHECKS) and row.get("scheduler") == "dagster",
                  f"the audit does not prove the cut-over of {playbook.name}: {row.get('verdict', 'no audit row')}")
            self.cut_over.append(playbook.name)
            self.tick_now(playbook)
        disabled = [p for p in self.playbooks() if p.scheduler != "dagster" and not p.enabled]
        if disabled:
            self.ssot.update(PLAYBOOKS_TABLE, [(p.record_id, {"Scheduler": "dagster"}) for p in disabled])
            self.refresh_snapshot()
        foreign = [w.id for w in n8n_export.live_workflows(self.n8n_file)]
        stopped = n8n_export.set_active(self.n8n_file, foreign, False)
        checks, _rows = self.audit()
        prove(all(passed(checks, name) for name in AUDIT_ERROR_CHECKS), "the audit fails after the cut-over")
        return (f"cut over {len(in_shadow)} playbooks one by one, each proven by the audit; "
                f"{len(disabled)} disabled set to Scheduler dagster; {len(stopped)} other n8n workflows deactivated")

    def tick_now(self, playbook: Playbook) -> None:
        """Its first tick as Dagster's: the latest tick of its cron, so the task it writes is real."""
        assert self.defs is not None
        tick = previous_tick(playbook.cron, playbook.timezone, dt.datetime.now(dt.timezone.utc))
        prove(tick is not None, f"{playbook.name}'s cron has no previous tick")
        outcome = play_tick(self.defs, self.instance, schedule_name(playbook.slug), tick)
        prove(outcome.success and not outcome.skipped, f"{playbook.name}'s first Dagster tick failed or skipped: {outcome.skipped or ''}")

    def dispatch_and_drain(self) -> str:
        self.nightly_dedupe()
        dispatch = materialisation(self.run(SALES_DISPATCH_JOB), SALES_DISPATCH)
        queue = self.resources["queue"]
        sent = 0
        for _ in range(WORKER_ROUNDS):
            if not queue.queue().depth().total:
                break
            worker = self.run(REFERENCE_WORKER_JOB, {"ops": {"consume_queue": {"config": {"visibility_timeout": 0}}}})
            sent += int(worker.output_for_node("consume_queue"))
        depth, dead = queue.queue().depth(), queue.dead_letter().depth()
        prove(depth.total == 0, f"the queue still holds {depth.total} messages after {WORKER_ROUNDS} worker runs")
        prove(dead.total == 0, f"the DLQ holds {dead.total} messages: docs/runbooks/dlq_not_empty.md")
        prove(sent > 0, "the worker sent nothing: the dispatch queued no task")
        incidents = self.sense_dlq()
        prove(not incidents, f"dlq_depth_sensor opened an incident: {', '.join(incidents)}")
        return (f"dispatch queued {dispatch.get('dispatched', '?')} tasks; the reference worker sent {sent}; "
                "queue and DLQ empty; dlq_depth_sensor opened no incident")

    def sense_dlq(self) -> list[str]:
        """One tick of ``dlq_depth_sensor`` as the daemon runs it (its observation recorded);
        returns the incidents it opened (each a ``dlq_triage`` run request)."""
        assert self.defs is not None
        (sensor,) = [s for s in self.defs.sensors or [] if s.name == DLQ_DEPTH_SENSOR]
        resources = {name: self.resources[name] for name in ("queue", "alerter")}
        with dg.build_sensor_context(instance=self.instance, resources=resources, repository_def=self.defs.get_repository_def()) as context:
            evaluation = sensor(context)
        for event in getattr(evaluation, "asset_events", None) or []:
            self.instance.report_runless_asset_event(event)
        return [request.tags.get(DLQ_INCIDENT_TAG, "?") for request in getattr(evaluation, "run_requests", None) or []]

    def decommission_preconditions(self) -> str:
        """docs/runbooks/decommission_vps.md, section 1, on the embedded backend: the local queue
        stands in for SQS, so the runbook's ``CLAWBOT_QUEUE=sqs`` line is not checked here."""
        metrics = materialisation(self.run(OPS_METRICS_JOB), OPS_METRICS)
        result = self.run(SSOT_AUDIT_JOB)
        checks, audit = checks_of(result), materialisation(result, SSOT_AUDIT)
        failures = [f"{row['playbook']}: Scheduler is {row['scheduler']}, not dagster"
                    for row in table_rows(audit, "audit") if row["scheduler"] != "dagster"]
        failures += [f"n8n workflow matching no playbook is live: {w}" for w in audit.get("n8n_workflows_matching_no_playbook", [])
                     if "inactive" not in w and "no schedule node" not in w]
        failures += [f"check {name} has not passed on the latest audit" for name in AUDIT_ERROR_CHECKS if not passed(checks, name)]
        if not metrics.get("TasksSentLastHour"):
            failures.append("ops_metrics shows no task sent in the last hour")
        if self.resources["queue"].dead_letter().depth().total:
            failures.append("the DLQ is not empty")
        prove(not failures, "; ".join(failures))
        return ("every playbook on Scheduler dagster, n8n fires nothing, DLQ empty, "
                f"{int(metrics['TasksSentLastHour'])} tasks sent in the last hour (the local queue stands in for SQS)")

    def end_state(self) -> str:
        assert self.defs is not None
        self.run(PLAYBOOKS_REFRESH_JOB)
        self.nightly_dedupe()  # counted with the others: the post-mortem's total is checked against them
        red = failing_error_checks(self.instance, self.defs)
        prove(not red, f"ERROR checks failing: {', '.join(red)}")
        live = [w.describe() for w in n8n_export.live_workflows(self.n8n_file)]
        prove(not live, f"still live in n8n: {'; '.join(live)}")
        enabled = [p for p in self.playbooks() if p.enabled]
        states = schedule_states(self.instance, self.defs.schedules or [])
        running = {p.name: s for p in enabled if (s := states.get(schedule_name(p.slug))) and s.running and p.scheduler == "dagster"}
        off = [p.name for p in enabled if p.name not in running]
        prove(not off, f"Enabled but not on a running Dagster schedule: {', '.join(off)}")
        started = sum(state.source == "instance" for state in running.values())
        return (f"every ERROR check green, no playbook live in n8n, {len(enabled)} Enabled playbooks on running Dagster "
                f"schedules as the instance reads them ({started} started in the instance, {len(running) - started} running by default)")

    def post_mortem(self) -> str:
        path, report = write_postmortem(self.instance, self.resources["ssot"], self.started, self.out,
                                        instance_description="the rehearsal's instance")
        prove(report.duplicates.removed == sum(self.dedupe_removed),
              f"the post-mortem counts {report.duplicates.removed} duplicates removed, the dedupes removed {sum(self.dedupe_removed)}")
        cut = {row.name for row in report.playbooks if row.cutover_at}
        prove(set(self.cut_over) <= cut, f"the post-mortem misses the cut-over of {', '.join(sorted(set(self.cut_over) - cut))}")
        return f"wrote {path} and its charts: {report.duplicates.removed} duplicates removed, {len(cut)} playbooks cut over"


def rehearse(resources: dict[str, dg.ConfigurableResource], instance: dg.DagsterInstance, out: Path,
             report: Callable[[StepOutcome], None] = lambda outcome: None, **options) -> RehearsalReport:
    rehearsal = Rehearsal(resources, instance, out, **options)
    return run_steps(rehearsal.steps(), report)


# -- reading what runs recorded ---------------------------------------------------------------


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            return event.step_failure_data.error.message.strip().splitlines()[0][:300]
    return "see the run's events"


def materialisation(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    found = [e.materialization for e in result.get_asset_materialization_events() if e.materialization.asset_key == dg.AssetKey(asset)]
    prove(bool(found), f"run {result.run_id} materialised no {asset}")
    return {name: value.value for name, value in found[-1].metadata.items()}


def op_output_metadata(result: dg.ExecuteInProcessResult) -> dict:
    """The metadata of the reconcile op's output."""
    for event in result.all_events:
        if event.is_successful_output and event.step_output_data.metadata:
            return {name: value.value for name, value in event.step_output_data.metadata.items()}
    return {}


def checks_of(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def passed(checks: Mapping[str, dg.AssetCheckEvaluation], name: str) -> bool:
    return name in checks and checks[name].passed


def offending(evaluation: dg.AssetCheckEvaluation | None) -> list[str]:
    """The playbook names a playbook check lists in its ``offenders``."""
    value = evaluation.metadata.get("offenders") if evaluation is not None else None
    return [str(name) for name in (getattr(value, "value", None) or {})]


def failing_error_checks(instance: dg.DagsterInstance, defs: dg.Definitions) -> list[str]:
    """Every check of the code location whose latest finished evaluation failed at ERROR severity."""
    from clawbot_assets.instance.dagster_internals import latest_check_execution

    red = []
    for key in defs.resolve_asset_graph().asset_check_keys:
        execution = latest_check_execution(instance, key)
        evaluation = execution.evaluation if execution is not None else None
        if evaluation is not None and not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            red.append(f"{key.asset_key.to_user_string()}:{key.name}")
    return red
