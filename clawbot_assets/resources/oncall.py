"""Where the weekly on-call handover's markdown copy is written: ``$CLAWBOT_DATA_DIR/oncall``.
A cache for people who want a file; the record is the ``oncall_handover`` materialisation."""

from pathlib import Path

import dagster as dg

from clawbot_assets.resources.backends import DEFAULT_DATA_DIR, ONCALL_DIR
from clawbot_assets.resources.files import write_atomically


class OncallHandoverResource(dg.ConfigurableResource):
    """``handover-<yyyy-mm-dd>.md`` files in ``directory``."""

    directory: str = f"{DEFAULT_DATA_DIR}/{ONCALL_DIR}"

    def write(self, date: str, markdown: str) -> Path:
        directory = Path(self.directory).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"handover-{date}.md"
        write_atomically(path, markdown)
        return path
