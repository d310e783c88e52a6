"""Structured logs: every Dagster log line also goes out as one JSON object per line, through
python-json-logger, carrying the run id, the job, the step, the playbook and the task key
where they apply. CloudWatch Logs (the ECS log driver) and any log shipper read them as is.

It is wired in the instance's ``dagster.yaml`` (``python_logs.dagster_handler_config``), the
place Dagster gives for handlers on every run's logs, so every run of every job has it:

    python_logs:
      dagster_handler_config:
        handlers:
          json:
            class: logging.StreamHandler
            stream: ext://sys.stderr
            formatter: json
        formatters:
          json:
            (): clawbot_assets.observability.logs.DagsterJsonFormatter

The UI is unaffected: it reads Dagster's event log, not these lines. Dagster's log manager
drops ``extra=`` fields, so a line about one task names it in its text with ``for_task``; the
formatter lifts it out again as ``task_key``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from clawbot_assets.instance.dagster_warnings import silence_internal_beta_warnings
from clawbot_assets.names import PLAYBOOK_RUN_JOB, PLAYBOOK_TAG

# The instance imports this formatter when it builds a run's log handlers, in processes that
# may not import the code location first (``dg launch --assets``).
silence_internal_beta_warnings()

_TASK = re.compile(r" \[task (?P<key>[^\]]+)\]$")
PARTITION_TAG = "dagster/partition"
FIELDS = "{asctime}{levelname}{message}"


def for_task(key: str, message: str) -> str:
    """A log message about one task, whose key the JSON line carries as ``task_key``."""
    return f"{message} [task {key}]"


def dagster_fields(record: logging.LogRecord) -> dict[str, Any]:
    """What Dagster knows about a line: run, job, step, playbook, task key and event type."""
    meta = getattr(record, "dagster_meta", None) or {}
    tags = meta.get("job_tags") or {}
    message = meta.get("orig_message") or record.getMessage()
    task = _TASK.search(message)
    event = meta.get("dagster_event") or getattr(record, "dagster_event", None)
    partition_is_playbook = meta.get("job_name") == PLAYBOOK_RUN_JOB
    return {
        "message": _TASK.sub("", message),
        "run_id": meta.get("run_id"),
        "job": meta.get("job_name"),
        "step": meta.get("step_key"),
        "playbook": tags.get(PLAYBOOK_TAG) or (tags.get(PARTITION_TAG) if partition_is_playbook else None),
        "task_key": task["key"] if task else None,
        "event": event.event_type_value if event is not None else None,
    }


class DagsterJsonFormatter(JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("fmt", FIELDS)
        kwargs.setdefault("style", "{")
        kwargs.setdefault("rename_fields", {"levelname": "level", "asctime": "time"})
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.update(dagster_fields(record))
        # Dagster's own objects: their fields are above. A DagsterEvent is a NamedTuple of
        # records that refuse to be iterated, so json would fail on the whole line.
        log_data.pop("dagster_meta", None)
        log_data.pop("dagster_event", None)
