"""The offline Comprehend engine (insight_local.ai.comprehend) on real text.

Every answer must be computed from the input, in botocore's output shape, with character
offsets that point at the text they name.
"""

from __future__ import annotations

import base64
import itertools
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from bench.inputs.pii import generated_pii_corpus, measure_pii
from insight_local.ai import comprehend
from insight_local.ai.comprehend import OPERATIONS, ComprehendError
from tests.botocore_shapes import check_shape

COMPREHEND = botocore.session.get_session().get_service_model("comprehend")
SENTIMENT_SET = Path(__file__).resolve().parents[3] / "bench" / "data" / "sentiment_labelled.tsv"
INVOICE = "The invoice is due on March 14, 2026 for $1,234.50"


def call(operation: str, **request: Any) -> dict[str, Any]:
    return OPERATIONS[operation](request)


def entities(text: str) -> list[dict[str, Any]]:
    return call("DetectEntities", Text=text, LanguageCode="en")["Entities"]


def pii(text: str, language: str = "en") -> list[dict[str, Any]]:
    return call("DetectPiiEntities", Text=text, LanguageCode=language)["Entities"]


def pii_found(text: str) -> set[tuple[str, str]]:
    return {(item["Type"], text[item["BeginOffset"] : item["EndOffset"]]) for item in pii(text)}


def found(text: str) -> set[tuple[str, str]]:
    return {(item["Type"], item["Text"]) for item in entities(text)}


def assert_offsets(text: str, items: list[dict[str, Any]]) -> None:
    for item in items:
        assert 0 <= item["BeginOffset"] < item["EndOffset"] <= len(text)
        if "Text" in item:
            assert text[item["BeginOffset"] : item["EndOffset"]] == item["Text"]


# --- botocore's output shapes ---------------------------------------------------------


def assert_shape(shape: Any, value: Any, path: str = "$") -> None:
    """Fail unless ``value`` fits botocore's ``shape``: no unknown keys, no wrong types."""
    check_shape(value, shape, path)


def test_the_shape_checker_rejects_unknown_keys_and_wrong_types() -> None:
    # Given DetectSentiment's output shape
    shape = COMPREHEND.operation_model("DetectSentiment").output_shape
    # When answers with an unknown key, a wrong type or a value outside the enum are checked
    # Then each fails
    with pytest.raises(AssertionError, match="unknown keys"):
        assert_shape(shape, {"Sentiment": "POSITIVE", "Extra": 1})
    with pytest.raises(AssertionError, match="expected a float"):
        assert_shape(shape, {"SentimentScore": {"Positive": "0.9"}})
    with pytest.raises(AssertionError, match="not in"):
        assert_shape(shape, {"Sentiment": "HAPPY"})


SHAPE_REQUESTS: dict[str, dict[str, Any]] = {
    "DetectDominantLanguage": {"Text": "The quarterly report will be published at the end of April."},
    "DetectSentiment": {"Text": "The support team was wonderful, but the delivery was late.", "LanguageCode": "en"},
    "DetectKeyPhrases": {"Text": INVOICE, "LanguageCode": "en"},
    "DetectEntities": {
        "Text": "Dr. Priya Raman of Globex Industries Ltd will visit Seattle on March 14, 2026 with $5,000.",
        "LanguageCode": "en",
    },
    "DetectPiiEntities": {
        "Text": "Mail jane.doe@example.com, SSN 123-45-6789, call (206) 555-0142.",
        "LanguageCode": "en",
    },
    "ContainsPiiEntities": {"Text": "Mail jane.doe@example.com or call (206) 555-0142.", "LanguageCode": "en"},
    "BatchDetectDominantLanguage": {
        "TextList": ["Good morning, how are you today?", "Guten Morgen, wie geht es dir heute?"]
    },
    "BatchDetectSentiment": {"TextList": ["I love it.", "I hate it."], "LanguageCode": "en"},
    "BatchDetectKeyPhrases": {"TextList": [INVOICE, "I love this product"], "LanguageCode": "en"},
    "BatchDetectEntities": {"TextList": [INVOICE, "Acme Corp opened an office in Berlin."], "LanguageCode": "en"},
}


