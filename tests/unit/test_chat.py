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
    ImageSummary,
    Job,
    JobError,
    JobKind,
    JobStatus,
    JobStep,
    JobView,
    MediaSummary,
    ModerationSummary,
    ObjectRef,
    TranslationSummary,
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
    view = JobView(job=job(JobStatus.SUCCEEDED, summary=summary), downloads={"results": "https://results.example/x"})
    messages = assistant.summarise(view)
    assert messages[0].startswith(f"Job {JOB_ID} (invoice.pdf): 2 page(s), 5120 characters, language en")
    assert "2 EMAIL" in messages[1] and messages[2] == "All the results: https://results.example/x"
    # The assistant's messages are cut at Lex's 1,000 characters, not refused by Lex
    answer = assistant._close(event_with(JOB_ID, source="FulfillmentCodeHook"), "Fulfilled", *messages).dump()
    assert all(len(message["content"]) <= 1000 for message in answer["messages"])


PHOTO = {"kind": JobKind.IMAGE, "file_name": "astronaut.jpg", "content_type": "image/jpeg"}
VOICEMAIL = {"kind": JobKind.MEDIA, "file_name": "voicemail.mp3", "content_type": "audio/mpeg"}
THUMBNAIL = ObjectRef(bucket="results", key=f"jobs/{JOB_ID}/thumbnail.jpg")
SPOKEN = ObjectRef(bucket="results", key=f"jobs/{JOB_ID}/spoken-summary.mp3")
#: What the assistant says of documents only.
DOCUMENT_WORDS = ("page(s)", "pages read")


def image_summary(**fields: Any) -> ImageSummary:
    values: dict[str, Any] = {
        "media_type": "image/jpeg",
        "width": 512,
        "height": 584,
        "labels": ["Person", "Face", "Text"],
        "faces": 1,
        "text": ["Eileen Collins, STS-93 commander", "NASA photo, public domain"],
        "moderation": ModerationSummary(
            status="unavailable", reason="AccessDeniedException: moderation is not available offline"
        ),
        "thumbnail": THUMBNAIL,
        **fields,
    }
    return ImageSummary(**values)


def media_summary(**fields: Any) -> MediaSummary:
    values: dict[str, Any] = {
        "characters": 184,
        "language": "en",
        "sentiment": "POSITIVE",
        "entities": [EntityCount(type="PERSON", count=1), EntityCount(type="LOCATION", count=1)],
        "key_phrases": ["the new contract"],
        "pii_entities": [EntityCount(type="NAME", count=1)],
        "duration_seconds": 11.9,
        "redacted_pii": 1,
        "translations": [
            TranslationSummary(language="es", status="translated"),
            TranslationSummary(
                language="ja", status="unavailable", reason="UnsupportedLanguagePairException: en to ja"
            ),
        ],
        "spoken_summary": SPOKEN,
        **fields,
    }
    return MediaSummary(**values)


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (job(JobStatus.SUCCEEDED, summary=image_summary(), finished_at=MOMENT, **PHOTO), "A 512 x 584 image analysed."),
        (
            job(JobStatus.SUCCEEDED, summary=media_summary(), finished_at=MOMENT, **VOICEMAIL),
            "12 seconds of speech transcribed.",
        ),
        (
            job(JobStatus.SUCCEEDED, summary=media_summary(duration_seconds=None), finished_at=MOMENT, **VOICEMAIL),
            "succeeded at 2026-11-24 09:30 UTC. Speech transcribed. Ask me for its results.",
        ),
        (job(JobStatus.RUNNING, step=JobStep.VALIDATING, **PHOTO), "is running: checking the image"),
        (job(JobStatus.RUNNING, step=JobStep.ANALYZING_IMAGE, **PHOTO), "is running: analysing the image"),
        (job(JobStatus.RUNNING, step=JobStep.VALIDATING, **VOICEMAIL), "is running: checking the audio or video"),
        (job(JobStatus.RUNNING, step=JobStep.TRANSCRIBING, **VOICEMAIL), "is running: transcribing the speech"),
        (job(JobStatus.RUNNING, step=JobStep.ANALYZING_TEXT, **VOICEMAIL), "is running: analysing the transcript"),
        (job(JobStatus.RUNNING, step=JobStep.TRANSLATING, **VOICEMAIL), "is running: translating the transcript"),
    ],
)
def test_the_status_of_an_image_or_media_job_is_told_in_its_own_words(record: Job, words: str) -> None:
    said = assistant.describe(record)
    assert words in said, said
    assert said.startswith(f"Job {JOB_ID} ({record.file_name}) ")
    assert not any(word in said for word in (*DOCUMENT_WORDS, "analysing the text"))


