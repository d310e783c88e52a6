import dagster as dg
import pytest

from clawbot_assets.resources.crm_resource import CrmResource
from clawbot_assets.resources.ssot_resource import SsotResource


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def local_resources(data_dir):
    return {"ssot": SsotResource(backend="local", data_dir=str(data_dir)), "crm": CrmResource(backend="local", data_dir=str(data_dir))}


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


BASE_ID = "appClawbotTest"
TOKEN = "patTestToken0123456789"


@pytest.fixture(params=["local", "airtable"])
def backend(request, data_dir):
    """The system's resources on each SSOT backend, seeded with the demo.

    The Airtable variant runs the real pyairtable adapter against the local Airtable server;
    its rate limit is raised so whole-pipeline tests stay quick (pacing at Airtable's real
    5 requests/s is proven in tests/adapters/test_rate_limit.py).
    """
    from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
    from clawbot_assets.demo.data import backlog_records, playbook_records
    from tests.fakes.airtable_server import FakeAirtable

    crm = CrmResource(backend="local", data_dir=str(data_dir))
    if request.param == "local":
        yield {"ssot": SsotResource(backend="local", data_dir=str(data_dir)), "crm": crm}
        return
    with FakeAirtable(token=TOKEN, rate_limit=50, penalty_seconds=0.5) as server:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        server.seed(BASE_ID, TASKS_TABLE, backlog_records())
        ssot = SsotResource(
            backend="airtable",
            data_dir=str(data_dir),
            airtable_api_key=TOKEN,
            airtable_base_id=BASE_ID,
            airtable_endpoint_url=server.url,
            rate_limiter_url="memory://?limit=40&window=1",
            penalty_seconds=0.6,
        )
        yield {"ssot": ssot, "crm": crm, "server": server}


@pytest.fixture(scope="session")
def postgres_url():
    """A Postgres database for the rate-limit bucket: ``CLAWBOT_TEST_POSTGRES_URL`` if set, else a
    throwaway cluster. Without Postgres the tests skip locally and fail on CI, which must never
    skip them silently."""
    import os

    from tests.fakes.postgres import PostgresUnavailable, throwaway_postgres

    if os.environ.get("CLAWBOT_TEST_POSTGRES_URL"):
        yield os.environ["CLAWBOT_TEST_POSTGRES_URL"]
        return
    try:
        cluster = throwaway_postgres()
        url = cluster.__enter__()
    except PostgresUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"Postgres is required on CI: {error}")
        pytest.skip(f"Postgres unavailable: {error}")
    try:
        yield url
    finally:
        cluster.__exit__(None, None, None)
