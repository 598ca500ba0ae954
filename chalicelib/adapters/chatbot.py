"""Lex V2 runtime: one turn of a conversation with Insight's bot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.errors import (
    Conflict,
    DependencyFailed,
    InvalidRequest,
    ServiceUnavailable,
    aws_error_code,
    service_call,
)

#: Lex's answers that mean the bot's code hook (a Lambda function) failed or answered nonsense.
HOOK_FAILED_CODES = frozenset({"DependencyFailedException", "BadGatewayException"})


@contextmanager
def _lex_errors() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        code = aws_error_code(error)
        message = str(getattr(error, "response", {}).get("Error", {}).get("Message", "")) or str(error)
        if code == "ValidationException":
            raise InvalidRequest(f"the chat bot refused the message: {message}") from error
        if code == "ConflictException":
            raise Conflict(f"another message of this session is being answered: {message}") from error
        if code in HOOK_FAILED_CODES:
            raise DependencyFailed(f"the chat bot could not answer: {message}") from error
        if code == "ResourceNotFoundException":
            raise ServiceUnavailable(f"the chat bot is not available: {message}") from error
        raise


class Chatbot:
    def __init__(self, client: Any, bot_id: str, alias_id: str, locale: str) -> None:
        self._lex = client
        self._bot_id = bot_id
        self._alias_id = alias_id
        self._locale = locale

    def recognize_text(self, session_id: str, text: str) -> dict[str, Any]:
        """Lex's answer to ``text`` in the session: its messages, session state and interpretations."""
        if not self._bot_id or not self._alias_id:
            raise ServiceUnavailable("chat is not set up on this stage: no bot id or bot alias id is configured")
        with service_call("Lex"), _lex_errors():
            response = self._lex.recognize_text(
                botId=self._bot_id,
                botAliasId=self._alias_id,
                localeId=self._locale,
                sessionId=session_id,
                text=text,
            )
        return dict(response)
