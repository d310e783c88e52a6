"""The code location on the embedded backend, for tests that load it as the webserver does (in
process, or in ``dagster-webserver -m tests.dagster.demo_location``). Its data directory comes
from ``CLAWBOT_TEST_DATA_DIR``."""

import os

from clawbot_assets.resources import local_resources
from tests.dagster.helpers import defs_for

defs = defs_for(local_resources(os.environ["CLAWBOT_TEST_DATA_DIR"]))
