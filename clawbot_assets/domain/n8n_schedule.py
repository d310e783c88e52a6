"""n8n workflows as the public API returns them, read the way n8n 1.123 reads them. Pure.

``parse_workflow`` never raises; what it cannot read becomes a problem on the workflow.

**What runs.** A workflow's ``activeVersion.nodes`` (the published version n8n really runs) is
read when present, else its draft ``nodes``. A node with ``disabled: true`` never fires. A
workflow with ``active: false`` has schedules but none of them is live.

**Schedule nodes**, converted as n8n converts them (``packages/nodes-base/nodes/Schedule/
GenericFunctions.ts`` ``toCronExpression``/``intervalToRecurrence``/``validateInterval`` for
``n8n-nodes-base.scheduleTrigger`` 1-1.3; ``packages/workflow/src/cron.ts`` ``toCronExpression``
for the legacy ``n8n-nodes-base.cron``), then registered as a ``cron`` job
(``ScheduledTaskManager``), whose parser is ``domain/n8n_cron.py``:

- n8n leaves a parameter out of the JSON when it holds its default, so the defaults of the node
  descriptions apply. scheduleTrigger: ``field`` days, ``secondsInterval`` 30,
  ``minutesInterval`` 5, ``hoursInterval``/``daysInterval``/``weeksInterval``/``monthsInterval``
  1, ``triggerAtDayOfMonth`` 1, ``triggerAtDay`` [0] (Sunday), ``triggerAtHour`` 0,
  ``triggerAtMinute`` 0, ``expression`` empty. cron: ``mode`` everyDay, ``hour`` 14, ``minute``
  0, ``dayOfMonth`` 1, ``weekday`` "1", ``value`` 2, ``unit`` hours, ``cronExpression``
  ``* * * * * *``.
- Every rule but a seconds interval and a custom cron fires at a **random second** n8n picks on
  activation; the legacy node's "every X hours" also picks a **random minute**.
- A seconds interval is the cron ``*/N * * * * *``: it restarts each minute, so ``*/45`` fires at
  :00 and :45. Minutes and hours are ``*/N`` crons; days, weeks and months are daily, weekly and
  ``*/N``-monthly crons that n8n's ``recurrenceCheck`` filters: the interval counts from the first
  fire after activation (``domain/n8n_fire_times.py`` replays it).
- Schedule Trigger 1.3 refuses a seconds or minutes interval outside 1-59, hours outside 1-23,
  days outside 1-31, months below 1 ("Invalid interval"); every version refuses what the cron
  library refuses. A refused rule never fires: ``TriggerSchedule.refused`` says why.

**Timezone**: the workflow's ``settings.timezone``; missing or ``DEFAULT`` is the n8n process's
own zone (``GENERIC_TIMEZONE``), which the API does not show: ``None`` here, and
``N8N_DEFAULT_TIMEZONE`` (n8n's default, America/New_York) wherever a time must be computed.

**Ownership.** A workflow belongs to the playbook named by its tag ``playbook:<slug>``; without
such a tag, to the playbook whose slug equals its name slugged (``Stale Deal Nudge`` ->
``stale_deal_nudge``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from clawbot_assets.domain.cron_words import describe_cron
from clawbot_assets.domain.fields import shown
from clawbot_assets.domain.keys import KeyFieldError, playbook_slug
from clawbot_assets.domain.n8n_cron import CronRefused, n8n_six_fields

SCHEDULE_TRIGGER = "n8n-nodes-base.scheduleTrigger"
LEGACY_CRON = "n8n-nodes-base.cron"
PLAYBOOK_TAG_PREFIX = "playbook:"
#: n8n's ``GENERIC_TIMEZONE`` when the instance does not set one.
N8N_DEFAULT_TIMEZONE = "America/New_York"
#: From this Schedule Trigger version on, n8n validates the interval ranges.
VALIDATING_VERSION = 1.3

SCHEDULE_TRIGGER_DEFAULTS: Mapping[str, Any] = {
    "field": "days",
    "secondsInterval": 30,
    "minutesInterval": 5,
    "hoursInterval": 1,
    "daysInterval": 1,
    "weeksInterval": 1,
    "monthsInterval": 1,
    "triggerAtDayOfMonth": 1,
    "triggerAtDay": [0],
    "triggerAtHour": 0,
    "triggerAtMinute": 0,
    "expression": "",
}
CRON_NODE_DEFAULTS: Mapping[str, Any] = {
    "mode": "everyDay",
    "hour": 14,
    "minute": 0,
    "dayOfMonth": 1,
    "weekday": "1",
    "value": 2,
    "unit": "hours",
    "cronExpression": "* * * * * *",
}
#: ``validateInterval`` (Schedule Trigger 1.3): field -> (parameter, low, high or None, message).
INTERVAL_RANGES: Mapping[str, tuple[str, int, int | None, str]] = {
    "seconds": ("secondsInterval", 1, 59, "Seconds must be in range 1-59"),
    "minutes": ("minutesInterval", 1, 59, "Minutes must be in range 1-59"),
    "hours": ("hoursInterval", 1, 23, "Hours must be in range 1-23"),
    "days": ("daysInterval", 1, 31, "Days must be in range 1-31"),
    "months": ("monthsInterval", 1, None, "Months must be larger than 0"),
}
#: Which interval fields ``recurrenceCheck`` filters, and the parameter holding the interval.
RECURRENCE_FIELDS: Mapping[str, str] = {"hours": "hoursInterval", "days": "daysInterval", "weeks": "weeksInterval", "months": "monthsInterval"}
RANDOM_SECOND = "second"
RANDOM_MINUTE = "minute"


class N8nParseError(ValueError):
    """One rule or trigger time cannot be read."""


@dataclass(frozen=True)
class Recurrence:
    """n8n's ``IRecurrenceRule``: fire on every ``size``-th ``unit`` counted from the last fire."""

    unit: str
    size: int


