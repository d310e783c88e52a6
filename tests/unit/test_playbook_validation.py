from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.playbook import Problem, validate_playbooks

GOOD = {
    "Name": "Warm Demo Follow-up",
    "Tier": "WARM",
    "Trigger": "hubspot_stage:default/presentationscheduled",
    "Approval": "auto",
    "Cron": "0 9 * * 1-5",
    "Timezone": "Europe/London",
    "Enabled": True,
    "Status": "Live",
    "Scheduler": "dagster",
    "Daily Cap": 10,
    "Cooldown Days": 3,
}


def validate(**overrides):
    fields = {**GOOD, **overrides}
    return validate_playbooks([{"id": "rec1", "fields": {k: v for k, v in fields.items() if v is not None}}])[0]


def test_a_good_row_has_no_problem_and_is_scheduled_by_dagster():
    validation = validate()
    assert validation.problems == ()
    assert validation.playbook.slug == "warm_demo_follow_up"
    assert validation.playbook.scheduled_by_dagster


def test_cron_61_is_named():
    validation = validate(Cron="61 * * * *")
    assert validation.codes == {Problem.CRON_INVALID}
    assert "61 * * * *" in validation.describe()
    assert not validation.schedulable


def test_six_field_cron_is_rejected():
    assert Problem.CRON_INVALID in validate(Cron="0 0 9 * * 1").codes


def test_mars_base_timezone_is_named():
    validation = validate(Timezone="Mars/Base")
    assert validation.codes == {Problem.TIMEZONE_INVALID}
    assert "Mars/Base" in validation.describe()


def test_daily_cap_ten_is_named_and_unsafe():
    validation = validate(**{"Daily Cap": "ten"})
    assert validation.codes == {Problem.DAILY_CAP_INVALID}
    assert validation.schedulable and not validation.safe_to_run


def test_empty_name_is_named():
    validation = validate(Name="  ")
    assert Problem.NAME_MISSING in validation.codes and validation.playbook is None


def test_duplicate_names_are_flagged_on_both_rows():
    rows = [{"id": "a", "fields": GOOD}, {"id": "b", "fields": {**GOOD, "Name": " warm demo follow-up "}}]
    validations = validate_playbooks(rows)
    assert all(Problem.NAME_DUPLICATE in validation.codes for validation in validations)
    assert not any(validation.schedulable for validation in validations)


def test_cold_with_empty_trigger_and_approval_is_not_safe():
    validation = validate(Tier="COLD", Trigger=None, Approval=None)
    assert {Problem.TRIGGER_MISSING, Problem.APPROVAL_MISSING} <= validation.codes
    assert validation.schedulable and not validation.safe_to_run


def test_cold_must_be_manual():
    assert Problem.COLD_NOT_MANUAL in validate(Tier="COLD", Approval="auto").codes


def test_malformed_trigger():
    assert Problem.TRIGGER_INVALID in validate(Trigger="hubspot_stage:onlypipeline").codes


def test_defaults_timezone_utc_cooldown_7_scheduler_n8n():
    playbook = validate(Timezone=None, **{"Cooldown Days": None}, Scheduler=None).playbook
    assert (playbook.timezone, playbook.cooldown_days, playbook.scheduler) == ("UTC", 7, "n8n")


def test_demo_has_16_playbooks_two_broken_cold_ones():
    validations = validate_playbooks(playbook_records())
    assert len(validations) == 16
    broken = [v for v in validations if {Problem.TRIGGER_MISSING, Problem.APPROVAL_MISSING} <= v.codes]
    assert len(broken) == 2 and all(v.playbook.tier == "COLD" for v in broken)
    assert all(v.schedulable for v in validations)


def test_a_name_whose_slug_outgrows_the_ecs_tag_limit_is_named_and_gets_no_schedule():
    """A 400-character Name used to get a running schedule whose runs carry the slug in ECS task
    tags (at most 256 characters per value): every run would fail to launch on Fargate."""
    from schedules.playbook_schedules import build_playbook_schedules
    from tests.unit.test_queue_ids import LONG_NAME

    too_long = validate(Name=LONG_NAME)
    assert Problem.NAME_TOO_LONG in too_long.codes and not too_long.schedulable
    assert "shorten the Name" in too_long.describe()
    assert build_playbook_schedules([too_long]) == []
    fits = validate(Name="x" * 256)
    assert fits.schedulable and len(build_playbook_schedules([fits])) == 1
