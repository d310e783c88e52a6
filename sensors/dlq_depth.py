"""``dlq_depth_sensor``: every minute, the DLQ's depth in one call, observed on ``sales_dlq``.

An incident opens when the depth rises above the threshold: one alert and one ``dlq_triage``
run (run key = incident id). The cursor remembers the open incident, so a DLQ that stays full
raises nothing more; a new incident opens only after the depth went back to the threshold or
below. An alert that cannot be delivered is logged and retried on the next tick. An
unreachable DLQ skips the tick with the reason; the sensor keeps running.
"""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg

from clawbot_assets.domain.runbooks import runbook_path, runbook_reference
from clawbot_assets.jobs.queue import dlq_triage
from clawbot_assets.names import DLQ_DEPTH_SENSOR, DLQ_INCIDENT_TAG, SALES_DLQ
from clawbot_assets.resources.alerts import Alert, AlerterResource
from clawbot_assets.resources.queue import QueueResource


def _state(cursor: str | None) -> dict:
    state = {"incidents": 0, "open": None, "alert_pending": False}
    if cursor:
        state.update(json.loads(cursor))
    return state


def build_dlq_depth_sensor(threshold: int = 0, ui_url: str = "", runbook_base_url: str = "") -> dg.SensorDefinition:
    @dg.sensor(name=DLQ_DEPTH_SENSOR, job=dlq_triage, minimum_interval_seconds=60,
               default_status=dg.DefaultSensorStatus.RUNNING)
    def dlq_depth_sensor(context: dg.SensorEvaluationContext, queue: QueueResource, alerter: AlerterResource):
        """Observes the DLQ depth; opens one incident (alert + dlq_triage run) each time it rises above the threshold."""
        state = _state(context.cursor)
        try:
            depth = queue.dead_letter().depth()
        except Exception as error:  # any failure to reach the DLQ is a skipped tick, never a dead sensor
            return dg.SkipReason(f"DLQ unreachable, depth not read: {type(error).__name__}: {error}"[:1000])
        observation = dg.AssetObservation(asset_key=SALES_DLQ, metadata={
            "depth": depth.total, "visible": depth.visible, "in_flight": depth.in_flight, "threshold": threshold})
        runs = []
        if depth.total > threshold and not state["open"]:
            state["incidents"] += 1
            incident = f"dlq-{state['incidents']}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}"
            state.update(open=incident, alert_pending=True, opened_at_depth=depth.total)
            runs.append(dg.RunRequest(run_key=incident, tags={DLQ_INCIDENT_TAG: incident}))
        elif depth.total <= threshold and state["open"]:
            context.log.info(f"DLQ incident {state['open']} closed: depth {depth.total} <= {threshold}")
            state.update(open=None, alert_pending=False)
        if state["alert_pending"]:
            alert = Alert(kind="dlq_incident", title=f"ClawBot DLQ incident {state['open']}: {depth.total} messages",
                          severity="ERROR", asset=SALES_DLQ, detail=f"depth {depth.total} is above {threshold}; dlq_triage launched "
                          f"(dry run).", link=f"{ui_url.rstrip('/')}/assets/{SALES_DLQ}" if ui_url else "",
                          runbook=runbook_reference(runbook_path("dlq_incident"), runbook_base_url))
            try:
                alerter.send(alert)
                state["alert_pending"] = False
            except Exception as error:
                context.log.error(f"DLQ alert not delivered, retrying next tick: {error}")
        return dg.SensorResult(run_requests=runs, asset_events=[observation], cursor=json.dumps(state))

    return dlq_depth_sensor
