"""Credentials from one AWS Secrets Manager secret, imported only when ``CLAWBOT_SECRETS=aws``
(dagster-aws costs half a second of every code-location load)."""

from __future__ import annotations

import json

from dagster_aws.secretsmanager import SecretsManagerResource

from clawbot_assets.domain.credentials import clean_credential
from clawbot_assets.observability.tracing import external_call
from clawbot_assets.resources.secrets import SecretsResource, SecretUnavailableError


class AwsSecretsManagerSecretsResource(SecretsResource):
    """One Secrets Manager secret, read through dagster-aws's ``SecretsManagerResource`` (which
    honours ``AWS_ENDPOINT_URL`` and the other ``AWS_*`` variables). Its current version is
    read at every use, so a rotation takes effect at the next run."""

    secretsmanager: SecretsManagerResource
    secret_id: str

    def get(self, name: str) -> str:
        with external_call("secretsmanager", "GetSecretValue", self.secret_id):
            try:
                response = self.secretsmanager.get_client().get_secret_value(SecretId=self.secret_id)
            except Exception as error:  # botocore's ClientError and connection errors alike
                code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
                raise SecretUnavailableError(f"Secrets Manager refused secret {self.secret_id!r}: {code}") from None
        try:
            values = json.loads(response.get("SecretString") or "")
        except ValueError:
            raise SecretUnavailableError(f"Secret {self.secret_id!r} is not a JSON object of credentials") from None
        if not isinstance(values, dict) or not values.get(name):
            raise SecretUnavailableError(f"Secret {self.secret_id!r} has no value for {name}")
        return clean_credential(values[name], f"{name} in secret {self.secret_id!r}")
