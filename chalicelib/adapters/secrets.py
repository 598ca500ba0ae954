"""Secrets Manager through Powertools Parameters: signing secrets, cached for ``max_age``."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ServiceUnavailable


class Secrets:
    def __init__(self, client: Any, max_age: int) -> None:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        self._provider = SecretsProvider(boto3_client=client)
        self._max_age = max_age

    def json(self, name: str) -> dict[str, Any]:
        """The secret's value, a JSON object; cached, fetched again after ``max_age`` seconds.

        A secret that cannot be read, or is not a JSON object, raises ``ServiceUnavailable``:
        callers answer 503 and their senders retry once it is fixed."""
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError

        try:
            value = self._provider.get(name, max_age=self._max_age, transform="json")
        except TransformParameterError as error:
            raise ServiceUnavailable(f"the secret {name!r} is not a JSON object") from error
        except GetParameterError as error:
            raise ServiceUnavailable(f"the secret {name!r} could not be read: {error}") from error
        if not isinstance(value, dict):
            raise ServiceUnavailable(f"the secret {name!r} is not a JSON object")
        return value

    def text(self, name: str) -> str:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            value = self._provider.get(name, max_age=self._max_age)
        except GetParameterError as error:
            raise ServiceUnavailable(f"the secret {name!r} could not be read: {error}") from error
        return value.decode() if isinstance(value, bytes) else str(value)
