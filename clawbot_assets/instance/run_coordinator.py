"""The run queue of both instances: Dagster's ``QueuedRunCoordinator``, plus the API tags.

The queue limits runs by tag (``concurrency.runs.tag_concurrency_limits``: ``clawbot/airtable``,
``clawbot/hubspot``). Jobs carry those tags (``run_tags.py``), but a materialisation launched
from the asset catalog or a backfill of assets runs under Dagster's implicit asset job, which
has no tags, and Dagster 1.13 has no way to attach run tags to an asset. So the coordinator adds them when a run is submitted, whoever submits it (the webserver,
the daemon's schedules, sensors and backfills, the CLI), before the run enters the queue: a run
gets ``clawbot/airtable`` if a step it executes requires the ``ssot`` resource and
``clawbot/hubspot`` if one requires ``crm``. What the steps require is read from the snapshots
Dagster stores with every run, so the tags follow the code, not a list kept by hand.

Runs executed in process (``execute_in_process``, ``dg launch``, ``dagster job execute``) never
pass the queue and keep their job's tags only. ``docs/decisions.md`` says why this and not pools at run
granularity.
"""

from __future__ import annotations

import dagster as dg

from clawbot_assets.instance.dagster_warnings import silence_internal_beta_warnings
from clawbot_assets.instance.dagster_internals import add_run_tags, required_resources_of_run
from clawbot_assets.instance.run_tags import api_tags_for_resources

# The daemon and the webserver import this module when they load the instance.
silence_internal_beta_warnings()


class ApiTaggingRunCoordinator(dg.QueuedRunCoordinator):
    """``QueuedRunCoordinator`` that tags each submitted run with the APIs its steps talk to."""

    def submit_run(self, context: dg.SubmitRunContext) -> dg.DagsterRun:
        run = context.dagster_run
        wanted = api_tags_for_resources(required_resources_of_run(self._instance, run))
        missing = {key: value for key, value in wanted.items() if run.tags.get(key) != value}
        if missing:
            add_run_tags(self._instance, run.run_id, missing)
            # The run as stored now, without reading it back (the queue reads it once after enqueueing).
            context = dg.SubmitRunContext(run.with_tags({**run.tags, **missing}), context.workspace)
        return super().submit_run(context)
