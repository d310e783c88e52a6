"""The embedded CRM: HubSpot-shaped fixtures in a JSON file the operator may edit."""

from __future__ import annotations

import json
from pathlib import Path

from clawbot_assets.adapters.crm import Deal, Pipeline, Stage


class LocalCrm:
    def __init__(self, fixture_path: str | Path):
        self.fixture_path = Path(fixture_path)
        self.requests_made = 0

    def _fixture(self) -> dict:
        self.requests_made += 1
        return json.loads(self.fixture_path.read_text())

    def deal_pipelines(self) -> list[Pipeline]:
        return [
            Pipeline(
                id=pipeline["id"],
                label=pipeline["label"],
                stages=tuple(Stage(stage["id"], stage["label"]) for stage in pipeline["stages"]),
            )
            for pipeline in self._fixture()["pipelines"]
        ]

    def deals_in_stage(self, pipeline_id: str, stage_id: str) -> list[Deal]:
        return [
            Deal(
                id=str(deal["id"]),
                name=deal["name"],
                pipeline_id=deal["pipeline"],
                stage_id=deal["dealstage"],
                do_not_contact=bool(deal.get("do_not_contact")),
            )
            for deal in self._fixture()["deals"]
            if deal["pipeline"] == pipeline_id and deal["dealstage"] == stage_id
        ]
