"""Checks on ``playbooks``. Failure metadata names each offending playbook and what is wrong."""


import dagster as dg

from clawbot_assets.adapters.crm import Pipeline
from clawbot_assets.assets.playbooks import playbooks
from clawbot_assets.domain.drift import expected_schedules, schedule_drift
from clawbot_assets.domain.playbook import (
    PlaybookValidation,
    Problem,
    validate_playbooks,
)
from clawbot_assets.names import Checks
from schedules.snapshot_component import local_snapshot_records


def offenders(validations: list[PlaybookValidation], codes: frozenset[str]) -> dict[str, str]:
    """``{playbook name or record id: what is wrong}`` for rows with any of ``codes``."""
    return {
        (validation.name or f"<unnamed {validation.record_id}>"): "; ".join(
            problem.message for problem in validation.problems if problem.code in codes
        )
        for validation in validations
        if validation.codes & codes
    }


def offenders_result(found: dict[str, str], severity: dg.AssetCheckSeverity, checked: int) -> dg.AssetCheckResult:
    """Passes when no playbook offends; the metadata names each one and what is wrong."""
    return dg.AssetCheckResult(
        passed=not found,
        severity=severity,
        metadata={
            "failing_playbooks": dg.MetadataValue.int(len(found)),
            "offenders": dg.MetadataValue.json(found),
            "checked_playbooks": dg.MetadataValue.int(checked),
        },
    )


def build_problem_check(name: str, codes: frozenset[str], *, blocking: bool, severity: dg.AssetCheckSeverity, description: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=playbooks, name=name, blocking=blocking, description=description)
    def _check(playbooks: list[PlaybookValidation]) -> dg.AssetCheckResult:
        return offenders_result(offenders(playbooks, codes), severity, len(playbooks))

    return _check


trigger_and_approval_present = build_problem_check(
    Checks.TRIGGER_AND_APPROVAL_PRESENT,
    frozenset({Problem.TRIGGER_MISSING, Problem.TRIGGER_INVALID, Problem.APPROVAL_MISSING, Problem.APPROVAL_INVALID, Problem.COLD_NOT_MANUAL}),
    blocking=True,
    severity=dg.AssetCheckSeverity.ERROR,
    description="Every playbook has a valid Trigger and Approval, and COLD playbooks need manual approval. "
    "Blocking: a failure stops every downstream asset in the run.",
)

cron_valid = build_problem_check(
    Checks.CRON_VALID,
    frozenset({Problem.CRON_INVALID, Problem.TIMEZONE_INVALID}),
    blocking=False,
    severity=dg.AssetCheckSeverity.ERROR,
    description="Every playbook has a valid 5-field cron and an IANA timezone; a failing one has no schedule.",
)

names_unique = build_problem_check(
    Checks.NAMES_UNIQUE,
    frozenset({Problem.NAME_MISSING, Problem.NAME_DUPLICATE}),
    blocking=False,
    severity=dg.AssetCheckSeverity.ERROR,
    description="Every playbook has a Name, and no two Names make the same slug; a failing one has no schedule.",
)

fields_valid = build_problem_check(
    Checks.FIELDS_VALID,
    frozenset(
        {
            Problem.TIER_INVALID,
            Problem.DAILY_CAP_INVALID,
            Problem.COOLDOWN_INVALID,
            Problem.STATUS_INVALID,
            Problem.SCHEDULER_INVALID,
            Problem.CHANNEL_INVALID,
        }
    ),
    blocking=False,
    severity=dg.AssetCheckSeverity.WARN,
    description="Tier, Daily Cap, Cooldown Days, Status, Scheduler and Channel hold allowed values.",
)


@dg.asset_check(
    asset=playbooks,
    name=Checks.TRIGGER_STAGE_EXISTS,
    additional_ins={"hubspot_deal_pipelines": dg.AssetIn()},
)
def trigger_stage_exists(playbooks: list[PlaybookValidation], hubspot_deal_pipelines: list[Pipeline]) -> dg.AssetCheckResult:
    """Every playbook Trigger names a pipeline and a stage that HubSpot really has."""
    pipelines = {pipeline.id: pipeline for pipeline in hubspot_deal_pipelines}
    found: dict[str, str] = {}
    for validation in playbooks:
        trigger = validation.playbook.trigger if validation.playbook else None
        if trigger is None:
            continue
        pipeline = pipelines.get(trigger.pipeline_id)
        if pipeline is None:
            found[validation.name] = f"pipeline {trigger.pipeline_id!r} does not exist in HubSpot"
        elif not pipeline.has_stage(trigger.stage_id):
            found[validation.name] = f"stage {trigger.stage_id!r} does not exist in pipeline {trigger.pipeline_id!r}"
    return offenders_result(found, dg.AssetCheckSeverity.ERROR, len(playbooks))


@dg.asset_check(asset=playbooks, name=Checks.SCHEDULES_MATCH_SSOT)
def schedules_match_ssot(playbooks: list[PlaybookValidation]) -> dg.AssetCheckResult:
    """The snapshot the playbook schedules were built from still matches the live SSOT.

    On failure: `dg utils refresh-defs-state`, then reload the code location.
    """
    snapshot = local_snapshot_records()
    loaded = expected_schedules(validate_playbooks(snapshot)) if snapshot is not None else {}
    drift = schedule_drift(playbooks, loaded)
    return dg.AssetCheckResult(
        passed=not drift,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "drifted_schedules": dg.MetadataValue.int(len(drift)),
            "drift": dg.MetadataValue.json(drift),
            "snapshot_found": snapshot is not None,
            "loaded_schedules": dg.MetadataValue.int(len(loaded)),
        },
    )
