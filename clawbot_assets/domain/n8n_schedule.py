"""n8n workflows as the public API returns them, read into one comparable schedule form.

Pure: no network, no Dagster. ``parse_workflow`` never raises; what it cannot read becomes a
problem on the workflow.

**What runs.** A workflow's ``activeVersion.nodes`` (the published version n8n really runs) is
read when present, else its draft ``nodes``. A node with ``disabled: true`` never fires. A
workflow with ``active: false`` has schedules but none of them is live.

**Schedule nodes.** ``n8n-nodes-base.scheduleTrigger`` (``parameters.rule.interval[]``) and the
legacy ``n8n-nodes-base.cron`` (``parameters.triggerTimes.item[]``). n8n leaves a parameter out
of the JSON when it holds its default, so the defaults of n8n's own node descriptions apply
(``ScheduleTrigger.node.ts`` and ``cronNodeOptions`` in n8n-workflow):

- scheduleTrigger: ``field`` days; ``secondsInterval`` 30, ``minutesInterval`` 5,
  ``hoursInterval`` 1, ``daysInterval`` 1, ``weeksInterval`` 1, ``monthsInterval`` 1,
  ``triggerAtDayOfMonth`` 1, ``triggerAtDay`` [0] (Sunday), ``triggerAtHour`` 0 (midnight),
  ``triggerAtMinute`` 0, ``expression`` empty. So ``{"interval": [{}]}`` is every day at 00:00.
- cron: ``mode`` everyDay, ``hour`` 14, ``minute`` 0, ``dayOfMonth`` 1, ``weekday`` 1 (Monday;
  an assumption: the stored value is the string ``"1"``), ``value`` 2, ``unit`` hours,
  ``cronExpression`` ``* * * * * *``.

**The comparable form** is ``TriggerSchedule``: a 5-field ``cron`` (``*/1`` written ``*``) plus
the seconds field of a 6-field cron when it is not ``0``, or ``every_seconds`` for n8n's seconds
interval, which no 5-field cron can say; with the workflow's ``settings.timezone`` (``None``:
the n8n instance's default, which the API does not show).

**Ownership.** A workflow belongs to the playbook named by its tag ``playbook:<slug>``; without
such a tag, to the playbook whose slug equals its name slugged (``Stale Deal Nudge`` ->
``stale_deal_nudge``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from clawbot_assets.domain.cron_words import describe_cron
from clawbot_assets.domain.fields import shown
from clawbot_assets.domain.keys import KeyFieldError, playbook_slug

SCHEDULE_TRIGGER = "n8n-nodes-base.scheduleTrigger"
LEGACY_CRON = "n8n-nodes-base.cron"
PLAYBOOK_TAG_PREFIX = "playbook:"

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


class N8nParseError(ValueError):
    """One rule or trigger time cannot be read."""


@dataclass(frozen=True)
class TriggerSchedule:
    cron: str | None
    timezone: str | None
    words: str
    second: str | None = None
    every_seconds: int | None = None
    node: str = ""

    @property
    def comparable(self) -> tuple:
        return (self.cron, self.second, self.every_seconds, self.timezone)


@dataclass(frozen=True)
class N8nWorkflow:
    id: str
    name: str
    active: bool
    tags: tuple[str, ...]
    schedules: tuple[TriggerSchedule, ...]
    problems: tuple[str, ...] = field(default=())
    from_active_version: bool = False

    @property
    def live(self) -> bool:
        """Active and holding at least one schedule that fires."""
        return self.active and bool(self.schedules)

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


def _number(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise N8nParseError(f"{name} {shown(value)} is not a number") from None
    if not low <= number <= high or (isinstance(value, float) and not value.is_integer()):
        raise N8nParseError(f"{name} {shown(value)} is outside {low}-{high}")
    return number


def _step(value: int) -> str:
    return "*" if value == 1 else f"*/{value}"


def split_cron(expression: str) -> tuple[str, str | None]:
    """A 5- or 6-field cron (seconds first) as ``(5-field cron, seconds field or None)``."""
    fields = str(expression or "").split()
    if len(fields) == 6:
        second = fields[0]
        return " ".join(fields[1:]), (None if second == "0" else second)
    if len(fields) == 5:
        return " ".join(fields), None
    raise N8nParseError(f"cron {shown(expression)} has {len(fields)} fields, not 5 or 6")


def interval_cron(rule: Mapping[str, Any]) -> tuple[str | None, str | None, int | None, str]:
    """One scheduleTrigger rule as ``(cron, seconds field, every_seconds, extra words)``."""
    value = {**SCHEDULE_TRIGGER_DEFAULTS, **{k: v for k, v in rule.items() if v is not None}}
    unit = value["field"]
    minute = lambda: _number(value["triggerAtMinute"], "triggerAtMinute", 0, 59)  # noqa: E731
    hour = lambda: _number(value["triggerAtHour"], "triggerAtHour", 0, 23)  # noqa: E731
    if unit == "seconds":
        return None, None, _number(value["secondsInterval"], "secondsInterval", 1, 86400), ""
    if unit == "minutes":
        return f"{_step(_number(value['minutesInterval'], 'minutesInterval', 1, 59))} * * * *", None, None, ""
    if unit == "hours":
        return f"{minute()} {_step(_number(value['hoursInterval'], 'hoursInterval', 1, 23))} * * *", None, None, ""
    if unit == "days":
        return f"{minute()} {hour()} {_step(_number(value['daysInterval'], 'daysInterval', 1, 31))} * *", None, None, ""
    if unit == "weeks":
        days = value["triggerAtDay"] if isinstance(value["triggerAtDay"], list) else [value["triggerAtDay"]]
        weekdays = ",".join(str(_number(day, "triggerAtDay", 0, 7)) for day in days) or "*"
        weeks = _number(value["weeksInterval"], "weeksInterval", 1, 52)
        return f"{minute()} {hour()} * * {weekdays}", None, None, (f", every {weeks} weeks" if weeks > 1 else "")
    if unit == "months":
        day = _number(value["triggerAtDayOfMonth"], "triggerAtDayOfMonth", 1, 31)
        months = _number(value["monthsInterval"], "monthsInterval", 1, 12)
        return f"{minute()} {hour()} {day} {_step(months)} *", None, None, ""
    if unit == "cronExpression":
        cron, second = split_cron(value["expression"])
        return cron, second, None, ""
    raise N8nParseError(f"interval field {shown(unit)} is not one n8n knows")


def trigger_time_cron(item: Mapping[str, Any]) -> tuple[str, str | None]:
    """One legacy cron node trigger time as ``(cron, seconds field)``."""
    value = {**CRON_NODE_DEFAULTS, **{k: v for k, v in item.items() if v is not None}}
    mode = value["mode"]
    minute = lambda: _number(value["minute"], "minute", 0, 59)  # noqa: E731
    hour = lambda: _number(value["hour"], "hour", 0, 23)  # noqa: E731
    if mode == "everyMinute":
        return "* * * * *", None
    if mode == "everyHour":
        return f"{minute()} * * * *", None
    if mode == "everyDay":
        return f"{minute()} {hour()} * * *", None
    if mode == "everyWeek":
        return f"{minute()} {hour()} * * {_number(value['weekday'], 'weekday', 0, 7)}", None
    if mode == "everyMonth":
        return f"{minute()} {hour()} {_number(value['dayOfMonth'], 'dayOfMonth', 1, 31)} * *", None
    if mode == "everyX":
        every = _number(value["value"], "value", 1, 1000)
        if value["unit"] == "minutes":
            return f"{_step(every)} * * * *", None
        if value["unit"] == "hours":
            return f"0 {_step(every)} * * *", None
        raise N8nParseError(f"everyX unit {shown(value['unit'])} is not minutes or hours")
    if mode == "custom":
        return split_cron(value["cronExpression"])
    raise N8nParseError(f"cron mode {shown(mode)} is not one n8n knows")


def _words(cron: str | None, second: str | None, every_seconds: int | None, timezone: str | None, extra: str = "") -> str:
    if every_seconds is not None:
        text = f"every {every_seconds} seconds"
    else:
        text = describe_cron(cron or "") + extra
        if second:
            text += f" (seconds field {second})"
    return f"{text} ({timezone or 'n8n instance timezone'})"


def _node_schedules(node: Mapping[str, Any], timezone: str | None, problems: list[str]) -> list[TriggerSchedule]:
    kind = node.get("type")
    name = str(node.get("name") or kind)
    parameters = node.get("parameters") or {}
    schedules: list[TriggerSchedule] = []
    if kind == SCHEDULE_TRIGGER:
        rules = ((parameters.get("rule") or {}).get("interval")) if isinstance(parameters.get("rule"), Mapping) else None
        for rule in rules if isinstance(rules, list) else [{}]:
            try:
                cron, second, every, extra = interval_cron(rule if isinstance(rule, Mapping) else {})
            except N8nParseError as error:
                problems.append(f"node {name!r}: {error}")
                continue
            schedules.append(TriggerSchedule(cron, timezone, _words(cron, second, every, timezone, extra), second, every, name))
    elif kind == LEGACY_CRON:
        times = parameters.get("triggerTimes") if isinstance(parameters.get("triggerTimes"), Mapping) else {}
        items = times.get("item")
        if not isinstance(items, list) or not items:
            problems.append(f"node {name!r}: a cron node with no trigger times never fires")
        for item in items if isinstance(items, list) else []:
            try:
                cron, second = trigger_time_cron(item if isinstance(item, Mapping) else {})
            except N8nParseError as error:
                problems.append(f"node {name!r}: {error}")
                continue
            schedules.append(TriggerSchedule(cron, timezone, _words(cron, second, None, timezone), second, None, name))
    return schedules


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
    return N8nWorkflow(
        id=str(raw.get("id") or ""),
        name=str(raw.get("name") or ""),
        active=raw.get("active") is True,
        tags=_tags(raw.get("tags")),
        schedules=tuple(schedules),
        problems=tuple(problems),
        from_active_version=from_active,
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
