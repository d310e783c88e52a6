"""The real n8n adapter (requests) against a local server speaking n8n's public API."""

import pytest

from clawbot_assets.adapters.n8n import LocalN8n, N8nApi, N8nBudgetSpent, N8nError, N8nUnknownWorkflow, RequestBudget
from clawbot_assets.adapters.n8n_local_fixture import ensure_n8n_export, n8n_workflows
from clawbot_assets.domain.n8n_schedule import parse_workflows
from tests.fakes.n8n_server import FakeN8n

KEY = "n8n_api_0123456789abcdef"


def test_lists_every_page_following_next_cursor_with_the_key_header():
    workflows = n8n_workflows()
    with FakeN8n(api_key=KEY, workflows=workflows, page_size=3) as server:
        listed = N8nApi(server.url, KEY).list_workflows()
        requests = server.requests
    assert [w["id"] for w in listed] == [w["id"] for w in workflows]
    assert len(requests) == 4
    assert "cursor" not in requests[0].query and all("cursor" in r.query for r in requests[1:])
    assert all(r.headers.get("X-N8N-API-KEY") == KEY for r in requests)


def test_reads_the_published_active_version_not_the_draft():
    with FakeN8n(api_key=KEY, workflows=n8n_workflows()) as server:
        parsed = {w.name: w for w in parse_workflows(N8nApi(server.url + "/", KEY).list_workflows())}
    stale = parsed["Stale Deal Nudge"]
    assert stale.from_active_version
    assert [s.cron for s in stale.schedules] == ["0 8 * * 1"]


def test_401_says_the_key_was_refused_without_showing_it():
    with FakeN8n(api_key=KEY) as server:
        with pytest.raises(N8nError, match="401") as raised:
            N8nApi(server.url, "n8n_wrong_key_987").list_workflows()
    assert "N8N_API_KEY" in str(raised.value)
    assert "n8n_wrong_key_987" not in str(raised.value) and KEY not in str(raised.value)


def test_unreachable_n8n_is_an_n8n_error():
    with pytest.raises(N8nError, match="unreachable"):
        N8nApi("http://127.0.0.1:9", KEY, timeout=0.5).list_workflows()


def test_local_export_reads_the_api_shape(tmp_path):
    path = ensure_n8n_export(tmp_path / "n8n.json")
    assert len(LocalN8n(path).list_workflows()) == len(n8n_workflows())
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(N8nError, match="cannot be read"):
        LocalN8n(tmp_path / "broken.json").list_workflows()


def execution(number: int, workflow_id: str, status: str, day: int, hour: int = 9) -> dict:
    return {
        "id": str(number), "finished": status == "success", "mode": "trigger", "retryOf": None, "workflowId": workflow_id,
        "startedAt": f"2026-03-{day:02d}T{hour:02d}:00:07.000Z", "stoppedAt": f"2026-03-{day:02d}T{hour:02d}:00:09.000Z", "status": status,
    }


WORKFLOWS = [{"id": "wfA", "name": "A", "active": True, "nodes": []}, {"id": "wfB", "name": "B", "active": True, "nodes": []}]
HISTORY = [
    execution(1, "wfA", "success", 1), execution(2, "wfA", "success", 2), execution(3, "wfA", "error", 3),
    execution(4, "wfA", "crashed", 4), execution(5, "wfA", "error", 5), execution(6, "wfB", "success", 5),
]


def test_executions_are_read_newest_first_page_by_page_down_to_the_latest_success():
    with FakeN8n(api_key=KEY, workflows=WORKFLOWS, executions=HISTORY, page_size=2) as server:
        budget = RequestBudget(10)
        read = N8nApi(server.url, KEY).list_executions("wfA", since=None, budget=budget)
        requests = server.requests
    assert [e["id"] for e in read] == ["5", "4", "3", "2"]
    assert len(requests) == 2 and budget.left == 8
    assert all(r.path == "/api/v1/executions" and r.query["workflowId"] == ["wfA"] for r in requests)
    assert "cursor" not in requests[0].query and "cursor" in requests[1].query


def test_executions_stop_at_the_oldest_one_the_audit_needs():
    import datetime as dt

    with FakeN8n(api_key=KEY, workflows=WORKFLOWS, executions=HISTORY, page_size=1) as server:
        since = dt.datetime(2026, 3, 4, 12, tzinfo=dt.timezone.utc)
        read = N8nApi(server.url, KEY).list_executions("wfA", since=since, budget=RequestBudget(10))
    assert [e["id"] for e in read] == ["5", "4"]


def test_the_request_budget_bounds_the_reading():
    with FakeN8n(api_key=KEY, workflows=WORKFLOWS, executions=HISTORY, page_size=1) as server:
        budget = RequestBudget(2)
        with pytest.raises(N8nBudgetSpent, match="budget of 2"):
            N8nApi(server.url, KEY).list_executions("wfA", since=None, budget=budget)
        assert len(server.requests) == 2


@pytest.mark.parametrize(
    "server_options, key, workflow_id, error, match",
    [
        ({}, "n8n_wrong_key_987", "wfA", N8nError, "401"),
        ({}, KEY, "wf-gone", N8nUnknownWorkflow, "404 for workflowId wf-gone"),
        ({"execution_scope": False}, KEY, "wfA", N8nError, "403.*execution:read"),
        ({"executions_api": False}, KEY, "wfA", N8nUnknownWorkflow, "without the executions API"),
    ],
)
def test_executions_refused_or_missing_say_why_without_the_key(server_options, key, workflow_id, error, match):
    with FakeN8n(api_key=KEY, workflows=WORKFLOWS, executions=HISTORY, **server_options) as server:
        with pytest.raises(error, match=match) as raised:
            N8nApi(server.url, key).list_executions(workflow_id, since=None, budget=RequestBudget(5))
    assert key not in str(raised.value) and KEY not in str(raised.value)
