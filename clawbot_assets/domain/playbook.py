"""Playbook rows from the SSOT: parsing and validation that reports problems instead of raising.

A malformed row must never break loading the code location, so every row yields a
``PlaybookValidation`` holding either a usable ``Playbook`` or the list of what is wrong with it;
``validate_row`` never raises, whatever the row holds.

Field shapes follow ``clawbot_assets.domain.fields`` (a one-element list, as a lookup or
multi-select returns, means its element; anything else unclear is a problem). A shape problem is
reported under the field's own code where it has one (a Cron given as two values is
``cron_invalid``, so it fails the same check and costs the same schedule as any other bad cron)
and as ``field_type_invalid`` for Name and Owner.

**Enabled** is read strictly, because reading text ``"false"`` as enabled once scheduled a
playbook nobody wanted: a checkbox value ``True``/``False`` (Airtable leaves an unchecked box
out, which is not enabled); the numbers 1 and 0; the text ``true``/``yes``/``1`` and
``false``/``no``/``0`` in any case (blank text is not enabled). Anything else, such as
``"maybe"``, ``2`` or a list of two values, is the problem ``enabled_invalid``, and the row is
read as **not** enabled and is unsafe to run: an unclear Enabled is never scheduled.

Crons and timezones are checked by an injected ``ScheduleRules``
(``clawbot_assets.domain.schedule_rules``); pass ``clawbot_assets.instance.dagster_rules.DAGSTER_SCHEDULE_RULES``
to apply Dagster's own rules on top of the pure defaults.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from clawbot_assets.domain.fields import FieldShapeError, shape_of, shown, text, unwrap
from clawbot_assets.domain.keys import KeyFieldError, playbook_slug
from clawbot_assets.domain.schedule_rules import DEFAULT_SCHEDULE_RULES, Rule, ScheduleRules

TIERS = ("COLD", "WARM", "HOT")
APPROVALS = ("auto", "manual")
STATUSES = ("Live", "Paused", "Draft", "Retired")
SCHEDULERS = ("n8n", "shadow", "dagster")
CHANNELS = ("email", "linkedin", "call")
DEFAULT_TIMEZONE = "UTC"
DEFAULT_COOLDOWN_DAYS = 7
DEFAULT_SCHEDULER = "n8n"

_TRIGGER = re.compile(r"^hubspot_stage:(?P<pipeline>[^/\s]+)/(?P<stage>[^/\s]+)$")


class Problem:
    """Problem codes; the checks on ``playbooks`` select the codes they own."""

    NAME_MISSING = "name_missing"
    NAME_DUPLICATE = "name_duplicate"
    NAME_TOO_LONG = "name_too_long"
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
    ENABLED_INVALID = "enabled_invalid"
    FIELD_TYPE_INVALID = "field_type_invalid"


#: Without these a playbook cannot get a schedule at all.
UNSCHEDULABLE = frozenset(
    {Problem.NAME_MISSING, Problem.NAME_DUPLICATE, Problem.NAME_TOO_LONG, Problem.CRON_INVALID, Problem.TIMEZONE_INVALID}
)
#: The longest slug a playbook may have. A run of its schedule carries the slug in the run tags
#: ``dagster/partition`` and ``clawbot/playbook``, which deploy/dagster.yaml propagates to the
#: run's ECS task, and an ECS tag value is at most 256 characters (Amazon ECS API reference,
#: ``Tag``): a longer slug would get a schedule whose every run fails to launch on Fargate.
MAX_SLUG_LENGTH = 256
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
        Problem.ENABLED_INVALID,
    }
)
#: With any of these the dispatch cannot read the playbook with certainty (which row a slug
#: means, its Tier, who owns it), so its tasks are intercepted, never sent (DESIGN §3
#: *Guardrails fail closed*). A blank or misspelt Tier may be a COLD one.
UNREADABLE_FOR_DISPATCH = frozenset({Problem.NAME_DUPLICATE, Problem.TIER_INVALID, Problem.SCHEDULER_INVALID})
#: The codes the ``fields_valid`` check owns: values outside what a field allows, or of a shape
#: the project does not read. (Trigger, Approval, Cron, Timezone and Name problems have checks of
#: their own.)
FIELD_PROBLEMS = frozenset(
    {
        Problem.TIER_INVALID,
        Problem.DAILY_CAP_INVALID,
        Problem.COOLDOWN_INVALID,
        Problem.STATUS_INVALID,
        Problem.SCHEDULER_INVALID,
        Problem.CHANNEL_INVALID,
        Problem.ENABLED_INVALID,
        Problem.FIELD_TYPE_INVALID,
    }
)
#: Enabled as text, lower-cased (see the module docstring).
ENABLED_SPELLINGS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False, "": False}


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
        """Dagster writes its tasks and dispatches them: Enabled, and owned by Dagster."""
        return self.enabled and self.scheduler == "dagster"

    @property
    def in_shadow(self) -> bool:
        """Enabled, written by n8n, and run by Dagster alongside to compare (writing nothing)."""
        return self.enabled and self.scheduler == "shadow"

    @property
    def dagster_schedule_runs(self) -> bool:
        """Its Dagster schedule should be running: it writes, or it runs in shadow."""
        return self.scheduled_by_dagster or self.in_shadow


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

    def describe(self, codes: frozenset[str] | None = None) -> str:
        """Its problems (those with one of ``codes``, when given) in words, or ``ok``."""
        return "; ".join(problem.message for problem in self.problems if codes is None or problem.code in codes) or "ok"


def parse_trigger(text: str) -> StageTrigger | None:
    match = _TRIGGER.match(text.strip())
    return StageTrigger(match["pipeline"], match["stage"]) if match else None


def read_enabled(value: Any) -> tuple[bool, str | None]:
    """Enabled as ``(enabled, problem)``; anything unclear is not enabled and is a problem."""
    try:
        value = unwrap(value, "Enabled")
    except FieldShapeError as error:
        return False, str(error)
    if value is None or isinstance(value, bool):
        return bool(value), None
    spelled = str(value).strip().lower() if isinstance(value, str) else value
    if isinstance(value, (int, float)) and value in (0, 1):
        return value == 1, None
    if spelled in ENABLED_SPELLINGS:
        return ENABLED_SPELLINGS[spelled], None
    return False, f"Enabled {shown(value)} is neither checked nor unchecked; read as not enabled"


class _Row:
    """Reads one row's fields by the rules of ``fields``, collecting problems instead of raising."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = fields
        self.problems: list[PlaybookProblem] = []

    def add(self, code: str, field_name: str, message: str) -> None:
        self.problems.append(PlaybookProblem(code, field_name, message))

    def text(self, name: str, code: str = Problem.FIELD_TYPE_INVALID) -> str | None:
        """The trimmed text, ``""`` when empty, ``None`` (problem added) when its shape is unclear."""
        try:
            return text(self.fields.get(name), name)
        except FieldShapeError as error:
            self.add(code, name, str(error))
            return None

    def choice(self, name: str, allowed: tuple[str, ...], code: str) -> tuple[str | None, str | None]:
        """``(option, text)``: the allowed option it names (or ``None``), and its text as ``text`` reads it."""
        value = self.text(name, code)
        if not value:
            return None, value
        for option in allowed:
            if value.lower() == option.lower():
                return option, value
        self.add(code, name, f"{name} {shown(value)} is not one of {', '.join(allowed)}")
        return None, value

    def whole_number(self, name: str, code: str) -> int | None:
        try:
            value = unwrap(self.fields.get(name), name)
        except FieldShapeError as error:
            self.add(code, name, str(error))
            return None
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number = None if isinstance(value, bool) else _as_float(value)
        if number is None:
            self.add(code, name, f"{name} {shown(value)} is not a number")
            return None
        if not number.is_integer() or number < 0:
            self.add(code, name, f"{name} {shown(value)} must be a whole number of at least 0")
            return None
        return int(number)

    def check(self, name: str, code: str, rule: Rule, value: str) -> None:
        """Apply an injected rule; a rule that raises is a problem on the row, not a crash."""
        try:
            problem = rule(value)
        except Exception as error:
            problem = f"{name} {shown(value)} could not be checked ({type(error).__name__})"
        if problem:
            self.add(code, name, problem)


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def validate_row(
    record_id: str, fields: Mapping[str, Any], rules: ScheduleRules = DEFAULT_SCHEDULE_RULES
) -> PlaybookValidation:
    """Validate one row on its own; uniqueness across rows is added by ``validate_playbooks``.

    Never raises, whatever the row holds: an unexpected failure becomes a ``field_type_invalid``
    problem that costs the row its playbook (and so its schedule).
    """
    record_id = record_id if isinstance(record_id, str) else shown(record_id)
    try:
        if not isinstance(fields, Mapping):
            raise FieldShapeError("fields", f"the row's fields are {shape_of(fields)}, not a record")
        return _validate(record_id, fields, rules)
    except Exception as error:
        message = str(error) if isinstance(error, FieldShapeError) else f"row could not be read ({type(error).__name__})"
        problem = PlaybookProblem(Problem.FIELD_TYPE_INVALID, getattr(error, "field", "*"), message)
        return PlaybookValidation(record_id, "", None, (problem,))