def test_operations_table_names_the_ten_api_operations() -> None:
    # Given botocore's Comprehend model
    # When the engine's table is read
    # Then it holds exactly the ten operations, each one a real API operation
    assert set(OPERATIONS) == set(SHAPE_REQUESTS)
    for name in OPERATIONS:
        assert COMPREHEND.operation_model(name).name == name


@pytest.mark.parametrize("operation", sorted(SHAPE_REQUESTS))
def test_every_operation_answers_in_botocore_output_shape(operation: str) -> None:
    # Given a real request for the operation
    request = SHAPE_REQUESTS[operation]
    # When the engine answers it
    answer = OPERATIONS[operation](dict(request))
    # Then the answer fits the operation's output shape and is not empty
    assert_shape(COMPREHEND.operation_model(operation).output_shape, answer)
    assert any(answer.values())


# --- language -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Please find attached the signed purchase order for the new office chairs.", "en"),
        ("Bitte senden Sie uns die unterschriebene Bestellung bis Freitag zurück.", "de"),
        ("Por favor, envíenos la factura firmada antes del viernes por la tarde.", "es"),
        ("Veuillez nous renvoyer la facture signée avant vendredi après-midi.", "fr"),
        ("Si prega di inviarci la fattura firmata entro venerdì pomeriggio.", "it"),
        ("Por favor, envie-nos a fatura assinada até sexta-feira à tarde.", "pt"),
        ("署名済みの請求書を金曜日の午後までに送ってください。", "ja"),
        ("请在星期五下午之前把签好的发票寄给我们。", "zh"),
        ("請在星期五下午之前把簽好的發票寄給我們，謝謝。", "zh-TW"),
    ],
)
def test_dominant_language_is_detected(text: str, language: str) -> None:
    # Given a sentence in a known language
    # When its dominant language is detected
    languages = call("DetectDominantLanguage", Text=text)["Languages"]
    # Then that language is ranked first with a high score
    assert languages[0]["LanguageCode"] == language
    assert languages[0]["Score"] > 0.7


def test_language_detection_is_deterministic() -> None:
    # Given a short, ambiguous text
    text = "Hotel Central, room 12, minibar"
    # When it is detected several times
    answers = [call("DetectDominantLanguage", Text=text) for _ in range(5)]
    # Then every answer is the same
    assert all(answer == answers[0] for answer in answers)


def test_text_without_letters_has_no_language() -> None:
    # Given only digits and punctuation
    # When the language is detected
    # Then no language is claimed
    assert call("DetectDominantLanguage", Text="12345 67890 -- 42")["Languages"] == []


# --- sentiment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("I love this product", "POSITIVE"),
        ("The delivery was fast and the support team was wonderful.", "POSITIVE"),
        ("The package arrived damaged and nobody answered my complaint.", "NEGATIVE"),
        ("This is the worst service I have ever had.", "NEGATIVE"),
        ("The invoice is due on March 14, 2026.", "NEUTRAL"),
        ("Please update the billing address on my account.", "NEUTRAL"),
        ("I absolutely love the new design. The battery life, however, is terrible and disappointing.", "MIXED"),
    ],
)
def test_sentiment_of_customer_text(text: str, sentiment: str) -> None:
    # Given customer or business text of a known sentiment
    # When its sentiment is detected
    answer = call("DetectSentiment", Text=text, LanguageCode="en")
    # Then the label is right, the label's score is the highest, and the scores sum to 1
    assert answer["Sentiment"] == sentiment
    scores = answer["SentimentScore"]
    assert set(scores) == {"Positive", "Negative", "Neutral", "Mixed"}
    assert max(scores, key=scores.get).upper() == sentiment
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-4)