def test_an_image_jobs_results_tell_its_labels_faces_text_and_moderation_with_its_thumbnail() -> None:
    # Given a finished image job whose moderation Rekognition refused
    view = JobView(
        job=job(JobStatus.SUCCEEDED, summary=image_summary(), finished_at=MOMENT, **PHOTO),
        results_url="https://results.example/r",
        downloads={"results": "https://results.example/r", "thumbnail": "https://results.example/t"},
    )
    # When its results are told
    headline, found, thumbnail, results = assistant.summarise(view)
    # Then they say what Rekognition found, in words for an image
    assert headline == (
        f"Job {JOB_ID} (astronaut.jpg): a 512 x 584 image (image/jpeg), 1 face found. Labels: Person, Face, Text."
    )
    assert found == (
        "Text read in the image: Eileen Collins, STS-93 commander | NASA photo, public domain. "
        "Moderation was not checked (AccessDeniedException: moderation is not available offline)."
    )
    # And link the thumbnail and the results document
    assert thumbnail == "Thumbnail: https://results.example/t"
    assert results == "All the results: https://results.example/r"
    # And nothing in them is a document's wording
    said = " ".join(assistant.summarise(view))
    assert not any(word in said for word in (*DOCUMENT_WORDS, "characters", "sentiment", "Personal data"))


@pytest.mark.parametrize(
    ("summary", "words"),
    [
        (image_summary(faces=0, labels=[], text=[]), "no face found. No labels found."),
        (image_summary(faces=3), "3 faces found."),
        (image_summary(text=[]), "No text read in the image."),
        (image_summary(moderation=ModerationSummary(status="checked")), "Moderation: nothing flagged."),
        (
            image_summary(moderation=ModerationSummary(status="checked", labels=["Violence", "Weapons"])),
            "Moderation flagged: Violence, Weapons.",
        ),
    ],
)
def test_what_an_image_job_did_not_find_is_said_too(summary: ImageSummary, words: str) -> None:
    view = JobView(job=job(JobStatus.SUCCEEDED, summary=summary, **PHOTO))
    assert words in " ".join(assistant.summarise(view))


def test_a_media_jobs_results_tell_its_transcript_language_sentiment_redaction_and_translations() -> None:
    # Given a finished media job: transcribed, analysed, translated into Spanish (Japanese refused),
    # summed up aloud
    view = JobView(
        job=job(JobStatus.SUCCEEDED, summary=media_summary(), finished_at=MOMENT, **VOICEMAIL),
        results_url="https://results.example/r",
        downloads={"results": "https://results.example/r", "spoken_summary": "https://results.example/s"},
    )
    # When its results are told
    headline, found, translations, spoken, results = assistant.summarise(view)
    # Then they say what the transcript holds, in words for speech
    assert headline == (
        f"Job {JOB_ID} (voicemail.mp3): 12 seconds of speech transcribed: a transcript of 184 characters in "
        "language en, sentiment POSITIVE."
    )
    assert found == (
        "Entities: 1 PERSON, 1 LOCATION. Key phrases: the new contract. Personal data: 1 NAME (replaced by its "
        "type in the redacted transcript and its translations)."
    )
    assert translations == ("Translated into es. Not available: ja (UnsupportedLanguagePairException: en to ja).")
    # And link the spoken summary and the results document
    assert spoken == "Spoken summary (MP3): https://results.example/s"
    assert results == "All the results: https://results.example/r"
    assert not any(word in " ".join(assistant.summarise(view)) for word in DOCUMENT_WORDS)


@pytest.mark.parametrize(
    ("summary", "words"),
    [
        (media_summary(translations=[]), "No translations were asked for."),
        (
            media_summary(translations=[TranslationSummary(language="ja", status="unavailable", reason="no pair")]),
            "No translation could be made. Not available: ja (no pair).",
        ),
        (media_summary(duration_seconds=None), "(voicemail.mp3): speech transcribed: a transcript of 184"),
        (
            media_summary(duration_seconds=1.2, characters=1),
            "1 second of speech transcribed: a transcript of 1 character ",
        ),
        (media_summary(pii_entities=[]), "No personal data found."),
    ],
)
def test_what_a_media_job_did_not_do_is_said_too(summary: MediaSummary, words: str) -> None:
    view = JobView(job=job(JobStatus.SUCCEEDED, summary=summary, **VOICEMAIL))
    said = " ".join(assistant.summarise(view))
    assert words in said, said
    assert "Spoken summary" not in said  # no link given


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
