"""Transcripts: Transcribe's document as Insight keeps it, PII redaction, and the text Polly
reads aloud, which must repeat no personal information (no AWS)."""

from __future__ import annotations

from chalicelib import transcripts
from chalicelib.models import EntityCount, TextSummary
from chalicelib.text_analysis import redact

TEXT = "Hello, my name is John Smith and I work in London. Call me on 555-0100. The customer was happy."
NAME = {"Type": "NAME", "BeginOffset": 18, "EndOffset": 28, "Score": 0.99}
PHONE = {"Type": "PHONE", "BeginOffset": 62, "EndOffset": 70, "Score": 0.99}


def test_pii_is_replaced_by_its_type_and_the_rest_is_kept() -> None:
    # Given a transcript and the PII Comprehend found in it
    assert TEXT[18:28] == "John Smith" and TEXT[62:70] == "555-0100"
    # When it is redacted
    redacted = redact(TEXT, [PHONE, NAME])
    # Then each entity is replaced by its type, and nothing else changes
    assert redacted == "Hello, my name is [NAME] and I work in London. Call me on [PHONE]. The customer was happy."


def test_overlapping_pii_is_redacted_once_and_wholly() -> None:
    # Given two entities that overlap ("John Smith" as a NAME, "Smith and" as something else)
    other = {"Type": "OTHER", "BeginOffset": 23, "EndOffset": 32}
    # Then both spans are gone, named by the first
    redacted = redact(TEXT, [other, NAME])
    assert "Smith" not in redacted and " I work" in redacted
    assert redacted.startswith("Hello, my name is [NAME] I work")


def test_transcribes_document_becomes_text_and_timed_segments() -> None:
    document = {
        "jobName": "j",
        "results": {
            "transcripts": [{"transcript": "Hello there."}],
            "audio_segments": [{"start_time": "0.12", "end_time": "1.5", "transcript": "Hello there."}],
            "items": [],
        },
    }
    kept = transcripts.from_transcribe(document, "en-US")
    assert kept == {
        "text": "Hello there.",
        "language_code": "en-US",
        "segments": [{"start_seconds": 0.12, "end_seconds": 1.5, "text": "Hello there."}],
    }


def test_the_spoken_summary_counts_what_was_said_and_repeats_no_pii() -> None:
    # Given an analysed transcript with a name, a place and a phone number
    summary = TextSummary(
        characters=len(TEXT),
        language="en",
        sentiment="POSITIVE",
        entities=[EntityCount(type="PERSON", count=1), EntityCount(type="LOCATION", count=1)],
        key_phrases=["John Smith", "the customer"],
        pii_entities=[EntityCount(type="NAME", count=1), EntityCount(type="PHONE", count=1)],
    )
    key_phrases = [
        {"Text": "John Smith", "BeginOffset": 18, "EndOffset": 28, "Score": 0.99},
        {"Text": "the customer", "BeginOffset": 72, "EndOffset": 84, "Score": 0.9},
    ]
    # When the summary's text is made from the redacted transcript
    spoken = transcripts.spoken_summary(
        "voicemail.mp3",
        12.4,
        summary,
        redact(TEXT, [NAME, PHONE]),
        pii_count=2,
        pii_spans=[(18, 28), (62, 70)],
        key_phrases=key_phrases,
        sentence_count=2,
    )
    # Then it names the file, length, language and tone, counts the entities and the PII
    assert spoken.startswith("Summary of voicemail.mp3. It lasts 12 seconds. The speech is in English.")
    assert "Its tone is positive." in spoken
    assert "It mentions 1 person and 1 place." in spoken
    assert "2 pieces of personal information were redacted." in spoken
    # And reads the key topics and first sentences without the name or the number
    assert "Key topics: the customer." in spoken
    assert "It begins: Hello, my name is a redacted name and I work in London." in spoken
    assert "John" not in spoken and "555" not in spoken


def test_a_recording_without_speech_says_so() -> None:
    spoken = transcripts.spoken_summary(
        None, 3661, TextSummary(characters=0), "", pii_count=0, pii_spans=[], key_phrases=[], sentence_count=3
    )
    assert spoken == "Summary of the recording. It lasts 1 hour 1 minute 1 second. No speech was recognised in it."