@dataclass(frozen=True)
class N8nRule:
    """One rule as n8n registers it: its cron (six fields, seconds first, as the cron library
    reads it; a random part is written ``0`` and named in ``random``), its recurrence filter, or
    why n8n refuses it."""

    cron: str | None
    recurrence: Recurrence | None = None
    random: tuple[str, ...] = ()
    refused: str | None = None


@dataclass(frozen=True)
class TriggerSchedule:
    #: The 5-field cron (minute to weekday) n8n registers; ``None`` when n8n refuses the rule.
    cron: str | None
    timezone: str | None
    words: str
    #: The seconds field when it is not one fixed second (``*/45``, ``*``).
    second: str | None = None
    every_seconds: int | None = None
    node: str = ""
    recurrence: Recurrence | None = None
    #: The parts n8n picks at random on activation (``second``, ``minute``).
    random: tuple[str, ...] = ()
    #: Why n8n refuses this rule; a refused rule never fires.
    refused: str | None = None

    @property
    def fires(self) -> bool:
        return self.refused is None and self.cron is not None

    @property
    def six_fields(self) -> str | None:
        """The cron n8n registers, a random part as ``0``."""
        return None if self.cron is None else f"{self.second or '0'} {self.cron}"

    @property
    def comparable(self) -> tuple:
        return (self.cron, self.second, self.recurrence, self.timezone)


