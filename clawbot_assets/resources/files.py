"""Writing a generated page so that a reader never sees half of it."""

from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """``text`` to a sibling temporary file, then renamed over ``path``."""
    partial = path.with_suffix(path.suffix + ".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
