"""Every job that talks to Airtable or HubSpot carries the run tag that the production
instance limits (deploy/dagster.yaml, tag_concurrency_limits), so concurrent runs stay within
the APIs' budgets however they are launched."""

from __future__ import annotations

from clawbot_assets.names import AIRTABLE_RUN_TAG, HUBSPOT_RUN_TAG
from tests.dagster.helpers import defs_for

#: Resource key -> the run tag a job needing it must carry.
API_RESOURCES = {"ssot": AIRTABLE_RUN_TAG, "crm": HUBSPOT_RUN_TAG}


def required_resources(job) -> set[str]:
    keys: set[str] = set()
    for node in job.graph.iterate_node_defs():
        keys |= set(getattr(node, "required_resource_keys", ()))  # graphs have none; their ops are iterated too
    return keys


def test_every_job_needing_the_ssot_or_crm_carries_its_tag_and_no_other_does(local_resources):
    jobs = [job for job in defs_for(local_resources).get_repository_def().get_all_jobs()
            # Dagster's implicit job for ad-hoc materialisations has no tags of its own: the
            # run coordinator tags its runs (test_catalog_runs_queue.py).
            if not job.name.startswith("__")]
    assert len(jobs) >= 12
    for job in jobs:
        needed = required_resources(job)
        for resource, tag in API_RESOURCES.items():
            if resource in needed:
                assert job.tags.get(tag) == "true", f"job {job.name} uses {resource!r} but lacks the {tag} tag"
            else:
                assert tag not in job.tags, f"job {job.name} carries {tag} without using {resource!r}"


def test_a_playbook_run_carries_both_tags(local_resources, instance):
    from clawbot_assets.names import PLAYBOOK_PARTITIONS

    instance.add_dynamic_partitions(PLAYBOOK_PARTITIONS, ["churn_rescue"])
    result = defs_for(local_resources).resolve_job_def("playbook_run").execute_in_process(
        instance=instance, partition_key="churn_rescue", raise_on_error=False
    )
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags[AIRTABLE_RUN_TAG] == "true" and tags[HUBSPOT_RUN_TAG] == "true"