@dataclass(frozen=True)
class N8nWorkflow:
    id: str
    name: str
    active: bool
    tags: tuple[str, ...]
    schedules: tuple[TriggerSchedule, ...]
    problems: tuple[str, ...] = field(default=())
    from_active_version: bool = False
    #: When the running version was activated, as far as the API says (``activeVersion``'s or
    #: the workflow's ``updatedAt``): where n8n's interval counting starts.
    activated_at: dt.datetime | None = None

    @property
    def firing(self) -> tuple[TriggerSchedule, ...]:
        """The schedules n8n accepts (whether they still fire is ``n8n_fire_times``' call)."""
        return tuple(schedule for schedule in self.schedules if schedule.fires)

    @property
    def refused(self) -> tuple[TriggerSchedule, ...]:
        return tuple(schedule for schedule in self.schedules if not schedule.fires)

    @property
    def live(self) -> bool:
        """Active and holding at least one schedule n8n accepts."""
        return self.active and bool(self.firing)

    @property
    def owner_slug(self) -> str | None:
        for tag in self.tags:
            if tag.lower().startswith(PLAYBOOK_TAG_PREFIX):
                return tag[len(PLAYBOOK_TAG_PREFIX) :].strip().lower() or None
        try:
            return playbook_slug(self.name)
        except KeyFieldError:
            return None

    def describe(self) -> str:
        label = f"workflow {self.name!r} ({self.id})"
        if not self.schedules:
            return f"{label}: no schedule node" + ("" if self.active else ", inactive")
        words = "; ".join(schedule.words for schedule in self.schedules)
        return f"{label}: {words}" + ("" if self.active else " (inactive: not firing)")


def _integer(value: Any) -> Any:
    """A whole number as an int (n8n interpolates numbers into the cron); anything else as is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _number_text(value: Any) -> str:
    return str(_integer(value))


def _checked(expression: str, recurrence: Recurrence | None = None, random: tuple[str, ...] = ()) -> N8nRule:
    try:
        return N8nRule(n8n_six_fields(expression), recurrence, random)
    except CronRefused as refusal:
        return N8nRule(None, recurrence, random, f"n8n's cron library refuses {expression!r}: {refusal}")


def _validate_interval(value: Mapping[str, Any]) -> str | None:
    """Schedule Trigger 1.3's ``validateInterval``: the message n8n throws, or ``None``."""
    if value["field"] not in INTERVAL_RANGES:
        return None
    name, low, high, message = INTERVAL_RANGES[value["field"]]
    number = _integer(value[name])
    if not isinstance(number, int) or number < low or (high is not None and number > high):
        return f"Invalid interval: {message} (it is {shown(value[name])})"
    return None


def interval_rule(rule: Mapping[str, Any], version: float = VALIDATING_VERSION) -> N8nRule:
    """One scheduleTrigger rule as n8n registers it (``toCronExpression`` and friends)."""
    value = {**SCHEDULE_TRIGGER_DEFAULTS, **{k: v for k, v in rule.items() if v is not None}}
    unit = value["field"]
    if version >= VALIDATING_VERSION and (refusal := _validate_interval(value)):
        return N8nRule(None, refused=refusal)
    if unit == "cronExpression":
        return _checked(str(value["expression"] or ""))
    if unit == "seconds":
        return _checked(f"*/{_number_text(value['secondsInterval'])} * * * * *")
    if unit == "minutes":
        return _checked(f"0 */{_number_text(value['minutesInterval'])} * * * *", random=(RANDOM_SECOND,))
    recurrence = None
    if unit in RECURRENCE_FIELDS:
        size = _integer(value[RECURRENCE_FIELDS[unit]])
        if size != 1:
            if not isinstance(size, int) or size < 1:
                return N8nRule(None, refused=f"{RECURRENCE_FIELDS[unit]} {shown(size)} never passes n8n's recurrence check")
            recurrence = Recurrence(unit, size)
    minute, hour = _number_text(value["triggerAtMinute"]), _number_text(value["triggerAtHour"])
    if unit == "hours":
        return _checked(f"0 {minute} */{_number_text(value['hoursInterval'])} * * *", recurrence, (RANDOM_SECOND,))
    if unit == "days":
        return _checked(f"0 {minute} {hour} * * *", recurrence, (RANDOM_SECOND,))
    if unit == "weeks":
        days = value["triggerAtDay"] if isinstance(value["triggerAtDay"], list) else [value["triggerAtDay"]]
        weekdays = ",".join(_number_text(day) for day in days) or "*"
        return _checked(f"0 {minute} {hour} * * {weekdays}", recurrence, (RANDOM_SECOND,))
    if unit == "months":
        day, months = _number_text(value["triggerAtDayOfMonth"]), _number_text(value["monthsInterval"])
        return _checked(f"0 {minute} {hour} {day} */{months} *", recurrence, (RANDOM_SECOND,))
    raise N8nParseError(f"interval field {shown(unit)} is not one n8n knows")


