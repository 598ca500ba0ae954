"""What Insight knows about audio and video files: their real format, their duration, and how
long the media workflow may wait for Transcribe because of it.

The duration is read from the container's headers, never by decoding: mutagen (pure Python)
for MP3, MP4, Ogg, FLAC and WAV; for WebM, which mutagen does not read, the ``Duration`` of the
Matroska ``Segment/Info`` element, parsed here. Both read a few KiB through a seekable file,
which for an upload is a window of ranged GETs on S3 (``Storage.open``), not the whole file.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from typing import BinaryIO

from chalicelib.errors import InvalidMedia

#: Transcribe's ``MediaFormat`` of each declared content type.
FORMAT_OF_TYPE = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mp4": "mp4",
    "audio/x-m4a": "mp4",
    "video/mp4": "mp4",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/ogg": "ogg",
    "video/ogg": "ogg",
    "audio/webm": "webm",
    "video/webm": "webm",
}
FORMAT_NAMES = {
    "mp3": "MP3 audio",
    "mp4": "MP4 audio or video",
    "wav": "WAV audio",
    "flac": "FLAC audio",
    "ogg": "Ogg audio",
    "webm": "WebM audio or video",
}
#: How much of the file's start identifies its container.
HEAD_BYTES = 64

_EBML = b"\x1a\x45\xdf\xa3"
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_TIMECODE_SCALE = 0x2AD7B1
_DURATION = 0x4489
_DOC_TYPE = 0x4282
_CLUSTER = 0x1F43B675
#: How far into a WebM file its Info element is looked for.
_WEBM_SEARCH_BYTES = 1024 * 1024


def sniff_format(head: bytes) -> str | None:
    """The container of a file by its first bytes, in Transcribe's ``MediaFormat`` words."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == _EBML and b"webm" in head[:HEAD_BYTES]:
        return "webm"
    return None


def check_format(head: bytes, declared: str) -> str:
    """The media's format, if its bytes are a container Transcribe reads and agree with ``declared``."""
    if not head:
        raise InvalidMedia("the file is empty (0 bytes)")
    actual = sniff_format(head)
    expected = FORMAT_OF_TYPE.get(declared)
    if actual is None:
        raise InvalidMedia(
            f"the file's content is not audio or video Insight accepts (MP3, MP4, WAV, FLAC, Ogg, WebM); "
            f"it was uploaded as {declared}"
        )
    if actual != expected:
        raise InvalidMedia(f"the file is {FORMAT_NAMES[actual]} but was uploaded as {declared}")
    return actual


def duration_seconds(media: BinaryIO | io.RawIOBase, media_format: str) -> float | None:
    """The media's duration from its headers, or None when they do not say.

    Raises ``InvalidMedia`` when the headers cannot be parsed at all: a file that says it is an
    MP3 or an MP4 but whose structure is broken.
    """
    if media_format == "webm":
        return _webm_duration(media)
    import mutagen

    try:
        parsed = mutagen.File(media)
    except Exception as error:  # mutagen raises a family of its own errors and struct/EOF errors
        raise InvalidMedia(f"the {FORMAT_NAMES[media_format]} file is damaged and cannot be read ({error})") from error
    if parsed is None:
        raise InvalidMedia(f"the file is not readable {FORMAT_NAMES[media_format]}")
    length = float(getattr(parsed.info, "length", 0.0) or 0.0)
    return length if math.isfinite(length) and length > 0 else None


def _vint(data: bytes, at: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-size integer at ``at``: (value, its length in bytes)."""
    if at >= len(data):
        raise ValueError("truncated")
    first = data[at]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or at + length > len(data):
        raise ValueError("malformed")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[at + 1 : at + length]:
        value = (value << 8) | byte
    return value, length


def _elements(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """(id, data start, data end) of the EBML elements between ``start`` and ``end``; an
    element of unknown size (a live stream's Segment) runs to ``end``."""
    found = []
    at = start
    while at < end:
        element, id_length = _vint(data, at, keep_marker=True)
        size, size_length = _vint(data, at + id_length, keep_marker=False)
        body = at + id_length + size_length
        unknown = size == (1 << (7 * size_length)) - 1
        stop = end if unknown else min(body + size, end)
        found.append((element, body, stop))
        if element == _CLUSTER or (unknown and element != _SEGMENT):
            break  # media data: the headers are over
        at = stop
    return found


def _webm_duration(media: BinaryIO | io.RawIOBase) -> float | None:
    data = media.read(_WEBM_SEARCH_BYTES)
    try:
        top = _elements(data, 0, len(data))
        if not top or top[0][0] != int.from_bytes(_EBML, "big"):
            raise ValueError("no EBML header")
        header = {element: data[a:b] for element, a, b in _elements(data, top[0][1], top[0][2])}
        if header.get(_DOC_TYPE, b"").rstrip(b"\x00") != b"webm":
            raise ValueError("not a WebM document")
        segment = next(((a, b) for element, a, b in top if element == _SEGMENT), None)
        if segment is None:
            return None
        info = next(((a, b) for element, a, b in _elements(data, *segment) if element == _INFO), None)
        if info is None:
            return None
        fields = {element: data[a:b] for element, a, b in _elements(data, *info)}
    except ValueError as error:
        raise InvalidMedia(f"the WebM file is damaged and cannot be read ({error})") from error
    raw = fields.get(_DURATION)
    if raw is None or len(raw) not in (4, 8):
        return None  # a live recording (MediaRecorder) often has none
    (ticks,) = struct.unpack(">f" if len(raw) == 4 else ">d", raw)
    scale = int.from_bytes(fields.get(_TIMECODE_SCALE, b"\x0f\x42\x40"), "big")  # default 1,000,000 ns
    seconds = ticks * scale / 1e9
    return seconds if math.isfinite(seconds) and seconds > 0 else None


@dataclass(frozen=True)
class Wait:
    """How long the workflow waits for Transcribe, and for each heartbeat while it does."""

    timeout_seconds: int
    heartbeat_seconds: int


def transcription_wait(
    duration: float | None,
    max_duration: int,
    base_seconds: int,
    seconds_per_media_second: float,
    heartbeat_seconds: int,
) -> Wait:
    """The wait for the media's transcription: the base time plus a multiple of its duration
    (of the longest media allowed when the duration is unknown). The heartbeat interval is the
    configured one, kept below the timeout so that it can matter."""
    seconds = max_duration if duration is None else min(duration, max_duration)
    timeout = base_seconds + math.ceil(seconds * seconds_per_media_second)
    heartbeat = max(1, min(heartbeat_seconds, timeout - 1))
    return Wait(timeout_seconds=timeout, heartbeat_seconds=heartbeat)
