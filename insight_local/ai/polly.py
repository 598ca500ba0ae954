"""Offline Amazon Polly: real speech from the input text, in Polly's formats, with eSpeak NG.

The local mode has no network, so ``SynthesizeSpeech`` (and the synthesis tasks built on it) is
answered by this engine: the text is spoken by eSpeak NG (:mod:`insight_local.ai.espeak`) in
the language of the requested voice, then resampled and encoded as Polly would return it.

===============  ============================================================================
OutputFormat     what comes back (``ContentType``)
===============  ============================================================================
mp3              MPEG-1/2 layer III, mono (``audio/mpeg``); 8000..48000 Hz, default 22050
                 (standard engine) or 24000 (neural, long-form, generative)
ogg_vorbis       Ogg Vorbis, mono (``audio/ogg``); same rates as mp3
ogg_opus         Ogg Opus, mono (``audio/ogg``); 48000 Hz
pcm              raw signed 16-bit little-endian mono (``audio/pcm``); 8000 or 16000 (default)
mulaw, alaw      raw G.711 at 8000 Hz (``audio/mulaw``, ``audio/alaw``)
json             speech marks (``application/x-json-stream``): one JSON object a line,
                 ``{"time","type","start","end","value"}``: ``sentence`` and ``word`` marks
                 carry UTF-8 byte offsets into the input (SSML included), ``ssml`` marks are
                 the ``<mark>`` tags, ``viseme`` marks come from eSpeak's phonemes (IPA)
                 mapped to Polly's visemes
===============  ============================================================================

Voices are Polly's own (id, language, gender, engines); each speaks with the eSpeak NG voice of
its language (:data:`ESPEAK_LANGUAGES`), with a female or male variant. The engine named in the
request is checked against the voice as Polly does, but every engine sounds the same here.

SSML (``TextType=ssml``) is checked for well-formedness and Polly's tag set, then read:
``<break>`` (time or strength), ``<prosody>`` (rate, pitch, volume), ``<lang>`` (another eSpeak
language for the span), ``<sub alias>``, ``<say-as interpret-as="characters|spell-out">``,
``<mark>``, ``<p>`` and ``<s>`` (pauses); the other tags (``<emphasis>``, ``<phoneme>``, ``<w>``,
``amazon:*``) are read as their text. Lexicons (``LexiconNames``) apply their ``<alias>``
lexemes; lexemes given only as ``<phoneme>`` are not applied (eSpeak does not read IPA).

Errors (``PollyError.code`` is the AWS error code, ``status`` the HTTP status):
``ValidationException`` (a value outside the API's enums, json without SpeechMarkTypes),
``EngineNotSupportedException``, ``LanguageNotSupportedException``,
``InvalidSampleRateException``, ``MarksNotSupportedForFormatException``,
``SsmlMarksNotSupportedForTextTypeException``, ``InvalidSsmlException``,
``TextLengthExceededException`` (3,000 billed / 6,000 total characters for SynthesizeSpeech,
100,000 / 200,000 for a synthesis task), ``LexiconNotFoundException`` and
``ServiceFailureException`` (a voice whose language this engine does not know, said so).
"""

from __future__ import annotations

import html
import itertools
import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from insight_local.ai import audio, espeak

__all__ = [
    "CONTENT_TYPES",
    "ESPEAK_LANGUAGES",
    "PollyError",
    "Speech",
    "Voice",
    "billed_characters",
    "check_request",
    "output_extension",
    "synthesize",
    "voices",
]

CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "ogg_vorbis": "audio/ogg",
    "ogg_opus": "audio/ogg",
    "pcm": "audio/pcm",
    "mulaw": "audio/mulaw",
    "alaw": "audio/alaw",
    "json": "application/x-json-stream",
}
_EXTENSIONS = {
    "mp3": "mp3",
    "ogg_vorbis": "ogg",
    "ogg_opus": "ogg",
    "pcm": "pcm",
    "mulaw": "pcm",
    "alaw": "pcm",
    "json": "marks",
}
_SAMPLE_RATES = {
    "mp3": {8000, 16000, 22050, 24000, 44100, 48000},
    "ogg_vorbis": {8000, 16000, 22050, 24000, 44100, 48000},
    "ogg_opus": {48000},
    "pcm": {8000, 16000},
    "mulaw": {8000},
    "alaw": {8000},
}
_ENGINES = ("standard", "neural", "long-form", "generative")
_MARK_TYPES = ("sentence", "ssml", "viseme", "word")
#: (billed, total) character limits
SYNC_LIMITS = (3000, 6000)
TASK_LIMITS = (100_000, 200_000)

