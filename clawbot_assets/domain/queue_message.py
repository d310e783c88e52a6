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
import re
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
    """The task a body carries; ``MessageError`` for anything else (never a partial message, and
    never another exception, whatever the bytes). With ``signing_key``, a body without the
    matching ``signature`` is refused too."""
    data = _load_object(body)
    schema = data.get("schema")
    if type(schema) is not int or schema not in KNOWN_SCHEMAS:
        raise MessageError(f"unknown schema {_preview(schema)}; this consumer reads {sorted(KNOWN_SCHEMAS)}")
    missing = [name for name in REQUIRED if not isinstance(data.get(name), str) or not data[name].strip()]
    if missing:
        raise MessageError(f"missing or empty fields: {', '.join(missing)}")
    channel = data.get("channel") or ""
    if not isinstance(channel, str):
        raise MessageError("channel is not text")
    given_signature = data.get("signature", "")
    if not isinstance(given_signature, str):
        raise MessageError("signature is not text")
    if signing_key and not hmac.compare_digest(given_signature.encode(), signature(data, signing_key).encode()):
        raise MessageError("signature missing or wrong: not sent by this ClawBot")
    return TaskMessage(**{name: data[name] for name in REQUIRED}, channel=channel, schema=schema)


def key_of(body: Any) -> str | None:
    """The Key a body names, if any, even when the body is otherwise unreadable (for triage: a
    lone surrogate in another field still names its task). As safe as ``parse_message``:
    ``None`` for any body it cannot read, never an exception."""
    try:
        key = _load_json_object(body).get("key")
        if isinstance(key, str):
            _require_utf8(key, "key")
    except MessageError:
        return None
    return key if isinstance(key, str) and key.strip() else None


#: A task message is one flat object; anything nested deeper than this is not one. Checked
#: before ``json.loads``, whose recursion would otherwise raise RecursionError on ``[[[[…``.
MAX_DEPTH = 8
#: A JSON string token (escapes included; an unterminated one runs to the end) or a bracket:
#: strings are skipped whole, so brackets inside them do not count. Linear in the body's length:
#: possessive quantifiers and an optional closing quote leave nothing to backtrack into (a
#: required closing quote made ``"\\"\\"\\...`` quadratic).
_DEPTH_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]', re.S)


def _load_object(body: Any) -> dict[str, Any]:
    """The JSON object in ``body`` (text, or bytes that must be UTF-8), size, depth and encoding
    checked before and after parsing; ``MessageError`` for everything else."""
    data = _load_json_object(body)
    _require_utf8_strings(data)
    return data


def _load_json_object(body: Any) -> dict[str, Any]:
    """``_load_object`` without the check of the strings inside."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        raw = bytes(body)
        if len(raw) > MAX_BODY_BYTES:
            raise MessageError("body is larger than 256 KiB")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MessageError(f"body is not UTF-8 (byte {error.start})") from None
    if not isinstance(body, str):
        raise MessageError(f"body is {type(body).__name__}, not text")
    if len(body) > MAX_BODY_BYTES:
        raise MessageError("body is larger than 256 KiB")
    _require_utf8(body, "body")
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise MessageError("body is larger than 256 KiB")
    _require_shallow(body)
    try:
        data = json.loads(body)
    except json.JSONDecodeError as error:
        raise MessageError(f"body is not JSON ({error.msg})") from None
    except (ValueError, RecursionError) as error:
        raise MessageError(f"body is not readable JSON ({type(error).__name__})") from None
    if not isinstance(data, dict):
        raise MessageError(f"body is JSON {type(data).__name__}, not an object")
    return data


def _require_shallow(text: str) -> None:
    depth = 0
    for token in _DEPTH_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise MessageError(f"body is nested deeper than {MAX_DEPTH} levels")
        elif bracket in "]}":
            depth -= 1


def _require_utf8(text: str, where: str) -> None:
    """Refuse lone surrogates (what ``"\\ud800"`` decodes to): they cannot be written as UTF-8,
    so a worker that logs or stores the field would crash on it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MessageError(f"{where} holds a lone surrogate: not valid Unicode text") from None


def _require_utf8_strings(value: Any, where: str = "body") -> None:
    if isinstance(value, str):
        _require_utf8(value, where)
    elif isinstance(value, dict):
        for name, item in value.items():
            _require_utf8(name, f"a field name in {where}")
            _require_utf8_strings(item, f"field {_preview(name)}")
    elif isinstance(value, list):
        for item in value:
            _require_utf8_strings(item, where)


def _preview(value: Any) -> str:
    """A short, printable, always-encodable rendering of a value for an error message."""
    return ascii(value if not isinstance(value, str) else value[:40])[:60]
