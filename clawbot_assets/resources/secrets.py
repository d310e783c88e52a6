"""Where credentials come from: the environment (the default) or one AWS Secrets Manager
secret (``CLAWBOT_SECRETS=aws``, ``CLAWBOT_SECRET_ID``; ``secrets_aws.py``) holding a JSON
object keyed by the same names: ``CLAWBOT_PASSWORD``, ``AIRTABLE_API_KEY``, ``HUBSPOT_ACCESS_TOKEN``, ``N8N_API_KEY``.

A credential is read when a run needs it, never when the code location loads, so a secret
rotated in Secrets Manager is used by the next run with no restart. Values are cleaned of the
whitespace a paste adds and refused if they hold any inside; errors name the variable or the
secret, never the value.
"""

from __future__ import annotations

import os

import dagster as dg

from clawbot_assets.domain.credentials import CredentialError, clean_credential

CLAWBOT_PASSWORD = "CLAWBOT_PASSWORD"
AIRTABLE_API_KEY = "AIRTABLE_API_KEY"
HUBSPOT_ACCESS_TOKEN = "HUBSPOT_ACCESS_TOKEN"
N8N_API_KEY = "N8N_API_KEY"


class SecretUnavailableError(CredentialError):
    """A credential could not be read; the message names where it was looked for."""


class SecretsResource(dg.ConfigurableResource):
    def get(self, name: str) -> str:
        """The credential ``name``, cleaned; raises ``SecretUnavailableError`` naming it."""
        raise NotImplementedError


class EnvSecretsResource(SecretsResource):
    """Credentials in environment variables of the same name, read when a run needs them."""

    def get(self, name: str) -> str:
        if not os.environ.get(name, "").strip():
            raise SecretUnavailableError(f"{name} is not set")
        return clean_credential(os.environ[name], name)


def signing_key(secrets: SecretsResource) -> str | None:
    """The ClawBot password that signs queue messages, or None where none is configured (the
    embedded demo): messages then go unsigned, and the worker cannot tell who sent them."""
    try:
        return secrets.get(CLAWBOT_PASSWORD)
    except SecretUnavailableError:
        return None


class MisconfiguredSecretsResource(SecretsResource):
    """Stands in when ``CLAWBOT_SECRETS`` names no backend; every credential read fails, naming it."""

    problem: str

    def get(self, name: str) -> str:
        raise SecretUnavailableError(self.problem)
