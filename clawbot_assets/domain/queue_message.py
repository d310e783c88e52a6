"""The queue message that hands one task to the worker (DESIGN §3), and its strict parser.

The body is JSON with a ``schema`` version. A consumer that cannot parse a body, or does not
know its schema, must not delete it: the queue redelivers it until ``maxReceiveCount``, then
moves it to the dead-letter queue, where ``dlq_triage`` reports it. See docs/queue_contract.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from typing import Any

#: The version a message is written with; bump it on any incompatible change.
SCHEMA_VERSION = 1
KNOWN_SCHEMAS = frozenset({SCHEMA_VERSION})
#: SQS allows at most 256 KiB per message; a task message is a few hundred bytes.
MAX_BODY_BYTES = 256 * 1024


class MessageError(ValueError):
    """A body that is not a task message this version can read; the message says why."""


@dataclass(frozen=True)
class TaskMessage:
    key: str
    record_id: str
    playbook: str
    deal_id: str
    step: str
    due_date: str
    channel: str
    enqueued_at: str
    schema: int = SCHEMA_VERSION

    @property
    def playbook_slug(self) -> str:
        """The FIFO message group: the first part of the Key."""
        return self.key.split("|", 1)[0]

    def encode(self, signing_key: str | None = None) -> str:
        """Canonical JSON; with ``signing_key`` (the ClawBot password) it carries ``signature``,
        an HMAC-SHA256 of the same JSON without it, so the worker knows who sent it."""
        data = asdict(self)
        if signing_key:
            data["signature"] = signature(data, signing_key)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


def signature(data: dict[str, Any], signing_key: str) -> str:
    unsigned = json.dumps({k: v for k, v in data.items() if k != "signature"}, sort_keys=True, separators=(",", ":"))
    return hmac.new(signing_key.encode(), unsigned.encode(), hashlib.sha256).hexdigest()


REQUIRED = ("key", "record_id", "playbook", "deal_id", "step", "due_date", "enqueued_at")


def task_message(key: str, record_id: str, playbook: str, deal_id: str, step: str, due_date: str,
                 channel: str | None, enqueued_at: dt.datetime) -> TaskMessage:
    return TaskMessage(
        key=key, record_id=record_id, playbook=playbook, deal_id=deal_id, step=step, due_date=due_date,
        channel=channel or "", enqueued_at=enqueued_at.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
    )


def parse_message(body: Any, signing_key: str | None = None) -> TaskMessage:
    """The task a body carries; ``MessageError`` for anything else (never a partial message).
    With ``signing_key``, a body without the matching ``signature`` is refused too."""
    if not isinstance(body, str):
        raise MessageError(f"body is {type(body).__name__}, not text")
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise MessageError("body is larger than 256 KiB")
    try:
        data = json.loads(body)
    except ValueError as error:
        raise MessageError(f"body is not JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise MessageError(f"body is JSON {type(data).__name__}, not an object")
    schema = data.get("schema")
    if isinstance(schema, bool) or schema not in KNOWN_SCHEMAS:
        raise MessageError(f"unknown schema {str(schema)[:20]!r}; this consumer reads {sorted(KNOWN_SCHEMAS)}")
    missing = [name for name in REQUIRED if not isinstance(data.get(name), str) or not data[name].strip()]
    if missing:
        raise MessageError(f"missing or empty fields: {', '.join(missing)}")
    if signing_key and not hmac.compare_digest(str(data.get("signature", "")), signature(data, signing_key)):
        raise MessageError("signature missing or wrong: not sent by this ClawBot")
    channel = data.get("channel") or ""
    if not isinstance(channel, str):
        raise MessageError("channel is not text")
    return TaskMessage(**{name: data[name] for name in REQUIRED}, channel=channel, schema=schema)


def key_of(body: Any) -> str | None:
    """The Key a body names, if any, even when the body is otherwise unreadable (for triage)."""
    try:
        data = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        return None
    key = data.get("key") if isinstance(data, dict) else None
    return key if isinstance(key, str) and key.strip() else None
