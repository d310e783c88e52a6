import os
import shutil
import signal
import tempfile

import pytest

from clawbot_assets.resources import local_resources as local_resources_for
from clawbot_assets.resources.ssot import AirtableSsotResource
from tests.fakes.secrets import FixedSecretsResource
from tests.instances import UNCAPTURED_COMPUTE_LOGS, instance_for_test

#: Where temporary files go when nobody chose: memory, not disk.
MEMORY_TMP = "/dev/shm"
#: The suite writes a few hundred MB of temporary files (Dagster homes, SQLite stores, charts).
MEMORY_TMP_MINIMUM = 2 * 1024**3


def pytest_configure(config):
    _restore_interrupts()
    _temporary_files_in_memory()


def _restore_interrupts():
    """SIGINT back to Python's default when the suite was started with it ignored (a background
    job of a shell without job control ignores SIGINT and SIGQUIT). An ignored signal is
    inherited by every process the tests start, and Dagster's servers and daemons map SIGTERM to
    SIGINT's handler: they would ignore SIGTERM too and outlive the test that stops them."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _temporary_files_in_memory():
    """Temporary files (pytest's tmp_path, Dagster homes, SQLite stores, the subprocesses' own)
    in memory when the machine has a tmpfs: the tests commit to SQLite thousands of times, and
    each commit's fsync on disk costs ten times the commit. Semantics are unchanged (a crash of
    a process, which is what the tests simulate, behaves the same on tmpfs). Set before xdist
    starts its workers, so that they and every subprocess inherit it; TMPDIR set by the caller
    wins."""
    if os.environ.get("TMPDIR") or not os.path.isdir(MEMORY_TMP) or not os.access(MEMORY_TMP, os.W_OK):
        return
    if shutil.disk_usage(MEMORY_TMP).free < MEMORY_TMP_MINIMUM:
        return  # a container's default 64 MB /dev/shm would fill up: stay on disk
    os.environ["TMPDIR"] = MEMORY_TMP
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def local_resources(data_dir):
    return local_resources_for(str(data_dir))


@pytest.fixture
def instance():
    """A test instance; what steps print is not kept (see ``UNCAPTURED_COMPUTE_LOGS``)."""
    with instance_for_test(overrides=UNCAPTURED_COMPUTE_LOGS) as test_instance:
        yield test_instance


BASE_ID = "appClawbotTest"
TOKEN = "patTestToken0123456789"


def airtable_resource(server, data_dir, **overrides) -> AirtableSsotResource:
    """The real pyairtable adapter against ``server``, paced fast: whole-pipeline tests are
    about semantics (pacing at Airtable's real 5 requests/s is proven in tests/adapters)."""
    options = dict(
        secrets=FixedSecretsResource(values={"AIRTABLE_API_KEY": TOKEN}),
        base_id=BASE_ID,
        endpoint_url=server.url,
        data_dir=str(data_dir),
        archive_dir=str(data_dir),
        rate_limiter_url="memory://?limit=400&window=1",
        penalty_seconds=0.6,
    )
    return AirtableSsotResource(**{**options, **overrides})


@pytest.fixture(params=["local", "airtable"])
def backend(request, data_dir):
    """The system's resources on each SSOT backend, seeded with the demo."""
    from clawbot_assets.adapters.ssot import PLAYBOOKS_TABLE, TASKS_TABLE
    from clawbot_assets.demo.data import backlog_records, playbook_records
    from tests.fakes.airtable_server import FakeAirtable

    resources = local_resources_for(str(data_dir))
    if request.param == "local":
        yield resources
        return
    with FakeAirtable(token=TOKEN, rate_limit=1000, penalty_seconds=0.5) as server:
        server.seed(BASE_ID, PLAYBOOKS_TABLE, playbook_records())
        server.seed(BASE_ID, TASKS_TABLE, backlog_records())
        yield {**resources, "ssot": airtable_resource(server, data_dir), "server": server}


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


@pytest.fixture
def spans():
    """Every span of the test, through the OpenTelemetry SDK's in-memory exporter."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from clawbot_assets.observability import tracing

    exporter = InMemorySpanExporter()
    tracing.configure(exporter, processor_factory=SimpleSpanProcessor)
    yield exporter
    tracing.configure()


#: Seconds each test module took in the last complete run, kept in pytest's cache.
DURATIONS_KEY = "clawbot/module_seconds"
#: This run's seconds per module (setup, call and teardown of each of its tests).
_durations: dict[str, float] = {}


def _module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


#: Without timings (a fresh clone): the rehearsal (the longest single test) first, then these
#: folders, whose tests start CLIs, servers and drills.
SLOWEST_MODULES = ("tests/dagster/test_rehearsal.py",)
SLOW_FOLDERS = ("tests/runbooks/", "tests/deploy/")


def pytest_collection_modifyitems(config, items):
    """Slowest modules first (by the last run's timings, in pytest's cache; without any, the
    SLOWEST_MODULES, then the SLOW_FOLDERS): with xdist the long drills and servers start at once on every worker instead
    of ending the run on one of them while the others idle. The order within a module is kept,
    so module fixtures are made once."""
    seconds = config.cache.get(DURATIONS_KEY, {}) if getattr(config, "cache", None) else {}
    if seconds:
        items.sort(key=lambda item: -seconds.get(_module_of(item.nodeid), 0.0))
    else:
        items.sort(key=lambda item: (not item.nodeid.startswith(SLOWEST_MODULES), not item.nodeid.startswith(SLOW_FOLDERS)))


def pytest_runtest_logreport(report):
    module = _module_of(report.nodeid)
    _durations[module] = _durations.get(module, 0.0) + report.duration


def pytest_sessionfinish(session, exitstatus):
    """Records the modules' timings (in the controller, which sees every worker's reports)."""
    if hasattr(session.config, "workerinput") or not getattr(session.config, "cache", None) or not _durations:
        return
    known = session.config.cache.get(DURATIONS_KEY, {})
    session.config.cache.set(DURATIONS_KEY, {**known, **_durations})

