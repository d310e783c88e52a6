"""Credentials given straight to a test (tests only: real deployments read the environment
or Secrets Manager)."""

from pydantic import Field

from clawbot_assets.domain.credentials import clean_credential
from clawbot_assets.resources.secrets import SecretsResource, SecretUnavailableError


class FixedSecretsResource(SecretsResource):
    values: dict[str, str] = Field(repr=False)

    def password_configured(self) -> bool:
        return "CLAWBOT_PASSWORD" in self.values

    def get(self, name: str) -> str:
        if name not in self.values:
            raise SecretUnavailableError(f"{name} is not set")
        return clean_credential(self.values[name], name)
