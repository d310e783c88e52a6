"""The template's alarms are the ones clawbot_assets/observability/dashboards.py generates
(deploy/observability/cloudwatch_alarms.json): same names, metrics, thresholds and actions.
CloudFormation's alarm properties carry PutMetricAlarm's names, so the comparison is direct
once the topic reference is written back as the generator's placeholder."""

import json

from clawbot_assets.observability.dashboards import ALARM_TOPIC, alarms
from tests.infra.cfn_template import ALARMS_JSON, load_template, refers_to, resources_of_type


def _as_generated(properties: dict) -> dict:
    def topic(value):
        return ALARM_TOPIC if refers_to(value, "AlertTopic") else value

    return {
        key: [topic(action) for action in value] if key in ("AlarmActions", "OKActions", "InsufficientDataActions") else value
        for key, value in properties.items()
    }


def _normalised(alarm: dict) -> str:
    return json.dumps(alarm, sort_keys=True)


def test_template_alarms_are_the_generated_alarms():
    template_alarms = {
        properties["AlarmName"]: _as_generated(properties)
        for _, properties in resources_of_type(load_template(), "AWS::CloudWatch::Alarm")
    }
    generated = {alarm["AlarmName"]: alarm for alarm in alarms()}
    assert sorted(template_alarms) == sorted(generated)
    for name, alarm in generated.items():
        assert _normalised(template_alarms[name]) == _normalised(alarm), name


def test_the_generated_file_is_what_the_template_was_compared_with():
    assert json.loads(ALARMS_JSON.read_text()) == json.loads(json.dumps(alarms()))
