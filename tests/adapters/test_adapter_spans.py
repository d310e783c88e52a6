"""Every call the real adapters make is one span, with its attempts, retries and 429s, and
never the credential."""

from clawbot_assets.adapters.crm_hubspot import HubSpotCrm
from clawbot_assets.adapters.hubspot_pacing import HubSpotPacer
from clawbot_assets.adapters.rate_limit import rate_limiter_for
from clawbot_assets.adapters.ssot import TASKS_TABLE
from clawbot_assets.adapters.ssot_airtable import AirtableSsot
from tests.fakes.airtable_server import FakeAirtable
from tests.fakes.hubspot_server import FakeHubSpotServer

AIRTABLE_TOKEN = "patSPANSECRET0001"
HUBSPOT_TOKEN = "pat-na1-SPANSECRET0002"


def test_airtable_calls_are_spans_that_count_a_429(spans):
    with FakeAirtable(token=AIRTABLE_TOKEN, rate_limit=1000, penalty_seconds=0.1) as server:
        server.seed("appSpans", TASKS_TABLE, [{"Key": f"k{i}"} for i in range(150)])
        client = AirtableSsot(
            AIRTABLE_TOKEN, "appSpans", endpoint_url=server.url, penalty_seconds=0.1,
            rate_limiter=rate_limiter_for("memory://?limit=1000&window=1", name="airtable:appSpans"),
        )
        server.inject(429, method="GET")
        assert len(client.list_records(TASKS_TABLE)) == 150
    finished = spans.get_finished_spans()
    assert [span.name for span in finished] == ["airtable GET", "airtable GET"]
    first = finished[0].attributes
    assert first["clawbot.target"] == "appSpans/task_queue_sales"
    assert (first["clawbot.attempts"], first["clawbot.retries"], first["clawbot.rate_limited"]) == (2, 1, 1)
    assert all(AIRTABLE_TOKEN not in span.to_json() for span in finished)


def test_hubspot_calls_are_spans_that_count_retries(spans):
    pipelines = [{"id": "default", "label": "Sales", "stages": [{"id": "qualified", "label": "Qualified"}]}]
    deals = [{"hs_object_id": "1", "dealname": "Deal 1", "dealstage": "qualified", "pipeline": "default"}]
    with FakeHubSpotServer(token=HUBSPOT_TOKEN, pipelines=pipelines, deals=deals) as server:
        crm = HubSpotCrm(HUBSPOT_TOKEN, host=server.url, backoff_factor=0.01, pacer=HubSpotPacer())
        server.fail_next(500)
        assert [deal.id for deal in crm.deals_in_stage("default", "qualified")] == ["1"]
    [span] = spans.get_finished_spans()
    assert span.name.startswith("hubspot ") and span.attributes["clawbot.target"] == "/crm/v3/objects/deals/search"
    assert (span.attributes["clawbot.attempts"], span.attributes["clawbot.retries"]) == (2, 1)
    assert HUBSPOT_TOKEN not in span.to_json()


def test_sqs_and_n8n_calls_are_spans_too(spans, monkeypatch):
    import boto3
    from moto import mock_aws

    from clawbot_assets.adapters.n8n import N8nApi
    from clawbot_assets.adapters.queue_sqs import SqsQueue
    from tests.fakes.n8n_server import FakeN8n

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("sqs")
        url = client.create_queue(QueueName="tasks.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        assert SqsQueue(client, url).depth().total == 0
    with FakeN8n(api_key="n8n_SPAN_KEY_0003", workflows=[]) as server:
        N8nApi(server.url, "n8n_SPAN_KEY_0003").list_workflows()
    by_name = {span.name: span for span in spans.get_finished_spans()}
    assert by_name["sqs GetQueueAttributes"].attributes["clawbot.target"] == "tasks.fifo"
    assert by_name["n8n GET"].attributes["clawbot.target"] == "/api/v1/workflows"
    assert all("n8n_SPAN_KEY_0003" not in span.to_json() for span in spans.get_finished_spans())
