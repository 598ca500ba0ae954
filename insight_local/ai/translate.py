"""Offline Amazon Translate: TranslateText and ListLanguages.

The local mode has no network, and no translation model small enough ships on PyPI (the
packages found, argostranslate, linguonnx, firefox-translations, fxtranslate, bntrans and
netra-nmt, all download their models at run time). Debian ships one: Apertium, a rule-based
(shallow-transfer) translator whose language pairs are Debian packages (``apertium-eng-spa``,
2 MB: English <-> Spanish). This engine translates with the Apertium pairs installed on the
machine, found at run time (``apertium -l``), and with nothing else.

=============================  ===============================================================
request                        answer
=============================  ===============================================================
a pair Apertium has            its translation (``apertium -u``: unknown words are kept as they
                               are, unmarked)
``SourceLanguageCode: auto``   the language is detected by the offline Comprehend engine
                               (``DetectDominantLanguage``), as Translate calls Comprehend; a
                               score under 0.5 is ``DetectedLanguageLowConfidenceException``
source = target                the text, unchanged, as Translate answers it (and does not bill)
a pair of Translate languages  ``UnsupportedLanguagePairException``, its message saying there is
Apertium has no pair for       no offline model for the pair and which pairs there are
a code Translate does not      ``UnsupportedLanguagePairException``, as Translate answers it
know
Text over 10,000 UTF-8 bytes   ``TextSizeLimitExceededException``
Settings (formality,           ``InvalidRequestException``: not available offline
profanity, brevity)
TerminologyNames               ``ResourceNotFoundException``: there are no custom
                               terminologies offline
=============================  ===============================================================

ListLanguages lists Translate's languages (English names only: another ``DisplayLanguageCode``
is ``UnsupportedDisplayLanguageCodeException``), as the service does: it is a catalogue of the
API, not of the pairs this machine can translate.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from typing import Any

from insight_local.ai import comprehend

__all__ = ["LANGUAGES", "TEXT_LIMIT", "TranslateError", "list_languages", "offline_pairs", "translate_text"]

Json = dict[str, Any]

TEXT_LIMIT = 10_000  # bytes of UTF-8
AUTO_CONFIDENCE = 0.5  # below this, an "auto" detection is low confidence
APERTIUM_TIMEOUT = 60.0

#: Translate's languages (code -> English name), from the developer guide's list.
LANGUAGES: dict[str, str] = {
    "af": "Afrikaans",
    "sq": "Albanian",
    "am": "Amharic",
    "ar": "Arabic",
    "hy": "Armenian",
    "az": "Azerbaijani",
    "bn": "Bengali",
    "bs": "Bosnian",
    "bg": "Bulgarian",
    "ca": "Catalan",
    "zh": "Chinese (Simplified)",
    "zh-TW": "Chinese (Traditional)",
    "hr": "Croatian",
    "cs": "Czech",
    "da": "Danish",
    "fa-AF": "Dari",
    "nl": "Dutch",
    "en": "English",
    "et": "Estonian",
    "fa": "Farsi (Persian)",
    "tl": "Filipino, Tagalog",
    "fi": "Finnish",
    "fr": "French",
    "fr-CA": "French (Canada)",
    "ka": "Georgian",
    "de": "German",
    "el": "Greek",
    "gu": "Gujarati",
    "ht": "Haitian Creole",
    "ha": "Hausa",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "is": "Icelandic",
    "id": "Indonesian",
    "ga": "Irish",
    "it": "Italian",
    "ja": "Japanese",
    "kn": "Kannada",
    "kk": "Kazakh",
    "ko": "Korean",
    "lv": "Latvian",
    "lt": "Lithuanian",
    "mk": "Macedonian",
    "ms": "Malay",
    "ml": "Malayalam",
    "mt": "Maltese",
    "mr": "Marathi",
    "mn": "Mongolian",
    "no": "Norwegian (Bokmål)",
    "ps": "Pashto",
    "pl": "Polish",
    "pt": "Portuguese (Brazil)",
    "pt-PT": "Portuguese (Portugal)",
    "pa": "Punjabi",
    "ro": "Romanian",
    "ru": "Russian",
    "sr": "Serbian",
    "si": "Sinhala",
    "sk": "Slovak",
    "sl": "Slovenian",
    "so": "Somali",
    "es": "Spanish",
    "es-MX": "Spanish (Mexico)",
    "sw": "Swahili",
    "sv": "Swedish",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "uz": "Uzbek",
    "vi": "Vietnamese",
    "cy": "Welsh",
}

#: Apertium names languages with ISO 639-3 codes (older pairs with ISO 639-1): Translate's code
#: for each. Only plain languages: a Translate variant (es-MX, pt-PT, fr-CA, ...) is a different
#: target, which an Apertium pair for the base language does not translate into.
_APERTIUM_CODES: dict[str, str] = {
    "afr": "af",
    "sqi": "sq",
    "amh": "am",
    "ara": "ar",
    "hye": "hy",
    "aze": "az",
    "ben": "bn",
    "bos": "bs",
    "bul": "bg",
    "cat": "ca",
    "zho": "zh",
    "hrv": "hr",
    "ces": "cs",
    "dan": "da",
    "nld": "nl",
    "eng": "en",
    "est": "et",
    "fas": "fa",
    "tgl": "tl",
    "fin": "fi",
    "fra": "fr",
    "kat": "ka",
    "deu": "de",
    "ell": "el",
    "guj": "gu",
    "hat": "ht",
    "hau": "ha",
    "heb": "he",
    "hin": "hi",
    "hun": "hu",
    "isl": "is",
    "ind": "id",
    "gle": "ga",
    "ita": "it",
    "jpn": "ja",
    "kan": "kn",
    "kaz": "kk",
    "kor": "ko",
    "lav": "lv",
    "lit": "lt",
    "mkd": "mk",
    "msa": "ms",
    "zlm": "ms",
    "mal": "ml",
    "mlt": "mt",
    "mar": "mr",
    "mon": "mn",
    "nob": "no",
    "pus": "ps",
    "pol": "pl",
    "por": "pt",
    "pan": "pa",
    "ron": "ro",
    "rus": "ru",
    "srp": "sr",
    "sin": "si",
    "slk": "sk",
    "slv": "sl",
    "som": "so",
    "spa": "es",
    "swa": "sw",
    "swe": "sv",
    "tam": "ta",
    "tel": "te",
    "tha": "th",
    "tur": "tr",
    "ukr": "uk",
    "urd": "ur",
    "uzb": "uz",
    "vie": "vi",
    "cym": "cy",
}
_PLAIN_MODE = re.compile(r"([a-z]{2,3})-([a-z]{2,3})")


class TranslateError(Exception):
    """An error answered as AWS answers it: ``code`` is the AWS error code; ``fields`` are the
    error shape's other members (``SourceLanguageCode``, ``DetectedLanguageCode``, ...)."""

    def __init__(self, code: str, message: str, **fields: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields


def _translate_code(apertium_code: str) -> str | None:
    if apertium_code in _APERTIUM_CODES:
        return _APERTIUM_CODES[apertium_code]
    return apertium_code if apertium_code in LANGUAGES and "-" not in apertium_code else None


@functools.cache
def _apertium_path() -> str | None:
    return shutil.which("apertium")


@functools.cache
def offline_pairs() -> dict[tuple[str, str], str]:
    """(source, target) in Translate's codes -> the Apertium mode that translates it."""
    executable = _apertium_path()
    if executable is None:
        return {}
    listed = subprocess.run(  # noqa: S603 - a fixed command, no shell
        [executable, "-l"], capture_output=True, text=True, timeout=APERTIUM_TIMEOUT, check=False
    ).stdout
    pairs: dict[tuple[str, str], str] = {}
    for mode in listed.split():
        match = _PLAIN_MODE.fullmatch(mode)
        if not match:
            continue  # variants (spa-eng_US) and debugging modes
        source, target = (_translate_code(code) for code in match.groups())
        if source and target:
            pairs.setdefault((source, target), mode)
    return pairs


def _apertium(mode: str, text: str) -> str:
    executable = _apertium_path()
    assert executable is not None  # offline_pairs() found the mode with it
    run = subprocess.run(  # noqa: S603 - a fixed command, no shell; the text goes through stdin
        [executable, "-u", "-f", "txt", mode],
        input=text,
        capture_output=True,
        text=True,
        timeout=APERTIUM_TIMEOUT,
        check=False,
    )
    if run.returncode != 0:
        raise TranslateError(
            "InternalServerException", f"the offline translator (apertium {mode}) failed: {run.stderr}"
        )
    # "#" marks a word Apertium could not inflect, "@" one its dictionary lacks: keep the word.
    return re.sub(r"(?<!\S)[#@](?=\w)", "", run.stdout)


def _code(request: Json, key: str) -> str:
    code = request.get(key)
    if not isinstance(code, str):
        raise TranslateError(
            "ValidationException",
            f"1 validation error detected: Value null at '{key[0].lower() + key[1:]}' failed to satisfy constraint: "
            "Member must not be null",
        )
    if not 2 <= len(code) <= 5:
        raise TranslateError(
            "ValidationException",
            f"1 validation error detected: Value '{code}' at '{key[0].lower() + key[1:]}' failed to satisfy "
            "constraint: Member must have length between 2 and 5",
        )
    return code


def _detect(text: str, target: str) -> str:
    languages = comprehend.detect_dominant_language({"Text": text})["Languages"]
    if not languages:
        raise TranslateError(
            "DetectedLanguageLowConfidenceException",
            "Amazon Translate could not detect the language of the text: it has no letters to judge by.",
            DetectedLanguageCode="und",
        )
    best = languages[0]
    code, score = str(best["LanguageCode"]), float(best["Score"])
    if score < AUTO_CONFIDENCE:
        raise TranslateError(
            "DetectedLanguageLowConfidenceException",
            f"Amazon Translate detected {code} with low confidence ({score:.2f}). "
            "Specify the source language, or use the detected one if it is acceptable.",
            DetectedLanguageCode=code,
        )
    if code not in LANGUAGES:
        raise TranslateError(
            "UnsupportedLanguagePairException",
            f"Unsupported language pair: {code} to {target}. The detected language is not supported.",
            SourceLanguageCode=code,
            TargetLanguageCode=target,
        )
    return code


def translate_text(request: Json) -> Json:
    text = request.get("Text")
    if not isinstance(text, str) or not text:
        raise TranslateError(
            "ValidationException",
            "1 validation error detected: Value at 'text' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        )
    size = len(text.encode("utf-8"))
    if size > TEXT_LIMIT:
        raise TranslateError(
            "TextSizeLimitExceededException",
            f"Input text size exceeds limit. Max length of request text allowed is {TEXT_LIMIT} bytes while in "
            f"this request the text size is {size} bytes",
        )
    source, target = _code(request, "SourceLanguageCode"), _code(request, "TargetLanguageCode")
    unknown = [code for code in (source, target) if code not in LANGUAGES and not (code == source == "auto")]
    if unknown or target == "auto":
        raise TranslateError(
            "UnsupportedLanguagePairException",
            f"Unsupported language pair: {source} to {target}. "
            f"Amazon Translate does not support {', '.join(unknown or [target])}.",
            SourceLanguageCode=source,
            TargetLanguageCode=target,
        )
    settings = {name: value for name, value in (request.get("Settings") or {}).items() if value}
    if settings:
        raise TranslateError(
            "InvalidRequestException",
            f"Translation settings ({', '.join(f'{k}={v}' for k, v in sorted(settings.items()))}) are not "
            "available offline: the local mode's translator has no formality, profanity or brevity control.",
        )
    for name in request.get("TerminologyNames") or []:
        raise TranslateError(
            "ResourceNotFoundException",
            f"The terminology {name} does not exist: custom terminologies are not available offline.",
        )
    if source == "auto":
        source = _detect(text, target)
    if source == target:
        translated = text
    else:
        pairs = offline_pairs()
        mode = pairs.get((source, target))
        if mode is None:
            available = ", ".join(f"{s}->{t}" for s, t in sorted(pairs)) or "none (apertium is not installed)"
            raise TranslateError(
                "UnsupportedLanguagePairException",
                f"Unsupported language pair: {source} to {target}. There is no offline translation model for "
                f"{LANGUAGES[source]} to {LANGUAGES[target]} in the local mode (offline pairs: {available}).",
                SourceLanguageCode=source,
                TargetLanguageCode=target,
            )
        translated = _apertium(mode, text)
    return {"TranslatedText": translated, "SourceLanguageCode": source, "TargetLanguageCode": target}


def list_languages(request: Json) -> Json:
    display = request.get("DisplayLanguageCode") or "en"
    if display != "en":
        raise TranslateError(
            "UnsupportedDisplayLanguageCodeException",
            f"Language names in {display} are not available offline: the local mode has English names only.",
            DisplayLanguageCode=display,
        )
    limit = int(request.get("MaxResults") or 500)
    codes = sorted(LANGUAGES, key=lambda code: LANGUAGES[code])
    start = 0
    token = request.get("NextToken")
    if token:
        if not token.isdigit() or int(token) >= len(codes):
            raise TranslateError("InvalidParameterValueException", f"The NextToken {token} is not valid.")
        start = int(token)
    page = codes[start : start + limit]
    answer: Json = {
        "Languages": [{"LanguageName": LANGUAGES[code], "LanguageCode": code} for code in page],
        "DisplayLanguageCode": "en",
    }
    if start + limit < len(codes):
        answer["NextToken"] = str(start + limit)
    return answer


OPERATIONS = {"TranslateText": translate_text, "ListLanguages": list_languages}
