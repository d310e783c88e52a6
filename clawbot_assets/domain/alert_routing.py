"""Where an alert goes: the pager or the channel. Pure.

ERROR means someone must act now, so a failing ERROR check and a DLQ incident page. WARN
failures and every recovery go to the channel, read in working hours. With no pager configured
everything goes to the channel, and the route says so, so the demo's ``alerts.jsonl`` shows
what would have paged.
"""

from __future__ import annotations

PAGER = "pager"
CHANNEL = "channel"
#: An alert that should page, sent to the channel because no pager is configured.
CHANNEL_NO_PAGER = "channel-no-pager"
#: An alert that should page, sent to the channel because the pager refused it (retried next tick).
CHANNEL_PAGER_FAILED = "channel-pager-failed"
ROUTES = (PAGER, CHANNEL, CHANNEL_NO_PAGER, CHANNEL_PAGER_FAILED)

#: Kinds that page whatever their severity.
PAGING_KINDS = frozenset({"dlq_incident"})
#: Kinds that never page: good news waits for working hours.
CHANNEL_KINDS = frozenset({"check_recovered"})


def should_page(kind: str, severity: str) -> bool:
    if kind in CHANNEL_KINDS:
        return False
    return kind in PAGING_KINDS or severity.strip().upper() == "ERROR"


def route_for(kind: str, severity: str, pager_configured: bool) -> str:
    """One of ``ROUTES`` (never ``CHANNEL_PAGER_FAILED``, which only a failed delivery decides)."""
    if not should_page(kind, severity):
        return CHANNEL
    return PAGER if pager_configured else CHANNEL_NO_PAGER


def check_alert_kind(was_failing: bool | None, passed: bool) -> str | None:
    """The alert a check's new result raises after its previous one (``None``: never seen):
    ``check_failed`` when it starts failing, ``check_recovered`` when it passes again, else none."""
    if not passed and was_failing is not True:
        return "check_failed"
    if passed and was_failing is True:
        return "check_recovered"
    return None
