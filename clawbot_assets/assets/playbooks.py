"""The ``playbooks`` asset: every row of the SSOT's Playbooks table, validated."""

from collections import Counter

import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.domain.playbook import PlaybookValidation, validate_playbooks
from clawbot_assets.instance.dagster_rules import DAGSTER_SCHEDULE_RULES
from clawbot_assets.instance.pool_guard import check_airtable_pool
from clawbot_assets.instance.schedule_state import states_by_name
from clawbot_assets.names import AIRTABLE_429S, AIRTABLE_POOL, PLAYBOOK_PARTITIONS, PLAYBOOK_TASKS, PLAYBOOKS, schedule_name
from clawbot_assets.resources.ssot import SsotResource

PLAYBOOK_TABLE_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("playbook", "string"),
        dg.TableColumn("partition", "string", description="The playbook partition (slug); empty when it cannot run"),
        dg.TableColumn("tier", "string"),
        dg.TableColumn("enabled", "bool"),
        dg.TableColumn("scheduler", "string"),
        dg.TableColumn("schedule", "string", description="running or stopped, as the instance sees it (a UI toggle included)"),
        dg.TableColumn("owner", "string"),
        dg.TableColumn("runs", "string", description="what a run of this playbook does"),
        dg.TableColumn("problems", "string"),
    ]
)


def run_outcome(validation: PlaybookValidation) -> str:
    playbook = validation.playbook
    if playbook is None or not validation.schedulable:
        return "no schedule"
    if not validation.safe_to_run:
        return "refused"
    if not playbook.enabled:
        return "skipped: not Enabled"
    if playbook.in_shadow:
        return "shadow: computes tasks, writes nothing"
    if playbook.scheduler != "dagster":
        return f"skipped: owned by {playbook.scheduler}"
    return "creates tasks"


def schedule_column(validations: list[PlaybookValidation], instance: dg.DagsterInstance) -> dict[str, str]:
    """``{record id: running | stopped | none}``, ``(set in the UI)`` when a toggle overrides the default."""
    defaults = {
        schedule_name(v.playbook.slug): v.playbook.dagster_schedule_runs for v in validations if v.schedulable and v.playbook
    }
    states = states_by_name(instance, defaults)
    column = {}
    for validation in validations:
        state = states.get(schedule_name(validation.playbook.slug)) if validation.playbook else None
        if state is None:
            column[validation.record_id] = "none"
        else:
            column[validation.record_id] = ("running" if state.running else "stopped") + (" (set in the UI)" if state.source == "instance" else "")
    return column


def playbook_table(validations: list[PlaybookValidation], schedules: dict[str, str]) -> dg.MetadataValue:
    rows = []
    for validation in validations:
        playbook = validation.playbook
        rows.append(
            dg.TableRecord(
                {
                    "playbook": validation.name or f"<unnamed {validation.record_id}>",
                    "partition": playbook.slug if playbook and validation.schedulable else "",
                    "tier": (playbook.tier if playbook else None) or "",
                    "enabled": bool(playbook and playbook.enabled),
                    "scheduler": playbook.scheduler if playbook else "",
                    "schedule": schedules.get(validation.record_id, "none"),
                    "owner": (playbook.owner if playbook else None) or "",
                    "runs": run_outcome(validation),
                    "problems": "; ".join(problem.message for problem in validation.problems),
                }
            )
        )
    return dg.MetadataValue.table(rows, schema=PLAYBOOK_TABLE_SCHEMA)


def catalog_metadata(validations: list[PlaybookValidation], schedules: dict[str, str]) -> dict[str, dg.MetadataValue]:
    playbooks = [validation.playbook for validation in validations if validation.playbook]
    by_problem = Counter(code for validation in validations for code in validation.codes)
    return {
        "playbooks": dg.MetadataValue.int(len(validations)),
        "by_tier": dg.MetadataValue.json(dict(Counter(playbook.tier or "unknown" for playbook in playbooks))),
        "enabled": dg.MetadataValue.int(sum(playbook.enabled for playbook in playbooks)),
        "disabled": dg.MetadataValue.int(sum(not playbook.enabled for playbook in playbooks)),
        "scheduled_by_dagster": dg.MetadataValue.int(sum(playbook.scheduled_by_dagster for playbook in playbooks)),
        "by_problem": dg.MetadataValue.json(dict(by_problem)),
        "with_problems": dg.MetadataValue.int(sum(bool(validation.problems) for validation in validations)),
        "catalog": playbook_table(validations, schedules),
    }