def trigger_time_rule(item: Mapping[str, Any]) -> N8nRule:
    """One legacy cron node trigger time as n8n registers it (n8n-workflow's ``toCronExpression``)."""
    value = {**CRON_NODE_DEFAULTS, **{k: v for k, v in item.items() if v is not None}}
    mode = value["mode"]
    minute, hour = _number_text(value["minute"]), _number_text(value["hour"])
    second = (RANDOM_SECOND,)
    if mode == "everyMinute":
        return _checked("0 * * * * *", random=second)
    if mode == "everyHour":
        return _checked(f"0 {minute} * * * *", random=second)
    if mode == "everyX":
        if value["unit"] == "minutes":
            return _checked(f"0 */{_number_text(value['value'])} * * * *", random=second)
        if value["unit"] == "hours":
            return _checked(f"0 0 */{_number_text(value['value'])} * * *", random=(RANDOM_SECOND, RANDOM_MINUTE))
        return N8nRule(None, refused=f"everyX unit {shown(value['unit'])} is not minutes or hours: n8n cannot build a cron")
    if mode == "everyDay":
        return _checked(f"0 {minute} {hour} * * *", random=second)
    if mode == "everyWeek":
        return _checked(f"0 {minute} {hour} * * {_number_text(value['weekday'])}", random=second)
    if mode == "everyMonth":
        return _checked(f"0 {minute} {hour} {_number_text(value['dayOfMonth'])} * *", random=second)
    if mode == "custom":
        return _checked(str(value["cronExpression"] or "").strip())
    raise N8nParseError(f"cron mode {shown(mode)} is not one n8n knows")


def _recurrence_words(recurrence: Recurrence | None) -> str:
    if recurrence is None:
        return ""
    return f", then only every {recurrence.size} {recurrence.unit} counted from its first fire after activation (n8n's recurrenceCheck)"


def _random_words(random: tuple[str, ...]) -> str:
    if RANDOM_MINUTE in random:
        return ", at a minute and second n8n picks at random on activation (within the hour: between 09:00 and 09:59 for a 09:00 fire)"
    if RANDOM_SECOND in random:
        return ", at a second n8n picks at random on activation"
    return ""


def schedule_words(rule: N8nRule, timezone: str | None) -> str:
    zone = timezone or "n8n instance timezone"
    if rule.refused:
        return f"never fires: {rule.refused} ({zone})"
    assert rule.cron is not None
    five = rule.cron.split(" ", 1)[1]
    text = describe_cron(rule.cron)
    if RANDOM_MINUTE in rule.random:
        hours = five.split()[1]
        text = f"every {hours[2:]} hours" if hours.startswith("*/") else describe_cron(five)
    return f"{text}{_recurrence_words(rule.recurrence)} ({zone}){_random_words(rule.random)}"


def _schedule(rule: N8nRule, timezone: str | None, node: str) -> TriggerSchedule:
    words = schedule_words(rule, timezone)
    if rule.cron is None:
        return TriggerSchedule(None, timezone, words, node=node, recurrence=rule.recurrence, random=rule.random, refused=rule.refused)
    second, five = rule.cron.split(" ", 1)
    moving_second = None if second.isdigit() else second
    every = int(second[2:]) if second.startswith("*/") and second[2:].isdigit() and five == "* * * * *" else None
    return TriggerSchedule(five, timezone, words, moving_second, every, node, rule.recurrence, rule.random)


def _version(node: Mapping[str, Any]) -> float:
    try:
        return float(node.get("typeVersion") or 1)
    except (TypeError, ValueError):
        return 1.0


