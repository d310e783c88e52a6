"""``python -m clawbot_assets.postmortem --since <ISO date> [--out DIR]``.

Reads the Dagster instance in ``DAGSTER_HOME`` and the SSOT the environment configures (the
same switches as the code location), and writes ``postmortem.md`` with its charts into ``DIR``,
by default ``$CLAWBOT_DATA_DIR/rehearsal``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import dagster as dg

from clawbot_assets.postmortem import DEFAULT_FOLDER, write_postmortem
from clawbot_assets.resources import resource_for
from clawbot_assets.resources.backends import DATA_DIR, DEFAULT_DATA_DIR


def since_argument(text: str) -> dt.datetime:
    """An ISO date or date-time; without a zone it is UTC."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def parse(argv: list[str], environ: dict[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m clawbot_assets.postmortem", description=__doc__.splitlines()[2])
    parser.add_argument("--since", required=True, type=since_argument, help="ISO date (UTC unless a zone is given)")
    default_out = Path(environ.get(DATA_DIR) or DEFAULT_DATA_DIR) / DEFAULT_FOLDER
    parser.add_argument("--out", type=Path, default=default_out, help=f"folder to write into (default {default_out})")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse(argv, dict(os.environ))
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        print("DAGSTER_HOME is not set: there is no event log to read", file=sys.stderr)
        return 2
    with dg.DagsterInstance.get() as instance:
        path, report = write_postmortem(
            instance, resource_for("ssot", os.environ, resolve_secrets=True), arguments.since, arguments.out, instance_description=f"DAGSTER_HOME={home}"
        )
    print(f"wrote {path}: {report.duplicates.removed} duplicates removed, {report.intercepts} intercepts, "
          f"{report.rate_limited} Airtable 429s, {len(report.dlq.incidents)} DLQ incidents, {len(report.playbooks)} playbooks in shadow or cut over")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
