"""Checks on ``playbooks``, evaluated together from one fresh read of the SSOT and of HubSpot's
pipelines. Failure metadata names each offending playbook and what is wrong with it.

None of them is blocking: ``playbook_tasks`` refuses an unsafe playbook itself, by the same
definition (``UNSAFE_TO_RUN``), so a broken row fails its check without turning every
``playbooks_refresh`` run red.
"""

from typing import Iterable

import dagster as dg

from clawbot_assets.adapters.crm import Pipeline
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.assets.playbooks import playbooks
from clawbot_assets.checks.selection import selected_check_names
from clawbot_assets.domain.drift import ScheduleFacts, schedule_drift
from clawbot_assets.domain.playbook import FIELD_PROBLEMS, UNSAFE_TO_RUN, PlaybookValidation, Problem, validate_playbooks
from clawbot_assets.instance.dagster_rules import DAGSTER_SCHEDULE_RULES
from clawbot_assets.names import AIRTABLE_POOL, PLAYBOOK_SCHEDULE_PREFIX, Checks
from clawbot_assets.resources.crm import CrmResource
from clawbot_assets.resources.ssot import SsotResource

#: Problem codes each check owns; the first is the one definition of "unsafe to run".
CHECK_CODES: dict[str, frozenset[str]] = {
    Checks.TRIGGER_AND_APPROVAL_PRESENT: UNSAFE_TO_RUN,
    Checks.CRON_VALID: frozenset({Problem.CRON_INVALID, Problem.TIMEZONE_INVALID}),
    Checks.NAMES_UNIQUE: frozenset({Problem.NAME_MISSING, Problem.NAME_DUPLICATE, Problem.NAME_TOO_LONG}),
    Checks.FIELDS_VALID: FIELD_PROBLEMS - UNSAFE_TO_RUN,
}
SEVERITY = {Checks.FIELDS_VALID: dg.AssetCheckSeverity.WARN}
DESCRIPTIONS = {
    Checks.TRIGGER_AND_APPROVAL_PRESENT: "Every playbook is safe to run: a valid Trigger and Approval (COLD needs manual), "
    "a valid Daily Cap and Cooldown, and an Enabled that reads clearly. A failing playbook's runs are refused.",
    Checks.CRON_VALID: "Every playbook has a valid 5-field cron and an IANA timezone; a failing one has no schedule.",
    Checks.NAMES_UNIQUE: "Every playbook has a Name, no two Names make the same slug, and no slug is longer than "
    "256 characters; a failing one has no schedule.",
    Checks.FIELDS_VALID: "Tier, Status, Scheduler, Channel and every other field hold allowed values of the right shape.",
    Checks.TRIGGER_STAGE_EXISTS: "Every playbook Trigger names a pipeline and a stage that HubSpot really has.",
    Checks.SCHEDULES_MATCH_SSOT: "The loaded playbook schedules match the live SSOT. On failure: "
    "`dg utils refresh-defs-state`, then reload the code location.",
}


def offenders(validations: list[PlaybookValidation], codes: frozenset[str]) -> dict[str, str]:
    """``{playbook name or record id: what is wrong}`` for rows with any of ``codes``."""
    return {
        (validation.name or f"<unnamed {validation.record_id}>"): validation.describe(codes)
        for validation in validations
        if validation.codes & codes
    }


def offenders_result(name: str, found: dict[str, str], checked: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=name,
        passed=not found,
        severity=SEVERITY.get(name, dg.AssetCheckSeverity.ERROR),
        metadata={
            "failing_playbooks": dg.MetadataValue.int(len(found)),
            "offenders": dg.MetadataValue.json(found),
            "checked_playbooks": dg.MetadataValue.int(checked),
        },
    )


def missing_stages(validations: list[PlaybookValidation], pipelines: list[Pipeline]) -> dict[str, str]:
    by_id = {pipeline.id: pipeline for pipeline in pipelines}
    found: dict[str, str] = {}
    for validation in validations:
        trigger = validation.playbook.trigger if validation.playbook else None
        if trigger is None:
            continue
        pipeline = by_id.get(trigger.pipeline_id)
        if pipeline is None:
            found[validation.name] = f"pipeline {trigger.pipeline_id!r} does not exist in HubSpot"
        elif not pipeline.has_stage(trigger.stage_id):
            found[validation.name] = f"stage {trigger.stage_id!r} does not exist in pipeline {trigger.pipeline_id!r}"
    return found


def loaded_schedules(schedules: Iterable[dg.ScheduleDefinition]) -> dict[str, ScheduleFacts]:
    """The facts of the playbook schedules this code location really loaded, wherever the
    snapshot they were built from is stored."""
    return {
        schedule.name: ScheduleFacts(
            str(schedule.cron_schedule),
            schedule.execution_timezone or "UTC",
            schedule.default_status == dg.DefaultScheduleStatus.RUNNING,
        )
        for schedule in schedules
        if schedule.name.startswith(PLAYBOOK_SCHEDULE_PREFIX)
    }


def build_playbook_checks(loaded: dict[str, ScheduleFacts]) -> dg.AssetChecksDefinition:
    """The checks on ``playbooks``; ``loaded`` is what ``schedules_match_ssot`` compares the
    live SSOT with, bound when the code location assembles its Definitions."""

    @dg.multi_asset_check(
        name="playbook_checks",
        pool=AIRTABLE_POOL,
        can_subset=True,
        specs=[dg.AssetCheckSpec(name, asset=playbooks, description=text) for name, text in DESCRIPTIONS.items()],
    )
    def _checks(context: dg.AssetCheckExecutionContext, ssot: SsotResource, crm: CrmResource) -> Iterable[dg.AssetCheckResult]:
        selected = selected_check_names(context)
        validations = validate_playbooks(ssot.client().list_records(PLAYBOOKS_TABLE), DAGSTER_SCHEDULE_RULES)
        for name, codes in CHECK_CODES.items():
            if name in selected:
                yield offenders_result(name, offenders(validations, codes), len(validations))
        if Checks.TRIGGER_STAGE_EXISTS in selected:
            pipelines = crm.client().deal_pipelines()
            yield offenders_result(Checks.TRIGGER_STAGE_EXISTS, missing_stages(validations, pipelines), len(validations))
        if Checks.SCHEDULES_MATCH_SSOT not in selected:
            return
        drift = schedule_drift(validations, loaded)
        yield dg.AssetCheckResult(
            check_name=Checks.SCHEDULES_MATCH_SSOT,
            passed=not drift,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "drifted_schedules": dg.MetadataValue.int(len(drift)),
                "drift": dg.MetadataValue.json(drift),
                "loaded_schedules": dg.MetadataValue.int(len(loaded)),
            },
        )

    return _checks
