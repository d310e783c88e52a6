"""The Airtable budget in the UI: every request a run sends is counted against its job in the
limiter's store; ``airtable_budget`` shows requests per job per hour with the share of the
base's 18,000 an hour and warns when the steady state (the nightly dedupe aside) passes the
configured share; ``ops_metrics`` publishes the same figures."""

import datetime as dt
import sqlite3
import time

import dagster as dg

from clawbot_assets.adapters.rate_limit_stores import REQUESTS_TABLE
from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE
from clawbot_assets.definitions import build_defs
from clawbot_assets.demo.data import playbook_records
from clawbot_assets.domain.airtable_budget import summarise
from clawbot_assets.names import AIRTABLE_BUDGET, Checks
from tests.conftest import BASE_ID, TOKEN, airtable_resource
from tests.dagster.helpers import defs_for, materialize_playbooks
from tests.fakes.airtable_server import FakeAirtable

def last_hour() -> dt.datetime:
    """The last complete hour, as the asset will see it: a test started in an hour's last 30 s
    waits for the next, so its run and its history agree on which hour is the last."""
    now = dt.datetime.now(dt.timezone.utc)
    if now.minute == 59 and now.second >= 30:
        time.sleep(61 - now.second)
        now = dt.datetime.now(dt.timezone.utc)
    return now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)


def record_history(store, job: str, requests: int, hour: dt.datetime) -> None:
    """Counts another process wrote to the shared store an hour ago."""
    with sqlite3.connect(store) as connection:
        connection.execute(
            f"INSERT INTO {REQUESTS_TABLE} (name, job, hour, requests) VALUES (?, ?, ?, ?)",
            (f"airtable:{BASE_ID}", job, hour.isoformat(), requests),
        )


def test_requests_are_counted_per_job_and_the_steady_state_warns(local_resources, data_dir, instance):
    store, hour = data_dir / "limits.sqlite", last_hour()
    with FakeAirtable(token=TOKEN, rate_limit=1000) as server:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        ssot = airtable_resource(server, data_dir, rate_limiter_url=f"sqlite:///{store}?limit=400&window=1")
        defs = defs_for({**local_resources, "ssot": ssot})
        assert materialize_playbooks(defs, instance).success
        sent_by_the_refresh = server.total_requests
        record_history(store, "dispatch_sales_tasks", 4_000, hour)
        record_history(store, "nightly_dedupe", 9_000, hour)

        result = defs.resolve_job_def("publish_ops_metrics").execute_in_process(instance=instance, raise_on_error=False)

    assert result.success
    budget = {name: value.value for name, value in result.asset_materializations_for_node(AIRTABLE_BUDGET)[0].metadata.items()}
    assert budget["requests_last_hour"] == 13_000
    assert budget["requests_last_hour[dispatch_sales_tasks]"] == 4_000
    assert budget["steady_state_requests"] == 4_000, "the nightly dedupe is not the steady state"
    assert budget["steady_state_share"] == round(4_000 / 18_000, 5)
    table = budget["requests_per_job_per_hour"]
    assert f"| playbooks_refresh | 0 | {sent_by_the_refresh} |" in table, table
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == Checks.AIRTABLE_BUDGET_STEADY_STATE]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    metrics = {name: value.value for name, value in result.asset_materializations_for_node("ops_metrics")[0].metadata.items()}
    assert metrics["AirtableRequestsLastHour[Job=dispatch_sales_tasks]"] == 4_000
    assert metrics["AirtableSteadyStateBudgetShare"] == round(100 * 4_000 / 18_000, 3)


def test_a_steady_state_under_the_configured_share_passes(local_resources, data_dir, instance):
    store, hour = data_dir / "limits.sqlite", last_hour()
    with FakeAirtable(token=TOKEN, rate_limit=1000) as server:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        ssot = airtable_resource(server, data_dir, rate_limiter_url=f"sqlite:///{store}?limit=400&window=1")
        ssot.client().list_records(PLAYBOOKS_TABLE)  # creates the store
        record_history(store, "dispatch_sales_tasks", 4_000, hour)
        defs = build_defs({**local_resources, "ssot": ssot}, playbook_schedules=dg.Definitions(), budget_warn_share=0.25)
        result = defs.resolve_job_def("publish_ops_metrics").execute_in_process(instance=instance, raise_on_error=False)
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == Checks.AIRTABLE_BUDGET_STEADY_STATE]
    assert check.passed


def test_the_steady_state_is_the_busiest_complete_hour_without_the_nightly_dedupe():
    now = dt.datetime(2026, 12, 6, 10, 30, tzinfo=dt.timezone.utc)
    hour = lambda h: dt.datetime(2026, 12, 6, h, tzinfo=dt.timezone.utc)  # noqa: E731
    summary = summarise(
        [("dispatch_sales_tasks", hour(3), 100), ("nightly_dedupe", hour(3), 9_000), ("playbook_run", hour(8), 700),
         ("dispatch_sales_tasks", hour(8), 60), ("playbook_run", hour(9), 20), ("playbook_run", hour(10), 5_000)],
        now, ["nightly_dedupe"],
    )
    assert (summary.steady_state_hour, summary.steady_state_requests) == (hour(8), 760)
    assert summary.last_hour_by_job == {"playbook_run": 20}
