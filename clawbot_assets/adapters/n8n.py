"""The n8n interface: the workflows an n8n instance holds and their executions, as its public
REST API returns them.

``N8nApi`` is ``GET /api/v1/workflows`` and ``GET /api/v1/executions`` on ``requests``,
authenticated with the ``X-N8N-API-KEY`` header and paged with ``cursor``/``nextCursor``.
Executions come newest first, per ``workflowId``; the reader stops at the first success, at the
first execution older than what the audit needs, or when the ``RequestBudget`` shared by all
workflows of one audit is spent. ``LocalN8n`` reads an export of the same objects from a JSON
file (the embedded demo). Neither ever changes n8n.

Errors name the endpoint and the status, never the key. A 403 on executions is a key without the
``execution:read`` scope; a 404 an unknown workflow id or an n8n without the endpoint.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol

import requests

from clawbot_assets.domain.credentials import clean_credential
from clawbot_assets.domain.n8n_schedule import api_timestamp
from clawbot_assets.observability.tracing import external_call

WORKFLOWS_PATH = "/api/v1/workflows"
EXECUTIONS_PATH = "/api/v1/executions"
PAGE_LIMIT = 100
#: Executions per page: most workflows need one page to reach their latest success.
EXECUTIONS_PAGE_LIMIT = 50
#: n8n requests one audit may spend on executions, over all playbook workflows.
EXECUTIONS_REQUEST_BUDGET = 60
#: Far more pages than any instance has: a server that keeps answering the same cursor is a bug,
#: not a reason to loop forever.
MAX_PAGES = 1000
TIMEOUT_SECONDS = 10.0
KEY_VARIABLE = "N8N_API_KEY"

Workflow = dict[str, Any]
Execution = dict[str, Any]


class N8nError(RuntimeError):
    """n8n could not be read; the message says why, never the key."""


class N8nUnknownWorkflow(N8nError):
    """n8n answered 404 for one workflow's executions: that workflow only is unknown."""


class N8nBudgetSpent(N8nError):
    """The audit's request budget for executions is spent."""


class RequestBudget:
    """How many more requests the caller may send; shared by every workflow of one audit."""

    def __init__(self, requests: int = EXECUTIONS_REQUEST_BUDGET):
        self.total = requests
        self.left = requests

    def spend(self) -> None:
        if self.left <= 0:
            raise N8nBudgetSpent(f"the audit's budget of {self.total} n8n execution requests is spent")
        self.left -= 1


class N8nClient(Protocol):
    def list_workflows(self) -> list[Workflow]: ...

    def list_executions(self, workflow_id: str, *, since: dt.datetime | None, budget: RequestBudget) -> list[Execution]: ...


def _older_than(execution: Execution, since: dt.datetime | None) -> bool:
    started = api_timestamp(execution.get("startedAt"))
    return since is not None and started is not None and started < since


def newest_until_success(pages: Iterable[list[Execution]], since: dt.datetime | None) -> list[Execution]:
    """Executions page by page, newest first, up to the first success or the first one that
    started before ``since``, included."""
    read: list[Execution] = []
    for page in pages:
        for execution in page:
            read.append(execution)
            if execution.get("status") == "success" or _older_than(execution, since):
                return read
    return read


class N8nApi:
    def __init__(self, base_url: str, api_key: str, *, session: requests.Session | None = None, timeout: float = TIMEOUT_SECONDS):
        self.base_url = base_url.rstrip("/")
        self._api_key = clean_credential(api_key, KEY_VARIABLE)
        self.session = session or requests.Session()
        self.timeout = timeout
        self.requests_made = 0

    def _page(self, cursor: str | None, path: str = WORKFLOWS_PATH, **query: Any) -> dict[str, Any]:
        """One page of ``path``, in one span."""
        with external_call("n8n", "GET", path) as span:
            span.record(attempts=1, retries=0)
            return self._fetch_page(cursor, path, query)

    def _fetch_page(self, cursor: str | None, path: str, query: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": PAGE_LIMIT, **query}
        if cursor:
            params["cursor"] = cursor
        endpoint = f"GET {self.base_url}{path}"
        try:
            self.requests_made += 1
            response = self.session.get(
                f"{self.base_url}{path}",
                params=params,
                headers={"X-N8N-API-KEY": self._api_key, "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise N8nError(f"{endpoint} failed: n8n is unreachable ({type(error).__name__})") from None
        if response.status_code == 401:
            raise N8nError(f"{endpoint} answered 401: n8n refused {KEY_VARIABLE} (wrong, revoked or expired key)")
        if response.status_code == 403:
            raise N8nError(f"{endpoint} answered 403: {KEY_VARIABLE} lacks the scope for it (execution:read for executions)")
        if response.status_code == 404 and path == EXECUTIONS_PATH:
            raise N8nUnknownWorkflow(f"{endpoint} answered 404 for workflowId {query.get('workflowId')}: an unknown workflow, or an n8n without the executions API")
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

    def _execution_pages(self, workflow_id: str, budget: RequestBudget) -> Iterator[list[Execution]]:
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            budget.spend()
            body = self._page(cursor, EXECUTIONS_PATH, workflowId=workflow_id, limit=EXECUTIONS_PAGE_LIMIT)
            yield body["data"]
            cursor = body.get("nextCursor")
            if not cursor:
                return

    def list_executions(self, workflow_id: str, *, since: dt.datetime | None, budget: RequestBudget) -> list[Execution]:
        """The workflow's executions, newest first, down to its latest success or to ``since``."""
        return newest_until_success(self._execution_pages(workflow_id, budget), since)


class LocalN8n:
    """A workflow export: a JSON list of workflows, or ``{"data": [...]}`` as the API answers,
    optionally with ``"executions": [...]`` as ``GET /api/v1/executions`` answers them."""

    def __init__(self, path: Path):
        self.path = path
        self.requests_made = 0

    def _body(self) -> Any:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError) as error:
            raise N8nError(f"the n8n export {self.path} cannot be read ({type(error).__name__})") from None

    def list_executions(self, workflow_id: str, *, since: dt.datetime | None, budget: RequestBudget) -> list[Execution]:
        body = self._body()
        executions = body.get("executions", []) if isinstance(body, dict) else []
        mine = [e for e in executions if isinstance(e, dict) and str(e.get("workflowId")) == workflow_id]
        mine.sort(key=lambda e: str(e.get("startedAt")), reverse=True)
        return newest_until_success([mine], since)

    def list_workflows(self) -> list[Workflow]:
        body = self._body()
        workflows = body.get("data") if isinstance(body, dict) else body
        if not isinstance(workflows, list):
            raise N8nError(f"the n8n export {self.path} holds no list of workflows")
        return workflows
