from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.drift import (
    ScheduleFacts,
    expected_schedules,
    schedule_drift,
)
from clawbot_assets.domain.playbook import validate_playbooks


def test_no_drift_when_schedules_match():
    validations = validate_playbooks(playbook_records())
    assert schedule_drift(validations, expected_schedules(validations)) == {}


def test_changed_cron_enabled_flag_new_and_removed_playbooks_are_reported():
    validations = validate_playbooks(playbook_records())
    loaded = dict(expected_schedules(validations))
    loaded["playbook__churn_rescue"] = ScheduleFacts("0 8 * * *", "America/Sao_Paulo", False)
    loaded.pop("playbook__stale_deal_nudge")
    loaded["playbook__retired_motion"] = ScheduleFacts("0 1 * * *", "UTC", True)
    drift = schedule_drift(validations, loaded)
    assert set(drift) == {"playbook__churn_rescue", "playbook__stale_deal_nudge", "playbook__retired_motion"}
    assert "cron is '0 8 * * *' here, '0 9 * * *' in the SSOT" in drift["playbook__churn_rescue"]
    assert "running by default" in drift["playbook__churn_rescue"]
