"""The one module that reads and sets schedule state through the instance."""

import dagster as dg

from clawbot_assets.instance.schedule_state import schedule_states, set_schedule_running


def schedule(name, running):
    status = dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED
    return dg.ScheduleDefinition(name=name, cron_schedule="0 9 * * *", job_name="playbook_run", default_status=status)


def test_without_a_stored_state_the_default_applies_and_a_stored_one_overrides_it(instance):
    on, off = schedule("playbook__on", True), schedule("playbook__off", False)
    assert schedule_states(instance, [on, off]) == {
        "playbook__on": schedule_states(instance, [on])["playbook__on"],
        "playbook__off": schedule_states(instance, [off])["playbook__off"],
    }
    assert [(s.running, s.source) for s in schedule_states(instance, [on, off]).values()] == [(True, "default"), (False, "default")]

    assert not set_schedule_running(instance, on, False).running
    assert set_schedule_running(instance, off, True).running
    states = schedule_states(instance, [on, off])
    assert (states["playbook__on"].running, states["playbook__on"].source) == (False, "instance")
    assert (states["playbook__off"].running, states["playbook__off"].source) == (True, "instance")

    assert set_schedule_running(instance, on, True).running
    assert len(instance.all_instigator_state()) == 2



def test_a_state_is_stored_under_this_code_location(instance):
    set_schedule_running(instance, schedule("playbook__on", True), False)
    (stored,) = instance.all_instigator_state()
    assert stored.repository_selector.location_name == "clawbot" and stored.name == "playbook__on"
