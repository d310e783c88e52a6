"""``HubSpotCrm`` on the real hubspot-api-client, against a local server speaking HubSpot's protocol."""

from __future__ import annotations

import socket
import threading
import time
import traceback
from collections.abc import Iterator

import pytest
from hubspot import HubSpot
from hubspot.crm.deals import PublicObjectSearchRequest
from hubspot.crm.deals.exceptions import ApiException

from clawbot_assets.adapters import crm_hubspot
from clawbot_assets.adapters.crm import (
    CrmError,
    Deal,
    Pipeline,
    SearchCapReachedError,
    Stage,
)
from clawbot_assets.adapters.crm_hubspot import HubSpotCrm
from clawbot_assets.adapters.hubspot_pacing import HubSpotPacer
from clawbot_assets.domain.credentials import CredentialError
from tests.fakes import hubspot_server
from tests.fakes.hubspot_server import PIPELINES_PATH, SEARCH_PATH, FakeHubSpotServer

TOKEN = "pat-na1-test-secret-token"

PIPELINES = (
    Pipeline("default", "Sales Pipeline", (Stage("qualified", "Qualified"), Stage("demo", "Demo Booked"))),
    Pipeline("renewals", "Renewals", (Stage("qualified", "Qualified"), Stage("signed", "Signed"))),
)


def deal(deal_id: int, stage: str = "qualified", pipeline: str = "default", **properties: str) -> dict[str, str]:
    return {
        "hs_object_id": str(deal_id),
        "dealname": f"Deal {deal_id}",
        "dealstage": stage,
        "pipeline": pipeline,
        **properties,
    }


@pytest.fixture
def server() -> Iterator[FakeHubSpotServer]:
    deals = [deal(i) for i in range(1, 251)]
    deals += [deal(1000 + i, stage="demo") for i in range(1, 4)]
    deals += [deal(2000 + i, pipeline="renewals") for i in range(1, 6)]
    with FakeHubSpotServer(token=TOKEN, pipelines=PIPELINES, deals=deals) as running:
        yield running


def crm_for(server: FakeHubSpotServer, **options: object) -> HubSpotCrm:
    """A client with production pacing, but a pacer of its own so tests do not wait on each other."""
    return HubSpotCrm(TOKEN, host=server.url, **{"backoff_factor": 0.01, "pacer": HubSpotPacer(), **options})


def test_pipelines_and_stages_are_parsed_in_display_order(server: FakeHubSpotServer) -> None:
    crm = crm_for(server)

    assert crm.deal_pipelines() == list(PIPELINES)
    assert crm.requests_made == 1
    [request] = server.requests
    assert (request.method, request.path) == ("GET", PIPELINES_PATH)
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_deals_are_paged_until_there_is_no_next_page(server: FakeHubSpotServer) -> None:
    crm = crm_for(server, page_size=100)

    deals = crm.deals_in_stage("default", "qualified")

    assert [d.id for d in deals] == [str(i) for i in range(1, 251)]
    searches = server.requests_to("POST", SEARCH_PATH)
    assert [s.body.get("after") for s in searches] == [None, "100", "200"]
    assert all(s.body["limit"] == 100 for s in searches)
    assert crm.requests_made == len(server.requests) == 3


