"""Translate: text from one language into another, within the API's size limit."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import AnalysisUnavailable, aws_error_code, service_call

#: TranslateText takes at most 10,000 UTF-8 bytes.
TEXT_LIMIT = 10_000
#: Translate's refusals that mean "not this language pair", not a failure of the job.
UNAVAILABLE_CODES = frozenset({"UnsupportedLanguagePairException", "DetectedLanguageLowConfidenceException"})


class Translate:
    def __init__(self, client: Any) -> None:
        self._translate = client

    def translate(self, text: str, source: str, target: str) -> tuple[str, str]:
        """``text`` (at most ``TEXT_LIMIT`` bytes) in ``target``, and the source language used
        (``source`` may be ``auto``). ``AnalysisUnavailable`` for a pair Translate does not offer."""
        with service_call("Translate"):
            try:
                response = self._translate.translate_text(
                    Text=text, SourceLanguageCode=source, TargetLanguageCode=target
                )
            except Exception as error:
                code = aws_error_code(error)
                if code in UNAVAILABLE_CODES:
                    message = getattr(error, "response", {}).get("Error", {}).get("Message", str(error))
                    raise AnalysisUnavailable(f"{code}: {message}") from error
                raise
        return str(response["TranslatedText"]), str(response.get("SourceLanguageCode", source))
