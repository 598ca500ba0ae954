"""The offline Transcribe engine (insight_local.ai.transcribe) on speech of known text spoken by
the offline Polly (bench/inputs/speech.py): words, times, segments, formats and failures."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pytest

from bench.inputs import speech
from insight_local.ai import transcribe

# Two sentences of bench/inputs/speech.py that the engine transcribes well: regression checks of
# the words themselves (the word error rate over all of them is bench/audio.py's figure).
CONTRACT = "The contract expires at the end of next year."
OFFICE = "The office will be closed for the holiday on Monday."


@lru_cache(maxsize=8)
def results_of(text: str) -> dict[str, Any]:
    return transcribe.transcribe_samples(speech.samples(text))


def spoken_words(results: dict[str, Any]) -> list[str]:
    return [item["alternatives"][0]["content"].lower() for item in results["items"] if item["type"] == "pronunciation"]


def common_words(reference: list[str], hypothesis: list[str]) -> int:
    """Length of the longest common subsequence: words found, in order."""
    table = [[0] * (len(hypothesis) + 1) for _ in range(len(reference) + 1)]
    for i, word in enumerate(reference):
        for j, other in enumerate(hypothesis):
            table[i + 1][j + 1] = table[i][j] + 1 if word == other else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def test_transcript_of_known_speech_has_its_words_in_order() -> None:
    for text in (CONTRACT, OFFICE):
        results = results_of(text)
        reference = speech.words(text)
        found = common_words(reference, spoken_words(results))
        assert found >= 0.8 * len(reference), results["transcripts"]
    assert results_of(CONTRACT)["transcripts"][0]["transcript"] == "The contract expires at the end of next year."


def test_items_are_timed_in_order_within_the_audio() -> None:
    results = results_of(OFFICE)
    duration = len(speech.samples(OFFICE)) / 16000
    words = [item for item in results["items"] if item["type"] == "pronunciation"]
    starts = [float(item["start_time"]) for item in words]
    ends = [float(item["end_time"]) for item in words]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(start < end <= duration + 0.01 for start, end in zip(starts, ends, strict=True))
    assert ends[-1] > 0.6 * duration
    for item in words:
        assert set(item) == {"id", "type", "alternatives", "start_time", "end_time"}
        assert 0.0 <= float(item["alternatives"][0]["confidence"]) <= 1.0
    last = results["items"][-1]
    assert last["type"] == "punctuation" and last["alternatives"][0]["content"] == "."
    assert [item["id"] for item in results["items"]] == list(range(len(results["items"])))


def test_pauses_cut_the_audio_into_segments() -> None:
    # Given two sentences with a second of silence between them
    first, second = speech.samples(CONTRACT), speech.samples(OFFICE)
    samples = np.concatenate([first, np.zeros(16000, dtype=np.int16), second])
    results = transcribe.transcribe_samples(samples)
    # Then each is one audio segment, the second starting after the pause
    segments = results["audio_segments"]
    assert len(segments) == 2
    assert float(segments[1]["start_time"]) >= len(first) / 16000 + 0.8
    assert segments[0]["transcript"] + " " + segments[1]["transcript"] == results["transcripts"][0]["transcript"]
    by_id = {item["id"]: item for item in results["items"]}
    for segment in segments:
        contents = [
            by_id[i]["alternatives"][0]["content"] for i in segment["items"] if by_id[i]["type"] != "punctuation"
        ]
        assert segment["transcript"] == " ".join(contents) + "."
    assert common_words(speech.words(OFFICE), speech.words(segments[1]["transcript"])) >= 8


def test_silence_gives_an_empty_transcript() -> None:
    results = transcribe.transcribe_samples(np.zeros(32000, dtype=np.int16))
    assert results == {"transcripts": [{"transcript": ""}], "items": [], "audio_segments": []}


@pytest.mark.parametrize("kind", speech.MEDIA_KINDS)
def test_every_media_format_decodes_to_the_same_words(kind: str) -> None:
    media = speech.media(CONTRACT, kind)
    transcript = transcribe.transcribe(media, kind)
    assert transcript.media_format == kind
    assert transcript.sample_rate == (48000 if kind == "webm" else 22050)
    assert transcript.duration_s == pytest.approx(len(speech.samples(CONTRACT)) / 16000, abs=0.1)
    words = speech.words(transcript.results["transcripts"][0]["transcript"])
    assert common_words(speech.words(CONTRACT), words) >= 7


@pytest.mark.parametrize(
    ("data", "media_format", "sample_rate", "reason"),
    [
        (b"this is not audio at all", None, None, "Unsupported audio format"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", "wav", None, "could not be decoded"),
        ("wav", "mp3", None, "doesn't match the detected media format"),
        ("wav", "wav", 8000, "doesn't match the detected sample rate 22050"),
    ],
)
def test_media_that_cannot_be_transcribed_says_why(
    data: bytes | str, media_format: str | None, sample_rate: int | None, reason: str
) -> None:
    media = speech.media(CONTRACT, data) if isinstance(data, str) else data
    with pytest.raises(transcribe.TranscribeError) as error:
        transcribe.transcribe(media, media_format, sample_rate)
    assert reason in error.value.message