#: Polly's language codes and the eSpeak NG voice that speaks each.
ESPEAK_LANGUAGES = {
    "arb": "ar",
    "ar-AE": "ar",
    "ca-ES": "ca",
    "cmn-CN": "cmn",
    "cs-CZ": "cs",
    "cy-GB": "cy",
    "da-DK": "da",
    "de-AT": "de",
    "de-CH": "de",
    "de-DE": "de",
    "en-AU": "en",
    "en-GB": "en",
    "en-GB-WLS": "en-gb-x-gbcwmd",
    "en-IE": "en",
    "en-IN": "en",
    "en-NZ": "en",
    "en-SG": "en",
    "en-US": "en-us",
    "en-ZA": "en",
    "es-ES": "es",
    "es-MX": "es-419",
    "es-US": "es-419",
    "fi-FI": "fi",
    "fr-BE": "fr-be",
    "fr-CA": "fr",
    "fr-FR": "fr",
    "hi-IN": "hi",
    "is-IS": "is",
    "it-IT": "it",
    "ja-JP": "ja",
    "ko-KR": "ko",
    "nb-NO": "nb",
    "nl-BE": "nl",
    "nl-NL": "nl",
    "pl-PL": "pl",
    "pt-BR": "pt-br",
    "pt-PT": "pt",
    "ro-RO": "ro",
    "ru-RU": "ru",
    "sv-SE": "sv",
    "tr-TR": "tr",
    "yue-CN": "yue",
}
#: eSpeak NG variants by gender: of the variants tried on 20 development sentences (not those of
#: bench/inputs/speech.py), f5 and m6 are those that the offline Transcribe understands best.
_VARIANTS = {"Female": "f5", "Male": "m6"}

#: Voices in botocore's VoiceId enum that moto's copy of DescribeVoices lacks: their language
#: and engines as Polly announced them. Voices in neither are refused as not available offline.
_MORE_VOICES = (
    ("Ambre", "fr-FR", "Female"),
    ("Beatrice", "it-IT", "Female"),
    ("Florian", "fr-FR", "Male"),
    ("Jasmine", "en-SG", "Female"),
    ("Jihye", "ko-KR", "Female"),
    ("Lennart", "de-DE", "Male"),
    ("Lorenzo", "it-IT", "Male"),
    ("Tiffany", "en-US", "Female"),
)


class PollyError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Voice:
    id: str
    language_code: str
    gender: str
    engines: tuple[str, ...]
    additional_languages: tuple[str, ...] = ()

    def espeak_voice(self, language_code: str | None = None) -> str:
        language = ESPEAK_LANGUAGES[language_code or self.language_code]
        return f"{language}+{_VARIANTS.get(self.gender, 'f2')}"


@lru_cache(maxsize=1)
def voices() -> dict[str, Voice]:
    """Polly's voices: moto's verbatim copy of DescribeVoices, and :data:`_MORE_VOICES`."""
    from moto.polly.resources import VOICE_DATA

    items: list[dict[str, Any]] = list(VOICE_DATA)
    table = {
        str(item["Id"]): Voice(
            id=str(item["Id"]),
            language_code=str(item["LanguageCode"]),
            gender=str(item["Gender"]),
            engines=tuple(item.get("SupportedEngines", ("standard",))),
            additional_languages=tuple(item.get("AdditionalLanguageCodes", ())),
        )
        for item in items
    }
    for voice_id, language, gender in _MORE_VOICES:
        table.setdefault(voice_id, Voice(voice_id, language, gender, ("generative", "neural")))
    return table


@lru_cache(maxsize=1)
def _api_enums() -> dict[str, list[str]]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("polly")
    return {name: list(model.shape_for(name).enum) for name in ("VoiceId", "LanguageCode", "OutputFormat")}


def _enum_error(value: Any, member: str, allowed: list[str]) -> PollyError:
    return PollyError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]",
    )


# --- the request ----------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    text: str
    text_type: str
    voice: Voice
    language_code: str
    engine: str
    output_format: str
    sample_rate: int
    mark_types: tuple[str, ...]
    lexicon_names: tuple[str, ...]


