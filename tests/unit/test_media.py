"""Audio and video as the validate step sees them: the container by its first bytes, the
duration from the headers alone, and how long the workflow waits for Transcribe (no AWS)."""

from __future__ import annotations

import io
import wave

import pytest

from bench.inputs import speech
from chalicelib import media
from chalicelib.errors import InvalidMedia

SENTENCE = "Please send me the report as soon as it is ready."


@pytest.fixture(scope="module")
def spoken() -> dict[str, bytes]:
    """The same sentence in every container Transcribe reads."""
    return {kind: speech.media(SENTENCE, kind) for kind in ("mp3", "mp4", "wav", "flac", "ogg", "webm")}


class CountingReader(io.BytesIO):
    """A file that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


@pytest.mark.parametrize("kind", ["mp3", "mp4", "wav", "flac", "ogg", "webm"])
def test_each_container_is_known_by_its_bytes_and_its_duration_read_from_its_headers(
    spoken: dict[str, bytes], kind: str
) -> None:
    # Given about three seconds of speech in the container
    data = spoken[kind]
    # When its first bytes are sniffed and its headers read
    media_format = media.sniff_format(data[: media.HEAD_BYTES])
    duration = media.duration_seconds(io.BytesIO(data), kind)
    # Then the container is the one it is, and the duration is the speech's
    assert media_format == kind
    assert duration is not None and 2.5 < duration < 4.5, duration


def test_the_duration_of_a_long_wav_needs_only_its_first_bytes() -> None:
    # Given ten minutes of WAV audio (silence), 19 MiB
    seconds, rate = 600, 16_000
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as output:
        output.setnchannels(1)
        output.setsampwidth(2)
        output.setframerate(rate)
        output.writeframes(bytes(seconds * rate * 2))
    data = buffer.getvalue()
    reader = CountingReader(data)
    # When its duration is read
    duration = media.duration_seconds(reader, "wav")
    # Then it is exact, and less than 1% of the file was read
    assert duration == pytest.approx(600.0)
    assert reader.bytes_read < len(data) / 100, reader.bytes_read


@pytest.mark.parametrize(
    ("head", "declared", "reason"),
    [
        (b"", "audio/mpeg", "empty"),
        (b"This is plain text, not audio.", "audio/mpeg", "not audio or video"),
        (b"%PDF-1.7\n", "video/mp4", "not audio or video"),
        (b"ID3\x04\x00" + bytes(59), "audio/wav", "is MP3 audio but was uploaded as audio/wav"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "video/webm", "is WAV audio but was uploaded as video/webm"),
    ],
)
def test_bytes_that_are_not_the_declared_media_are_refused_with_why(head: bytes, declared: str, reason: str) -> None:
    with pytest.raises(InvalidMedia, match=reason):
        media.check_format(head, declared)


def test_broken_headers_are_refused_with_why() -> None:
    # Given an MP3 that is an ID3 tag followed by nothing playable
    broken = b"ID3" + bytes(200)
    # When its headers are read, Then it is refused as unreadable MP3
    with pytest.raises(InvalidMedia, match="MP3"):
        media.duration_seconds(io.BytesIO(broken), "mp3")


def test_a_webm_without_a_duration_has_none_and_a_damaged_one_is_refused(spoken: dict[str, bytes]) -> None:
    # Given a WebM with its Info element's Duration renamed (as a live recording has none)
    data = spoken["webm"]
    at = data.find(b"\x44\x89")
    assert at > 0
    without = data[:at] + b"\xec\x89" + data[at + 2 :]  # a Void-like id: the element is skipped
    # Then its duration is unknown, not invented
    assert media.duration_seconds(io.BytesIO(without), "webm") is None
    # And a WebM cut inside its headers is refused
    with pytest.raises(InvalidMedia, match="WebM"):
        media.duration_seconds(io.BytesIO(data[:30]), "webm")


def test_the_wait_grows_with_the_duration_and_is_bounded_when_it_is_unknown() -> None:
    # Given the defaults: 15 minutes plus 2 seconds per second of media, heartbeats every 20 minutes
    def wait(duration: float | None) -> media.Wait:
        return media.transcription_wait(
            duration, max_duration=4 * 3600, base_seconds=900, seconds_per_media_second=2.0, heartbeat_seconds=1200
        )

    # Then a short clip waits 15 minutes and a bit, its heartbeat within that
    assert wait(12.2) == media.Wait(timeout_seconds=925, heartbeat_seconds=924)
    # And an hour's recording waits 2h15, with a heartbeat every 20 minutes
    assert wait(3600) == media.Wait(timeout_seconds=900 + 7200, heartbeat_seconds=1200)
    # And media of unknown length waits as the longest allowed
    assert wait(None) == wait(4 * 3600) == media.Wait(timeout_seconds=900 + 28800, heartbeat_seconds=1200)
