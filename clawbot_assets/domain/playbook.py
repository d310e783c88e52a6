"""Playbook rows from the SSOT: parsing and validation that reports problems instead of raising.

A malformed row must never break loading the code location, so every row yields a
``PlaybookValidation`` holding either a usable ``Playbook`` or the list of what is wrong with it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from clawbot_assets.domain.keys import KeyFieldError, playbook_slug

TIERS = ("COLD", "WARM", "HOT")
APPROVALS = ("auto", "manual")
STATUSES = ("Live", "Paused", "Draft", "Retired")
SCHEDULERS = ("n8n", "dagster")
CHANNELS = ("email", "linkedin", "call")
DEFAULT_TIMEZONE = "UTC"
DEFAULT_COOLDOWN_DAYS = 7
DEFAULT_SCHEDULER = "n8n"

_TRIGGER = re.compile(r"^hubspot_stage:(?P<pipeline>[^/\s]+)/(?P<stage>[^/\s]+)$")


class Problem:
    """Problem codes; the checks on ``playbooks`` select the codes they own."""

    NAME_MISSING = "name_missing"
    NAME_DUPLICATE = "name_duplicate"
    TIER_INVALID = "tier_invalid"
    TRIGGER_MISSING = "trigger_missing"
    TRIGGER_INVALID = "trigger_invalid"
    APPROVAL_MISSING = "approval_missing"
    APPROVAL_INVALID = "approval_invalid"
    COLD_NOT_MANUAL = "cold_not_manual"
    CRON_INVALID = "cron_invalid"
    TIMEZONE_INVALID = "timezone_invalid"
    DAILY_CAP_INVALID = "daily_cap_invalid"
    COOLDOWN_INVALID = "cooldown_invalid"
    STATUS_INVALID = "status_invalid"
    SCHEDULER_INVALID = "scheduler_invalid"
    CHANNEL_INVALID = "channel_invalid"


#: Without these a playbook cannot get a schedule at all.
UNSCHEDULABLE = frozenset(
    {Problem.NAME_MISSING, Problem.NAME_DUPLICATE, Problem.CRON_INVALID, Problem.TIMEZONE_INVALID}
)
#: With any of these a playbook must never create a task (the worst outcome of the system).
UNSAFE_TO_RUN = frozenset(
    {
        Problem.TRIGGER_MISSING,
        Problem.TRIGGER_INVALID,
        Problem.APPROVAL_MISSING,
        Problem.APPROVAL_INVALID,
        Problem.COLD_NOT_MANUAL,
        Problem.DAILY_CAP_INVALID,
        Problem.COOLDOWN_INVALID,
    }
)


@dataclass(frozen=True)
class PlaybookProblem:
    code: str
    field: str
    message: str


@dataclass(frozen=True)
class StageTrigger:
    pipeline_id: str
    stage_id: str


@dataclass(frozen=True)
class Playbook:
    record_id: str
    name: str
    slug: str
    tier: str | None
    trigger: StageTrigger | None
    approval: str | None
    cron: str
    timezone: str
    enabled: bool
    status: str | None
    scheduler: str
    channel: str | None
    daily_cap: int | None
    cooldown_days: int
    owner: str | None

    @property
    def scheduled_by_dagster(self) -> bool:
        """The schedule runs by default only when the SSOT says so and Dagster owns the playbook."""
        return self.enabled and self.scheduler == "dagster"


@dataclass(frozen=True)
class PlaybookValidation:
    record_id: str
    name: str
    playbook: Playbook | None
    problems: tuple[PlaybookProblem, ...] = field(default=())

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(problem.code for problem in self.problems)

    @property
    def schedulable(self) -> bool:
        return self.playbook is not None and not (self.codes & UNSCHEDULABLE)

    @property
    def safe_to_run(self) -> bool:
        return self.schedulable and not (self.codes & UNSAFE_TO_RUN)

    def describe(self) -> str:
        return "; ".join(problem.message for problem in self.problems) or "ok"


def parse_trigger(text: str) -> StageTrigger | None:
    match = _TRIGGER.match(text.strip())
    return StageTrigger(match["pipeline"], match["stage"]) if match else None


def cron_problem(cron: str) -> str | None:
    """A 5-field cron that croniter accepts, or the reason it is not one."""
    if not cron.strip():
        return "Cron is empty"
    if len(cron.split()) != 5:
        return f"Cron {cron!r} must have 5 fields, has {len(cron.split())}"
    if not croniter.is_valid(cron):
        return f"Cron {cron!r} is not a valid cron expression"
    return None


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    return "" if value is None else str(value).strip()


def _whole_number(fields: Mapping[str, Any], name: str) -> tuple[int | None, str | None]:
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, f"{name} {value!r} is not a number"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, f"{name} {value!r} is not a number"
    if not number.is_integer() or number < 0:
        return None, f"{name} {value!r} must be a whole number of at least 0"
    return int(number), None


def _choice(
    fields: Mapping[str, Any], name: str, allowed: tuple[str, ...], code: str
) -> tuple[str | None, list[PlaybookProblem]]:
    value = _text(fields, name)
    if not value:
        return None, []
    for option in allowed:
        if value.lower() == option.lower():
            return option, []
    return None, [PlaybookProblem(code, name, f"{name} {value!r} is not one of {', '.join(allowed)}")]


def validate_row(record_id: str, fields: Mapping[str, Any]) -> PlaybookValidation:
    """Validate one row on its own; uniqueness across rows is added by ``validate_playbooks``."""
    problems: list[PlaybookProblem] = []
    name = _text(fields, "Name")
    slug = ""
    if not name:
        problems.append(PlaybookProblem(Problem.NAME_MISSING, "Name", "Name is empty"))
    else:
        try:
            slug = playbook_slug(name)
        except KeyFieldError as error:
            problems.append(PlaybookProblem(Problem.NAME_MISSING, "Name", str(error)))

    tier, tier_problems = _choice(fields, "Tier", TIERS, Problem.TIER_INVALID)
    problems += tier_problems
    if tier is None and not tier_problems:
        problems.append(PlaybookProblem(Problem.TIER_INVALID, "Tier", "Tier is empty"))

    trigger_text = _text(fields, "Trigger")
    trigger = parse_trigger(trigger_text) if trigger_text else None
    if not trigger_text:
        problems.append(PlaybookProblem(Problem.TRIGGER_MISSING, "Trigger", "Trigger is empty"))
    elif trigger is None:
        problems.append(
            PlaybookProblem(
                Problem.TRIGGER_INVALID,
                "Trigger",
                f"Trigger {trigger_text!r} is not hubspot_stage:<pipeline id>/<stage id>",
            )
        )

    approval, approval_problems = _choice(fields, "Approval", APPROVALS, Problem.APPROVAL_INVALID)
    problems += approval_problems
    if not _text(fields, "Approval"):
        problems.append(PlaybookProblem(Problem.APPROVAL_MISSING, "Approval", "Approval is empty"))
    elif tier == "COLD" and approval == "auto":
        problems.append(
            PlaybookProblem(
                Problem.COLD_NOT_MANUAL, "Approval", "a COLD playbook must have Approval manual, not auto"
            )
        )

    cron = _text(fields, "Cron")
    if message := cron_problem(cron):
        problems.append(PlaybookProblem(Problem.CRON_INVALID, "Cron", message))

    timezone = _text(fields, "Timezone") or DEFAULT_TIMEZONE
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            PlaybookProblem(Problem.TIMEZONE_INVALID, "Timezone", f"Timezone {timezone!r} is not an IANA name")
        )

    daily_cap, cap_error = _whole_number(fields, "Daily Cap")
    if cap_error:
        problems.append(PlaybookProblem(Problem.DAILY_CAP_INVALID, "Daily Cap", cap_error))
    cooldown, cooldown_error = _whole_number(fields, "Cooldown Days")
    if cooldown_error:
        problems.append(PlaybookProblem(Problem.COOLDOWN_INVALID, "Cooldown Days", cooldown_error))

    status, status_problems = _choice(fields, "Status", STATUSES, Problem.STATUS_INVALID)
    scheduler, scheduler_problems = _choice(fields, "Scheduler", SCHEDULERS, Problem.SCHEDULER_INVALID)
    channel, channel_problems = _choice(fields, "Channel", CHANNELS, Problem.CHANNEL_INVALID)
    problems += status_problems + scheduler_problems + channel_problems

    playbook = None
    if slug:
        playbook = Playbook(
            record_id=record_id,
            name=name,
            slug=slug,
            tier=tier,
            trigger=trigger,
            approval=approval,
            cron=cron,
            timezone=timezone,
            enabled=bool(fields.get("Enabled")),
            status=status,
            scheduler=scheduler or DEFAULT_SCHEDULER,
            channel=channel,
            daily_cap=daily_cap,
            cooldown_days=DEFAULT_COOLDOWN_DAYS if cooldown is None else cooldown,
            owner=_text(fields, "Owner") or None,
        )
    return PlaybookValidation(record_id, name, playbook, tuple(problems))


def validate_playbooks(records: Iterable[Mapping[str, Any]]) -> list[PlaybookValidation]:
    """Validate SSOT records (``{"id", "fields"}``), including that names (and so slugs) are unique."""
    validations = [validate_row(str(record.get("id", "")), record.get("fields") or {}) for record in records]
    by_slug: dict[str, list[int]] = defaultdict(list)
    for index, validation in enumerate(validations):
        if validation.playbook is not None:
            by_slug[validation.playbook.slug].append(index)
    for slug, indexes in by_slug.items():
        if len(indexes) < 2:
            continue
        names = ", ".join(repr(validations[index].name) for index in indexes)
        for index in indexes:
            duplicate = PlaybookProblem(
                Problem.NAME_DUPLICATE, "Name", f"Name is not unique: {names} all make the slug {slug!r}"
            )
            current = validations[index]
            validations[index] = PlaybookValidation(
                current.record_id, current.name, current.playbook, current.problems + (duplicate,)
            )
    return validations
