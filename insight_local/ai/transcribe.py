"""Offline Amazon Transcribe: real transcripts of the media's speech, with pocketsphinx.

The local mode has no network, so transcription jobs are answered by this engine. The media is
decoded (:mod:`insight_local.ai.audio`: WAV, FLAC, OGG, MP3 by libsndfile; MP4/M4A, WebM, AMR by
FFmpeg from the ``av`` wheel), mixed to mono and resampled to 16 kHz, cut into speech segments
at its silences, and each segment is decoded by CMU pocketsphinx 5 with the US English
acoustic model, dictionary and language model that its wheel carries.

:func:`transcribe` returns the ``results`` of Transcribe's transcript JSON: ``transcripts``,
``items`` (``pronunciation`` items with ``start_time``/``end_time`` in seconds and the word's
posterior probability as ``confidence``, ``punctuation`` items) and ``audio_segments`` (one per
speech segment). Punctuation and capitals are rules, not a model: each segment is a sentence
(capital first letter, full stop), "I" is capitalised.

Known limits: English only (every ``en-*`` code is decoded with the US model); language
identification can only answer English; the model is a small 2015-era HMM, so accuracy is far
from Transcribe's (bench/audio.py measures the word error rate on the local Polly's speech);
no speaker or channel labels, custom vocabularies, redaction or subtitles.
"""

from __future__ import annotations

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

_FRAME = SAMPLE_RATE // 100  # 10 ms, pocketsphinx's frame rate
_PAD = np.zeros(SAMPLE_RATE * 3 // 10, dtype=np.int16)  # 300 ms of silence around each segment
_CONTEXT = SAMPLE_RATE // 10  # 100 ms of the media kept on each side of a segment
_MIN_PAUSE_FRAMES = 25  # a silence of 250 ms ends a segment
_MIN_SEGMENT_S = 1.5
_MAX_SEGMENT_S = 25.0
_MAX_DURATION_S = 4 * 3600
_FILLER = re.compile(r"^(<.*>|\[.*\]|\+\+.*\+\+)$")
_ALTERNATE = re.compile(r"\(\d+\)$")
_CAPITALISED = {"i": "I", "i'm": "I'm", "i'll": "I'll", "i've": "I've", "i'd": "I'd"}


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
        from pocketsphinx import Decoder

        # batch CMN normalises each segment on itself; 8 Gaussians a frame (default 4) and a word
        # insertion penalty of 0.2 (default 0.65) were measured better on development speech.
        # Dither is added here, not by pocketsphinx, whose random generator runs on from one
        # utterance to the next: the same media must give the same transcript.
        self.decoder = Decoder(samprate=SAMPLE_RATE, cmn="batch", topn=8, wip=0.2, loglevel="FATAL")
        self.lock = threading.Lock()

    def words(self, samples: npt.NDArray[np.int16]) -> list[tuple[str, float, float, float]]:
        """(word, start s, end s, posterior) of each word spoken in ``samples``."""
        padded = np.concatenate([_PAD, samples, _PAD]).astype(np.int32)
        padded += np.random.default_rng(1).integers(-1, 2, len(padded))  # keeps digital silence out of log(0)
        padded = np.clip(padded, -32768, 32767).astype(np.int16)
        with self.lock:
            self.decoder.reinit_feat()  # its feature state (CMN) runs on from one utterance to the next
            self.decoder.start_utt()
            self.decoder.process_raw(padded.tobytes(), full_utt=True)
            self.decoder.end_utt()
            segments = list(self.decoder.seg())
        shift = len(_PAD) / SAMPLE_RATE
        words = []
        for segment in segments:
            if _FILLER.match(segment.word):
                continue
            start = max(segment.start_frame / 100 - shift, 0.0)
            end = min(max((segment.end_frame + 1) / 100 - shift, start), len(samples) / SAMPLE_RATE)
            posterior = min(max(float(segment.prob), 0.0), 1.0)  # pocketsphinx's can pass 1 by rounding
            words.append((_ALTERNATE.sub("", segment.word), start, end, posterior))
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


def transcribe_samples(samples: npt.NDArray[np.int16]) -> dict[str, Any]:
    """Transcribe's ``results`` for 16 kHz mono ``samples``."""
    recogniser = _recogniser()
    items: list[dict[str, Any]] = []
    audio_segments: list[dict[str, Any]] = []
    sentences: list[str] = []
    for first, last in speech_segments(samples):
        lo, hi = max(first - _CONTEXT, 0), min(last + _CONTEXT, len(samples))
        offset = lo / SAMPLE_RATE
        words = recogniser.words(samples[lo:hi])
        if not words:
            continue
        ids: list[int] = []
        contents: list[str] = []
        for index, (word, start, end, confidence) in enumerate(words):
            content = _CAPITALISED.get(word, word)
            if index == 0:
                content = content[:1].upper() + content[1:]
            ids.append(len(items))
            contents.append(content)
            items.append(
                {
                    "id": len(items),
                    "type": "pronunciation",
                    "alternatives": [{"confidence": _number(confidence, 4), "content": content}],
                    "start_time": _number(offset + start, 3),
                    "end_time": _number(offset + end, 3),
                }
            )
        ids.append(len(items))
        items.append({"id": len(items), "type": "punctuation", "alternatives": [{"confidence": "0.0", "content": "."}]})
        sentence = " ".join(contents) + "."
        sentences.append(sentence)
        audio_segments.append(
            {
                "id": len(audio_segments),
                "transcript": sentence,
                "start_time": _number(offset + words[0][1], 3),
                "end_time": _number(offset + words[-1][2], 3),
                "items": ids,
            }
        )
    return {"transcripts": [{"transcript": " ".join(sentences)}], "items": items, "audio_segments": audio_segments}


def _number(value: float, places: int) -> str:
    """A number as Transcribe writes it in transcripts: a string, no trailing zeros past one."""
    text = f"{max(value, 0.0):.{places}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