def _validate(record_id: str, fields: Mapping[str, Any], rules: ScheduleRules) -> PlaybookValidation:
    row = _Row(fields)
    name = row.text("Name")
    slug = ""
    if name == "":
        row.add(Problem.NAME_MISSING, "Name", "Name is empty")
    elif name:
        try:
            slug = playbook_slug(name)
        except KeyFieldError as error:
            row.add(Problem.NAME_MISSING, "Name", str(error))
        if len(slug) > MAX_SLUG_LENGTH:
            row.add(Problem.NAME_TOO_LONG, "Name", f"Name makes a slug of {len(slug)} characters; at most "
                    f"{MAX_SLUG_LENGTH} fit the run's ECS task tags, so shorten the Name")

    tier, tier_text = row.choice("Tier", TIERS, Problem.TIER_INVALID)
    if tier_text == "":
        row.add(Problem.TIER_INVALID, "Tier", "Tier is empty")

    trigger_text = row.text("Trigger", Problem.TRIGGER_INVALID)
    trigger = parse_trigger(trigger_text) if trigger_text else None
    if trigger_text == "":
        row.add(Problem.TRIGGER_MISSING, "Trigger", "Trigger is empty")
    elif trigger_text and trigger is None:
        row.add(
            Problem.TRIGGER_INVALID,
            "Trigger",
            f"Trigger {shown(trigger_text)} is not hubspot_stage:<pipeline id>/<stage id>",
        )

    approval, approval_text = row.choice("Approval", APPROVALS, Problem.APPROVAL_INVALID)
    if approval_text == "":
        row.add(Problem.APPROVAL_MISSING, "Approval", "Approval is empty")
    elif tier == "COLD" and approval == "auto":
        row.add(Problem.COLD_NOT_MANUAL, "Approval", "a COLD playbook must have Approval manual, not auto")

    cron = row.text("Cron", Problem.CRON_INVALID)
    if cron is not None:
        row.check("Cron", Problem.CRON_INVALID, rules.cron_problem, cron)

    timezone = row.text("Timezone", Problem.TIMEZONE_INVALID)
    if timezone is not None:
        timezone = timezone or DEFAULT_TIMEZONE
        row.check("Timezone", Problem.TIMEZONE_INVALID, rules.timezone_problem, timezone)

    enabled, enabled_problem = read_enabled(fields.get("Enabled"))
    if enabled_problem:
        row.add(Problem.ENABLED_INVALID, "Enabled", enabled_problem)

    daily_cap = row.whole_number("Daily Cap", Problem.DAILY_CAP_INVALID)
    cooldown = row.whole_number("Cooldown Days", Problem.COOLDOWN_INVALID)
    status, _ = row.choice("Status", STATUSES, Problem.STATUS_INVALID)
    scheduler, _ = row.choice("Scheduler", SCHEDULERS, Problem.SCHEDULER_INVALID)
    channel, _ = row.choice("Channel", CHANNELS, Problem.CHANNEL_INVALID)
    owner = row.text("Owner")

    playbook = None
    if slug:
        playbook = Playbook(
            record_id=record_id,
            name=name or "",
            slug=slug,
            tier=tier,
            trigger=trigger,
            approval=approval,
            cron=cron or "",
            timezone=timezone or DEFAULT_TIMEZONE,
            enabled=enabled,
            status=status,
            scheduler=scheduler or DEFAULT_SCHEDULER,
            channel=channel,
            daily_cap=daily_cap,
            cooldown_days=DEFAULT_COOLDOWN_DAYS if cooldown is None else cooldown,
            owner=owner or None,
        )
    return PlaybookValidation(record_id, name or "", playbook, tuple(row.problems))


def _validate_record(record: Any, rules: ScheduleRules) -> PlaybookValidation:
    if not isinstance(record, Mapping):
        return validate_row(shown(record), record, rules)
    record_id = record.get("id")
    if not isinstance(record_id, str):
        record_id = "" if record_id is None else shown(record_id)
    return validate_row(record_id, record.get("fields") or {}, rules)


def validate_playbooks(
    records: Iterable[Mapping[str, Any]], rules: ScheduleRules = DEFAULT_SCHEDULE_RULES
) -> list[PlaybookValidation]:
    """Validate SSOT records (``{"id", "fields"}``), including that names (and so slugs) are unique.

    Pass ``rules=clawbot_assets.instance.dagster_rules.DAGSTER_SCHEDULE_RULES`` wherever Dagster runs.
    """
    validations = [_validate_record(record, rules) for record in records]
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