def check_request(request: dict[str, Any], limits: tuple[int, int] = SYNC_LIMITS) -> Request:
    """Validate a SynthesizeSpeech / StartSpeechSynthesisTask request as Polly does."""
    enums = _api_enums()
    voice_id = request.get("VoiceId")
    if voice_id not in enums["VoiceId"]:
        raise _enum_error(voice_id, "voiceId", enums["VoiceId"])
    output_format = request.get("OutputFormat")
    if output_format not in enums["OutputFormat"]:
        raise _enum_error(output_format, "outputFormat", enums["OutputFormat"])
    text_type = request.get("TextType", "text")
    if text_type not in ("text", "ssml"):
        raise _enum_error(text_type, "textType", ["ssml", "text"])
    engine = request.get("Engine", "standard")
    if engine not in _ENGINES:
        raise _enum_error(engine, "engine", list(_ENGINES))
    mark_types = tuple(request.get("SpeechMarkTypes") or ())
    for mark_type in mark_types:
        if mark_type not in _MARK_TYPES:
            raise _enum_error(mark_type, "speechMarkTypes", list(_MARK_TYPES))
    language_code = request.get("LanguageCode")
    if language_code is not None and language_code not in enums["LanguageCode"]:
        raise _enum_error(language_code, "languageCode", enums["LanguageCode"])

    voice = voices().get(voice_id)
    if voice is None:
        raise PollyError(
            "ServiceFailureException",
            f"Voice {voice_id} is not available offline: the local Polly does not know its language.",
            500,
        )
    if engine not in voice.engines:
        raise PollyError("EngineNotSupportedException", f"This voice does not support the selected engine: {engine}")
    language = language_code or voice.language_code
    if language not in (voice.language_code, *voice.additional_languages):
        raise PollyError(
            "LanguageNotSupportedException",
            f"Language {language} is not supported by voice {voice_id}.",
        )
    if language not in ESPEAK_LANGUAGES:
        raise PollyError(
            "ServiceFailureException", f"Language {language} is not available offline (no eSpeak NG voice).", 500
        )

    sample_rate = _sample_rate(request.get("SampleRate"), output_format, engine)
    if mark_types and output_format != "json":
        raise PollyError(
            "MarksNotSupportedForFormatException", "Speech marks are only supported with the json OutputFormat."
        )
    if output_format == "json" and not mark_types:
        raise PollyError("ValidationException", "SpeechMarkTypes are required when OutputFormat is json.")
    if "ssml" in mark_types and text_type != "ssml":
        raise PollyError(
            "SsmlMarksNotSupportedForTextTypeException", "SSML speech marks are not supported for plain text input."
        )

    text = request.get("Text", "")
    billed = billed_characters(text, text_type)
    if billed > limits[0] or len(text) > limits[1]:
        raise PollyError(
            "TextLengthExceededException",
            f"Maximum text length has been exceeded: {billed} billed characters (at most {limits[0]}), "
            f"{len(text)} in all (at most {limits[1]}).",
        )
    return Request(
        text=text,
        text_type=text_type,
        voice=voice,
        language_code=language,
        engine=engine,
        output_format=output_format,
        sample_rate=sample_rate,
        mark_types=mark_types,
        lexicon_names=tuple(request.get("LexiconNames") or ()),
    )


def _sample_rate(value: Any, output_format: str, engine: str) -> int:
    if output_format == "json":
        return espeak.SAMPLE_RATE
    if value is None:
        defaults = {"pcm": 16000, "ogg_opus": 48000, "mulaw": 8000, "alaw": 8000}
        return defaults.get(output_format, 22050 if engine == "standard" else 24000)
    try:
        rate = int(value)
    except (TypeError, ValueError):
        rate = -1
    if rate not in _SAMPLE_RATES[output_format]:
        raise PollyError("InvalidSampleRateException", "The specified sample rate is not valid.")
    return rate


def output_extension(output_format: str) -> str:
    return _EXTENSIONS[output_format]


def billed_characters(text: str, text_type: str) -> int:
    """Polly's RequestCharacters: the characters spoken (SSML tags are not billed)."""
    return len(_read(text, text_type).plain) if text_type == "ssml" else len(text)


# --- reading the text -----------------------------------------------------------------

