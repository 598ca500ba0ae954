"""Audio for the offline Polly and Transcribe: resampling, encoding and decoding.

* Resampling: libswresample, from the ``av`` (PyAV) wheel.
* Encoding (Polly's output formats): libsndfile from the ``soundfile`` wheel writes MP3
  (LAME), OGG Vorbis and OGG Opus; PCM, mu-law and a-law are raw samples.
* Decoding (Transcribe's media formats): libsndfile reads WAV, FLAC, OGG (Vorbis, Opus) and
  MP3; FFmpeg from the ``av`` wheel reads what libsndfile cannot (MP4/M4A, WebM, AMR).

Samples are 16-bit signed mono (``numpy.int16``) throughout.
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt

__all__ = ["AudioError", "decode", "detect_format", "encode", "resample"]

Samples = npt.NDArray[np.int16]


class AudioError(Exception):
    """The audio could not be decoded (unknown container, corrupt data)."""


def resample(samples: Samples, source_rate: int, target_rate: int) -> Samples:
    """``samples`` at ``source_rate`` converted to ``target_rate`` (band-limited, libswresample)."""
    if source_rate == target_rate or len(samples) == 0:
        return samples
    import av

    resampler = av.AudioResampler(format="s16", layout="mono", rate=target_rate)
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1), format="s16", layout="mono"
    )
    frame.sample_rate = source_rate
    frames = [*resampler.resample(frame), *resampler.resample(None)]
    if not frames:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate([out.to_ndarray().reshape(-1) for out in frames]).astype(np.int16, copy=False)


def encode(samples: Samples, rate: int, kind: str) -> bytes:
    """``samples`` (mono, at ``rate``) as ``kind``: ``mp3``, ``ogg_vorbis``, ``ogg_opus``, ``pcm``
    (raw signed 16-bit little-endian), ``mulaw``, ``alaw`` (raw G.711), ``wav`` or ``flac``."""
    import soundfile

    if kind == "pcm":
        return np.ascontiguousarray(samples, dtype="<i2").tobytes()
    containers = {
        "mp3": ("MP3", "MPEG_LAYER_III"),
        "ogg_vorbis": ("OGG", "VORBIS"),
        "ogg_opus": ("OGG", "OPUS"),
        "mulaw": ("RAW", "ULAW"),
        "alaw": ("RAW", "ALAW"),
        "wav": ("WAV", "PCM_16"),
        "flac": ("FLAC", "PCM_16"),
    }
    container, subtype = containers[kind]
    buffer = io.BytesIO()
    if len(samples) == 0 and container in ("MP3", "OGG"):
        samples = np.zeros(1, dtype=np.int16)  # the encoders write no stream for no samples
    soundfile.write(buffer, samples, rate, format=container, subtype=subtype)
    return buffer.getvalue()


def detect_format(data: bytes) -> str | None:
    """The container of ``data`` by its signature, in Transcribe's ``MediaFormat`` words
    (``wav``, ``flac``, ``ogg``, ``mp3``, ``mp4``, ``webm``, ``amr``), or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if data[:5] == b"#!AMR":
        return "amr"
    return None


def decode(data: bytes, target_rate: int = 16000) -> tuple[Samples, int]:
    """Decode ``data`` to mono samples at ``target_rate``; also returns the media's own rate."""
    import soundfile

    try:
        with soundfile.SoundFile(io.BytesIO(data)) as media:
            native_rate = int(media.samplerate)
            frames = media.read(dtype="int16", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        frames, native_rate = _decode_with_ffmpeg(data)
    mono: Samples = frames.mean(axis=1).astype(np.int16) if frames.shape[1] > 1 else frames[:, 0].astype(np.int16)
    return resample(mono, native_rate, target_rate), native_rate


def _decode_with_ffmpeg(data: bytes) -> tuple[npt.NDArray[np.int16], int]:
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise AudioError("the media has no audio stream")
            stream = container.streams.audio[0]
            native_rate = int(stream.codec_context.sample_rate or stream.rate or 16000)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=native_rate)
            chunks = [
                out.to_ndarray().reshape(-1) for frame in container.decode(stream) for out in resampler.resample(frame)
            ]
            chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    except AudioError:
        raise
    except Exception as error:  # FFmpeg raises many kinds (InvalidDataError, ValueError, ...)
        raise AudioError(f"the media could not be decoded: {error}") from error
    samples = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, dtype=np.int16)
    return samples.reshape(-1, 1), native_rate
