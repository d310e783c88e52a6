"""The real n8n adapter (requests) against a local server speaking n8n's public API."""

import pytest

from clawbot_assets.adapters.n8n import LocalN8n, N8nApi, N8nError
from clawbot_assets.demo.data import n8n_workflows
from clawbot_assets.demo.seed import ensure_n8n_export
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
