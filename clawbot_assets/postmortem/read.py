"""Reading the migration's record for the post-mortem: asset events and runs from the Dagster
instance since a date, and the Playbooks table from the SSOT, as the plain records of
``domain/postmortem.py``. Where each figure is read is listed in ``SOURCES``, which the rendered
post-mortem quotes next to the numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Mapping

import dagster as dg

from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, SsotClient
from clawbot_assets.assets.event_metadata import all_records, metadata_value, table_rows
from clawbot_assets.assets.shadow_events import DIFF, PHASE, PLAN
from clawbot_assets.domain.keys import KeyFieldError, playbook_slug
from clawbot_assets.domain.playbook import validate_playbooks
from clawbot_assets.domain.postmortem import (
    AuditSnapshot,
    BudgetReading,
    DedupeEvent,
    DlqDepth,
    InterceptEvent,
    MigrationRecord,
    PlaybookNow,
    RateLimitEvent,
    ReadinessSnapshot,
    ShadowEvent,
    TriageRun,
)
from clawbot_assets.names import (
    AIRTABLE_BUDGET,
    AIRTABLE_429S,
    CUTOVER_READINESS,
    DLQ_INCIDENT_TAG,
    DLQ_TRIAGE_JOB,
    PLAYBOOK_TASKS,
    PLAYBOOKS,
    SALES_DISPATCH,
    SALES_DLQ,
    SSOT_AUDIT,
    TASK_QUEUE_SALES,
)
from clawbot_assets.observability.gather import intercepts_by_reason

#: The assets whose materialisations carry ``AIRTABLE_429S``.
RATE_LIMITED_ASSETS = (PLAYBOOKS, PLAYBOOK_TASKS, TASK_QUEUE_SALES, SALES_DISPATCH, CUTOVER_READINESS)

SOURCES = {
    "duplicates": f"`{TASK_QUEUE_SALES}` materialisations, metadata `duplicate_groups`",
    "removed": f"`{TASK_QUEUE_SALES}` materialisations, metadata `removed`",
    "contacted_twice": f"`{TASK_QUEUE_SALES}` materialisations, metadata `contacted_twice_keys` "
    "(distinct keys; `deals_contacted_twice_found_now` where no key was recorded)",
    "intercepts": f"`{SALES_DISPATCH}` materialisations, metadata `intercepted_<reason>`; "
    f"`{PLAYBOOK_TASKS}` materialisations, metadata `intercepted_do_not_contact`",
    "rate_limited": f"materialisations of {', '.join(f'`{name}`' for name in RATE_LIMITED_ASSETS)}, metadata `{AIRTABLE_429S}`",
    "dlq_depth": f"`{SALES_DLQ}` observations, metadata `depth`",
    "dlq_incidents": f"`{DLQ_TRIAGE_JOB}` runs tagged `{DLQ_INCIDENT_TAG}`",
    "shadow": f"`{PLAYBOOK_TASKS}` observations on the playbook's partition, metadata `{PHASE}` (plan, diff), `tick`, `shadow_diff`",
    "ready": f"`{CUTOVER_READINESS}` materialisations, table `readiness` (column `ready`)",
    "cutover": f"`{SSOT_AUDIT}` materialisations, table `audit` (column `scheduler`): the first showing `dagster` after `shadow`",
    "scheduler_now": f"SSOT table `{PLAYBOOKS_TABLE}`, field `Scheduler`",
    "budget": f"`{AIRTABLE_BUDGET}` materialisations, metadata `requests_last_hour`, `share_of_budget_last_hour`, "
    "`steady_state_requests`, `steady_state_share`",
}


def _when(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)


def _events(fetch: Callable[..., Any], asset: str, since: dt.datetime) -> list:
    return all_records(fetch, dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), after_timestamp=since.timestamp()))


def _metadata(record) -> Mapping[str, Any]:
    event = record.asset_materialization or record.asset_observation
    return event.metadata if event else {}


def _int(metadata: Mapping[str, Any], name: str) -> int | None:
    value = metadata_value(metadata, name)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _float(metadata: Mapping[str, Any], name: str) -> float | None:
    value = metadata_value(metadata, name)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _numbers(metadata: Mapping[str, Any]) -> dict[str, float]:
    return {name: value for name in metadata if (value := _float(metadata, name)) is not None}


def _slug(name: Any) -> str | None:
    try:
        return playbook_slug(str(name or ""))
    except KeyFieldError:
        return None


def _dedupe(record) -> DedupeEvent | None:
    metadata = _metadata(record)
    removed = _int(metadata, "removed")
    if removed is None:
        return None
    keys = metadata_value(metadata, "contacted_twice_keys", [])
    return DedupeEvent(
        at=_when(record.timestamp),
        run_id=record.run_id,
        duplicate_groups=_int(metadata, "duplicate_groups") or 0,
        removed=removed,
        contacted_twice_keys=tuple(str(key) for key in keys) if isinstance(keys, list) else (),
        contacted_twice_found_now=_int(metadata, "deals_contacted_twice_found_now") or 0,
    )


def _intercepts(record, source: str) -> InterceptEvent | None:
    numbers = _numbers(_metadata(record))
    if source == PLAYBOOK_TASKS:
        counts = intercepts_by_reason([], numbers.get("intercepted_do_not_contact", 0))
    else:
        counts = intercepts_by_reason([numbers], 0)
    by_reason = {reason: int(count) for reason, count in counts.items() if count}
    return InterceptEvent(_when(record.timestamp), source, by_reason) if by_reason else None


def _shadow(record) -> ShadowEvent | None:
    metadata = _metadata(record)
    phase, slug, tick = metadata_value(metadata, PHASE), record.partition_key, metadata_value(metadata, "tick")
    if phase not in (PLAN, DIFF) or not slug or not tick:
        return None
    empty = str(metadata_value(metadata, "shadow_diff", "")) == "empty" if phase == DIFF else None
    return ShadowEvent(slug, str(phase), dt.datetime.fromisoformat(str(tick)).astimezone(dt.timezone.utc), _when(record.timestamp), empty)


def _audit(record) -> AuditSnapshot | None:
    rows = table_rows(_metadata(record), "audit")
    schedulers = {slug: str(row.get("scheduler", "")) for row in rows if (slug := _slug(row.get("playbook")))}
    return AuditSnapshot(_when(record.timestamp), schedulers) if schedulers else None


def _readiness(record) -> ReadinessSnapshot:
    rows = table_rows(_metadata(record), "readiness")
    ready = frozenset(slug for row in rows if row.get("ready") is True and (slug := _slug(row.get("playbook"))))
    return ReadinessSnapshot(_when(record.timestamp), ready)


def _budget(record) -> BudgetReading:
    metadata = _metadata(record)
    return BudgetReading(
        at=_when(record.timestamp),
        requests_last_hour=_int(metadata, "requests_last_hour"),
        share_last_hour=_float(metadata, "share_of_budget_last_hour"),
        steady_state_requests=_int(metadata, "steady_state_requests"),
        steady_state_share=_float(metadata, "steady_state_share"),
    )


def _triage_runs(instance: dg.DagsterInstance, since: dt.datetime) -> list[TriageRun]:
    records = instance.get_run_records(filters=dg.RunsFilter(job_name=DLQ_TRIAGE_JOB, created_after=since))
    return [
        TriageRun(_when(record.create_timestamp.timestamp()), record.dagster_run.run_id, incident, record.dagster_run.status.value)
        for record in records
        if (incident := record.dagster_run.tags.get(DLQ_INCIDENT_TAG))
    ]


def _present(items) -> list:
    return [item for item in items if item is not None]


def playbooks_now(ssot: SsotClient) -> list[PlaybookNow]:
    """The Playbooks table as it is now: one request per 100 playbooks."""
    return [
        PlaybookNow(p.slug, p.name, p.scheduler, p.enabled)
        for validation in validate_playbooks(ssot.list_records(PLAYBOOKS_TABLE))
        if (p := validation.playbook) is not None
    ]


def read_record(instance: dg.DagsterInstance, ssot: Callable[[], SsotClient], since: dt.datetime) -> MigrationRecord:
    """Everything the post-mortem needs, from ``since`` until now. An SSOT that cannot be read leaves the
    playbooks' current Scheduler out and says why; the event log's figures stand on their own."""
    until = dt.datetime.now(dt.timezone.utc)
    materialised = {
        asset: _events(instance.fetch_materializations, asset, since)
        for asset in {*RATE_LIMITED_ASSETS, SSOT_AUDIT, AIRTABLE_BUDGET}
    }
    try:
        playbooks, problem = playbooks_now(ssot()), None
    except Exception as error:  # any SSOT failure is reported in the post-mortem, never fatal to it
        playbooks, problem = [], f"{type(error).__name__}: {error}"
    return MigrationRecord(
        since=since,
        until=until,
        dedupes=_present(_dedupe(record) for record in materialised[TASK_QUEUE_SALES]),
        intercepts=_present(
            _intercepts(record, source) for source in (SALES_DISPATCH, PLAYBOOK_TASKS) for record in materialised[source]
        ),
        rate_limits=[
            RateLimitEvent(_when(record.timestamp), asset, count)
            for asset in RATE_LIMITED_ASSETS
            for record in materialised[asset]
            if (count := _int(_metadata(record), AIRTABLE_429S))
        ],
        dlq_depths=[
            DlqDepth(_when(record.timestamp), depth)
            for record in _events(instance.fetch_observations, SALES_DLQ, since)
            if (depth := _int(_metadata(record), "depth")) is not None
        ],
        triage_runs=_triage_runs(instance, since),
        shadow_events=_present(_shadow(record) for record in _events(instance.fetch_observations, PLAYBOOK_TASKS, since)),
        audits=_present(_audit(record) for record in materialised[SSOT_AUDIT]),
        readiness=[_readiness(record) for record in materialised[CUTOVER_READINESS]],
        budget=[_budget(record) for record in materialised[AIRTABLE_BUDGET]],
        playbooks=playbooks,
        ssot_problem=problem,
    )
