"""The code location on the embedded backend, loaded in process by test_catalog_runs_queue.py as
the webserver loads it (the data directory comes from ``CLAWBOT_TEST_DATA_DIR``)."""

import os

from clawbot_assets.resources import local_resources
from tests.dagster.helpers import defs_for

defs = defs_for(local_resources(os.environ["CLAWBOT_TEST_DATA_DIR"]))
