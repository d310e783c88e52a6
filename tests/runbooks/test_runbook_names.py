"""Every runbook is indexed, says what sends an operator to it and how it is drilled, and every
job, schedule, sensor, check and alarm it names exists in the code location."""

import json
import re

import dagster as dg
import pytest

from clawbot_assets import names
from tests.dagster.helpers import defs_for
from tests.runbooks.drill import ROOT, RUNBOOKS

PAGES = sorted(p.stem for p in RUNBOOKS.glob("*.md") if p.name != "README.md")
ALARMS = {a["AlarmName"] for a in json.loads((ROOT / "deploy/observability/cloudwatch_alarms.json").read_text())}
CHECKS = {v for k, v in vars(names.Checks).items() if k.isupper()}


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    from clawbot_assets.resources import local_resources

    return defs_for(local_resources(str(tmp_path_factory.mktemp("data")))).get_repository_def()


def test_every_runbook_is_indexed_and_drilled():
    index = (RUNBOOKS / "README.md").read_text()
    assert len(PAGES) == 10
    for page in PAGES:
        assert f"({page}.md)" in index, page
    for page in PAGES:
        text = (RUNBOOKS / f"{page}.md").read_text()
        assert re.search(r"\*\*(Alert that sends you here|What sends you here)", text), page
        assert f"tests/runbooks/test_{page}_drill.py" in text and (ROOT / f"tests/runbooks/test_{page}_drill.py").exists(), page


OPERATOR_DOCS = [RUNBOOKS / f"{page}.md" for page in PAGES] + [ROOT / "README.md"] + [
    ROOT / "docs" / f"{page}.md" for page in ("cutover", "deploying", "operating", "configuration", "ui_tour")
]


@pytest.mark.parametrize("doc", OPERATOR_DOCS, ids=lambda path: path.name)
def test_every_name_an_operator_page_gives_exists(doc, repository):
    """The runbooks, the README and the manual in docs/ (cut-over, deploying, operating, configuration, UI tour)."""
    page, text = doc.name, doc.read_text()
    jobs = re.findall(r"dagster job (?:execute|launch) .*?-j ([a-z_]+)", text) + re.findall(r"dg launch --job ([a-z_]+)", text)
    for job in jobs + re.findall(r"\bjobs? `([a-z_]+)`", text):
        assert repository.has_job(job), f"{page}: no job {job}"
    for asset in re.findall(r"dg launch --assets ([a-z_]+)\b(?!>)", text):
        assert dg.AssetKey(asset) in repository.assets_defs_by_key, f"{page}: no asset {asset}"
    assert "--config-json" not in "".join(re.findall(r"dagster job execute[^\n]*(?:\\\n[^\n]*)*", text)), f"{page}: job execute takes -c files only"
    for schedule in re.findall(r"dagster schedule (?:start|stop) ([a-z_]+)\b(?!<)", text):
        assert repository.has_schedule_def(schedule), f"{page}: no schedule {schedule}"
    for config in re.findall(r"-c (deploy/run_config/[a-z_]+\.yaml)", text):
        assert (ROOT / config).exists(), f"{page}: no {config}"
    for alarm in re.findall(r"[Aa]larms? `(clawbot-[a-z-]+)`", text):
        assert alarm in ALARMS, f"{page}: no alarm {alarm}"
    for name in re.findall(r"check `([a-z_0-9]+)`", text):
        assert name in CHECKS, f"{page}: no check {name}"
    for sensor in re.findall(r"`([a-z_]+_sensor)`", text):
        assert any(s.name == sensor for s in repository.sensor_defs), f"{page}: no sensor {sensor}"
