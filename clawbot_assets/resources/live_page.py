"""Where the "what's live" page is written: a directory, ``$CLAWBOT_DATA_DIR/whats_live`` by default."""

from pathlib import Path

import dagster as dg

from clawbot_assets.resources.backends import DEFAULT_DATA_DIR, LIVE_PAGE_DIR
from clawbot_assets.resources.files import write_atomically


class LivePageResource(dg.ConfigurableResource):
    """``index.html`` and ``whats_live.md`` go into ``directory``."""

    directory: str = f"{DEFAULT_DATA_DIR}/{LIVE_PAGE_DIR}"

    def write(self, html_text: str, markdown: str) -> tuple[Path, Path]:
        directory = Path(self.directory).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        html_path, markdown_path = directory / "index.html", directory / "whats_live.md"
        for path, text in ((html_path, html_text), (markdown_path, markdown)):
            write_atomically(path, text)
        return html_path, markdown_path
