"""eSpeak NG, driven in process through ctypes: the speech synthesiser of the offline Polly.

The library and its language data come inside the ``espeakng-loader`` wheel (pinned in
requirements-dev.txt), so nothing is installed by the system or fetched at run time.
eSpeak NG keeps global state, so every call holds one lock: the moto server is threaded.

:func:`speak` renders one run of plain text with one voice and rate, and returns its samples
(16-bit mono at :data:`SAMPLE_RATE`) with the events eSpeak reports while it speaks: each word
(character offset and length in the text, time in ms), each sentence and each phoneme (IPA).
"""

from __future__ import annotations

import ctypes
import struct
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["SAMPLE_RATE", "EspeakError", "Event", "Utterance", "speak"]

#: eSpeak NG's own output rate; every other rate is resampled from it.
SAMPLE_RATE = 22050

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_PHONEME_IPA = 0x0002
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _PITCH, _RANGE = 1, 3, 4

_EVENT_LIST_TERMINATED, _EVENT_WORD, _EVENT_SENTENCE, _EVENT_PHONEME = 0, 1, 2, 7


class EspeakError(Exception):
    """eSpeak NG refused a call (unknown voice, library missing)."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    # espeak_EVENT from speak_lib.h
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Event:
    """A word, sentence or phoneme as eSpeak spoke it: ``start``/``length`` are characters of
    the text passed to :func:`speak` (0-based), ``time_ms`` is from the start of its audio."""

    kind: str  # "word" | "sentence" | "phoneme"
    start: int
    length: int
    time_ms: int
    phoneme: str = ""


@dataclass
class Utterance:
    samples: npt.NDArray[np.int16]
    events: list[Event] = field(default_factory=list)

    @property
    def duration_ms(self) -> int:
        return round(len(self.samples) * 1000 / SAMPLE_RATE)


class _Espeak:
    def __init__(self) -> None:
        import espeakng_loader

        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        self._lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self._lib.espeak_Initialize.restype = ctypes.c_int
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        options = _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA | _INITIALIZE_DONT_EXIT
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), options
        )
        if rate != SAMPLE_RATE:
            raise EspeakError(f"eSpeak NG did not initialise (answered {rate})")
        self.lock = threading.Lock()
        # eSpeak NG's pitch "flutter" keeps its phase in a static that carries over from one
        # utterance to the next, so the same text would sound (slightly) different on each call:
        # restore its value from after initialisation before each utterance.
        self._flutter = _static_address(espeakng_loader.get_library_path(), self._lib, "Flutter_ix")
        self._flutter_initial = ctypes.string_at(self._flutter, 4) if self._flutter else b""
        self._chunks: list[npt.NDArray[np.int16]] = []
        self._events: list[Event] = []
        self._callback = _Callback(self._on_audio)  # kept referenced: C holds the pointer
        self._lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav: Any, count: int, events: Any) -> int:
        if wav and count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            start = max(event.text_position - 1, 0)  # eSpeak counts characters from 1
            if event.type == _EVENT_WORD:
                self._events.append(Event("word", start, event.length, event.audio_position))
            elif event.type == _EVENT_SENTENCE:
                self._events.append(Event("sentence", start, 0, event.audio_position))
            elif event.type == _EVENT_PHONEME:
                name = event.id.string.decode("utf-8", "replace")
                self._events.append(Event("phoneme", start, 0, event.audio_position, name))
            index += 1
        return 0

    def speak(self, text: str, voice: str, rate: int, pitch: int) -> Utterance:
        with self.lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise EspeakError(f"eSpeak NG has no voice {voice!r}")
            self._lib.espeak_SetParameter(_RATE, rate, 0)
            self._lib.espeak_SetParameter(_PITCH, pitch, 0)
            self._lib.espeak_SetParameter(_RANGE, 50, 0)
            self._chunks, self._events = [], []
            self._lib.espeak_ng_SetRandSeed(1)  # its noise generator: the same request, the same audio
            if self._flutter:
                ctypes.memmove(self._flutter, self._flutter_initial, 4)
            data = text.encode("utf-8")
            status = self._lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            self._lib.espeak_Synchronize()
            if status != 0:
                raise EspeakError(f"eSpeak NG failed to speak (status {status})")
            samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
            return Utterance(samples.astype(np.int16, copy=False), self._events)


def _static_address(path: str, library: Any, prefix: str) -> int | None:
    """Address in this process of the static variable ``prefix``* of the loaded ELF ``library``
    (from its symbol table), or None if the file has none (stripped, not ELF64)."""
    data = Path(path).read_bytes()
    if data[:5] != b"\x7fELF\x02":
        return None
    (section_offset,) = struct.unpack_from("<Q", data, 0x28)
    entry_size, count = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, section_offset + i * entry_size) for i in range(count)]
    values: dict[str, int] = {}
    for _, kind, _, _, offset, size, link, _, _, _ in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        names = sections[link][4]
        for start in range(offset, offset + size, 24):
            name_offset, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data, start)
            name = data[names + name_offset : data.index(b"\x00", names + name_offset)].decode("ascii", "replace")
            if name == "espeak_Synth" or (name.startswith(prefix) and prefix not in values):
                values[prefix if name.startswith(prefix) else name] = value
    if prefix not in values or "espeak_Synth" not in values:
        return None
    base = int(ctypes.cast(library.espeak_Synth, ctypes.c_void_p).value or 0) - values["espeak_Synth"]
    return base + values[prefix]


@lru_cache(maxsize=1)
def _engine() -> _Espeak:
    return _Espeak()


def speak(text: str, voice: str, rate: int = 175, pitch: int = 50) -> Utterance:
    """Speak ``text`` (plain text, no markup) with the eSpeak NG ``voice`` (e.g. ``en-us+f2``) at
    ``rate`` words per minute (80..450) and ``pitch`` (0..99)."""
    return _engine().speak(text, voice, max(80, min(rate, 450)), max(0, min(pitch, 99)))
