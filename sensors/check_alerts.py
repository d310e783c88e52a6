"""``check_failure_alert_sensor``: one alert when an asset check starts failing, one when it
recovers, never the same one twice.

The cursor (kept by the instance, so it survives daemon restarts) holds the storage id of the
last evaluation handled and whether each check was last failing. An alert that cannot be
delivered stops the tick before that evaluation, so it is retried next tick, never lost. On its
very first tick the sensor reads the history silently and alerts only for checks failing now.
"""

from __future__ import annotations

import json
from typing import Any

import dagster as dg

from clawbot_assets.check_history import CheckEvaluation, check_evaluations_after
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


def alert_for(evaluation: CheckEvaluation, ui_url: str) -> Alert:
    what = "recovered" if evaluation.passed else "failed"
    return Alert(
        kind=f"check_{what}",
        title=f"ClawBot check {what}: {evaluation.asset} / {evaluation.check}",
        severity=evaluation.severity,
        asset=evaluation.asset,
        check=evaluation.check,
        offenders=[] if evaluation.passed else offending_items(evaluation.metadata),
        link=f"{ui_url.rstrip('/')}/runs/{evaluation.run_id}",
    )


def _bootstrap(instance: dg.DagsterInstance) -> tuple[dict, list[CheckEvaluation]]:
    """Fold the whole history silently; return the state and the latest failing evaluation per check."""
    state: dict = {"after": 0, "failing": {}}
    latest: dict[str, CheckEvaluation] = {}
    while evaluations := check_evaluations_after(instance, state["after"], PAGE):
        for evaluation in evaluations:
            latest[evaluation.check_key] = evaluation
            state["after"] = evaluation.storage_id
    failing = [e for e in latest.values() if not e.passed]
    state["failing"] = {key: False for key, e in latest.items() if e.passed}
    return state, failing


def build_check_failure_alert_sensor(ui_url: str) -> dg.SensorDefinition:
    @dg.sensor(name=CHECK_FAILURE_ALERT_SENSOR, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
    def check_failure_alert_sensor(context: dg.SensorEvaluationContext, alerter: AlerterResource):
        """Sends one alert per new asset-check failure and one per recovery, through the alerter resource."""
        if context.cursor:
            state, pending = json.loads(context.cursor), check_evaluations_after(context.instance, json.loads(context.cursor)["after"], PAGE)
        else:
            state, pending = _bootstrap(context.instance)
        sent = 0
        for evaluation in pending:
            was_failing = state["failing"].get(evaluation.check_key)
            if (not evaluation.passed and was_failing is not True) or (evaluation.passed and was_failing is True):
                try:
                    alerter.send(alert_for(evaluation, ui_url))
                    sent += 1
                except Exception as error:
                    context.log.error(f"alert for {evaluation.check_key} not delivered, retrying next tick: {error}")
                    break
            state["failing"][evaluation.check_key] = not evaluation.passed
            state["after"] = max(state["after"], evaluation.storage_id)
        return dg.SensorResult(cursor=json.dumps(state), skip_reason=None if sent else "no check changed state")

    return check_failure_alert_sensor
