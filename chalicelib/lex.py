"""Amazon Lex V2's code hook contract: the event Lex sends the bot alias's Lambda function,
and the response it expects back.

Powertools for AWS Lambda (3.37.0) has parser models for many event sources but none for
Lex V2 (its feature request, aws-powertools/powertools-lambda-python#3807, was closed as not
planned), so these are written here the same way: pydantic models of the documented shapes
(Lex V2 Developer Guide, "AWS Lambda input event format" and "response format"), in Lex's own
field names. Events ignore fields they do not know (Lex adds fields without changing
``messageVersion``); responses are dumped with ``exclude_none`` so that only what is set goes
back to Lex.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

InvocationSource = Literal["DialogCodeHook", "FulfillmentCodeHook"]
DialogActionType = Literal["Close", "ConfirmIntent", "Delegate", "ElicitIntent", "ElicitSlot"]
IntentState = Literal["Failed", "Fulfilled", "FulfillmentInProgress", "InProgress", "ReadyForFulfillment", "Waiting"]
ConfirmationState = Literal["Confirmed", "Denied", "None"]
ContentType = Literal["PlainText", "SSML", "CustomPayload", "ImageResponseCard"]

#: Lex's limits on what a response may carry.
MAX_MESSAGES = 10
MAX_MESSAGE_CHARACTERS = 1000


class LexModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class SlotValue(LexModel):
    originalValue: str | None = None
    interpretedValue: str | None = None
    resolvedValues: list[str] = []


class Slot(LexModel):
    """A slot's value; ``List`` slots carry theirs in ``values``."""

    shape: Literal["Scalar", "List", "Composite"] = "Scalar"
    value: SlotValue | None = None
    values: list[Slot] | None = None

    @classmethod
    def of(cls, value: str, original: str | None = None) -> Slot:
        """A scalar slot whose interpreted value is ``value``."""
        return cls(value=SlotValue(originalValue=original or value, interpretedValue=value, resolvedValues=[value]))


class Intent(LexModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    slots: dict[str, Slot | None] = {}
    state: IntentState | None = None
    confirmationState: ConfirmationState = "None"

    def said(self, slot: str) -> str | None:
        """What the user gave for ``slot`` (the interpreted value, else as said), or None."""
        found = self.slots.get(slot)
        if found is None or found.value is None:
            return None
        return found.value.interpretedValue or found.value.originalValue


class DialogAction(LexModel):
    type: DialogActionType
    slotToElicit: str | None = None


class SessionState(LexModel):
    sessionAttributes: dict[str, str] = {}
    activeContexts: list[dict[str, Any]] | None = None
    dialogAction: DialogAction | None = None
    intent: Intent | None = None
    originatingRequestId: str | None = None


class Interpretation(LexModel):
    intent: Intent
    nluConfidence: float | None = None
    interpretationSource: str | None = None


class Bot(LexModel):
    id: str
    name: str | None = None
    localeId: str
    version: str | None = None
    aliasId: str | None = None
    aliasName: str | None = None


class ProposedNextState(LexModel):
    """What Lex would do next if the dialog code hook delegated (a slot it would elicit)."""

    dialogAction: DialogAction
    intent: Intent | None = None
    prompt: dict[str, Any] | None = None


class LexEvent(LexModel):
    """The event Lex V2 sends its code hook: the turn's input, what Lex understood of it and
    the session's state, whose ``intent`` is the one being handled."""

    messageVersion: str = "1.0"
    invocationSource: InvocationSource
    inputMode: str | None = None
    responseContentType: str | None = None
    sessionId: Annotated[str, Field(min_length=1, max_length=100)]
    inputTranscript: Annotated[str, Field(max_length=1024)] = ""
    invocationLabel: str | None = None
    bot: Bot
    interpretations: list[Interpretation] = []
    proposedNextState: ProposedNextState | None = None
    requestAttributes: dict[str, str] | None = None
    sessionState: SessionState

    @model_validator(mode="after")
    def names_an_intent(self) -> LexEvent:
        if self.sessionState.intent is None:
            raise ValueError("sessionState.intent is missing: Lex always sends the intent it invokes the hook for")
        return self

    @property
    def intent(self) -> Intent:
        assert self.sessionState.intent is not None  # checked by names_an_intent
        return self.sessionState.intent


class Message(LexModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    contentType: ContentType = "PlainText"
    content: Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_CHARACTERS)]


class LexResponse(LexModel):
    """What the code hook answers: the session's next state, and what to say."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    sessionState: SessionState
    messages: Annotated[list[Message], Field(max_length=MAX_MESSAGES)] = []
    requestAttributes: dict[str, str] | None = None

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
