"""The migration's post-mortem, written from the record: ``python -m clawbot_assets.postmortem``.

``read`` takes the figures from the Dagster instance's event log and the SSOT,
``domain/postmortem.py`` aggregates them, ``render`` and ``charts`` write ``postmortem.md``
and its PNG charts side by side.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

from clawbot_assets.domain.postmortem import PostMortem, post_mortem
from clawbot_assets.postmortem.charts import write_charts
from clawbot_assets.postmortem.read import read_record
from clawbot_assets.postmortem.render import render_markdown
from clawbot_assets.resources.ssot import SsotResource

POSTMORTEM_FILE = "postmortem.md"
#: Under ``CLAWBOT_DATA_DIR``: where the post-mortem goes unless ``--out`` says otherwise.
DEFAULT_FOLDER = "rehearsal"


def write_postmortem(
    instance: dg.DagsterInstance,
    ssot: SsotResource,
    since: dt.datetime,
    out: Path,
    *,
    instance_description: str = "this instance",
) -> tuple[Path, PostMortem]:
    """Writes ``postmortem.md`` and its charts into ``out``, covering ``since`` until now;
    returns its path and the figures."""
    report = post_mortem(read_record(instance, ssot.client, since))
    out.mkdir(parents=True, exist_ok=True)
    write_charts(report, out)
    path = out / POSTMORTEM_FILE
    path.write_text(render_markdown(report, instance_description, ssot.describe()), encoding="utf-8")
    return path, report