def _node_schedules(node: Mapping[str, Any], timezone: str | None, problems: list[str]) -> list[TriggerSchedule]:
    kind = node.get("type")
    name = str(node.get("name") or kind)
    parameters = node.get("parameters") or {}
    rules: list[N8nRule] = []
    if kind == SCHEDULE_TRIGGER:
        intervals = ((parameters.get("rule") or {}).get("interval")) if isinstance(parameters.get("rule"), Mapping) else None
        for interval in intervals if isinstance(intervals, list) else [{}]:
            try:
                rules.append(interval_rule(interval if isinstance(interval, Mapping) else {}, _version(node)))
            except N8nParseError as error:
                problems.append(f"node {name!r}: {error}")
    elif kind == LEGACY_CRON:
        times = parameters.get("triggerTimes") if isinstance(parameters.get("triggerTimes"), Mapping) else {}
        items = times.get("item")
        if not isinstance(items, list) or not items:
            problems.append(f"node {name!r}: a cron node with no trigger times never fires")
        for item in items if isinstance(items, list) else []:
            try:
                rules.append(trigger_time_rule(item if isinstance(item, Mapping) else {}))
            except N8nParseError as error:
                problems.append(f"node {name!r}: {error}")
    return [_schedule(rule, timezone, name) for rule in rules]


def api_timestamp(value: Any) -> dt.datetime | None:
    """A timestamp as n8n's API writes it (``2026-03-01T10:00:00.000Z``), aware; ``None`` if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _tags(raw: Any) -> tuple[str, ...]:
    tags = []
    for tag in raw if isinstance(raw, list) else []:
        name = tag.get("name") if isinstance(tag, Mapping) else tag
        if isinstance(name, str) and name.strip():
            tags.append(name.strip())
    return tuple(tags)


def parse_workflow(raw: Mapping[str, Any]) -> N8nWorkflow:
    """One workflow of ``GET /api/v1/workflows``; never raises."""
    if not isinstance(raw, Mapping):
        return N8nWorkflow("", shown(raw), False, (), (), ("not a workflow object",))
    settings = raw.get("settings") if isinstance(raw.get("settings"), Mapping) else {}
    timezone = settings.get("timezone")
    timezone = timezone if isinstance(timezone, str) and timezone and timezone != "DEFAULT" else None
    active_version = raw.get("activeVersion")
    from_active = isinstance(active_version, Mapping) and isinstance(active_version.get("nodes"), list)
    nodes = active_version["nodes"] if from_active else raw.get("nodes")
    problems: list[str] = []
    schedules: list[TriggerSchedule] = []
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, Mapping) and not node.get("disabled"):
            schedules += _node_schedules(node, timezone, problems)
    activated = (api_timestamp(active_version.get("updatedAt")) or api_timestamp(active_version.get("createdAt"))) if from_active else None
    return N8nWorkflow(
        id=str(raw.get("id") or ""),
        name=str(raw.get("name") or ""),
        active=raw.get("active") is True,
        tags=_tags(raw.get("tags")),
        schedules=tuple(schedules),
        problems=tuple(problems),
        from_active_version=from_active,
        activated_at=activated or api_timestamp(raw.get("updatedAt")),
    )


def parse_workflows(raw: Iterable[Mapping[str, Any]]) -> list[N8nWorkflow]:
    return [parse_workflow(workflow) for workflow in raw]


def workflows_by_playbook(workflows: Iterable[N8nWorkflow], slugs: Iterable[str]) -> tuple[dict[str, list[N8nWorkflow]], list[N8nWorkflow]]:
    """``({slug: its workflows}, workflows that match no playbook)``."""
    known = set(slugs)
    owned: dict[str, list[N8nWorkflow]] = defaultdict(list)
    unmatched: list[N8nWorkflow] = []
    for workflow in workflows:
        slug = workflow.owner_slug
        if slug in known:
            owned[slug].append(workflow)
        else:
            unmatched.append(workflow)
    return dict(owned), unmatched
