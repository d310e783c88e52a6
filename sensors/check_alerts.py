"""``check_failure_alert_sensor``: one alert when an asset check starts failing, one when it
recovers, never the same one twice.

The cursor (kept by the instance, so it survives daemon restarts) holds, per check of the code
location, the id of the last execution handled and whether it was failing. An alert that cannot
be delivered leaves that check's cursor before it, so it is retried next tick, never lost. A
check seen for the first time alerts only if its latest execution failed.
"""

from __future__ import annotations

import json
from typing import Any

import dagster as dg

from clawbot_assets.domain.alert_routing import check_alert_kind
from clawbot_assets.domain.runbooks import runbook_path, runbook_reference
from clawbot_assets.instance.check_history import CheckEvaluation, check_evaluations_after
from clawbot_assets.names import CHECK_FAILURE_ALERT_SENSOR
from clawbot_assets.resources.alerts import Alert, AlerterResource

PAGE = 200


def offending_items(metadata: dict[str, Any]) -> list:
    for name in ("offenders", "keys", "duplicate_keys_list", "unaudited_days"):
        value = metadata.get(name)
        if isinstance(value, dict) and value:
            return list(value)
        if isinstance(value, list) and value:
            return value
    return []


def alert_for(evaluation: CheckEvaluation, ui_url: str, runbook_base_url: str = "") -> Alert:
    what = "recovered" if evaluation.passed else "failed"
    kind = f"check_{what}"
    return Alert(
        kind=kind,
        title=f"ClawBot check {what}: {evaluation.asset} / {evaluation.check}",
        severity=evaluation.severity,
        asset=evaluation.asset,
        check=evaluation.check,
        offenders=[] if evaluation.passed else offending_items(evaluation.metadata),
        link=f"{ui_url.rstrip('/')}/runs/{evaluation.run_id}",
        runbook=runbook_reference(runbook_path(kind, evaluation.check), runbook_base_url),
    )


def build_check_failure_alert_sensor(ui_url: str, runbook_base_url: str = "") -> dg.SensorDefinition:
    @dg.sensor(name=CHECK_FAILURE_ALERT_SENSOR, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
    def check_failure_alert_sensor(context: dg.SensorEvaluationContext, alerter: AlerterResource):
        """Sends one alert per new asset-check failure and one per recovery, through the alerter resource
        (ERROR failures page when a pager is configured; the rest go to the channel)."""
        state: dict = json.loads(context.cursor) if context.cursor else {}
        sent = 0
        for key in sorted(context.repository_def.asset_graph.asset_check_keys, key=str):
            name = key.to_user_string()
            seen = state.get(name)
            evaluations = check_evaluations_after(context.instance, key, seen["after"] if seen else 0, PAGE)
            if seen is None:
                evaluations = evaluations[-1:]  # first sight of a check: only its current state matters
            for evaluation in evaluations:
                was_failing = seen["failing"] if seen else None
                if check_alert_kind(was_failing, evaluation.passed):
                    try:
                        alerter.send(alert_for(evaluation, ui_url, runbook_base_url))
                        sent += 1
                    except Exception as error:
                        context.log.error(f"alert for {name} not delivered, retrying next tick: {error}")
                        break
                seen = state[name] = {"after": evaluation.storage_id, "failing": not evaluation.passed}
        return dg.SensorResult(cursor=json.dumps(state, sort_keys=True), skip_reason=None if sent else "no check changed state")

    return check_failure_alert_sensor