_POLLY_TAGS = {
    "speak", "break", "lang", "mark", "p", "phoneme", "prosody", "s", "say-as", "sub", "w", "emphasis",
    "amazon:auto-breaths", "amazon:breath", "amazon:domain", "amazon:effect", "amazon:max-duration",
}  # fmt: skip
_BREAK_STRENGTHS = {"none": 0, "x-weak": 100, "weak": 200, "medium": 400, "strong": 700, "x-strong": 1200}
_RATES = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "fast": 1.25, "x-fast": 1.6}
_PITCHES = {"x-low": -20, "low": -10, "medium": 0, "high": 10, "x-high": 20}
_VOLUMES_DB = {"silent": -120.0, "x-soft": -10.0, "soft": -5.0, "medium": 0.0, "loud": 5.0, "x-loud": 10.0}
_TOKENS = re.compile(r"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<[^>]*>|[^<]+", re.S)
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*')""")


@dataclass
class _Style:
    rate: float = 1.0
    pitch: int = 0
    gain_db: float = 0.0
    language: str | None = None


@dataclass
class _Mark:
    name: str
    start: int  # input characters of the <mark> tag
    end: int


@dataclass
class _Run:
    """Text spoken in one style. ``text[i]`` reads input characters ``starts[i]:ends[i]``;
    ``atoms[i]`` is not -1 where the character belongs to a replaced span (``<sub>``, a lexicon
    alias) that counts as one word, written as ``_Reading.atoms[atoms[i]]``."""

    style: _Style
    boundary: bool = False  # a sentence boundary (<p>, <s>) comes before this run
    text: str = ""
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    atoms: list[int] = field(default_factory=list)
    marks: list[tuple[int, _Mark]] = field(default_factory=list)  # (index in text, mark)

    def add(self, text: str, starts: list[int], ends: list[int], atom: int = -1) -> None:
        self.text += text
        self.starts += starts
        self.ends += ends
        self.atoms += [atom] * len(text)


@dataclass
class _Pause:
    ms: int


@dataclass
class _Reading:
    items: list[_Run | _Pause]
    plain: str  # the text as spoken, without markup: Polly bills its characters
    atoms: list[str] = field(default_factory=list)


def _invalid_ssml(detail: str) -> PollyError:
    return PollyError("InvalidSsmlException", f"Invalid SSML request: {detail}")


def _read(text: str, text_type: str) -> _Reading:
    if text_type == "text":
        run = _Run(_Style())
        run.add(text, list(range(len(text))), list(range(1, len(text) + 1)))
        return _Reading([run], text)
    _check_ssml(text)
    return _SsmlReader(text).read()


def _check_ssml(text: str) -> None:
    try:
        # expat resolves no external entities and caps entity expansion: safe for a local emulator
        root = ElementTree.fromstring(re.sub(r"(</?)amazon:", r"\1amazon-", text))  # noqa: S314
    except ElementTree.ParseError as error:
        raise _invalid_ssml(f"the SSML is not well-formed XML ({error})") from error
    if root.tag != "speak":
        raise _invalid_ssml("the root element must be <speak>")
    for element in root.iter():
        name = element.tag.replace("amazon-", "amazon:", 1)
        if name not in _POLLY_TAGS:
            raise _invalid_ssml(f"unsupported tag <{name}>")


