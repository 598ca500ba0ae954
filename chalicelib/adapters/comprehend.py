"""Comprehend: language, entities, key phrases, sentiment and PII of a piece of text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.errors import UnsupportedLanguage, aws_error_code, service_call

#: Languages Comprehend's pre-trained models accept.
ANALYSIS_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"})
PII_LANGUAGES = frozenset({"en", "es"})

#: UTF-8 byte limits of the synchronous APIs.
LANGUAGE_LIMIT = 100_000
ENTITIES_LIMIT = 100_000
KEY_PHRASES_LIMIT = 100_000
PII_LIMIT = 100_000
SENTIMENT_LIMIT = 5_000


@contextmanager
def _language_errors() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        if aws_error_code(error) == "UnsupportedLanguageException":
            message = getattr(error, "response", {}).get("Error", {}).get("Message", str(error))
            raise UnsupportedLanguage(message) from error
        raise


class Comprehend:
    def __init__(self, client: Any) -> None:
        self._comprehend = client

    def dominant_languages(self, text: str) -> list[dict[str, Any]]:
        with _language_errors(), service_call("Comprehend"):
            return list(self._comprehend.detect_dominant_language(Text=text)["Languages"])

    def entities(self, text: str, language: str) -> list[dict[str, Any]]:
        with _language_errors(), service_call("Comprehend"):
            return list(self._comprehend.detect_entities(Text=text, LanguageCode=language)["Entities"])

    def key_phrases(self, text: str, language: str) -> list[dict[str, Any]]:
        with _language_errors(), service_call("Comprehend"):
            response = self._comprehend.detect_key_phrases(Text=text, LanguageCode=language)
        return list(response["KeyPhrases"])

    def sentiment(self, text: str, language: str) -> dict[str, Any]:
        with _language_errors(), service_call("Comprehend"):
            response = self._comprehend.detect_sentiment(Text=text, LanguageCode=language)
        return {"Sentiment": response["Sentiment"], "SentimentScore": response["SentimentScore"]}

    def pii_entities(self, text: str, language: str) -> list[dict[str, Any]]:
        with _language_errors(), service_call("Comprehend"):
            response = self._comprehend.detect_pii_entities(Text=text, LanguageCode=language)
        return list(response["Entities"])
