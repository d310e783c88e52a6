"""Which backend each external system uses, chosen by environment variables.

The embedded local backend is the default for everything. ``CLAWBOT_SSOT=airtable`` and
``CLAWBOT_CRM=hubspot`` switch one system each to its real implementation. A system switched
to real never falls back to local: a missing credential fails the run that needs it, with the
variable's name, and never stops the definitions from loading.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

SSOT_SWITCH = "CLAWBOT_SSOT"
CRM_SWITCH = "CLAWBOT_CRM"
DATA_DIR = "CLAWBOT_DATA_DIR"
DEFAULT_DATA_DIR = ".local_data"
#: Files of the embedded backend inside the data directory.
LOCAL_SSOT_FILE = "ssot.sqlite"
ARCHIVE_FILE = "dedupe_archive.sqlite"
LOCAL_CRM_FILE = "hubspot_fixture.json"
RATE_LIMIT_FILE = "airtable_rate_limit.sqlite"
SSOT_BACKENDS = ("local", "airtable")
CRM_BACKENDS = ("local", "hubspot")


class BackendConfigError(ValueError):
    """A backend switch or a credential is wrong; the message names the variable, never its value."""


def selected_backend(switch: str, allowed: tuple[str, ...], environ: Mapping[str, str] | None = None) -> str:
    """The switch's value, defaulting to local. It is checked when a run starts, not at load."""
    environ = os.environ if environ is None else environ
    return (environ.get(switch) or allowed[0]).strip().lower()


def check_backend(switch: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise BackendConfigError(f"{switch}={value!r} is not one of {', '.join(allowed)}")


def require(value: str | None, variable: str, system: str) -> str:
    if not value:
        raise BackendConfigError(f"{system} is switched to its real backend but {variable} is not set")
    return value


def dedupe_state_file(owner: str) -> str:
    """The dedupe state of one backend (``local``) or one Airtable base (``airtable_<base id>``)."""
    return f"dedupe_state_{owner}.sqlite"


def data_dir(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return str(Path(environ.get(DATA_DIR) or DEFAULT_DATA_DIR).resolve())