class _SsmlReader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[_Run | _Pause] = []
        self.styles = [_Style()]
        self.plain: list[str] = []
        self.atoms: list[str] = []
        self.skip_depth = 0  # inside <sub>: its text is replaced by the alias
        self.spell_depth = 0
        self.boundary = False

    def read(self) -> _Reading:
        stack: list[str] = []
        for token in _TOKENS.finditer(self.text):
            raw = token.group()
            if raw.startswith(("<!--", "<?")):
                continue
            if raw.startswith("<![CDATA["):
                first = token.start() + 9
                self._text(raw[9:-3], list(range(first, first + len(raw) - 12)))
            elif raw.startswith("</"):
                self._close(stack.pop())
            elif raw.startswith("<"):
                name, attributes = self._parse_tag(raw)
                empty = raw.endswith("/>")
                self._open(name, attributes, token.start(), token.end(), empty)
                if not empty:
                    stack.append(name)
            else:
                decoded, starts, ends = _decode_entities(raw, token.start())
                self._text(decoded, starts, ends)
        return _Reading(self.items, "".join(self.plain), self.atoms)

    @staticmethod
    def _parse_tag(raw: str) -> tuple[str, dict[str, str]]:
        body = raw[1:-2] if raw.endswith("/>") else raw[1:-1]
        name, _, rest = body.strip().partition(" ")
        attributes = {key: html.unescape(value[1:-1]) for key, value in _ATTRIBUTE.findall(rest)}
        return name.strip(), attributes

    def _style(self) -> _Style:
        return self.styles[-1]

    def _run(self) -> _Run:
        last = self.items[-1] if self.items else None
        if not isinstance(last, _Run) or last.style is not self._style() or self.boundary:
            last = _Run(self._style(), boundary=self.boundary)
            self.items.append(last)
            self.boundary = False
        return last

    def _text(self, text: str, starts: list[int], ends: list[int] | None = None) -> None:
        ends = ends if ends is not None else [start + 1 for start in starts]
        if self.skip_depth:
            return
        if self.spell_depth:
            spelled, spelled_starts, spelled_ends = [], [], []
            for char, start, end in zip(text, starts, ends, strict=True):
                if not char.isspace():
                    spelled += [char, " "]
                    spelled_starts += [start, end]
                    spelled_ends += [end, end]
            text, starts, ends = "".join(spelled), spelled_starts, spelled_ends
        self._run().add(text, starts, ends)
        self.plain.append(text)

    def _open(self, name: str, attributes: dict[str, str], start: int, end: int, empty: bool) -> None:
        style = self._style()
        if name == "break":
            self.items.append(_Pause(_break_ms(attributes)))
        elif name == "mark":
            run = self._run()
            run.marks.append((len(run.text), _Mark(attributes.get("name", ""), start, end)))
        elif name in ("p", "s"):
            self.boundary = True
            if name == "p":
                self.items.append(_Pause(350))
        elif name == "sub" and not empty:
            alias = attributes.get("alias", "")
            close = self.text.find("</sub>", end)
            close = close if close >= end else end
            self.atoms.append(html.unescape(self.text[end:close]))
            self._run().add(alias, [end] * len(alias), [close] * len(alias), len(self.atoms) - 1)
            self.plain.append(alias)
            self.skip_depth += 1
        elif name == "say-as" and attributes.get("interpret-as") in ("characters", "spell-out"):
            self.spell_depth += 1
        if empty:
            return
        if name in ("prosody", "lang"):
            self.styles.append(
                _Style(
                    rate=style.rate * _rate_factor(attributes.get("rate")),
                    pitch=style.pitch + _pitch_offset(attributes.get("pitch")),
                    gain_db=style.gain_db + _volume_db(attributes.get("volume")),
                    language=attributes.get("xml:lang", style.language) if name == "lang" else style.language,
                )
            )
        else:
            self.styles.append(style)

    def _close(self, name: str) -> None:
        self.styles.pop()
        if name == "sub":
            self.skip_depth -= 1
        elif name == "say-as" and self.spell_depth:
            self.spell_depth -= 1
        elif name in ("p", "s"):
            self.boundary = True


def _decode_entities(raw: str, offset: int) -> tuple[str, list[int], list[int]]:
    text: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for entity in _ENTITY.finditer(raw):
        for index in range(position, entity.start()):
            text.append(raw[index])
            starts.append(offset + index)
            ends.append(offset + index + 1)
        decoded = html.unescape(entity.group())
        text.append(decoded)
        starts += [offset + entity.start()] * len(decoded)
        ends += [offset + entity.end()] * len(decoded)
        position = entity.end()
    for index in range(position, len(raw)):
        text.append(raw[index])
        starts.append(offset + index)
        ends.append(offset + index + 1)
    return "".join(text), starts, ends


def _break_ms(attributes: dict[str, str]) -> int:
    time = attributes.get("time")
    if time:
        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s)\s*", time)
        if not match:
            raise _invalid_ssml(f'bad <break time="{time}">')
        value = float(match.group(1)) * (1 if match.group(2) == "ms" else 1000)
        return min(int(value), 10_000)
    strength = attributes.get("strength", "medium")
    if strength not in _BREAK_STRENGTHS:
        raise _invalid_ssml(f'bad <break strength="{strength}">')
    return _BREAK_STRENGTHS[strength]


def _rate_factor(value: str | None) -> float:
    if value is None:
        return 1.0
    if value in _RATES:
        return _RATES[value]
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)%\s*", value)
    if not match:
        raise _invalid_ssml(f'bad <prosody rate="{value}">')
    return max(20.0, min(float(match.group(1)), 200.0)) / 100


