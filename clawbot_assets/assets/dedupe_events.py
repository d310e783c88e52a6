"""The dedupe's memory in Dagster's event log: written as asset events, read back as a
``DedupeHistory`` by folding them in the order they were stored.

- *started*: an observation of ``task_queue_sales`` recorded before the run's first write;
- *committed*: the run's materialisation of ``task_queue_sales``;
- *acknowledged*: an observation naming deals contacted twice that someone has followed up.

Nothing lives on local disk, so a fresh container (or a deleted ``CLAWBOT_DATA_DIR``) sees
the same history. Only the metadata keys below are read back; renaming one loses history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

import dagster as dg

from clawbot_assets.assets.event_metadata import all_records, metadata_value
from clawbot_assets.domain.dedupe_history import DedupeHistory, DedupeRun
from clawbot_assets.names import TASK_QUEUE_SALES
from clawbot_assets.services.dedupe_runner import DedupeReport

#: How far back the history is read: the 7-day check needs a week, a full pass happens weekly.
HISTORY_DAYS = 30
PHASE = "dedupe_phase"
STARTED = "started"
ACKNOWLEDGED = "acknowledged"
_MODE, _FROM, _TO, _BY_DAY = "mode", "audited_from", "audited_to", "duplicates_created_by_day"
_DATES = "date_convention"
_UNKEYABLE, _TWICE, _ACKED = "unkeyable_records", "contacted_twice_keys", "acknowledged_keys"

ASSET_KEY = dg.AssetKey(TASK_QUEUE_SALES)


def _run_metadata(run: DedupeRun) -> dict[str, Any]:
    return {
        _MODE: run.mode,
        _FROM: run.audited_from.isoformat() if run.audited_from else "",
        _TO: run.audited_to.isoformat(),
        _BY_DAY: dg.MetadataValue.json(run.duplicates_created_by_day),
        _DATES: run.date_convention,
    }


def started_observation(run: DedupeRun) -> dg.AssetObservation:
    return dg.AssetObservation(asset_key=ASSET_KEY, metadata={PHASE: STARTED, **_run_metadata(run)})


def acknowledgement_observation(keys: Iterable[str], note: str) -> dg.AssetObservation:
    return dg.AssetObservation(
        asset_key=ASSET_KEY, metadata={PHASE: ACKNOWLEDGED, _ACKED: dg.MetadataValue.json(sorted(keys)), "note": note}
    )


def committed_metadata(report: DedupeReport) -> dict[str, Any]:
    """What a committed run leaves for the next: its window, and the carried findings in full."""
    return {
        **_run_metadata(report.run),
        _UNKEYABLE: dg.MetadataValue.json(report.unkeyable),
        _TWICE: dg.MetadataValue.json(report.contacted_twice_open),
    }


def _time(text: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _run(run_id: str, metadata: Mapping[str, Any]) -> DedupeRun:
    return DedupeRun(
        run_id=run_id,
        mode=str(metadata_value(metadata, _MODE)),
        audited_from=_time(str(metadata_value(metadata, _FROM, ""))),
        audited_to=_time(str(metadata_value(metadata, _TO))),  # type: ignore[arg-type]
        duplicates_created_by_day=dict(metadata_value(metadata, _BY_DAY, {})),
        date_convention=str(metadata_value(metadata, _DATES, "")),
    )


def read_history(instance: dg.DagsterInstance, now: dt.datetime | None = None) -> DedupeHistory:
    """Fold the last ``HISTORY_DAYS`` of dedupe events, oldest first."""
    now = now or dt.datetime.now(dt.timezone.utc)
    records_filter = dg.AssetRecordsFilter(
        asset_key=ASSET_KEY, after_timestamp=(now - dt.timedelta(days=HISTORY_DAYS)).timestamp()
    )
    events = []
    for fetch, kind in ((instance.fetch_materializations, "committed"), (instance.fetch_observations, "observed")):
        events += [(record.storage_id, kind, record) for record in all_records(fetch, records_filter)]
    history = DedupeHistory()
    for _storage_id, kind, record in sorted(events, key=lambda event: event[0]):
        event = record.asset_materialization if kind == "committed" else record.asset_observation
        metadata = event.metadata if event else {}
        if kind == "committed" and metadata_value(metadata, _TO):
            history = history.committed(
                _run(record.run_id, metadata), dict(metadata_value(metadata, _UNKEYABLE, {})), list(metadata_value(metadata, _TWICE, []))
            )
        elif metadata_value(metadata, PHASE) == STARTED:
            history = history.started(_run(record.run_id, metadata))
        elif metadata_value(metadata, PHASE) == ACKNOWLEDGED:
            history = history.acknowledge(metadata_value(metadata, _ACKED, []))
    return history
