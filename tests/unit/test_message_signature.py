"""Queue messages signed with the ClawBot password: the worker refuses unsigned or forged ones."""

import datetime as dt
import json

import pytest

from clawbot_assets.domain.queue_message import MessageError, parse_message, task_message

MESSAGE = task_message("churn_rescue|7|1|2026-11-25", "rec1", "Churn Rescue", "7", "1", "2026-11-25", "call",
                       dt.datetime(2026, 11, 25, 14, tzinfo=dt.timezone.utc))


def test_a_signed_message_parses_with_the_password_and_without_it():
    body = MESSAGE.encode("pw-2026")
    assert parse_message(body, "pw-2026") == MESSAGE
    assert parse_message(body) == MESSAGE


@pytest.mark.parametrize("body", [MESSAGE.encode(), MESSAGE.encode("another password")], ids=["unsigned", "wrong-key"])
def test_an_unsigned_or_forged_message_is_refused(body):
    with pytest.raises(MessageError, match="signature"):
        parse_message(body, "pw-2026")


def test_a_tampered_field_breaks_the_signature():
    data = json.loads(MESSAGE.encode("pw-2026"))
    data["deal_id"] = "8"
    with pytest.raises(MessageError, match="signature"):
        parse_message(json.dumps(data), "pw-2026")