def sync_partitions(instance: dg.DagsterInstance, validations: list[PlaybookValidation]) -> list[str]:
    """One partition per schedulable playbook; a partition no playbook has (say, one mistyped
    in the UI) is removed. Returns the removed ones."""
    wanted = [v.playbook.slug for v in validations if v.schedulable and v.playbook]
    known = {v.playbook.slug for v in validations if v.playbook}
    existing = instance.get_dynamic_partitions(PLAYBOOK_PARTITIONS)
    if missing := [slug for slug in wanted if slug not in existing]:
        instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, missing)
    stray = [slug for slug in existing if slug not in known]
    for slug in stray:
        instance.delete_dynamic_partition(PLAYBOOK_PARTITIONS, slug)
    return stray


PLAYBOOK_TASKS_KEY = dg.AssetKey(PLAYBOOK_TASKS)
OUTCOME = "playbook_outcome"


def outcome_observations(instance: dg.DagsterInstance, validations: list[PlaybookValidation]) -> list[dg.AssetObservation]:
    """An observation on each ``playbook_tasks`` partition whose outcome changed, so the
    partition's page says what a run would do (creates tasks, skipped, refused) before anyone
    launches it."""
    observations = []
    for validation in validations:
        if not (validation.schedulable and validation.playbook):
            continue
        slug = validation.playbook.slug
        # Named after its partition: the asset's overview shows the latest observation of any
        # partition, which must not read as the whole asset's outcome.
        outcome = f"partition {slug}: {run_outcome(validation)}"
        latest = instance.fetch_observations(
            dg.AssetRecordsFilter(asset_key=PLAYBOOK_TASKS_KEY, asset_partitions=[slug]), limit=1
        ).records
        seen = latest[0].asset_observation.metadata.get(OUTCOME) if latest and latest[0].asset_observation else None
        if seen is None or seen.value != outcome:
            detail = validation.describe() if validation.problems else ""
            observations.append(
                dg.AssetObservation(asset_key=PLAYBOOK_TASKS_KEY, partition=slug, metadata={OUTCOME: outcome, "problems": detail})
            )
    return observations


@dg.asset(name=PLAYBOOKS, kinds={"airtable"}, group_name="playbooks", pool=AIRTABLE_POOL)
def playbooks(context: dg.AssetExecutionContext, ssot: SsotResource) -> dg.MaterializeResult:
    """The 16 sales motions as the SSOT defines them, each with the problems found in its row.

    Keeps one ``playbook`` partition per schedulable playbook, so ``playbook_tasks`` can run
    for it. Problems are reported by the checks on this asset, never raised here.
    """
    pool_metadata = check_airtable_pool(context)
    client = ssot.client()
    validations = validate_playbooks(client.list_records(PLAYBOOKS_TABLE), DAGSTER_SCHEDULE_RULES)
    for validation in validations:
        if validation.problems:
            context.log.warning(f"playbook {validation.name or validation.record_id!r}: {validation.describe()}")
    removed = sync_partitions(context.instance, validations)
    if removed:
        context.log.info(f"removed partitions that no playbook has: {removed}")
    for observation in outcome_observations(context.instance, validations):
        context.log_event(observation)
    return dg.MaterializeResult(
        metadata={
            **catalog_metadata(validations, schedule_column(validations, context.instance)),
            "removed_partitions": dg.MetadataValue.json(removed),
            "ssot_requests": client.requests_made,
            AIRTABLE_429S: client.rate_limited_responses,
            **pool_metadata,
        }
    )
