"""Reading back the metadata our own events stored: the plain value of one entry."""

from typing import Any, Mapping


def metadata_value(metadata: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """The entry's value (a ``MetadataValue``'s ``.value``), or ``default`` when it is absent."""
    entry = metadata.get(name)
    return default if entry is None else getattr(entry, "value", entry)
