"""The offline Translate engine (insight_local.ai.translate): real translations where an offline
model exists (Apertium's English <-> Spanish pair, a Debian package), AWS's errors elsewhere,
never an invented translation."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from insight_local.ai import translate
from insight_local.ai.translate import TranslateError
from tests.botocore_shapes import check_shape

TRANSLATE = botocore.session.get_session().get_service_model("translate")


@pytest.fixture(scope="module", autouse=True)
def apertium() -> None:
    if ("en", "es") not in translate.offline_pairs():
        pytest.fail(
            "the offline translator is missing: `apt-get install apertium-eng-spa` (Debian) gives the local mode "
            "its English <-> Spanish model"
        )


def translated(text: str, source: str, target: str, **fields: Any) -> dict[str, Any]:
    answer = translate.translate_text(
        {"Text": text, "SourceLanguageCode": source, "TargetLanguageCode": target, **fields}
    )
    check_shape(answer, TRANSLATE.operation_model("TranslateText").output_shape)
    return answer


def refused(code: str, **request: Any) -> TranslateError:
    with pytest.raises(TranslateError) as error:
        translate.translate_text(request)
    assert error.value.code == code, error.value.message
    return error.value


def test_english_is_translated_into_spanish_word_by_word_with_the_dictionarys_words() -> None:
    # Given English sentences whose words Apertium's dictionary has
    answer = translated("The signed contract is in the office.\nThe invoice is due on Friday.", "en", "es")
    text = answer["TranslatedText"].lower()
    # Then they come back in Spanish, line by line
    assert answer["SourceLanguageCode"] == "en" and answer["TargetLanguageCode"] == "es"
    assert "contrato" in text and "firmado" in text and "oficina" in text
    assert "factura" in text and "viernes" in text
    assert text.count("\n") == 1
    assert "contract" not in text and "*" not in text


def test_spanish_is_translated_into_english() -> None:
    text = translated("El contrato firmado está en la oficina.", "es", "en")["TranslatedText"].lower()
    assert text == "the agreement signed is in the office."  # word order kept: rule-based, not fluent


def test_auto_detects_the_source_language_with_the_comprehend_engine() -> None:
    answer = translated("La factura del contrato está en la oficina desde el viernes por la mañana.", "auto", "en")
    assert answer["SourceLanguageCode"] == "es"
    assert "office" in answer["TranslatedText"].lower()


def test_the_same_source_and_target_give_the_text_back_unchanged() -> None:
    text = "Ein Satz, den niemand übersetzt."
    assert translated(text, "de", "de")["TranslatedText"] == text


def test_a_pair_without_an_offline_model_is_unsupported_and_says_so() -> None:
    error = refused("UnsupportedLanguagePairException", Text="Hello", SourceLanguageCode="en", TargetLanguageCode="de")
    assert error.fields == {"SourceLanguageCode": "en", "TargetLanguageCode": "de"}
    assert "no offline translation model for English to German" in error.message
    assert "en->es" in error.message


def test_codes_translate_does_not_know_are_unsupported() -> None:
    error = refused("UnsupportedLanguagePairException", Text="Hello", SourceLanguageCode="en", TargetLanguageCode="xx")
    assert "xx" in error.message and "offline" not in error.message  # AWS itself refuses it
    refused("UnsupportedLanguagePairException", Text="Hello", SourceLanguageCode="en", TargetLanguageCode="auto")
    refused("ValidationException", Text="Hello", SourceLanguageCode="en", TargetLanguageCode="english")


def test_text_over_10000_bytes_is_refused_by_bytes_not_characters() -> None:
    assert translated("é" * 5000, "es", "es")["TranslatedText"] == "é" * 5000  # 10,000 bytes exactly
    error = refused("TextSizeLimitExceededException", Text="é" * 5001, SourceLanguageCode="es", TargetLanguageCode="en")
    assert "10002 bytes" in error.message


def test_auto_with_nothing_to_judge_by_is_low_confidence() -> None:
    error = refused(
        "DetectedLanguageLowConfidenceException", Text="12345 !!!", SourceLanguageCode="auto", TargetLanguageCode="en"
    )
    assert "DetectedLanguageCode" in error.fields


def test_what_cannot_be_done_offline_fails_with_a_message_that_says_so() -> None:
    settings = refused(
        "InvalidRequestException",
        Text="Hello",
        SourceLanguageCode="en",
        TargetLanguageCode="es",
        Settings={"Formality": "FORMAL"},
    )
    assert "Formality=FORMAL" in settings.message and "not available offline" in settings.message
    terminology = refused(
        "ResourceNotFoundException",
        Text="Hello",
        SourceLanguageCode="en",
        TargetLanguageCode="es",
        TerminologyNames=["brands"],
    )
    assert "brands" in terminology.message and "offline" in terminology.message


def test_list_languages_pages_through_translates_languages() -> None:
    shape = TRANSLATE.operation_model("ListLanguages").output_shape
    first = translate.list_languages({"MaxResults": 50})
    check_shape(first, shape)
    rest = translate.list_languages({"MaxResults": 50, "NextToken": first["NextToken"]})
    check_shape(rest, shape)
    codes = [item["LanguageCode"] for item in first["Languages"] + rest["Languages"]]
    assert len(codes) == len(set(codes)) == 75 and "NextToken" not in rest
    assert {"LanguageName": "Spanish (Mexico)", "LanguageCode": "es-MX"} in first["Languages"] + rest["Languages"]
    with pytest.raises(TranslateError) as error:
        translate.list_languages({"DisplayLanguageCode": "fr"})
    assert error.value.code == "UnsupportedDisplayLanguageCodeException"
