"""The ``oncall_handover`` asset: the weekly summary the outgoing on-call hands over.

Reads only the Dagster instance: each check's recent results (``check_history.py``), the
``dlq_triage`` runs the DLQ sensor opened as incidents, the DLQ's latest observed depth, and
the latest ``airtable_budget`` materialisation if that asset has one. The summary is pure
(``domain/handover.py``); it is the materialisation's markdown metadata, and a copy goes to
``$CLAWBOT_DATA_DIR/oncall/handover-<date>.md``.
"""


import datetime as dt
from typing import Any, Sequence

import dagster as dg

from clawbot_assets.domain.handover import CheckHistory, CheckResult, DlqDepth, DlqIncident, render_markdown, summarise
from clawbot_assets.instance.check_history import check_evaluations_after
from clawbot_assets.names import AIRTABLE_BUDGET, DLQ_INCIDENT_TAG, DLQ_TRIAGE_JOB, ONCALL_HANDOVER, SALES_DLQ
from clawbot_assets.resources.alerts import AlerterResource
from clawbot_assets.resources.oncall import OncallHandoverResource

#: Results read per check: enough for a week of checks running every few minutes to show its start.
CHECK_HISTORY = 500
INCIDENT_RUNS = 200
#: Budget figures longer than this are cut: the handover is for reading.
MAX_BUDGET_TEXT = 200


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)


def check_histories(instance: dg.DagsterInstance, keys: Sequence[dg.AssetCheckKey]) -> list[CheckHistory]:
    histories = []
    for key in keys:
        evaluations = check_evaluations_after(instance, key, 0, CHECK_HISTORY)
        if evaluations:
            histories.append(CheckHistory(
                check=evaluations[-1].check_key,
                results=[CheckResult(e.check_key, e.passed, e.severity, _utc(e.timestamp)) for e in evaluations],
                complete=len(evaluations) < CHECK_HISTORY,
            ))
    return histories


def dlq_incidents(instance: dg.DagsterInstance) -> list[DlqIncident]:
    records = instance.get_run_records(dg.RunsFilter(job_name=DLQ_TRIAGE_JOB), limit=INCIDENT_RUNS)
    return [DlqIncident(record.dagster_run.tags[DLQ_INCIDENT_TAG], record.create_timestamp)
            for record in records if DLQ_INCIDENT_TAG in record.dagster_run.tags]


def dlq_depth(instance: dg.DagsterInstance) -> DlqDepth | None:
    records = instance.fetch_observations(dg.AssetKey(SALES_DLQ), limit=1).records
    observation = records[0].asset_observation if records else None
    if observation is None:
        return None
    metadata = {name: value.value for name, value in observation.metadata.items()}
    return DlqDepth(int(metadata.get("depth", 0)), int(metadata.get("threshold", 0)), _utc(records[0].timestamp))


def airtable_budget(context: dg.AssetExecutionContext) -> dict[str, Any] | None:
    """The latest ``airtable_budget`` figures, or ``None``. That asset belongs to another module
    and its metadata may change: anything unreadable is left out, never fatal."""
    try:
        event = context.instance.get_latest_materialization_event(dg.AssetKey(AIRTABLE_BUDGET))
        materialization = event.asset_materialization if event else None
        if materialization is None:
            return None
        figures: dict[str, Any] = {"measured at": _utc(event.timestamp).strftime("%Y-%m-%d %H:%M UTC")}
        for name, entry in materialization.metadata.items():
            value = getattr(entry, "value", entry)
            if isinstance(value, (bool, int, float)):
                figures[name] = value
            elif isinstance(value, str):
                figures[name] = value if len(value) <= MAX_BUDGET_TEXT else value[:MAX_BUDGET_TEXT] + "..."
        return figures
    except Exception as error:  # a summary without the budget beats no summary
        context.log.warning(f"{AIRTABLE_BUDGET} unreadable, reported as not measured: {type(error).__name__}: {error}")
        return None


def build_oncall_handover(check_keys: Sequence[dg.AssetCheckKey], runbook_base_url: str = "") -> dg.AssetsDefinition:
    """``check_keys``: every check of the code location, known once the checks are built."""
    keys = sorted(check_keys, key=str)

    @dg.asset(name=ONCALL_HANDOVER, group_name="operations", kinds={"markdown"})
    def oncall_handover(context: dg.AssetExecutionContext, alerter: AlerterResource,
                        handover_files: OncallHandoverResource) -> dg.MaterializeResult:
        """The weekly on-call handover: open incidents, failing checks with severity and since
        when, the week's alerts by route (pager or channel) and the Airtable budget used."""
        instance = context.instance
        handover = summarise(check_histories(instance, keys), dlq_incidents(instance), dlq_depth(instance),
                             airtable_budget(context), alerter.pager_configured(), dt.datetime.now(dt.timezone.utc))
        markdown = render_markdown(handover, runbook_base_url)
        path = handover_files.write(f"{handover.generated_at:%Y-%m-%d}", markdown)
        return dg.MaterializeResult(metadata={
            "summary": dg.MetadataValue.md(markdown),
            "open_incidents": int(handover.open_incident is not None) + len(handover.failing_errors),
            "failing_checks": len(handover.failing),
            "failing_error_checks": len(handover.failing_errors),
            "dlq_incidents_this_week": len(handover.incidents_this_week),
            **{f"alerts_{route.replace('-', '_')}": count for route, count in handover.alerts_by_route.items()},
            "airtable_budget_measured": handover.budget is not None,
            "path": dg.MetadataValue.path(str(path)),
        })

    return oncall_handover
