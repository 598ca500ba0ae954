"""Transcripts: Transcribe's output as Insight keeps it, and the summary Polly reads aloud."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.models import TextSummary

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ja": "Japanese",
    "ko": "Korean",
    "zh": "Chinese",
    "ar": "Arabic",
    "hi": "Hindi",
}
#: Entity types as a listener hears them (singular, plural).
ENTITY_WORDS = {
    "PERSON": ("person", "people"),
    "LOCATION": ("place", "places"),
    "ORGANIZATION": ("organization", "organizations"),
    "DATE": ("date", "dates"),
    "QUANTITY": ("quantity", "quantities"),
    "COMMERCIAL_ITEM": ("product", "products"),
    "EVENT": ("event", "events"),
    "TITLE": ("title", "titles"),
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_PLACEHOLDER = re.compile(r"\[([A-Z_]+)\]")
KEY_TOPICS = 3


def from_transcribe(document: dict[str, Any], language_code: str | None) -> dict[str, Any]:
    """Transcribe's transcript JSON as Insight keeps it: the text, and timed segments."""
    results = document.get("results", {})
    text = " ".join(t.get("transcript", "") for t in results.get("transcripts", [])).strip()
    segments = [
        {
            "start_seconds": float(segment["start_time"]),
            "end_seconds": float(segment["end_time"]),
            "text": segment.get("transcript", ""),
        }
        for segment in results.get("audio_segments", [])
        if "start_time" in segment and "end_time" in segment
    ]
    return {"text": text, "language_code": results.get("language_code", language_code), "segments": segments}


def sentences(text: str) -> list[str]:
    return [sentence.strip() for sentence in _SENTENCE_END.split(text) if sentence.strip()]


def _duration(seconds: float) -> str:
    whole = max(1, round(seconds))
    minutes, rest = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(hours, "hour"), (minutes, "minute"), (rest, "second")]
    spoken = [f"{count} {unit}{'s' if count != 1 else ''}" for count, unit in parts if count]
    return " ".join(spoken)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _spoken_placeholders(text: str) -> str:
    """``[NAME]`` read aloud as "a redacted name"."""
    return _PLACEHOLDER.sub(lambda match: "a redacted " + match.group(1).lower().replace("_", " "), text)


def holds_pii(item: dict[str, Any], pii_spans: list[tuple[int, int]]) -> bool:
    """Whether a Comprehend item (a key phrase, an entity) overlaps one of the PII spans."""
    begin, end = int(item.get("BeginOffset", -1)), int(item.get("EndOffset", -1))
    return any(begin < pii_end and pii_begin < end for pii_begin, pii_end in pii_spans)


def spoken_summary(
    file_name: str | None,
    duration_seconds: float | None,
    summary: TextSummary,
    redacted_text: str,
    pii_count: int,
    pii_spans: list[tuple[int, int]],
    key_phrases: list[dict[str, Any]],
    sentence_count: int,
) -> str:
    """What Polly reads: the recording's length, language and tone, what kinds of things it
    mentions (counted, not named), its key topics and its first sentences, all from the
    redacted transcript, so that the audio repeats no personal information."""
    parts = [f"Summary of {file_name}." if file_name else "Summary of the recording."]
    if duration_seconds:
        parts.append(f"It lasts {_duration(duration_seconds)}.")
    if not redacted_text.strip():
        parts.append("No speech was recognised in it.")
        return " ".join(parts)
    if summary.language:
        parts.append(f"The speech is in {LANGUAGE_NAMES.get(summary.language, summary.language)}.")
    if summary.sentiment:
        parts.append(f"Its tone is {summary.sentiment.lower()}.")
    mentioned = [
        f"{entity.count} {ENTITY_WORDS[entity.type][entity.count != 1]}"
        for entity in summary.entities
        if entity.type in ENTITY_WORDS
    ]
    if mentioned:
        parts.append(f"It mentions {_listed(mentioned)}.")
    if pii_count:
        parts.append(
            f"{pii_count} piece{'s' if pii_count != 1 else ''} of personal information "
            f"{'were' if pii_count != 1 else 'was'} redacted."
        )
    topics: list[str] = []
    for phrase in sorted(key_phrases, key=lambda item: -float(item.get("Score", 0))):
        if holds_pii(phrase, pii_spans):
            continue  # a phrase holding personal information is not read out
        if phrase["Text"].lower() not in (topic.lower() for topic in topics):
            topics.append(phrase["Text"])
        if len(topics) == KEY_TOPICS:
            break
    if topics:
        parts.append(f"Key topics: {_listed(topics)}.")
    opening = sentences(redacted_text)[:sentence_count]
    if opening:
        parts.append("It begins: " + _spoken_placeholders(" ".join(opening)))
    return " ".join(parts)
