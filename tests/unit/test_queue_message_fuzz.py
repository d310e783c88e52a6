"""``parse_message`` and ``key_of`` read any body without raising anything but ``MessageError``
(issue 15, finding 6): bounded size and depth before ``json.loads``, strict UTF-8, every field's
type checked. Property-based: arbitrary text, arbitrary bytes and arbitrary JSON documents."""

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clawbot_assets.domain.queue_message import (
    MAX_BODY_BYTES,
    MessageError,
    TaskMessage,
    key_of,
    parse_message,
    task_message,
)

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)
#: Any text, lone surrogates included (hypothesis leaves them out unless asked).
ANY_TEXT = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=600)
VALID = task_message("warm|1|1|2026-11-25", "rec1", "Warm", "1", "1", "2026-11-25", "email", NOW)


def only_message_errors(body, signing_key=None):
    try:
        parse_message(body, signing_key)
    except MessageError as error:
        str(error).encode("utf-8")  # the reason itself must be loggable
    assert key_of(body) is None or isinstance(key_of(body), str)


def test_a_5_kb_body_of_nested_brackets_is_a_message_error_not_a_recursion_error():
    for body in ["[" * 5000, "{\"a\":" * 5000, '{"key": ' + "[" * 5000 + "]" * 5000 + "}"]:
        with pytest.raises(MessageError, match="nested deeper"):
            parse_message(body)
        assert key_of(body) is None


def test_the_depth_check_is_linear_even_on_unterminated_escaped_strings():
    """``"\\"\\"\\...``: every quote opens a string no quote closes. A scanner that retried
    each one read the body once per quote: 16 KB took 13 s. Near the size limit it takes
    well under a second."""
    import time

    started = time.perf_counter()
    for body in ['"\\' * (MAX_BODY_BYTES // 2 - 8), '"a' * (MAX_BODY_BYTES // 2 - 8), '"' * (MAX_BODY_BYTES - 8)]:
        with pytest.raises(MessageError):
            parse_message(body)
        assert key_of(body) is None
    assert time.perf_counter() - started < 10


def test_a_json_escaped_lone_surrogate_in_any_field_is_refused():
    for field in ["key", "playbook", "deal_id", "channel", "enqueued_at", "extra", "signature"]:
        data = json.loads(VALID.encode())
        data[field] = "Warm \ud800"
        body = json.dumps(data)  # ensure_ascii: the body carries the escape "\\ud800"
        assert "\\ud800" in body
        with pytest.raises(MessageError, match="surrogate"):
            parse_message(body)
    with pytest.raises(MessageError, match="surrogate"):
        parse_message(VALID.encode().replace('"rec1"', '"rec1", "\\udfff": 1'))
    with pytest.raises(MessageError):
        parse_message(VALID.encode().replace("Warm", "Warm\ud800"))  # a lone surrogate in the str itself
    assert key_of(json.dumps({"key": "\ud800"})) is None
    poisoned = json.loads(VALID.encode())
    poisoned["playbook"] = "Warm \ud800"
    assert key_of(json.dumps(poisoned)) == VALID.key, "triage still names the task of a poisoned message"


def test_bytes_bodies_must_be_utf8_and_read_like_text():
    assert parse_message(VALID.encode().encode("utf-8")) == VALID
    for raw in [b"\xff\xfe{}", VALID.encode().encode("utf-8").replace(b"Warm", b"W\xc3rm"), b"\xed\xa0\x80"]:
        with pytest.raises(MessageError, match="not UTF-8"):
            parse_message(raw)
        assert key_of(raw) is None


def test_every_field_type_is_checked():
    for field, value in [("schema", []), ("schema", {}), ("schema", 1.0), ("schema", "1"), ("key", 5),
                         ("channel", ["email"]), ("signature", 12), ("record_id", None), ("due_date", True)]:
        data = json.loads(VALID.encode())
        data[field] = value
        with pytest.raises(MessageError):
            parse_message(json.dumps(data), "pw")
    with pytest.raises(MessageError):
        parse_message(VALID.encode().replace('"step":"1"', '"step":"1","n":' + "9" * 5000))  # int digit limit
    with pytest.raises(MessageError, match="256 KiB"):
        parse_message("x" * (MAX_BODY_BYTES + 1))
    with pytest.raises(MessageError):
        parse_message(VALID.encode(), "pw").signature  # unsigned while a key is configured


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_arbitrary_text_raises_only_message_error(body):
    only_message_errors(body)
    only_message_errors(body, "pw")


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_raise_only_message_error(body):
    only_message_errors(body)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
FIELDS = ["schema", "key", "record_id", "playbook", "deal_id", "step", "due_date", "channel", "enqueued_at", "signature"]


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), JSON, max_size=12), st.booleans())
def test_arbitrary_json_objects_raise_only_message_error(data, ascii_only):
    body = json.dumps(data, ensure_ascii=ascii_only, allow_nan=True)
    only_message_errors(body)
    only_message_errors(body, "pw")


@settings(max_examples=300, deadline=None)
@given(st.builds(
    TaskMessage,
    **{name: st.text(min_size=1).filter(str.strip) for name in ["key", "record_id", "playbook", "deal_id", "step", "due_date", "enqueued_at"]},
    channel=st.text(),
), st.sampled_from([None, "pw-2026"]))
def test_a_valid_message_round_trips(message, signing_key):
    assert parse_message(message.encode(signing_key), signing_key) == message
    assert parse_message(message.encode(signing_key).encode("utf-8"), signing_key) == message
    assert key_of(message.encode(signing_key)) == message.key
