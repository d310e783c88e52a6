"""Postgres connection strings, read by libpq's own parser (``psycopg.conninfo``), so that what
is shown of one never holds its password, whatever its form:

- ``postgresql://user:password@host:port/db``;
- a password given as a URL parameter, ``?password=...`` (or ``sslpassword``);
- characters a URL would need encoded, such as an unencoded ``#`` or ``?`` in the password,
  which ``urllib.parse`` reads as a fragment or a query and libpq reads as the password;
- the ``key=value`` form, ``host=... user=... password=...``.

A string libpq cannot parse is shown as its scheme only: libpq's own error message quotes the
whole string, so it is never shown either.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus, urlencode

from psycopg.conninfo import conninfo_to_dict, make_conninfo

#: The parameters that are secrets; everything else may be shown.
SECRET_PARAMETERS = ("password", "sslpassword")
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
HIDDEN = "***"


def parse_conninfo(text: str) -> dict[str, str] | None:
    """libpq's reading of ``text`` (a URL or ``key=value`` pairs), or ``None`` if it has none."""
    try:
        return {name: str(value) for name, value in conninfo_to_dict(text).items()}
    except Exception:  # psycopg.ProgrammingError, whose message quotes the string
        return None


def is_postgres(text: str) -> bool:
    """A ``postgresql://`` URL, or a ``key=value`` string libpq reads."""
    return text.strip().lower().startswith(POSTGRES_SCHEMES) or ("=" in text and "://" not in text and parse_conninfo(text) is not None)


def secrets_of(text: str) -> list[str]:
    """The secret values ``text`` holds, as libpq reads them, and the spellings a URL gives them."""
    parameters = parse_conninfo(text) or {}
    values = {parameters[name] for name in SECRET_PARAMETERS if parameters.get(name)}
    spellings = values | {quote(value, safe="") for value in values} | {quote_plus(value) for value in values}
    return sorted(spellings, key=len, reverse=True)


def redact_conninfo(text: str) -> str:
    """``text`` as it may be shown: its secrets replaced by ``***``; a URL stays a URL."""
    parameters = parse_conninfo(text)
    if parameters is None:
        scheme, separator, _ = text.partition("://")
        return f"{scheme}://{HIDDEN}" if separator and scheme.isalnum() else f"<connection string not shown: {HIDDEN}>"
    shown = {name: HIDDEN if name in SECRET_PARAMETERS else value for name, value in parameters.items()}
    if not text.strip().lower().startswith(POSTGRES_SCHEMES):
        return make_conninfo("", **shown)
    user, password = shown.pop("user", ""), shown.pop("password", None)
    host, port, dbname = shown.pop("host", ""), shown.pop("port", ""), shown.pop("dbname", "")
    credentials = quote(user, safe="") + (f":{HIDDEN}" if password else "")
    netloc = (f"{credentials}@" if credentials else "") + quote(host, safe=",") + (f":{port}" if port else "")
    query = urlencode(shown, safe="*")
    return f"postgresql://{netloc}/{quote(dbname, safe='')}" + (f"?{query}" if query else "")


def without_secrets(message: str, text: str) -> str:
    """``message`` (an error's text) with every secret of ``text`` replaced by ``***``; if
    ``text`` cannot be parsed, its secrets are unknown and the message is not shown at all."""
    if parse_conninfo(text) is None:
        return "(the reason is not shown: the connection string could not be parsed)"
    for secret in secrets_of(text):
        message = message.replace(secret, HIDDEN)
    return message


def postgres_address(text: str) -> str:
    """``host:port`` as libpq reads them (``localhost`` and 5432 when not given)."""
    parameters = parse_conninfo(text) or {}
    return f"{parameters.get('host') or 'localhost'}:{parameters.get('port') or 5432}"