def test_sentiment_scores_follow_the_text() -> None:
    # Given a mildly and a strongly positive sentence
    mild = call("DetectSentiment", Text="The room was nice.", LanguageCode="en")
    strong = call("DetectSentiment", Text="The room was absolutely amazing, spotless and beautiful!", LanguageCode="en")
    # When their scores are compared
    # Then the stronger text is the more confidently positive
    assert strong["SentimentScore"]["Positive"] > mild["SentimentScore"]["Positive"]


def test_sentiment_accuracy_on_the_labelled_set() -> None:
    # Given the hand-labelled business and customer sentences (balanced, >= 100)
    rows = [line.split("\t", 1) for line in SENTIMENT_SET.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    labels = [label for label, _ in rows]
    assert len(rows) >= 100
    assert {labels.count(label) for label in ("POSITIVE", "NEGATIVE", "NEUTRAL")} == {len(rows) // 3}
    # When each is analysed
    correct = sum(
        call("DetectSentiment", Text=sentence, LanguageCode="en")["Sentiment"] == label for label, sentence in rows
    )
    # Then at least 80% get the right label
    accuracy = correct / len(rows)
    print(f"sentiment accuracy: {accuracy:.3f} on {len(rows)} sentences")
    assert accuracy >= 0.80


# --- key phrases ----------------------------------------------------------------------


def test_key_phrases_are_noun_phrases_with_exact_offsets() -> None:
    # Given the invoice sentence
    # When its key phrases are detected
    phrases = call("DetectKeyPhrases", Text=INVOICE, LanguageCode="en")["KeyPhrases"]
    # Then they are its noun phrases, dates and amounts, at their offsets
    assert [phrase["Text"] for phrase in phrases] == ["The invoice", "March 14, 2026", "$1,234.50"]
    assert_offsets(INVOICE, phrases)
    assert all(0.5 < phrase["Score"] <= 1.0 for phrase in phrases)


@pytest.mark.parametrize(
    ("text", "expected", "not_expected"),
    [
        ("I love this product", {"this product"}, {"love", "I"}),
        (
            "Please review the attached purchase order and confirm the shipping address.",
            {"the attached purchase order", "the shipping address"},
            {"review", "confirm", "Please"},
        ),
        (
            "Dear Ms. Alvarez, the Acme Corp. contract was renewed.",
            {"Ms. Alvarez", "the Acme Corp. contract"},
            {"renewed"},
        ),
        ("The hotel room was dirty and very noisy.", {"The hotel room"}, {"dirty", "noisy", "very noisy"}),
    ],
)
def test_key_phrases_skip_verbs_adjectives_and_stop_words(
    text: str, expected: set[str], not_expected: set[str]
) -> None:
    # Given a sentence with verbs, predicative adjectives and stop words
    # When its key phrases are detected
    phrases = call("DetectKeyPhrases", Text=text, LanguageCode="en")["KeyPhrases"]
    texts = {phrase["Text"] for phrase in phrases}
    # Then the noun phrases are there and the rest is not
    assert expected <= texts
    assert not texts & not_expected
    assert_offsets(text, phrases)


# --- entities -------------------------------------------------------------------------


def test_invoice_date_and_amount_with_exact_offsets() -> None:
    # Given the invoice sentence
    # When its entities are detected
    found_entities = entities(INVOICE)
    # Then the date and the amount are found at their exact offsets
    by_type = {entity["Type"]: entity for entity in found_entities}
    assert by_type["DATE"]["Text"] == "March 14, 2026"
    assert (by_type["DATE"]["BeginOffset"], by_type["DATE"]["EndOffset"]) == (22, 36)
    assert by_type["QUANTITY"]["Text"] == "$1,234.50"
    assert (by_type["QUANTITY"]["BeginOffset"], by_type["QUANTITY"]["EndOffset"]) == (41, 50)
    assert_offsets(INVOICE, found_entities)


@pytest.mark.parametrize(
    "date",
    [
        "2026-03-14",
        "2026-03-14T09:30:00Z",
        "March 14, 2026",
        "14 March 2026",
        "Mar. 14, 2026",
        "14/03/2026",
        "03/14/2026",
        "14.03.2026",
        "Monday, March 16, 2026",
        "the 14th of March",
        "March 2026",
        "next Friday",
        "Q3 2026",
        "tomorrow",
        "10:30 AM",
    ],
)
def test_dates_in_many_formats(date: str) -> None:
    # Given a date written in one of many formats inside a sentence
    text = f"Please note the deadline of {date} for the renewal."
    # When the entities are detected
    # Then exactly that date is a DATE entity
    assert ("DATE", date) in found(text)


@pytest.mark.parametrize("not_a_date", ["13/13/2026", "2026-14-40", "version 1.2.3", "32.01.2026"])
def test_impossible_dates_are_not_dates(not_a_date: str) -> None:
    # Given a number that looks like a date but cannot be one
    text = f"The value {not_a_date} was logged."
    # When the entities are detected
    # Then it is not a DATE
    assert not any(kind == "DATE" and not_a_date in value for kind, value in found(text))


@pytest.mark.parametrize(
    "quantity",
    [
        "$1,234.50",
        "EUR 99",
        "99 USD",
        "£3.2 million",
        "15%",
        "3.5 percent",
        "250 kg",
        "16GB",
        "2,500 customers",
        "three weeks",
        "40 pallets",
        "12 months",
    ],
)
def test_quantities_with_currencies_percentages_and_units(quantity: str) -> None:
    # Given an amount, a percentage or a count with its unit in a sentence
    text = f"We expect {quantity} for the next phase."
    # When the entities are detected
    # Then it is one QUANTITY entity
    assert ("QUANTITY", quantity) in found(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We signed with Globex Industries Ltd. last week.", ("ORGANIZATION", "Globex Industries Ltd.")),
        ("Payment to Acme Corp is overdue.", ("ORGANIZATION", "Acme Corp")),
        ("Initech, LLC sent the quote.", ("ORGANIZATION", "Initech, LLC")),
        ("Our partner Müller Logistik GmbH confirmed.", ("ORGANIZATION", "Müller Logistik GmbH")),
        ("She studied at the University of Chicago.", ("ORGANIZATION", "University of Chicago")),
        ("Microsoft announced it on Tuesday.", ("ORGANIZATION", "Microsoft")),
        ("Dr. Priya Raman reviewed the file.", ("PERSON", "Priya Raman")),
        ("Please ask Mr. Okonkwo to sign.", ("PERSON", "Okonkwo")),
        ("Our analyst Sarah Connor approved it.", ("PERSON", "Sarah Connor")),
        ("Dear Ngozi, thanks for the update.", ("PERSON", "Ngozi")),
        ("The team moved from Chicago to Berlin.", ("LOCATION", "Berlin")),
        ("Sales in Germany and Japan grew.", ("LOCATION", "Japan")),
        (
            "Ship it to 742 Evergreen Terrace, Springfield, IL 62704 by noon.",
            ("LOCATION", "742 Evergreen Terrace, Springfield, IL 62704"),
        ),
        ("They launched the iPhone 15 Pro yesterday.", ("COMMERCIAL_ITEM", "iPhone 15 Pro")),
        ("We will exhibit at the Web Summit in Lisbon.", ("EVENT", "Web Summit")),
        ("Black Friday sales were strong.", ("EVENT", "Black Friday")),
        ('Read the book "The Lean Startup" before the workshop.', ("TITLE", "The Lean Startup")),
        ("Write to billing@example.com today.", ("OTHER", "billing@example.com")),
    ],
)
def test_named_entities(text: str, expected: tuple[str, str]) -> None:
    # Given a sentence naming an organisation, person, place, product, event, title or contact
    # When the entities are detected
    # Then it is found with the right AWS type
    assert expected in found(text)


def test_no_person_or_organisation_in_plain_business_text() -> None:
    # Given business text with capitalised words but no names
    text = (
        "Hello team, Following our call, Customer Success will follow up. Please review the attached "
        "purchase order and confirm the shipping address. Best regards, Support Team"
    )
    # When the entities are detected
    kinds = {kind for kind, _ in found(text)}
    # Then nothing is called a person or an organisation
    assert not kinds & {"PERSON", "ORGANIZATION"}


def test_offsets_are_code_points_after_non_ascii_text() -> None:
    # Given text where accents, emoji and CJK characters come before the entities
    text = "Café ☕ 😀 — 請求書: Zoë from Zürich pays €1.299,00? No: €1,299.00 on 2026-03-14 to Ana García."
    # When entities, key phrases and PII are detected
    found_entities = entities(text)
    phrases = call("DetectKeyPhrases", Text=text, LanguageCode="en")["KeyPhrases"]
    found_pii = pii(text)
    # Then every offset is a code point offset into the text
    assert_offsets(text, found_entities)
    assert_offsets(text, phrases)
    assert_offsets(text, found_pii)
    values = {entity["Text"] for entity in found_entities}
    assert {"€1,299.00", "2026-03-14", "Ana García", "Zürich"} <= values
    assert ("NAME", "Ana García") in pii_found(text)


def test_offsets_of_everything_in_a_long_document() -> None:
    # Given a long document of mixed business text
    text = " ".join(
        [
            "Dear Ms. Alvarez, please contact John Smith at john.smith@example.com or (206) 555-0142.",
            "Yesterday Globex Industries Ltd shipped 250 kg of parts to "
            "1600 Pennsylvania Avenue NW, Washington, DC 20500.",
            "The total was EUR 99 after a 15% discount, due by the end of April.",
            "I have been waiting three weeks for my refund and nobody answers my emails.",
        ]
        * 50
    )
    # When entities and key phrases are detected
    found_entities = entities(text)
    phrases = call("DetectKeyPhrases", Text=text, LanguageCode="en")["KeyPhrases"]
    # Then each one's text is the text at its offsets, and none overlap
    assert len(found_entities) >= 50 * 10
    assert_offsets(text, found_entities)
    assert_offsets(text, phrases)
    ends = [(entity["BeginOffset"], entity["EndOffset"]) for entity in found_entities]
    assert all(previous[1] <= current[0] for previous, current in itertools.pairwise(ends))


# --- PII ------------------------------------------------------------------------------


def test_planted_email_is_found() -> None:
    # Given a sentence with an e-mail address
    text = "For the refund, write to maria.lopez+billing@mail.example.co.uk before Friday."
    # When PII is detected
    # Then the address is an EMAIL at its exact offsets
    assert ("EMAIL", "maria.lopez+billing@mail.example.co.uk") in pii_found(text)


def test_invalid_luhn_card_number_is_not_reported() -> None:
    # Given a valid and an invalid (bad Luhn check digit) card number
    valid, invalid = "4111 1111 1111 1111", "4111 1111 1111 1112"
    # When PII is detected in each
    # Then only the valid one is a CREDIT_DEBIT_NUMBER
    assert ("CREDIT_DEBIT_NUMBER", valid) in pii_found(f"Charge card {valid} please.")
    assert not pii(f"Charge card {invalid} please.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My SSN is 123-45-6789.", ("SSN", "123-45-6789")),
        ("Call (206) 555-0142 tomorrow.", ("PHONE", "(206) 555-0142")),
        ("Call +44 20 7946 0958 tomorrow.", ("PHONE", "+44 20 7946 0958")),
        ("The server at 10.0.12.7 is down.", ("IP_ADDRESS", "10.0.12.7")),
        ("The host 2001:db8::ff00:42:8329 answers.", ("IP_ADDRESS", "2001:db8::ff00:42:8329")),
        ("Its MAC is 00:1A:2B:3C:4D:5E.", ("MAC_ADDRESS", "00:1A:2B:3C:4D:5E")),
        ("See https://example.com/orders?id=42 for details.", ("URL", "https://example.com/orders?id=42")),
        ("Send it to 55 Elm St, Apt 4B, Boston, MA 02118 now.", ("ADDRESS", "55 Elm St, Apt 4B, Boston, MA 02118")),
        ("The account holder is Maria Gonzalez.", ("NAME", "Maria Gonzalez")),
        ("Born on 1984-07-02.", ("DATE_TIME", "1984-07-02")),
        ("Wire to account number 00123456789 today.", ("BANK_ACCOUNT_NUMBER", "00123456789")),
        ("The routing number is 021000021.", ("BANK_ROUTING", "021000021")),
        (
            "Pay to IBAN DE89 3704 0044 0532 0130 00 please.",
            ("INTERNATIONAL_BANK_ACCOUNT_NUMBER", "DE89 3704 0044 0532 0130 00"),
        ),
        ("The key AKIAIOSFODNN7EXAMPLE leaked.", ("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE")),
        ("The patient is 42 years old.", ("AGE", "42")),
    ],
)
def test_pii_types(text: str, expected: tuple[str, str]) -> None:
    # Given a sentence with one kind of personal data
    # When PII is detected
    # Then it is found with its AWS type and exact offsets
    assert expected in pii_found(text)


