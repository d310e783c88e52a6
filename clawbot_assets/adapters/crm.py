"""The CRM interface: deal pipelines and the deals in a stage.

Two implementations share it: ``crm_hubspot.HubSpotCrm`` on hubspot-api-client and
``crm_local.LocalCrm`` on the embedded fixtures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class CrmError(RuntimeError):
    """The CRM could not answer; the message says what was asked and why it failed."""


class SearchCapReachedError(CrmError):
    """A search matched more deals than HubSpot will ever return (10,000); never truncate silently."""


@dataclass(frozen=True)
class Stage:
    id: str
    label: str


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: str
    stages: tuple[Stage, ...]

    def has_stage(self, stage_id: str) -> bool:
        return any(stage.id == stage_id for stage in self.stages)


@dataclass(frozen=True)
class Deal:
    id: str
    name: str
    pipeline_id: str
    stage_id: str
    do_not_contact: bool = False


class CrmClient(Protocol):
    #: Requests sent so far; benchmarks and run metadata report it.
    requests_made: int

    def deal_pipelines(self) -> list[Pipeline]: ...

    def deals_in_stage(self, pipeline_id: str, stage_id: str) -> list[Deal]: ...
