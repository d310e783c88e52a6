"""A local HTTP server that speaks n8n's public REST API for workflows and executions.

``GET /api/v1/workflows``, ``GET /api/v1/executions`` (``workflowId``, ``status``, newest first)
and ``POST /api/v1/workflows/{id}/activate|deactivate`` with the ``X-N8N-API-KEY`` header, paged
with ``limit`` and an opaque ``cursor`` (the response's ``nextCursor``, ``null`` on the last
page), 401 with n8n's body for a missing or wrong key, 404 for an unknown ``workflowId``, 403 for
a key without the ``execution:read`` scope (``execution_scope=False``), 404 for the whole
executions endpoint on an n8n that lacks it (``executions_api=False``), and a log of every
request received. ``fail_status=500`` makes it answer every read with that status, as an n8n
that is up but failing does.

    with FakeN8n(api_key="k", workflows=[...], page_size=2) as server:
        N8nApi(server.url, "k").list_workflows()
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from tests.fakes.background_server import JsonHandler, RecordedRequest, RecordingServer, StateServer

WORKFLOWS_PATH = "/api/v1/workflows"
EXECUTIONS_PATH = "/api/v1/executions"
DEFAULT_LIMIT = 100
MAX_LIMIT = 250


@dataclass
class _State:
    api_key: str
    workflows: list[dict]
    page_size: int | None
    #: When set, every request is answered with this status (an n8n that is up but failing).
    fail_status: int | None = None
    executions: list[dict] = field(default_factory=list)
    execution_scope: bool = True
    executions_api: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[RecordedRequest] = field(default_factory=list)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(cursor: str) -> int:
    return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["offset"])


class _Handler(JsonHandler):
    server: StateServer

    def do_GET(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        with state.lock:
            state.requests.append(RecordedRequest("GET", url.path, query, dict(self.headers.items())))
        if state.fail_status:
            self._send(state.fail_status, {"message": "Internal Server Error"})
            return
        if self.headers.get("X-N8N-API-KEY") != state.api_key:
            self._send(401, {"message": "unauthorized"})
            return
        if url.path == EXECUTIONS_PATH and state.executions_api:
            self._executions(state, query)
        elif url.path == WORKFLOWS_PATH:
            self._paged(state, query, state.workflows)
        else:
            self._send(404, {"message": "not found"})

    def _paged(self, state: _State, query: dict, items: list[dict]) -> None:
        limit = min(int(query.get("limit", [DEFAULT_LIMIT])[0]), MAX_LIMIT, state.page_size or MAX_LIMIT)
        try:
            start = _offset(query["cursor"][0]) if "cursor" in query else 0
        except (ValueError, KeyError):
            self._send(400, {"message": "invalid cursor"})
            return
        page = items[start : start + limit]
        more = start + limit < len(items)
        self._send(200, {"data": page, "nextCursor": _cursor(start + limit) if more else None})

    def _executions(self, state: _State, query: dict) -> None:
        """``GET /api/v1/executions``: newest first, filtered by ``workflowId`` and ``status``."""
        if not state.execution_scope:
            self._send(403, {"message": "Forbidden"})
            return
        workflow_id = query.get("workflowId", [None])[0]
        if workflow_id is not None and not any(str(w.get("id")) == workflow_id for w in state.workflows):
            self._send(404, {"message": "Not Found"})
            return
        status = query.get("status", [None])[0]
        chosen = [
            e for e in state.executions
            if (workflow_id is None or str(e.get("workflowId")) == workflow_id) and (status is None or e.get("status") == status)
        ]
        self._paged(state, query, sorted(chosen, key=lambda e: e["startedAt"], reverse=True))

    def do_POST(self) -> None:
        """``POST /api/v1/workflows/{id}/activate`` or ``/deactivate`` (n8n's public API): the
        workflow starts or stops firing."""
        state = self.server.state
        url = urlsplit(self.path)
        with state.lock:
            state.requests.append(RecordedRequest("POST", url.path, {}, dict(self.headers.items())))
        if self.headers.get("X-N8N-API-KEY") != state.api_key:
            self._send(401, {"message": "unauthorized"})
            return
        prefix, _, rest = url.path.partition(WORKFLOWS_PATH + "/")
        workflow_id, _, action = rest.partition("/")
        with state.lock:
            workflow = next((w for w in state.workflows if w.get("id") == workflow_id), None)
            if prefix or action not in ("activate", "deactivate") or workflow is None:
                self._send(404, {"message": "not found"})
                return
            workflow["active"] = action == "activate"
        self._send(200, workflow)

class FakeN8n(RecordingServer):
    thread_name = "fake-n8n"
    handler = _Handler

    def __init__(
        self,
        api_key: str,
        workflows: list[dict] | None = None,
        page_size: int | None = None,
        executions: list[dict] | None = None,
        execution_scope: bool = True,
        executions_api: bool = True,
        fail_status: int | None = None,
    ) -> None:
        self.state = _State(api_key, list(workflows or []), page_size, fail_status, list(executions or []), execution_scope,
                            executions_api)