def _pitch_offset(value: str | None) -> int:
    if value is None:
        return 0
    if value in _PITCHES:
        return _PITCHES[value]
    match = re.fullmatch(r"\s*([+-]?[0-9]+(?:\.[0-9]+)?)%\s*", value)
    if not match:
        raise _invalid_ssml(f'bad <prosody pitch="{value}">')
    return int(float(match.group(1)) / 2)


def _volume_db(value: str | None) -> float:
    if value is None:
        return 0.0
    if value in _VOLUMES_DB:
        return _VOLUMES_DB[value]
    match = re.fullmatch(r"\s*([+-]?[0-9]+(?:\.[0-9]+)?)dB\s*", value)
    if not match:
        raise _invalid_ssml(f'bad <prosody volume="{value}">')
    return float(match.group(1))


# --- lexicons -------------------------------------------------------------------------


def _aliases(lexicons: list[str], language: str) -> dict[str, str]:
    """grapheme -> alias of the ``<alias>`` lexemes of the PLS ``lexicons`` for ``language``."""
    aliases: dict[str, str] = {}
    for content in lexicons:
        try:
            root = ElementTree.fromstring(content)  # noqa: S314 (as in _check_ssml)
        except ElementTree.ParseError:
            continue
        lexicon_language = root.get("{http://www.w3.org/XML/1998/namespace}lang") or root.get("xml:lang")
        if lexicon_language and lexicon_language.lower() != language.lower():
            continue  # Polly applies a lexicon only to voices of its language
        for lexeme in root.iter():
            if not lexeme.tag.endswith("lexeme"):
                continue
            graphemes = [g.text or "" for g in lexeme if g.tag.endswith("grapheme")]
            alias = next((a.text or "" for a in lexeme if a.tag.endswith("alias")), None)
            if alias is not None:
                for grapheme in graphemes:
                    aliases.setdefault(grapheme, alias)
    return aliases


def _apply_aliases(run: _Run, aliases: dict[str, str], atoms: list[str]) -> _Run:
    """``run`` with each lexicon grapheme replaced by its alias, one word (atom) each."""
    if not aliases:
        return run
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, sorted(aliases, key=len, reverse=True))) + r")(?!\w)")
    out = _Run(run.style, run.boundary, marks=list(run.marks))
    position = 0
    for match in pattern.finditer(run.text):
        out.add(
            run.text[position : match.start()],
            run.starts[position : match.start()],
            run.ends[position : match.start()],
        )
        out.atoms[len(out.atoms) - (match.start() - position) :] = run.atoms[position : match.start()]
        alias = aliases[match.group()]
        atoms.append(match.group())
        first, last = run.starts[match.start()], run.ends[match.end() - 1]
        out.add(alias, [first] * len(alias), [last] * len(alias), len(atoms) - 1)
        position = match.end()
    out.add(run.text[position:], run.starts[position:], run.ends[position:])
    out.atoms[len(out.atoms) - (len(run.text) - position) :] = run.atoms[position:]
    return out


# --- speaking -------------------------------------------------------------------------

_BASE_RATE = 145  # words a minute: Polly's voices speak slower than eSpeak's default (175)
_BASE_PITCH = 50
#: Polly visemes of IPA symbols (stress and length marks removed), longest symbol first.
_VISEMES = {
    "tʃ": "S", "dʒ": "S", "aɪ": "a", "aʊ": "a", "eɪ": "e", "oʊ": "o", "əʊ": "o", "ɔɪ": "O",
    "p": "p", "b": "p", "m": "p", "f": "f", "v": "f", "θ": "T", "ð": "T",
    "t": "t", "d": "t", "n": "t", "l": "t", "ɾ": "t", "ɫ": "t",
    "s": "s", "z": "s", "ʃ": "S", "ʒ": "S", "ɕ": "S", "ʑ": "S",
    "k": "k", "g": "k", "ɡ": "k", "ŋ": "k", "h": "k", "x": "k", "ɣ": "k", "q": "k", "ʔ": "k",
    "ɹ": "r", "r": "r", "ʁ": "r", "ɻ": "r", "w": "u", "j": "i", "ɲ": "t", "ç": "k", "c": "k", "ɟ": "k",
    "i": "i", "ɪ": "i", "y": "u", "e": "e", "ɛ": "E", "ɜ": "E", "ɚ": "E", "ɝ": "E", "ʌ": "E", "œ": "E", "ø": "e",
    "æ": "a", "a": "a", "ɑ": "a", "ɐ": "a", "ə": "@", "ɨ": "i", "o": "o", "ɔ": "O", "ɒ": "O",
    "u": "u", "ʊ": "u", "ɯ": "u",
}  # fmt: skip
_VISEME_KEYS = sorted(_VISEMES, key=len, reverse=True)


