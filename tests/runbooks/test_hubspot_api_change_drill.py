"""Drill for docs/runbooks/hubspot_api_change.md: HubSpot's pipelines endpoint answers 410 Gone;
the runbook's probe and recheck show it clearly; once it answers again they show recovery."""

import dagster as dg

from clawbot_assets.adapters.crm import Pipeline, Stage
from clawbot_assets.demo.data import PIPELINES
from tests.fakes.hubspot_server import FakeHubSpotServer

RUNBOOK = "hubspot_api_change"
TOKEN = "pat-na1-runbook-drill-token"
ENDPOINT = "/crm/v3/pipelines/deals"


def demo_pipelines() -> list[Pipeline]:
    return [Pipeline(p["id"], p["label"], tuple(Stage(s["id"], s["label"]) for s in p["stages"])) for p in PIPELINES]


def test_the_hubspot_runbook_shows_the_410_and_then_the_recovery(operator):
    with FakeHubSpotServer(token=TOKEN, pipelines=demo_pipelines()) as server:
        operator.env.update(CLAWBOT_CRM="hubspot", HUBSPOT_HOST=server.url, HUBSPOT_ACCESS_TOKEN=TOKEN)
        server.fail_next(410, count=2, method="GET", path=ENDPOINT)

        probe = operator.run(RUNBOOK, "probe").stdout
        assert f"GET {ENDPOINT} -> HTTP 410" in probe
        failed = operator.run(RUNBOOK, "recheck", expect_success=False)
        assert f"HubSpot GET {ENDPOINT} failed: HTTP 410" in failed.stdout + failed.stderr
        assert TOKEN not in failed.stdout + failed.stderr + probe

        assert f"GET {ENDPOINT} -> HTTP 200" in operator.run(RUNBOOK, "probe").stdout
        operator.run(RUNBOOK, "recheck")
    with operator.instance() as instance:
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("playbooks"), "trigger_stage_exists")]
        )
        evaluation = next(iter(latest.values())).event.dagster_event.event_specific_data
        assert evaluation.passed
