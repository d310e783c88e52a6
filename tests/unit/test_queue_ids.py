"""SQS FIFO ids within SQS's own rules (issue 15, finding 10).

The rule, as the Amazon SQS API reference states it for ``SendMessage`` and
``SendMessageBatch`` (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html,
parameters ``MessageDeduplicationId`` and ``MessageGroupId``): "The maximum length of
MessageDeduplicationId is 128 characters. MessageDeduplicationId can contain alphanumeric
characters (a-z, A-Z, 0-9) and punctuation (!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~)", and the same
for MessageGroupId. moto does not enforce it, so these tests check the rule itself, written out
character by character below rather than taken from the code under test.
"""

import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from clawbot_assets.demo.data import backlog_records, playbook_records
from clawbot_assets.domain.keys import compose_key, playbook_slug
from clawbot_assets.domain.queue_ids import sqs_id

AWS_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
AWS_RULE = re.compile("[" + re.escape(string.ascii_letters + string.digits + AWS_PUNCTUATION) + "]{1,128}")

LONG_NAME = "Cold Outbound " + "Very Long Segment Name " * 17  # 405 characters
NON_ASCII_NAMES = ["Relance clients — été 2026", "Холодные звонки", "冷启动外呼", "COLD 🧊 outreach"]


def within_sqs_rules(value: str) -> bool:
    return AWS_RULE.fullmatch(value) is not None


def test_a_400_character_playbook_name_and_long_deal_ids_give_ids_sqs_accepts():
    assert len(LONG_NAME) > 400
    key = compose_key(LONG_NAME, "9" * 60, "1", "2026-11-25")
    assert len(key) > 128 and not within_sqs_rules(key)
    assert within_sqs_rules(sqs_id(key)) and within_sqs_rules(sqs_id(playbook_slug(LONG_NAME)))
    assert sqs_id(key).startswith("cold_outbound_very_long_segment_name")  # readable prefix
    assert sqs_id(key) == sqs_id(compose_key(LONG_NAME, "9" * 60, "1", "2026-11-25"))  # deterministic
    assert sqs_id(key) != sqs_id(compose_key(LONG_NAME, "9" * 59 + "8", "1", "2026-11-25"))
    assert sqs_id(key) != sqs_id(compose_key(LONG_NAME, "9" * 60, "1", "2026-11-26"))


def test_non_ascii_names_and_raw_values_give_ids_sqs_accepts():
    for name in NON_ASCII_NAMES:
        assert within_sqs_rules(sqs_id(playbook_slug(name)))
        assert within_sqs_rules(sqs_id(compose_key(name, "123", "1", "2026-11-25")))
        assert within_sqs_rules(sqs_id(name)) and within_sqs_rules(sqs_id(f"{name}|123|1|2026-11-25"))
    for raw in ["", " ", "a b", "tab\there", "new\nline", "é", "\ud800", "x" * 129]:
        assert within_sqs_rules(sqs_id(raw)), raw


def test_every_demo_key_and_slug_is_sent_as_it_is():
    for record in playbook_records():
        slug = playbook_slug(record["fields"]["Name"])
        assert sqs_id(slug) == slug
    for record in backlog_records():
        key = record["fields"].get("Key")
        if key:
            assert sqs_id(key) == key


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters() | st.characters(categories=["Cs"]), max_size=400), st.text(max_size=400))
def test_any_value_gets_an_id_within_the_rules_that_is_its_own_id_and_distinct_from_others(value, other):
    assert within_sqs_rules(sqs_id(value))
    assert sqs_id(sqs_id(value)) == sqs_id(value)  # a redrive resends the group id SQS returned
    if value != other:
        assert sqs_id(value) != sqs_id(other)
