"""Text analysis with Comprehend over text of any length.

Comprehend's synchronous APIs take a bounded number of UTF-8 bytes. Longer text is
split at sentence or word boundaries, each piece analysed, and the results merged with
their offsets moved back into the whole text's coordinates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.comprehend import (
    ANALYSIS_LANGUAGES,
    ENTITIES_LIMIT,
    KEY_PHRASES_LIMIT,
    LANGUAGE_LIMIT,
    PII_LANGUAGES,
    PII_LIMIT,
    SENTIMENT_LIMIT,
    Comprehend,
)
from chalicelib.errors import UnsupportedLanguage
from chalicelib.models import DocumentSummary, EntityCount, TextSummary

SENTENCE_ENDS = ".!?\n"
TOP_KEY_PHRASES = 10


def split_text(text: str, max_bytes: int) -> list[tuple[int, str]]:
    """Pieces of ``text`` of at most ``max_bytes`` UTF-8 bytes, as (character offset, piece).

    Pieces end after a sentence end where one is in reach, else after white space, else
    at the limit; joined, they give back the text exactly.
    """
    if max_bytes < 4:
        raise ValueError("max_bytes must leave room for one character")
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        size = 0
        end = start
        sentence_break = space_break = -1
        while end < len(text):
            width = len(text[end].encode("utf-8"))
            if size + width > max_bytes:
                break
            size += width
            end += 1
            if text[end - 1] in SENTENCE_ENDS:
                sentence_break = end
            elif text[end - 1].isspace():
                space_break = end
        if end < len(text):
            if sentence_break > start:
                end = sentence_break
            elif space_break > start:
                end = space_break
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def _shifted(items: list[dict[str, Any]], offset: int) -> list[dict[str, Any]]:
    shifted = []
    for item in items:
        item = dict(item)
        if "BeginOffset" in item:
            item["BeginOffset"] += offset
            item["EndOffset"] += offset
        shifted.append(item)
    return shifted


def _dominant_language(comprehend: Comprehend, text: str) -> tuple[str | None, list[dict[str, Any]]]:
    """The language of most of the text: scores of each piece weighted by its length."""
    weights: Counter[str] = Counter()
    for _, piece in split_text(text, LANGUAGE_LIMIT):
        if piece.strip():
            for language in comprehend.dominant_languages(piece):
                weights[language["LanguageCode"]] += language["Score"] * len(piece)
    total = sum(weights.values())
    if not total:
        return None, []
    ranked: list[dict[str, Any]] = [
        {"LanguageCode": code, "Score": round(weight / total, 4)} for code, weight in weights.most_common()
    ]
    return ranked[0]["LanguageCode"], ranked


def _sentiment(comprehend: Comprehend, text: str, language: str) -> dict[str, Any]:
    """One sentiment for the text: each piece's scores weighted by its length."""
    totals: Counter[str] = Counter()
    length = 0
    for _, piece in split_text(text, SENTIMENT_LIMIT):
        if not piece.strip():
            continue
        result = comprehend.sentiment(piece, language)
        for name, score in result["SentimentScore"].items():
            totals[name] += score * len(piece)
        length += len(piece)
    scores = {name: round(totals[name] / length, 4) for name in ("Positive", "Negative", "Neutral", "Mixed")}
    return {"Sentiment": max(scores, key=lambda name: scores[name]).upper(), "SentimentScore": scores}


def _merged(analyse: Any, text: str, language: str, limit: int) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for offset, piece in split_text(text, limit):
        if piece.strip():
            merged.extend(_shifted(analyse(piece, language), offset))
    return merged


def analyse_text(comprehend: Comprehend, text: str) -> dict[str, Any]:
    """Language, entities, key phrases, sentiment and PII of ``text``, offsets into ``text``."""
    analysis: dict[str, Any] = {
        "language": None,
        "languages": [],
        "entities": [],
        "key_phrases": [],
        "sentiment": None,
        "pii_entities": [],
        "skipped": [],
    }
    if not text.strip():
        analysis["skipped"].append("no text was found in the document")
        return analysis
    detected, languages = _dominant_language(comprehend, text)
    analysis["language"], analysis["languages"] = detected, languages
    language = detected or "und"
    steps: tuple[tuple[str, frozenset[str], Callable[[], Any]], ...] = (
        ("entities", ANALYSIS_LANGUAGES, lambda: _merged(comprehend.entities, text, language, ENTITIES_LIMIT)),
        ("key_phrases", ANALYSIS_LANGUAGES, lambda: _merged(comprehend.key_phrases, text, language, KEY_PHRASES_LIMIT)),
        ("sentiment", ANALYSIS_LANGUAGES, lambda: _sentiment(comprehend, text, language)),
        ("pii_entities", PII_LANGUAGES, lambda: _merged(comprehend.pii_entities, text, language, PII_LIMIT)),
    )
    for name, modelled, analyse in steps:
        if language not in modelled:
            analysis["skipped"].append(f"{name}: Comprehend has no model for language {language!r}")
            continue
        try:
            analysis[name] = analyse()
        except UnsupportedLanguage as refusal:
            analysis["skipped"].append(f"{name}: {refusal}")
    return analysis


def summarise_text(analysis: dict[str, Any], characters: int) -> TextSummary:
    """The headline of an analysis: language, sentiment, entity counts by type, the top key phrases."""

    def counts(items: list[dict[str, Any]]) -> list[EntityCount]:
        by_type = Counter(item["Type"] for item in items)
        return [EntityCount(type=name, count=count) for name, count in sorted(by_type.items())]

    phrases: list[str] = []
    for phrase in sorted(analysis["key_phrases"], key=lambda item: -item.get("Score", 0)):
        if phrase["Text"] not in phrases:
            phrases.append(phrase["Text"])
        if len(phrases) == TOP_KEY_PHRASES:
            break
    sentiment = analysis["sentiment"]
    return TextSummary(
        characters=characters,
        language=analysis["language"],
        sentiment=sentiment["Sentiment"] if sentiment else None,
        entities=counts(analysis["entities"]),
        key_phrases=phrases,
        pii_entities=counts(analysis["pii_entities"]),
    )


def summarise(analysis: dict[str, Any], pages: int, characters: int) -> DocumentSummary:
    return DocumentSummary(pages=pages, **summarise_text(analysis, characters).model_dump())


def redact(text: str, entities: list[dict[str, Any]]) -> str:
    """``text`` with each entity's span (``BeginOffset``..``EndOffset``) replaced by ``[TYPE]``.
    Overlapping spans are redacted as one, named by the first."""
    spans = sorted(
        ((int(e["BeginOffset"]), int(e["EndOffset"]), str(e["Type"])) for e in entities if "BeginOffset" in e),
        key=lambda span: (span[0], -span[1]),
    )
    pieces: list[str] = []
    position = 0
    for begin, end, kind in spans:
        if begin < position:  # overlaps the span redacted before: it grows to cover both
            position = max(position, end)
            continue
        pieces.append(text[position:begin])
        pieces.append(f"[{kind}]")
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
