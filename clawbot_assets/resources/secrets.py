"""Where credentials come from: the environment (the default) or one AWS Secrets Manager
secret (``CLAWBOT_SECRETS=aws``, ``CLAWBOT_SECRET_ID``; ``secrets_aws.py``) holding a JSON
object keyed by the same names: ``CLAWBOT_PASSWORD``, ``AIRTABLE_API_KEY``, ``HUBSPOT_ACCESS_TOKEN``, ``N8N_API_KEY``.

A credential is read when a run needs it, never when the code location loads, so a secret
rotated in Secrets Manager is used by the next run with no restart. Values are cleaned of the
whitespace a paste adds and refused if they hold any inside; errors name the variable or the
secret, never the value.
"""

from __future__ import annotations

import abc
import os

import dagster as dg

from clawbot_assets.domain.credentials import CredentialError, clean_credential
from clawbot_assets.resources.backends import ALLOW_UNSIGNED

CLAWBOT_PASSWORD = "CLAWBOT_PASSWORD"
AIRTABLE_API_KEY = "AIRTABLE_API_KEY"
HUBSPOT_ACCESS_TOKEN = "HUBSPOT_ACCESS_TOKEN"
N8N_API_KEY = "N8N_API_KEY"


class SecretUnavailableError(CredentialError):
    """A credential could not be read; the message names where it was looked for."""


class SecretsResource(dg.ConfigurableResource):
    def unsigned_allowed(self) -> bool:
        """Whether queue messages may go unsigned where no ClawBot password is configured
        (``CLAWBOT_ALLOW_UNSIGNED=true``). Not a config field: the Launchpad cannot turn it on."""
        return False

    def password_configured(self) -> bool:
        """Whether a ClawBot password is meant to exist here (so signing is required)."""
        return True

    @abc.abstractmethod
    def get(self, name: str) -> str:
        """The credential ``name``, cleaned; raises ``SecretUnavailableError`` naming it."""


class EnvSecretsResource(SecretsResource):
    """Credentials in environment variables of the same name, read when a run needs them."""

    def password_configured(self) -> bool:
        return CLAWBOT_PASSWORD in os.environ

    def get(self, name: str) -> str:
        if not os.environ.get(name, "").strip():
            raise SecretUnavailableError(f"{name} is not set")
        return clean_credential(os.environ[name], name)


class UnsignedAllowedEnvSecretsResource(EnvSecretsResource):
    """The environment's credentials where ``CLAWBOT_ALLOW_UNSIGNED=true``: without a
    ``CLAWBOT_PASSWORD``, queue messages go unsigned (the embedded demo)."""

    def unsigned_allowed(self) -> bool:
        return True


class SigningKeyUnavailableError(SecretUnavailableError):
    """Signing is required and the ClawBot password cannot be read: nothing may be sent or accepted."""


def signing_key(secrets: SecretsResource) -> str | None:
    """The ClawBot password that signs queue messages (DESIGN §3 *Queue message*).

    ``None`` (unsigned) only where the configuration says so explicitly: ``unsigned_allowed`` and
    no password configured anywhere. A password that is configured but cannot be read (a
    mistyped ``CLAWBOT_SECRETS``, an unreachable Secrets Manager, a blank variable) raises
    ``SigningKeyUnavailableError``, naming where it looked and never the value: the caller
    fails, sending or accepting nothing.
    """
    try:
        return secrets.get(CLAWBOT_PASSWORD)
    except SecretUnavailableError as error:
        if secrets.unsigned_allowed() and not secrets.password_configured():
            return None
        hint = "" if secrets.password_configured() else f"; set {ALLOW_UNSIGNED}=true to send unsigned on purpose"
        raise SigningKeyUnavailableError(f"messages must be signed and {CLAWBOT_PASSWORD} cannot be read: {error}{hint}") from None

