"""Shadow runs' plans and diffs in Dagster's event log, as observations of ``playbook_tasks``.

Each lands on the playbook's partition, so its page in the UI (Catalog → playbook_tasks →
the partition → Events) shows every shadow tick: what Dagster would have written (*plan*) and,
once compared with n8n, what differed (*diff*). Nothing lives on disk: a fresh container reads
the same history. Only the metadata keys below are read back; renaming one loses history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dagster as dg

from clawbot_assets.assets.event_metadata import all_records, metadata_value
from clawbot_assets.domain.shadow import LOOKBACK, ShadowDiff, ShadowHistory, ShadowPlan
from clawbot_assets.names import PLAYBOOK_TASKS

ASSET_KEY = dg.AssetKey(PLAYBOOK_TASKS)
PHASE, PLAN, DIFF = "shadow_phase", "plan", "diff"
_TICK, _DUE, _TASKS = "tick", "due_date", "tasks"
_MISSING, _EXTRA, _DIFFERENT, _DUPLICATES = "missing_keys", "extra_keys", "different_keys", "n8n_duplicate_keys"


def _observation(phase: str, tick: ShadowPlan | ShadowDiff, metadata: dict[str, Any]) -> dg.AssetObservation:
    """On the playbook's partition, naming the tick and its due date."""
    header = {PHASE: phase, _TICK: tick.tick.isoformat(), _DUE: tick.due_date.isoformat()}
    return dg.AssetObservation(asset_key=ASSET_KEY, partition=tick.slug, metadata={**header, **metadata})


def plan_observation(plan: ShadowPlan) -> dg.AssetObservation:
    tasks = {"would_write": dg.MetadataValue.int(len(plan.tasks)), _TASKS: dg.MetadataValue.json(dict(plan.tasks))}
    return _observation(PLAN, plan, tasks)


def diff_observation(diff: ShadowDiff) -> dg.AssetObservation:
    return _observation(
        DIFF,
        diff,
        {
            "shadow_diff": dg.MetadataValue.text("empty" if diff.empty else diff.describe()),
            "missing": dg.MetadataValue.int(len(diff.missing)),
            "extra": dg.MetadataValue.int(len(diff.extra)),
            "different": dg.MetadataValue.int(len(diff.different)),
            "compared_tasks": dg.MetadataValue.int(diff.compared_tasks),
            _MISSING: dg.MetadataValue.json(list(diff.missing)),
            _EXTRA: dg.MetadataValue.json(list(diff.extra)),
            _DIFFERENT: dg.MetadataValue.json(dict(diff.different)),
            _DUPLICATES: dg.MetadataValue.json({key: list(ids) for key, ids in diff.n8n_duplicates.items()}),
        },
    )


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.timezone.utc)


def read_shadow_history(instance: dg.DagsterInstance, now: dt.datetime) -> ShadowHistory:
    """Every shadow plan and diff of the last ``LOOKBACK``, folded oldest first."""
    records_filter = dg.AssetRecordsFilter(asset_key=ASSET_KEY, after_timestamp=(now - LOOKBACK).timestamp())
    history = ShadowHistory()
    for record in all_records(instance.fetch_observations, records_filter):
        observation = record.asset_observation
        metadata = observation.metadata if observation else {}
        phase, slug = metadata_value(metadata, PHASE), observation.partition if observation else None
        if phase not in (PLAN, DIFF) or not slug:
            continue
        tick, due = _utc(str(metadata_value(metadata, _TICK))), dt.date.fromisoformat(str(metadata_value(metadata, _DUE)))
        if phase == PLAN:
            history.add_plan(ShadowPlan(slug, tick, due, dict(metadata_value(metadata, _TASKS, {}))))
        else:
            history.add_diff(ShadowDiff(
                slug=slug,
                tick=tick,
                due_date=due,
                missing=tuple(metadata_value(metadata, _MISSING, [])),
                extra=tuple(metadata_value(metadata, _EXTRA, [])),
                different=dict(metadata_value(metadata, _DIFFERENT, {})),
                n8n_duplicates={key: tuple(ids) for key, ids in metadata_value(metadata, _DUPLICATES, {}).items()},
                compared_tasks=int(metadata_value(metadata, "compared_tasks", 0)),
            ))
    return history