@pytest.mark.parametrize(
    "text",
    [
        "The order number is 1234567890123 and the version is 10.2.3.4 of the app.",
        "SSN 000-12-3456 and 666-12-3456 are not valid numbers.",
        "The price is $1,234.50 for 3 boxes, invoice INV-2026-0042.",
        "The routing number is 123456789.",
    ],
)
def test_look_alikes_are_not_pii(text: str) -> None:
    # Given numbers that look like cards, IPs, SSNs or routing numbers but are not
    # When PII is detected
    # Then none of them is reported
    kinds = {kind for kind, _ in pii_found(text)}
    assert not kinds & {"CREDIT_DEBIT_NUMBER", "IP_ADDRESS", "SSN", "BANK_ROUTING", "PHONE"}


def test_contains_pii_labels_each_type_once() -> None:
    # Given text with two e-mails and a phone number
    text = "Write to a.b@example.com or c.d@example.org, or call (206) 555-0142."
    # When asked whether it contains PII
    labels = call("ContainsPiiEntities", Text=text, LanguageCode="en")["Labels"]
    # Then each type is labelled once, and clean text has no labels
    assert sorted(label["Name"] for label in labels) == ["EMAIL", "PHONE"]
    assert call("ContainsPiiEntities", Text="The weather is nice today.", LanguageCode="en")["Labels"] == []


