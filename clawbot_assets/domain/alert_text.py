"""Alert text made safe for where it is delivered. Pure.

An alert quotes what the SSOT holds (a playbook Name among the offenders), which anyone who can
edit the Playbooks table controls: it must arrive as text, never as formatting.

- **Slack** (https://api.slack.com/reference/surfaces/formatting, *Escaping text*): ``&``, ``<``
  and ``>`` are control characters (``<!channel>`` notifies everyone, ``<https://...|label>`` is
  a link with any label) and must be sent as ``&amp;``, ``&lt;`` and ``&gt;``; nothing else is
  to be entity-encoded. ``&`` first, so an entity already in the text stays as typed.
- **SNS** (Amazon SNS API reference, ``Publish``, parameter ``Subject``): "Subjects must be
  ASCII text that begins with a letter, number, or punctuation mark; must not include line
  breaks or control characters; and must be less than 100 characters long."
"""

from __future__ import annotations

import re
import unicodedata

#: SNS: "less than 100 characters".
MAX_SNS_SUBJECT = 99
FALLBACK_SUBJECT = "ClawBot alert"
_CONTROL_OR_SPACE_RUNS = re.compile(r"[\x00-\x20\x7f]+")


def slack_escaped(text: str) -> str:
    """``text`` as Slack shows it literally: its three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sns_subject(title: str) -> str:
    """``title`` within SNS's rules: ASCII (accents dropped by NFKD, other characters left out), every run of whitespace or control
    characters one space, starting with a printable character, shortened to 99 characters
    (ending in ``...`` when cut)."""
    ascii_only = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    text = _CONTROL_OR_SPACE_RUNS.sub(" ", ascii_only).strip()
    if len(text) > MAX_SNS_SUBJECT:
        text = text[: MAX_SNS_SUBJECT - 3].rstrip() + "..."
    return text or FALLBACK_SUBJECT
