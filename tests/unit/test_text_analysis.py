"""Splitting long text for Comprehend and merging the answers back (no AWS: a fake analyser)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.text_analysis import analyse_text, split_text, summarise


def test_pieces_join_back_to_the_text_and_respect_the_byte_limit() -> None:
    # Given text with multi-byte characters, sentences and long words
    text = ("Déjà vu — naïve café. " * 40) + ("x" * 300) + " end."
    # When it is split at 100 bytes
    pieces = split_text(text, 100)
    # Then the pieces give back the text exactly, each within the limit, at their offsets
    assert "".join(piece for _, piece in pieces) == text
    for offset, piece in pieces:
        assert len(piece.encode("utf-8")) <= 100
        assert text[offset : offset + len(piece)] == piece


def test_pieces_end_at_sentence_ends_when_they_can() -> None:
    text = "One sentence here. Another one follows. " * 10
    pieces = split_text(text, 60)
    assert all(piece.rstrip().endswith(".") for _, piece in pieces[:-1])


def test_a_limit_too_small_for_a_character_is_refused() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 2)


class FakeComprehend:
    """Finds the word 'ACME' as an ORGANIZATION in each piece it is given; counts calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def dominant_languages(self, text: str) -> list[dict[str, Any]]:
        self.calls.append(("language", len(text)))
        return [{"LanguageCode": "en", "Score": 0.9}]

    def _find(self, text: str, kind: str) -> list[dict[str, Any]]:
        found, start = [], text.find("ACME")
        while start >= 0:
            found.append({"Type": kind, "Text": "ACME", "Score": 0.9, "BeginOffset": start, "EndOffset": start + 4})
            start = text.find("ACME", start + 1)
        return found

    def entities(self, text: str, language: str) -> list[dict[str, Any]]:
        self.calls.append(("entities", len(text.encode())))
        return self._find(text, "ORGANIZATION")

    def key_phrases(self, text: str, language: str) -> list[dict[str, Any]]:
        return [{"Text": "ACME", "Score": 0.8, "BeginOffset": 0, "EndOffset": 4}] if text.startswith("ACME") else []

    def sentiment(self, text: str, language: str) -> dict[str, Any]:
        self.calls.append(("sentiment", len(text.encode())))
        return {
            "Sentiment": "POSITIVE",
            "SentimentScore": {"Positive": 0.7, "Negative": 0.1, "Neutral": 0.2, "Mixed": 0.0},
        }

    def pii_entities(self, text: str, language: str) -> list[dict[str, Any]]:
        return []


def test_entities_of_long_text_carry_offsets_into_the_whole_text() -> None:
    # Given text far over Comprehend's 100 KB entity limit, with ACME throughout
    text = "ACME ships parcels. " * 12_000  # 240 KB
    comprehend = FakeComprehend()
    # When it is analysed
    analysis = analyse_text(comprehend, text)  # type: ignore[arg-type]
    # Then every entity's offsets point at ACME in the whole text, none is lost
    assert len(analysis["entities"]) == 12_000
    assert all(text[e["BeginOffset"] : e["EndOffset"]] == "ACME" for e in analysis["entities"])
    # and no call went over the service's limits
    assert all(size <= 100_000 for kind, size in comprehend.calls if kind == "entities")
    assert all(size <= 5_000 for kind, size in comprehend.calls if kind == "sentiment")
    assert analysis["sentiment"]["Sentiment"] == "POSITIVE"


def test_empty_text_is_not_sent_to_comprehend() -> None:
    comprehend = FakeComprehend()
    analysis = analyse_text(comprehend, "   \n ")  # type: ignore[arg-type]
    assert comprehend.calls == []
    assert analysis["skipped"] == ["no text was found in the document"]


def test_the_summary_counts_entities_by_type_and_keeps_the_best_key_phrases() -> None:
    analysis = {
        "language": "en",
        "entities": [{"Type": "DATE"}, {"Type": "DATE"}, {"Type": "QUANTITY"}],
        "key_phrases": [{"Text": "low", "Score": 0.1}, {"Text": "high", "Score": 0.9}, {"Text": "high", "Score": 0.8}],
        "sentiment": {"Sentiment": "NEUTRAL"},
        "pii_entities": [{"Type": "EMAIL"}],
    }
    summary = summarise(analysis, pages=2, characters=10)
    assert [(c.type, c.count) for c in summary.entities] == [("DATE", 2), ("QUANTITY", 1)]
    assert summary.key_phrases == ["high", "low"]
    assert summary.pii_entities[0].type == "EMAIL"