def test_search_asks_for_stage_and_pipeline_sorted_by_object_id(server: FakeHubSpotServer) -> None:
    crm = crm_for(server, do_not_contact_property="clawbot_dnc")

    crm.deals_in_stage("renewals", "qualified")

    body = server.requests_to("POST", SEARCH_PATH)[0].body
    assert body["filterGroups"] == [
        {
            "filters": [
                {"propertyName": "dealstage", "operator": "EQ", "value": "qualified"},
                {"propertyName": "pipeline", "operator": "EQ", "value": "renewals"},
            ]
        }
    ]
    assert body["sorts"] == [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
    assert body["properties"] == ["dealname", "dealstage", "pipeline", "clawbot_dnc"]


def test_filters_by_stage_and_pipeline(server: FakeHubSpotServer) -> None:
    crm = crm_for(server)

    renewals = crm.deals_in_stage("renewals", "qualified")
    demos = crm.deals_in_stage("default", "demo")

    assert [d.id for d in renewals] == ["2001", "2002", "2003", "2004", "2005"]
    assert {(d.pipeline_id, d.stage_id) for d in renewals} == {("renewals", "qualified")}
    assert demos == [Deal(str(1000 + i), f"Deal {1000 + i}", "default", "demo") for i in range(1, 4)]
    assert crm.deals_in_stage("renewals", "demo") == []


def test_do_not_contact_flag_is_read_from_the_configured_property() -> None:
    values = {1: "true", 2: "YES", 3: "1", 4: "false", 5: "no", 6: "", 7: None}
    deals = [deal(i) if value is None else deal(i, clawbot_dnc=value) for i, value in values.items()]
    with FakeHubSpotServer(token=TOKEN, pipelines=PIPELINES, deals=deals) as server:
        crm = crm_for(server, do_not_contact_property="clawbot_dnc")

        flags = {d.id: d.do_not_contact for d in crm.deals_in_stage("default", "qualified")}

    assert flags == {"1": True, "2": True, "3": True, "4": False, "5": False, "6": False, "7": False}


def test_a_429_on_the_search_post_is_retried(server: FakeHubSpotServer) -> None:
    crm = crm_for(server, page_size=200)
    server.fail_next(status=429, count=2, method="POST", path=SEARCH_PATH)

    deals = crm.deals_in_stage("default", "qualified")

    assert len(deals) == 250
    searches = server.requests_to("POST", SEARCH_PATH)
    assert len(searches) == 4
    assert searches[0].body == searches[1].body == searches[2].body
    assert crm.requests_made == 4


def test_a_fractional_retry_after_is_honoured(server: FakeHubSpotServer) -> None:
    crm = crm_for(server)
    server.fail_next(status=429, count=1, retry_after="0.05")

    assert len(crm.deal_pipelines()) == 2
    assert crm.requests_made == len(server.requests) == 2


def test_5xx_without_retry_after_is_retried_with_backoff(server: FakeHubSpotServer) -> None:
    crm = crm_for(server)
    server.fail_next(status=502, count=1, retry_after=None)
    server.fail_next(status=504, count=1, retry_after=None)

    assert len(crm.deal_pipelines()) == 2
    assert crm.requests_made == len(server.requests) == 3


def test_exhausted_retries_raise_crm_error_without_the_token(server: FakeHubSpotServer) -> None:
    crm = crm_for(server, max_retries=3)
    server.fail_next(status=429, count=10, path=SEARCH_PATH)

    with pytest.raises(CrmError) as raised:
        crm.deals_in_stage("default", "qualified")

    message = str(raised.value)
    assert "/crm/v3/objects/deals/search" in message
    assert "'default'" in message and "'qualified'" in message
    assert "429" in message
    assert TOKEN not in "".join(traceback.format_exception(raised.value))
    assert crm.requests_made == len(server.requests_to("POST", SEARCH_PATH)) == 4


def test_a_client_error_is_not_retried(server: FakeHubSpotServer) -> None:
    crm = crm_for(server)
    server.fail_next(status=400, count=1)

    with pytest.raises(CrmError, match="HTTP 400"):
        crm.deal_pipelines()

    assert crm.requests_made == len(server.requests) == 1


def test_a_wrong_token_is_a_crm_error(server: FakeHubSpotServer) -> None:
    crm = HubSpotCrm("pat-na1-wrong-token", host=server.url, backoff_factor=0.01, pacer=HubSpotPacer())

    with pytest.raises(CrmError, match="401") as raised:
        crm.deal_pipelines()

    assert "INVALID_AUTHENTICATION" in str(raised.value)
    assert "wrong-token" not in str(raised.value)
    assert len(server.requests) == 1


def test_an_unreachable_host_is_a_crm_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    crm = HubSpotCrm(TOKEN, host=f"http://127.0.0.1:{port}", max_retries=2, backoff_factor=0.01, pacer=HubSpotPacer())

    with pytest.raises(CrmError, match="gave up after 2 retries"):
        crm.deal_pipelines()

    assert crm.requests_made == 3


def test_more_than_10000_matches_raise_search_cap_reached() -> None:
    deals = [deal(i) for i in range(1, 10_002)]
    with FakeHubSpotServer(token=TOKEN, pipelines=PIPELINES, deals=deals) as server:
        crm = crm_for(server, page_size=200)

        with pytest.raises(SearchCapReachedError, match="10001") as raised:
            crm.deals_in_stage("default", "qualified")

        assert "'default'" in str(raised.value) and "'qualified'" in str(raised.value)
        assert len(server.requests) == 1


def test_a_stage_with_exactly_the_cap_is_returned_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The boundary, with the cap lowered in both client and fake so it needs 300 deals, not 10,000."""
    monkeypatch.setattr(crm_hubspot, "SEARCH_RESULT_CAP", 300)
    monkeypatch.setattr(hubspot_server, "SEARCH_RESULT_CAP", 300)
    with FakeHubSpotServer(token=TOKEN, pipelines=PIPELINES, deals=[deal(i) for i in range(1, 301)]) as server:
        crm = crm_for(server, page_size=100)

        assert len(crm.deals_in_stage("default", "qualified")) == 300
        assert crm.requests_made == len(server.requests) == 3


def test_one_deal_over_the_lowered_cap_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crm_hubspot, "SEARCH_RESULT_CAP", 300)
    with FakeHubSpotServer(token=TOKEN, pipelines=PIPELINES, deals=[deal(i) for i in range(1, 302)]) as server:
        crm = crm_for(server, page_size=100)

        with pytest.raises(SearchCapReachedError, match="301"):
            crm.deals_in_stage("default", "qualified")
        assert len(server.requests) == 1


def test_the_fake_refuses_to_page_past_10000_like_hubspot(server: FakeHubSpotServer) -> None:
    search_api = HubSpot(access_token=TOKEN, host=server.url).crm.deals.search_api

    with pytest.raises(ApiException) as raised:
        search_api.do_search(public_object_search_request=PublicObjectSearchRequest(limit=100, after="10000"))

    assert raised.value.status == 400
    assert "10000" in raised.value.body


def test_page_size_is_limited_to_what_hubspot_accepts() -> None:
    with pytest.raises(ValueError, match="page_size"):
        HubSpotCrm(TOKEN, page_size=201)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_each_transient_5xx_on_the_pipelines_get_is_retried(server: FakeHubSpotServer, status: int) -> None:
    crm = crm_for(server)
    server.fail_next(status=status, count=1, retry_after=None)

    assert len(crm.deal_pipelines()) == 2
    assert crm.requests_made == len(server.requests) == 2


def test_one_500_mid_paging_is_retried_and_every_deal_comes_once(server: FakeHubSpotServer) -> None:
    crm = crm_for(server, page_size=50)
    server.fail_next(status=500, count=1, retry_after=None, method="POST", path=SEARCH_PATH, after=2)

    deals = crm.deals_in_stage("default", "qualified")

    assert [d.id for d in deals] == [str(i) for i in range(1, 251)]
    afters = [s.body.get("after") for s in server.requests_to("POST", SEARCH_PATH)]
    assert afters == [None, "50", "100", "100", "150", "200"]
    assert crm.requests_made == 6


def test_paging_against_hubspots_search_limit_meets_no_429() -> None:
    """Two runs paging at once in one process share its pacer; HubSpot's 4 searches/s window is never hit."""
    deals = [deal(i) for i in range(1, 61)] + [deal(100 + i, stage="demo") for i in range(1, 61)]
    pacer = HubSpotPacer()
    results: dict[str, list[Deal]] = {}
    with FakeHubSpotServer(token=TOKEN, pipelines=PIPELINES, deals=deals) as server:

        def page_through(stage: str) -> None:
            results[stage] = crm_for(server, page_size=12, pacer=pacer).deals_in_stage("default", stage)

        started = time.monotonic()
        threads = [threading.Thread(target=page_through, args=(stage,)) for stage in ("qualified", "demo")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started

        assert server.rate_limited == 0
        assert len(server.requests_to("POST", SEARCH_PATH)) == 10
    assert [len(results[stage]) for stage in ("qualified", "demo")] == [60, 60]
    assert elapsed >= 2.0, "ten searches, 4 open slots each held 1 s past its response, take two waits"


def _page_in_a_process(store: str, url: str, stage: str, barrier: object, results: object) -> None:
    crm = HubSpotCrm(TOKEN, host=url, backoff_factor=0.01, max_retries=0, page_size=4, pacer=HubSpotPacer(store, account="fake"))
    barrier.wait()  # type: ignore[attr-defined]
    results.put((stage, len(crm.deals_in_stage("default", stage))))  # type: ignore[attr-defined]


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_processes_and_containers_share_the_accounts_search_budget(
    store: str, request: pytest.FixtureRequest, tmp_path
) -> None:
    """HubSpot's limits are per account: three processes paging at once, each pacing on the shared
    store (SQLite for one host, Postgres for containers), meet no 429 and send no retry."""
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'rate.sqlite'}" if store == "sqlite" else request.getfixturevalue("postgres_url")
    stages = ("qualified", "demo", "signed")
    deals = [deal(index * 100 + i, stage=stage) for index, stage in enumerate(stages) for i in range(1, 41)]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(len(stages)), context.Queue()
    with FakeHubSpotServer(token=TOKEN, pipelines=PIPELINES, deals=deals) as server:
        workers = [
            context.Process(target=_page_in_a_process, args=(url, server.url, stage, barrier, results))
            for stage in stages
        ]
        for worker in workers:
            worker.start()
        counted = dict(results.get(timeout=120) for _ in workers)
        for worker in workers:
            worker.join(timeout=10)
            assert worker.exitcode == 0

        assert counted == {stage: 40 for stage in stages}
        assert server.rate_limited == 0
        assert len(server.requests_to("POST", SEARCH_PATH)) == 30


def test_the_fake_enforces_the_search_limit_on_an_unpaced_client() -> None:
    """The guard the test above relies on: without pacing the same paging is throttled."""
    with FakeHubSpotServer(token=TOKEN, pipelines=PIPELINES, deals=[deal(i) for i in range(1, 61)]) as server:
        search_api = HubSpot(access_token=TOKEN, host=server.url).crm.deals.search_api
        statuses = []
        for _ in range(6):
            try:
                search_api.do_search(public_object_search_request=PublicObjectSearchRequest(limit=10))
                statuses.append(200)
            except ApiException as error:
                statuses.append(error.status)
                assert "secondly limit" in error.body
        assert statuses == [200, 200, 200, 200, 429, 429] and server.rate_limited == 2


def test_a_token_pasted_with_a_trailing_newline_works(server: FakeHubSpotServer) -> None:
    crm = HubSpotCrm(TOKEN + "\n", host=server.url, pacer=HubSpotPacer())

    assert len(crm.deal_pipelines()) == 2
    assert server.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("raw", [f"{TOKEN[:10]}\n{TOKEN[10:]}", f"{TOKEN[:10]}\r{TOKEN[10:]}", f"{TOKEN} x", ""])
def test_a_token_with_inner_whitespace_is_refused_and_never_leaks(server: FakeHubSpotServer, raw: str) -> None:
    with pytest.raises(CredentialError, match="HUBSPOT_ACCESS_TOKEN") as raised:
        HubSpotCrm(raw, host=server.url, pacer=HubSpotPacer())

    error: BaseException | None = raised.value
    while error is not None:
        text = "".join(traceback.format_exception(error)) + repr(error.args)
        assert TOKEN[:10] not in text and TOKEN[10:] not in text
        error = error.__cause__ or error.__context__
    assert server.requests == []
