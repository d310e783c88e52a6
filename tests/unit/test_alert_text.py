"""Alert text escaped per Slack's rules and SNS subjects within SNS's (issue 15, finding 9)."""

import re

from hypothesis import given
from hypothesis import strategies as st

from clawbot_assets.domain.alert_text import MAX_SNS_SUBJECT, slack_escaped, sns_subject

INJECTED = "<!channel> <https://evil.example|Open the runbook>"
#: Amazon SNS API reference, Publish, Subject: "ASCII text that begins with a letter, number, or
#: punctuation mark; must not include line breaks or control characters; and must be less than
#: 100 characters long" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
SNS_SUBJECT_RULE = re.compile(r"[!-~][ -~]{0,98}")


def slack_unescaped(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_a_mention_and_a_disguised_link_arrive_as_text_in_slack():
    assert slack_escaped(INJECTED) == "&lt;!channel&gt; &lt;https://evil.example|Open the runbook&gt;"
    assert slack_escaped("Tom & Jerry &amp; co") == "Tom &amp; Jerry &amp;amp; co"


@given(st.text())
def test_slack_text_never_holds_a_control_character_and_reads_back_as_written(text):
    escaped = slack_escaped(text)
    assert "<" not in escaped and ">" not in escaped and slack_unescaped(escaped) == text


def test_sns_subjects_keep_snss_rules():
    assert sns_subject("ClawBot check failed: playbooks / names_unique") == "ClawBot check failed: playbooks / names_unique"
    assert sns_subject("Relance — été\n<!channel>\x00\tx") == "Relance ete <!channel> x"
    long = sns_subject("ClawBot " + "very long title " * 20)
    assert len(long) == MAX_SNS_SUBJECT and long.endswith("...")
    assert sns_subject("\n\t 🧊 ") == "ClawBot alert"


@given(st.text(st.characters() | st.characters(categories=["Cs"])))
def test_any_title_gives_a_subject_sns_accepts(title):
    assert SNS_SUBJECT_RULE.fullmatch(sns_subject(title))
