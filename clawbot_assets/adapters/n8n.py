"""The n8n interface: the workflows an n8n instance holds, as its public REST API returns them.

``N8nApi`` is ``GET /api/v1/workflows`` on ``requests``, authenticated with the
``X-N8N-API-KEY`` header and paged with ``cursor``/``nextCursor``. ``LocalN8n`` reads an export
of the same objects from a JSON file (the embedded demo). Neither ever changes n8n.

Errors name the endpoint and the status, never the key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import requests

from clawbot_assets.domain.credentials import clean_credential
from clawbot_assets.observability.tracing import external_call

WORKFLOWS_PATH = "/api/v1/workflows"
PAGE_LIMIT = 100
#: Far more pages than any instance has: a server that keeps answering the same cursor is a bug,
#: not a reason to loop forever.
MAX_PAGES = 1000
TIMEOUT_SECONDS = 10.0
KEY_VARIABLE = "N8N_API_KEY"

Workflow = dict[str, Any]


class N8nError(RuntimeError):
    """n8n could not be read; the message says why, never the key."""


class N8nClient(Protocol):
    def list_workflows(self) -> list[Workflow]: ...


class N8nApi:
    def __init__(self, base_url: str, api_key: str, *, session: requests.Session | None = None, timeout: float = TIMEOUT_SECONDS):
        self.base_url = base_url.rstrip("/")
        self._api_key = clean_credential(api_key, KEY_VARIABLE)
        self.session = session or requests.Session()
        self.timeout = timeout
        self.requests_made = 0

    def _page(self, cursor: str | None) -> dict[str, Any]:
        """One page of workflows, in one span."""
        with external_call("n8n", "GET", WORKFLOWS_PATH) as span:
            span.record(attempts=1, retries=0)
            return self._fetch_page(cursor)

    def _fetch_page(self, cursor: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if cursor:
            params["cursor"] = cursor
        endpoint = f"GET {self.base_url}{WORKFLOWS_PATH}"
        try:
            self.requests_made += 1
            response = self.session.get(
                f"{self.base_url}{WORKFLOWS_PATH}",
                params=params,
                headers={"X-N8N-API-KEY": self._api_key, "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise N8nError(f"{endpoint} failed: n8n is unreachable ({type(error).__name__})") from None
        if response.status_code == 401:
            raise N8nError(f"{endpoint} answered 401: n8n refused {KEY_VARIABLE} (wrong, revoked or expired key)")
        if response.status_code != 200:
            raise N8nError(f"{endpoint} answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise N8nError(f"{endpoint} answered something that is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise N8nError(f"{endpoint} answered JSON without a data list")
        return body

    def list_workflows(self) -> list[Workflow]:
        workflows: list[Workflow] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            body = self._page(cursor)
            workflows += body["data"]
            cursor = body.get("nextCursor")
            if not cursor:
                return workflows
        raise N8nError(f"GET {self.base_url}{WORKFLOWS_PATH} kept paging past {MAX_PAGES} pages")


class LocalN8n:
    """A workflow export: a JSON list of workflows, or ``{"data": [...]}`` as the API answers."""

    def __init__(self, path: Path):
        self.path = path
        self.requests_made = 0

    def list_workflows(self) -> list[Workflow]:
        try:
            body = json.loads(self.path.read_text())
        except (OSError, ValueError) as error:
            raise N8nError(f"the n8n export {self.path} cannot be read ({type(error).__name__})") from None
        workflows = body.get("data") if isinstance(body, dict) else body
        if not isinstance(workflows, list):
            raise N8nError(f"the n8n export {self.path} holds no list of workflows")
        return workflows