def test_spanish_pii() -> None:
    # Given Spanish text with a name, a Spanish phone number and an address
    text = "La Sra. Lucía Fernández vive en Calle Mayor 12, 28013 Madrid y su teléfono es 612 34 56 78."
    # When PII is detected in Spanish
    values = {(item["Type"], text[item["BeginOffset"] : item["EndOffset"]]) for item in pii(text, "es")}
    # Then each is found
    assert {
        ("NAME", "Lucía Fernández"),
        ("PHONE", "612 34 56 78"),
        ("ADDRESS", "Calle Mayor 12, 28013 Madrid"),
    } <= values


# --- PII recall and precision on generated sentences ----------------------------------


def test_pii_recall_and_precision_on_generated_sentences() -> None:
    # Given generated sentences with planted e-mails, phones, Luhn-valid cards, SSNs, IPv4/IPv6,
    # street addresses and person names, and decoy sentences with look-alike numbers
    corpus = generated_pii_corpus()
    # When PII is detected in each
    recall, precision = measure_pii(corpus, pii)
    print(
        "PII recall:",
        {kind: round(value, 3) for kind, value in sorted(recall.items())},
        "precision:",
        round(precision, 3),
    )
    # Then each planted type is found exactly (type and offsets) at least 95% of the time,
    # and few detections are anything else
    assert all(value >= 0.95 for value in recall.values()), recall
    assert precision >= 0.9


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "limit", "extra"),
    [
        ("DetectDominantLanguage", 100_000, {}),
        ("DetectEntities", 100_000, {"LanguageCode": "en"}),
        ("DetectKeyPhrases", 100_000, {"LanguageCode": "en"}),
        ("DetectPiiEntities", 100_000, {"LanguageCode": "en"}),
        ("ContainsPiiEntities", 100_000, {"LanguageCode": "en"}),
        ("DetectSentiment", 5_000, {"LanguageCode": "en"}),
    ],
)
def test_text_over_the_byte_limit_is_refused(operation: str, limit: int, extra: dict[str, str]) -> None:
    # Given text exactly at the operation's UTF-8 byte limit, and text one byte over
    at_limit = ("word " * limit)[:limit]
    over = "€" * (limit // 3 + 1)  # fewer characters than the limit, more bytes
    assert len(over) < limit < len(over.encode("utf-8"))
    # When each is sent
    # Then the first is answered and the second is refused with TextSizeLimitExceededException
    OPERATIONS[operation]({"Text": at_limit, **extra})
    with pytest.raises(ComprehendError) as error:
        OPERATIONS[operation]({"Text": over, **extra})
    assert error.value.code == "TextSizeLimitExceededException"
    assert str(limit) in error.value.message


@pytest.mark.parametrize(
    ("operation", "language"),
    [
        ("DetectEntities", "fr"),
        ("DetectKeyPhrases", "de"),
        ("DetectSentiment", "ja"),
        ("DetectPiiEntities", "fr"),
        ("BatchDetectEntities", "es"),
    ],
)
def test_languages_without_an_offline_model_are_unsupported(operation: str, language: str) -> None:
    # Given a request in a language the offline engine has no model for
    key = "TextList" if operation.startswith("Batch") else "Text"
    request = {
        key: ["Bonjour tout le monde"] if key == "TextList" else "Bonjour tout le monde",
        "LanguageCode": language,
    }
    # When it is sent
    # Then it is refused as UnsupportedLanguageException, saying it is the offline engine
    with pytest.raises(ComprehendError) as error:
        OPERATIONS[operation](request)
    assert error.value.code == "UnsupportedLanguageException"
    assert "offline" in error.value.message


def test_unknown_language_code_and_missing_text_are_validation_errors() -> None:
    # Given a language code outside the API's enum, and a request without text
    # When they are sent
    # Then both are ValidationException
    with pytest.raises(ComprehendError) as error:
        call("DetectSentiment", Text="Hello there", LanguageCode="xx")
    assert error.value.code == "ValidationException"
    with pytest.raises(ComprehendError) as error:
        call("DetectKeyPhrases", LanguageCode="en")
    assert error.value.code == "ValidationException"


def test_batch_of_more_than_25_documents_is_refused() -> None:
    # Given 26 documents
    # When a batch is sent
    # Then it is refused with BatchSizeLimitExceededException; 25 are fine
    with pytest.raises(ComprehendError) as error:
        call("BatchDetectSentiment", TextList=["I love it."] * 26, LanguageCode="en")
    assert error.value.code == "BatchSizeLimitExceededException"
    assert len(call("BatchDetectSentiment", TextList=["I love it."] * 25, LanguageCode="en")["ResultList"]) == 25


def test_batch_document_over_5_kb_is_refused() -> None:
    # Given a batch whose second document is over 5,000 bytes
    # When it is sent
    # Then it is refused with TextSizeLimitExceededException
    with pytest.raises(ComprehendError) as error:
        call("BatchDetectKeyPhrases", TextList=["Fine.", "a" * 5_001], LanguageCode="en")
    assert error.value.code == "TextSizeLimitExceededException"


def test_batch_answers_each_document_in_order() -> None:
    # Given three documents of different sentiment
    texts = ["I love this product", "This is the worst service I have ever had.", "The invoice is attached."]
    # When they are analysed as a batch
    answer = call("BatchDetectSentiment", TextList=texts, LanguageCode="en")
    # Then each result carries its index and the same answer as the single operation
    assert answer["ErrorList"] == []
    assert [result["Index"] for result in answer["ResultList"]] == [0, 1, 2]
    for result, text in zip(answer["ResultList"], texts, strict=True):
        single = call("DetectSentiment", Text=text, LanguageCode="en")
        assert {key: result[key] for key in single} == single
    languages = call(
        "BatchDetectDominantLanguage", TextList=["Good morning to all of you", "Buenos días a todos ustedes"]
    )
    assert [result["Languages"][0]["LanguageCode"] for result in languages["ResultList"]] == ["en", "es"]
    batch_entities = call("BatchDetectEntities", TextList=[INVOICE], LanguageCode="en")["ResultList"][0]["Entities"]
    assert batch_entities == entities(INVOICE)


def test_batch_reports_a_failing_document_in_error_list(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an engine that fails on one document
    real = comprehend._key_phrases

    def flaky(text: str) -> list[dict[str, Any]]:
        if "boom" in text:
            raise RuntimeError("boom")
        return real(text)

    monkeypatch.setattr(comprehend, "_key_phrases", flaky)
    # When a batch with that document is analysed
    answer = call(
        "BatchDetectKeyPhrases", TextList=[INVOICE, "boom goes the dynamite", "I love this product"], LanguageCode="en"
    )
    # Then the other documents are answered and the failing one is in ErrorList
    assert [result["Index"] for result in answer["ResultList"]] == [0, 2]
    assert [(error["Index"], error["ErrorCode"]) for error in answer["ErrorList"]] == [(1, "INTERNAL_SERVER_ERROR")]
    assert_shape(COMPREHEND.operation_model("BatchDetectKeyPhrases").output_shape, answer)


def test_detect_entities_reads_plain_text_bytes_and_refuses_the_rest() -> None:
    # Given the invoice sentence as base64 Bytes, a binary document, and a custom endpoint
    encoded = base64.b64encode(INVOICE.encode()).decode()
    # When they are sent to DetectEntities
    # Then the text is analysed as if sent as Text, and the others are refused
    assert call("DetectEntities", Bytes=encoded, LanguageCode="en")["Entities"] == entities(INVOICE)
    with pytest.raises(ComprehendError) as error:
        call("DetectEntities", Bytes=b"%PDF-1.7\xff\xfe\x00binary", LanguageCode="en")
    assert error.value.code == "InvalidRequestException"
    with pytest.raises(ComprehendError) as error:
        call("DetectEntities", Text=INVOICE, Bytes=encoded, LanguageCode="en")
    assert error.value.code == "InvalidRequestException"
    with pytest.raises(ComprehendError) as error:
        call(
            "DetectEntities",
            Text=INVOICE,
            EndpointArn="arn:aws:comprehend:us-east-1:123456789012:entity-recognizer-endpoint/custom",
        )
    assert error.value.code == "ResourceUnavailableException"


def test_comprehend_error_carries_code_and_message() -> None:
    # Given an error raised by the engine
    error = ComprehendError("InvalidRequestException", "bad request")
    # When it is inspected
    # Then it has the AWS code and message
    assert (error.code, error.message) == ("InvalidRequestException", "bad request")
    assert isinstance(error, Exception)
