"""The resource table: each switched system's backends implement its abstract resource, the
first value is the embedded default, and any other value builds the one misconfigured
stand-in, which fails the system's first use naming the switch and never the value."""

from __future__ import annotations

import dagster as dg
import pytest

from clawbot_assets.observability.metrics import QUEUE_DEPTH, Datapoint
from clawbot_assets.resources import BACKENDS, Deployment, pick, resources_from_env
from clawbot_assets.resources.alerts import Alert, LocalAlerterResource
from clawbot_assets.resources.backends import BackendConfigError
from clawbot_assets.resources.crm import LocalCrmResource
from clawbot_assets.resources.metrics import LocalMetricsResource
from clawbot_assets.resources.misconfigured import MisconfiguredResource
from clawbot_assets.resources.n8n import LocalN8nResource
from clawbot_assets.resources.queue import LocalQueueResource
from clawbot_assets.resources.secrets import EnvSecretsResource, SecretUnavailableError
from clawbot_assets.resources.ssot import LocalSsotResource
from tests.dagster.helpers import defs_for

#: What a token pasted into the wrong variable looks like: it must never be echoed.
PASTED = "pat-Pasted-Into-The-Switch-7f3a"

#: How each switched system is first used by a run or a sensor.
FIRST_USE = {
    "secrets": lambda resource: resource.get("AIRTABLE_API_KEY"),
    "ssot": lambda resource: resource.client(),
    "crm": lambda resource: resource.client(),
    "n8n": lambda resource: resource.client(),
    "queue": lambda resource: resource.queue(),
    "alerts": lambda resource: resource.send(Alert(kind="check_failed", title="t", severity="ERROR")),
}


def test_every_value_of_every_switch_builds_a_backend_of_that_systems_interface():
    for system, switch in BACKENDS.items():
        for value in switch.backends:
            resource = pick(system, Deployment({switch.variable: value.upper()}))
            assert isinstance(resource, switch.interface), (system, value)
            assert not isinstance(resource, MisconfiguredResource), (system, value)


def test_an_unset_switch_picks_the_embedded_backend_in_the_data_directory(tmp_path):
    resources = resources_from_env({"CLAWBOT_DATA_DIR": str(tmp_path)})
    assert type(resources["secrets"]) is EnvSecretsResource
    assert type(resources["metrics"]) is LocalMetricsResource
    assert type(resources["alerter"].channel) is LocalAlerterResource and resources["alerter"].pager is None
    for name, local in {"ssot": LocalSsotResource, "crm": LocalCrmResource, "n8n": LocalN8nResource, "queue": LocalQueueResource}.items():
        assert type(resources[name]) is local and resources[name].data_dir == str(tmp_path), name


@pytest.mark.parametrize("system", sorted(BACKENDS))
def test_an_unknown_value_builds_the_stand_in_which_names_the_switch_and_its_values_never_the_value(system):
    switch = BACKENDS[system]
    resource = pick(system, Deployment({switch.variable: PASTED}))
    assert isinstance(resource, MisconfiguredResource) and isinstance(resource, switch.interface)
    assert resource.system == system
    assert resource.problem.startswith(f"{switch.variable} names no backend")
    assert all(value in resource.problem for value in switch.backends)
    assert PASTED not in repr(resource) and PASTED not in str(resource.model_dump())
    if system == "metrics":
        report = resource.publish([Datapoint(QUEUE_DEPTH, 3.0)])
        assert report.lost == 1 and report.errors == [resource.problem] and "misconfigured" in resource.destination()
        return
    refusal = SecretUnavailableError if system == "secrets" else BackendConfigError
    with pytest.raises(refusal) as error:
        FIRST_USE[system](resource)
    assert str(error.value) == resource.problem


def test_every_switched_system_but_metrics_has_a_first_use_that_fails():
    """A system added to the table must say here how its first use fails."""
    assert set(FIRST_USE) | {"metrics"} == set(BACKENDS)


def test_the_stand_in_nests_where_a_system_is_expected_and_fails_only_that_system():
    """A mistyped channel leaves the pager working; mistyped secrets fail the Airtable read."""
    resources = resources_from_env({"CLAWBOT_ALERTS": PASTED, "CLAWBOT_PAGER_TOPIC_ARN": "arn:aws:sns:eu-west-1:1:pager"})
    assert isinstance(resources["alerter"].channel, MisconfiguredResource) and resources["alerter"].pager_configured()
    ssot = resources_from_env({"CLAWBOT_SSOT": "airtable", "CLAWBOT_SECRETS": PASTED, "AIRTABLE_BASE_ID": "appX"})["ssot"]
    assert isinstance(ssot.secrets, MisconfiguredResource) and ssot.secrets.system == "secrets"
    with pytest.raises(SecretUnavailableError, match="CLAWBOT_SECRETS names no backend"):
        ssot.client()


def test_the_stand_in_answers_every_abstract_method_of_every_switched_system():
    assert all(issubclass(MisconfiguredResource, switch.interface) for switch in BACKENDS.values())
    assert not MisconfiguredResource.__abstractmethods__


@pytest.mark.parametrize("system", sorted(BACKENDS))
def test_a_backend_missing_a_method_of_its_interface_cannot_be_built(system):
    interface = BACKENDS[system].interface
    assert interface.__abstractmethods__, interface
    incomplete = type(f"Incomplete{interface.__name__}", (interface,), {})
    with pytest.raises(TypeError, match="abstract"):
        incomplete()


def test_with_every_switch_mistyped_the_code_location_loads_and_a_run_needing_the_ssot_fails_naming_it(tmp_path, instance):
    environ = {switch.variable: PASTED for switch in BACKENDS.values()} | {"CLAWBOT_DATA_DIR": str(tmp_path)}
    defs = defs_for(resources_from_env(environ))
    assert "playbooks_refresh" in {job.name for job in defs.get_repository_def().get_all_jobs()}
    result = defs.resolve_job_def("playbooks_refresh").execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    events = str(result.all_events)
    assert "CLAWBOT_SSOT names no backend; set it to one of: local, airtable" in events and PASTED not in events


def test_with_n8n_mistyped_the_audit_still_runs_reading_n8n_as_unknown(local_resources, instance):
    n8n = resources_from_env({"CLAWBOT_N8N": PASTED})["n8n"]
    result = defs_for({**local_resources, "n8n": n8n}).resolve_job_def("ssot_audit_refresh").execute_in_process(instance=instance)
    assert result.success
    metadata = result.asset_materializations_for_node("ssot_audit")[0].metadata
    assert "CLAWBOT_N8N names no backend" in metadata["n8n"].value and PASTED not in str(metadata)
    rows = {row.data["playbook"]: row.data for row in metadata["audit"].value.records}
    assert rows["Stale Deal Nudge"]["n8n"].startswith("unknown")


def test_the_stand_in_is_a_resource_dagster_accepts_nested_and_alone():
    stand_in = MisconfiguredResource(system="queue", problem="CLAWBOT_QUEUE names no backend; set it to one of: local, sqs")
    with dg.build_resources({"queue": stand_in}) as built:
        with pytest.raises(BackendConfigError, match="CLAWBOT_QUEUE"):
            built.queue.dead_letter()
