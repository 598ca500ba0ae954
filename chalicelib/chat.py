"""``POST /chat``: a user's text to Insight's Lex V2 bot, and the bot's answer back, for apps
without a Lex client. The bot's own work (validating slots, telling a job's status, starting
analyses) is its code hook's: ``chalicelib/assistant.py``."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib import services
from chalicelib.models import ChatDialogAction, ChatIntent, ChatMessage, ChatReply, ChatRequest, ChatSessionState
from chalicelib.observability import logger


def send(request: ChatRequest) -> ChatReply:
    """One turn: the text to the bot in the request's session (a new one if none is named)."""
    session_id = request.session_id or uuid.uuid4().hex
    logger.set_correlation_id(session_id)
    answer = services.chatbot().recognize_text(session_id, request.text)
    reply = reply_of(answer, session_id)
    intent = reply.session_state.intent
    logger.info("chat turn", intent=intent.name if intent else None, state=intent.state if intent else None)
    return reply


def reply_of(answer: dict[str, Any], session_id: str) -> ChatReply:
    """Lex's RecognizeText answer as the API tells it."""
    state = answer.get("sessionState") or {}
    action = state.get("dialogAction")
    intent = state.get("intent")
    return ChatReply(
        session_id=str(answer.get("sessionId") or session_id),
        messages=[
            ChatMessage(content=str(message["content"]), content_type=str(message.get("contentType", "PlainText")))
            for message in answer.get("messages") or []
            if message.get("content")
        ],
        session_state=ChatSessionState(
            dialog_action=ChatDialogAction(type=action["type"], slot_to_elicit=action.get("slotToElicit"))
            if action
            else None,
            intent=ChatIntent(
                name=intent["name"],
                state=intent.get("state"),
                confirmation_state=intent.get("confirmationState"),
                slots={name: _value(slot) for name, slot in (intent.get("slots") or {}).items()},
            )
            if intent
            else None,
            session_attributes=dict(state.get("sessionAttributes") or {}),
        ),
    )


def _value(slot: dict[str, Any] | None) -> str | None:
    value = (slot or {}).get("value") or {}
    said = value.get("interpretedValue") or value.get("originalValue")
    return str(said) if said is not None else None
