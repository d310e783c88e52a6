"""Reading back the events our own assets stored: every record a filter matches, and the plain
value of one metadata entry."""

from typing import Any, Callable, Mapping

#: Records per request to the event log.
PAGE_SIZE = 500


def all_records(fetch: Callable[..., Any], records_filter: Any) -> list:
    """Every record ``fetch`` (``instance.fetch_materializations`` or ``fetch_observations``)
    returns for ``records_filter``, oldest first, page by page."""
    found, cursor = [], None
    while True:
        page = fetch(records_filter, limit=PAGE_SIZE, cursor=cursor, ascending=True)
        found += page.records
        if not page.has_more:
            return found
        cursor = page.cursor


def metadata_value(metadata: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """The entry's value (a ``MetadataValue``'s ``.value``), or ``default`` when it is absent."""
    entry = metadata.get(name)
    return default if entry is None else getattr(entry, "value", entry)


def table_rows(metadata: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The rows of the table entry ``name`` as dicts; none when it is absent or not a table."""
    table = metadata_value(metadata, name)
    return [dict(row.data) for row in getattr(table, "records", None) or []]
