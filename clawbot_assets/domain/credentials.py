"""Credentials as pasted by people: surrounding whitespace is dropped, anything else odd refused.

A token copied from a file arrived with a trailing newline; the HTTP library refused the header
and its exception, carrying the raw header, was written to the run storage, the event log and
the CLI. ``clean_credential`` strips the surrounding whitespace that pasting adds, and refuses
(naming the variable, never the value) one that is empty or still holds whitespace or control
characters inside, which no token of the systems used here contains.
"""

from __future__ import annotations


class CredentialError(ValueError):
    """A credential cannot be used; the message names its variable and never holds its value."""


def clean_credential(value: object, variable: str) -> str:
    """``value`` without surrounding whitespace; raises ``CredentialError`` when it is unusable."""
    if not isinstance(value, str):
        raise CredentialError(f"{variable} is not text")
    cleaned = value.strip()
    if not cleaned:
        raise CredentialError(f"{variable} is empty")
    if any(character.isspace() or not character.isprintable() for character in cleaned):
        raise CredentialError(
            f"{variable} contains whitespace or control characters inside it; set it to the bare token"
        )
    return cleaned
