"""Assets: playbooks, the HubSpot pipelines, playbook tasks and the deduplicated task queue."""