def _viseme(phoneme: str) -> str:
    symbol = re.sub(r"[ˈˌːˑ̩̯̃̆͡]", "", phoneme)
    if not symbol:
        return "sil"
    for key in _VISEME_KEYS:
        if symbol.startswith(key):
            return _VISEMES[key]
    return "@"


@dataclass(frozen=True)
class Speech:
    """What SynthesizeSpeech answers: the body, its ``ContentType`` and ``RequestCharacters``."""

    body: bytes
    content_type: str
    request_characters: int
    duration_ms: int


@dataclass
class _Word:
    start: int  # in the spoken text of the whole request (every run, in order)
    end: int
    time_ms: int


@dataclass
class _Rendered:
    samples: list[npt.NDArray[np.int16]] = field(default_factory=list)
    marks: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)  # (time, order, mark)
    elapsed_ms: int = 0
    # the spoken text of every run, and for each character its input span and written form
    spoken: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    boundaries: set[int] = field(default_factory=set)
    words: list[_Word] = field(default_factory=list)

    def silence(self, ms: int) -> None:
        if ms > 0:
            self.samples.append(np.zeros(ms * espeak.SAMPLE_RATE // 1000, dtype=np.int16))
            self.elapsed_ms += ms

    def mark(self, time_ms: int, order: int, **fields: Any) -> None:
        self.marks.append((time_ms, order, {"time": time_ms, **fields}))


def synthesize(
    request: dict[str, Any], lexicons: dict[str, str] | None = None, limits: tuple[int, int] = SYNC_LIMITS
) -> Speech:
    """Answer SynthesizeSpeech: ``request`` is its input shape; ``lexicons`` holds the PLS content
    of the stored lexicons by name (``LexiconNames`` must be among them)."""
    checked = check_request(request, limits)
    stored = lexicons or {}
    missing = [name for name in checked.lexicon_names if name not in stored]
    if missing:
        raise PollyError("LexiconNotFoundException", f"Lexicon not found: {missing[0]}")
    reading = _read(checked.text, checked.text_type)
    aliases = _aliases([stored[name] for name in checked.lexicon_names], checked.language_code)
    rendered = _render(reading, checked, aliases)
    if checked.output_format == "json":
        marks = [mark for _, _, mark in sorted(rendered.marks, key=lambda item: (item[0], item[1]))]
        wanted = [mark for mark in marks if mark["type"] in checked.mark_types]
        body = "".join(json.dumps(mark, ensure_ascii=False, separators=(",", ":")) + "\n" for mark in wanted)
        data = body.encode("utf-8")
    else:
        samples = np.concatenate(rendered.samples) if rendered.samples else np.zeros(0, dtype=np.int16)
        samples = audio.resample(samples, espeak.SAMPLE_RATE, checked.sample_rate)
        data = audio.encode(samples, checked.sample_rate, checked.output_format)
    return Speech(data, CONTENT_TYPES[checked.output_format], len(reading.plain), rendered.elapsed_ms)


def _render(reading: _Reading, request: Request, aliases: dict[str, str]) -> _Rendered:
    rendered = _Rendered()
    atoms = list(reading.atoms)
    byte_offsets = _byte_offsets(request.text)
    for item in reading.items:
        if isinstance(item, _Pause):
            rendered.silence(item.ms)
        else:
            _speak_run(_apply_aliases(item, aliases, atoms), request, rendered, atoms, byte_offsets)
    for word in rendered.words:
        start, end = rendered.starts[word.start], rendered.ends[word.end - 1]
        value = "".join(rendered.written[word.start : word.end])
        rendered.mark(word.time_ms, 2, type="word", start=byte_offsets[start], end=byte_offsets[end], value=value)
    for first, last in _sentences("".join(rendered.spoken), rendered.boundaries):
        timed = [word for word in rendered.words if first <= word.start < last]
        if timed:
            start, end = rendered.starts[first], rendered.ends[last - 1]
            value = "".join(rendered.written[first:last])
            rendered.mark(
                timed[0].time_ms, 0, type="sentence", start=byte_offsets[start], end=byte_offsets[end], value=value
            )
    return rendered


def _speak_run(run: _Run, request: Request, rendered: _Rendered, atoms: list[str], byte_offsets: list[int]) -> None:
    base = len(rendered.spoken)
    if run.boundary:
        rendered.boundaries.add(base)
    rendered.spoken += list(run.text)
    rendered.starts += run.starts
    rendered.ends += run.ends
    rendered.written += [
        char if atom < 0 else (atoms[atom] if index == 0 or run.atoms[index - 1] != atom else "")
        for index, (char, atom) in enumerate(zip(run.text, run.atoms, strict=True))
    ]
    offset = rendered.elapsed_ms
    if not run.text.strip():
        for _, mark in run.marks:
            rendered.mark(
                offset, 1, type="ssml", start=byte_offsets[mark.start], end=byte_offsets[mark.end], value=mark.name
            )
        return
    style = run.style
    language = style.language if style.language in ESPEAK_LANGUAGES else request.language_code
    utterance = espeak.speak(
        run.text,
        request.voice.espeak_voice(language),
        rate=round(_BASE_RATE * style.rate),
        pitch=_BASE_PITCH + style.pitch,
    )
    samples = utterance.samples
    if style.gain_db:
        gain = 10 ** (style.gain_db / 20)
        samples = np.clip(samples.astype(np.float32) * gain, -32768, 32767).astype(np.int16)
    words = [
        _Word(base + start, base + end, offset + time_ms)
        for start, end, time_ms in _words(run, [event for event in utterance.events if event.kind == "word"])
    ]
    rendered.words += words
    for position, mark in run.marks:
        following = [word.time_ms for word in words if word.start >= base + position]
        time_ms = following[0] if following else offset + utterance.duration_ms
        rendered.mark(
            time_ms, 1, type="ssml", start=byte_offsets[mark.start], end=byte_offsets[mark.end], value=mark.name
        )
    previous = None
    for event in utterance.events:
        if event.kind == "phoneme":
            viseme = _viseme(event.phoneme)
            if viseme == "sil" and previous == "sil":
                continue
            rendered.mark(offset + event.time_ms, 3, type="viseme", value=viseme)
            previous = viseme
    rendered.samples.append(samples)
    rendered.elapsed_ms += utterance.duration_ms


def _words(run: _Run, events: list[espeak.Event]) -> Iterator[tuple[int, int, int]]:
    """(start, end, time) of each written word of ``run``: eSpeak may speak one written word as
    several (``42`` is "forty two"), so words that start inside the previous one are merged;
    a replaced span (``<sub>``, lexicon alias) is one word."""
    text, end = run.text, -1
    for event in events:
        start = event.start
        if start < end or start >= len(text):
            continue
        atom = run.atoms[start]
        if atom >= 0:
            while start > 0 and run.atoms[start - 1] == atom:
                start -= 1
            stop = start
            while stop < len(text) and run.atoms[stop] == atom:
                stop += 1
        else:
            while start < len(text) and not text[start].isalnum():
                start += 1  # Polly's words carry no punctuation
            stop = min(start + max(event.length, 1), len(text))
            while stop < len(text) and text[stop].isalnum() and run.atoms[stop] < 0:
                stop += 1  # eSpeak's length can stop short of the written word
            while stop > start and not text[stop - 1].isalnum():
                stop -= 1
        if stop <= start or start < end:
            continue
        end = stop
        yield start, stop, event.time_ms


_SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f]+[\"')\]\u201d\u2019]*(?=\s|$)")


def _sentences(text: str, boundaries: set[int]) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of ``text``: cut after end punctuation and at ``boundaries``
    (``<p>``, ``<s>``), without the surrounding whitespace."""
    cuts = sorted({0, len(text), *boundaries, *(match.end() for match in _SENTENCE_END.finditer(text))})
    for first, last in itertools.pairwise(cuts):
        while first < last and text[first].isspace():
            first += 1
        while last > first and text[last - 1].isspace():
            last -= 1
        if last > first:
            yield first, last


def _byte_offsets(text: str) -> list[int]:
    """UTF-8 byte offset of each character of ``text`` (and of its end)."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + len(char.encode("utf-8")))
    return offsets
