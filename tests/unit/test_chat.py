"""The chat's pure logic: the Lex V2 contract models, the assistant's refusals and sentences
that need no AWS call, and Lex's answer as POST /chat tells it. (Everything that reads jobs
runs end to end in tests/e2e/test_chat.py.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib import assistant
from chalicelib.chat import reply_of
from chalicelib.lex import LexEvent
from chalicelib.models import (
    ChatRequest,
    DocumentSummary,
    EntityCount,
    Job,
    JobError,
    JobKind,
    JobStatus,
    JobStep,
    ObjectRef,
)

EVENT = json.loads((Path(__file__).resolve().parents[1] / "events" / "lex_v2_dialog_code_hook.json").read_text())
JOB_ID = "3f2a9c4e1b7d4e8f9a0b1c2d3e4f5a6b"
MOMENT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def event_with(slot: str | None, attempts: int = 0, source: str = "DialogCodeHook") -> LexEvent:
    raw = json.loads(json.dumps(EVENT))
    raw["invocationSource"] = source
    state = raw["sessionState"]
    state["sessionAttributes"] = {"insight_attempts": str(attempts)} if attempts else {}
    state["intent"]["slots"]["JobId"] = (
        None if slot is None else {"shape": "Scalar", "value": {"originalValue": slot, "interpretedValue": slot}}
    )
    return LexEvent.model_validate(raw)


def job(status: JobStatus, **fields: Any) -> Job:
    values: dict[str, Any] = {
        "job_id": JOB_ID,
        "kind": JobKind.DOCUMENT,
        "status": status,
        "step": JobStep.ANALYZING_TEXT,
        "file_name": "invoice.pdf",
        "content_type": "application/pdf",
        "size": 4300,
        "source": ObjectRef(bucket="uploads", key=f"uploads/{JOB_ID}/invoice.pdf"),
        "created_at": MOMENT,
        "updated_at": MOMENT,
        **fields,
    }
    return Job(**values)


# --- the contract ----------------------------------------------------------------------------


def test_a_lex_v2_event_is_read_with_what_the_assistant_needs_and_unknown_fields_ignored() -> None:
    # Given Lex V2's dialog code hook event, with fields the models do not name (runtimeHints, transcriptions)
    event = LexEvent.model_validate(EVENT)
    # Then the intent and its slot, the session's attributes and what was said are there
    assert event.invocationSource == "DialogCodeHook"
    assert event.intent.name == "CheckJobStatus" and event.intent.said("JobId") == JOB_ID
    assert event.sessionState.sessionAttributes == {"insight_attempts": "1"}
    assert event.interpretations[0].nluConfidence == 0.93 and event.interpretations[1].nluConfidence is None
    assert event.bot.localeId == "en_US" and event.inputTranscript.startswith("is job")


@pytest.mark.parametrize(
    "broken",
    [
        {"invocationSource": "Sometimes"},
        {"sessionState": {"sessionAttributes": {}}},  # no intent
        {"sessionId": ""},
        {"bot": None},
        {"inputTranscript": "x" * 1025},
    ],
)
def test_an_event_that_is_not_lex_v2s_is_refused_by_the_model(broken: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        LexEvent.model_validate({**EVENT, **broken})


# --- the assistant without AWS -------------------------------------------------------------------


@pytest.mark.parametrize("said", ["12345", "not-a-job", "3f2a9c4e1b7d4e8f9a0b1c2d3e4f5a6", "g" * 32, "x" * 5000])
def test_a_value_that_is_no_job_id_is_asked_for_again_saying_why(said: str) -> None:
    answer = assistant.respond(event_with(said)).dump()
    state = answer["sessionState"]
    assert state["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "JobId"}
    assert state["intent"]["slots"]["JobId"] is None and state["intent"]["state"] == "InProgress"
    assert state["sessionAttributes"] == {"insight_attempts": "1"}
    [message] = answer["messages"]
    assert "is not a job id: a job id is 32 hexadecimal digits" in message["content"]
    assert len(message["content"]) < 250  # what was said is shortened, not echoed in full


def test_the_third_refusal_in_a_row_ends_the_intent() -> None:
    answer = assistant.respond(event_with("nope", attempts=2)).dump()
    assert answer["sessionState"]["dialogAction"] == {"type": "Close"}
    assert answer["sessionState"]["intent"]["state"] == "Failed"
    assert "insight_attempts" not in answer["sessionState"]["sessionAttributes"]
    assert "3 tries" in answer["messages"][1]["content"]


def test_a_missing_job_id_is_left_to_lex_to_ask_for() -> None:
    answer = assistant.respond(event_with(None)).dump()
    assert answer["sessionState"]["dialogAction"] == {"type": "Delegate"}
    assert answer.get("messages", []) == []


def test_an_intent_the_assistant_does_not_know_is_answered_not_raised() -> None:
    raw = {**EVENT, "sessionState": {**EVENT["sessionState"], "intent": {"name": "BookFlight", "slots": {}}}}
    answer = assistant.respond(LexEvent.model_validate(raw)).dump()
    assert answer["sessionState"]["intent"] == {
        "name": "BookFlight",
        "slots": {},
        "state": "Failed",
        "confirmationState": "None",
    }
    assert "I cannot help with that here (BookFlight)" in answer["messages"][0]["content"]


@pytest.mark.parametrize(
    "event", [None, 7, "text", [], {"sessionState": "x"}, {"sessionState": {"intent": {"name": 5}}}]
)
def test_an_unreadable_event_gets_a_closing_reply(event: Any) -> None:
    answer = assistant.unreadable(event, "not an event").dump()
    assert answer["sessionState"]["dialogAction"] == {"type": "Close"}
    assert answer["sessionState"]["intent"]["name"] == "FallbackIntent"
    assert answer["sessionState"]["intent"]["state"] == "Failed"


def test_the_fallback_hints_at_a_job_id_the_user_gave() -> None:
    raw = {
        **EVENT,
        "invocationSource": "FulfillmentCodeHook",
        "inputTranscript": f"hmm {JOB_ID.upper()} ??",
        "sessionState": {"intent": {"name": "FallbackIntent", "slots": {}}},
    }
    [message] = assistant.respond(LexEvent.model_validate(raw)).dump()["messages"]
    assert message["content"].startswith("Sorry, I did not get that.")
    assert f'ask me "status of job {JOB_ID}"' in message["content"]


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (job(JobStatus.AWAITING_UPLOAD, step=JobStep.UPLOADING), "is waiting for its file"),
        (job(JobStatus.RECEIVED, step=JobStep.QUEUED), "was received at 2026-11-24 09:30 UTC and is queued"),
        (job(JobStatus.RUNNING), "is running: analysing the text (since 2026-11-24 09:30 UTC)"),
        (
            job(JobStatus.FAILED, finished_at=MOMENT, error=JobError(type="InvalidDocument", reason="it is encrypted")),
            "failed at 2026-11-24 09:30 UTC. InvalidDocument: it is encrypted.",
        ),
        (job(JobStatus.EXPIRED, finished_at=MOMENT), "expired at 2026-11-24 09:30 UTC"),
    ],
)
def test_each_status_is_told_in_words(record: Job, words: str) -> None:
    assert words in assistant.describe(record)
    assert assistant.describe(record).startswith(f"Job {JOB_ID} (invoice.pdf) ")


def test_a_summary_is_told_within_lexs_message_limits() -> None:
    summary = DocumentSummary(
        pages=2,
        characters=5120,
        language="en",
        sentiment="POSITIVE",
        entities=[EntityCount(type=f"TYPE{i}", count=i) for i in range(60)],
        key_phrases=["a rather long key phrase " * 4] * 10,
        pii_entities=[EntityCount(type="EMAIL", count=2)],
    )
    messages = assistant.summarise(job(JobStatus.SUCCEEDED, summary=summary), "https://results.example/x")
    assert messages[0].startswith(f"Job {JOB_ID} (invoice.pdf): 2 page(s), 5120 characters, language en")
    assert "2 EMAIL" in messages[1] and messages[2] == "All the results: https://results.example/x"
    # The assistant's messages are cut at Lex's 1,000 characters, not refused by Lex
    answer = assistant._close(event_with(JOB_ID, source="FulfillmentCodeHook"), "Fulfilled", *messages).dump()
    assert all(len(message["content"]) <= 1000 for message in answer["messages"])


# --- POST /chat ------------------------------------------------------------------------------


def test_lexs_answer_is_told_as_the_api_tells_it() -> None:
    answer = {
        "sessionId": "s-1",
        "messages": [{"content": "Which job?", "contentType": "PlainText"}, {"contentType": "ImageResponseCard"}],
        "sessionState": {
            "dialogAction": {"type": "ElicitSlot", "slotToElicit": "JobId"},
            "intent": {"name": "CheckJobStatus", "slots": {"JobId": None}, "state": "InProgress"},
            "sessionAttributes": {"insight_attempts": "1"},
        },
        "interpretations": [],
    }
    reply = reply_of(answer, "s-1").model_dump(mode="json")
    assert reply == {
        "session_id": "s-1",
        "messages": [{"content": "Which job?", "content_type": "PlainText"}],
        "session_state": {
            "dialog_action": {"type": "ElicitSlot", "slot_to_elicit": "JobId"},
            "intent": {
                "name": "CheckJobStatus",
                "state": "InProgress",
                "confirmation_state": None,
                "slots": {"JobId": None},
            },
            "session_attributes": {"insight_attempts": "1"},
        },
    }


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": " \n "},
        {"text": "hi", "session_id": "a b"},
        {"text": "hi", "session_id": "é" * 5},
        {"text": "x" * 1025},
    ],
)
def test_a_chat_request_that_lex_would_refuse_is_refused_first(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ChatRequest.model_validate(body)
