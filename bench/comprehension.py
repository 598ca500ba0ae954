"""The offline Comprehend: sentiment on hand-labelled sentences, PII on planted values, and
how the answers compare with hand labels and planted values.

* sentiment accuracy: ``bench/data/sentiment_labelled.tsv``, sentences labelled by hand,
  balanced over POSITIVE, NEGATIVE and NEUTRAL.
* PII recall (per type and overall) and precision: ``bench.inputs.pii`` plants e-mails, phone
  numbers, Luhn-valid cards, SSNs, IPv4/IPv6 addresses, street addresses and names in
  sentences (and decoys with none); a hit is the exact type and offsets.

The emulator's overhead is measured where the issue asks for it (per page, image, minute of
audio: ``bench.ocr``, ``bench.vision``, ``bench.audio``); Comprehend answers in well under a
millisecond, so its ratio would only measure the HTTP round trip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.inputs.pii import generated_pii_corpus, measure_pii
from bench.measure import Budget, report
from insight_local.ai import comprehend

LABELLED = Path(__file__).resolve().parent / "data" / "sentiment_labelled.tsv"
BUDGETS: dict[str, Budget] = {
    "sentiment accuracy (%)": (80.0, "at least"),
    "PII recall, pattern types (%)": (95.0, "at least"),
    "PII recall, names (%)": (95.0, "at least"),
    "PII precision (%)": (90.0, "at least"),
}
PATTERN_TYPES = ("EMAIL", "PHONE", "CREDIT_DEBIT_NUMBER", "SSN", "IP_ADDRESS", "ADDRESS")


def labelled() -> list[tuple[str, str]]:
    rows = LABELLED.read_text(encoding="utf-8").splitlines()[1:]
    return [(label, sentence) for label, sentence in (row.split("\t", 1) for row in rows if row.strip())]


def _engine(operation: str, **request: Any) -> dict[str, Any]:
    return comprehend.OPERATIONS[operation](request)


def figures() -> dict[str, float]:
    rows = labelled()
    correct = sum(
        _engine("DetectSentiment", Text=text, LanguageCode="en")["Sentiment"] == label for label, text in rows
    )
    corpus = generated_pii_corpus()
    recall, precision = measure_pii(
        corpus, lambda text: _engine("DetectPiiEntities", Text=text, LanguageCode="en")["Entities"]
    )
    planted = [(kind, len([p for _, items in corpus for p in items if p[0] == kind])) for kind in PATTERN_TYPES]
    pattern_recall = sum(recall[kind] * count for kind, count in planted) / sum(count for _, count in planted)
    return {
        "sentiment accuracy (%)": 100 * correct / len(rows),
        "PII recall, pattern types (%)": 100 * pattern_recall,
        "PII recall, names (%)": 100 * recall["NAME"],
        "PII precision (%)": 100 * precision,
    }


def main() -> dict[str, float]:
    rows = labelled()
    return report(
        f"Comprehend offline ({len(rows)} labelled sentences; planted PII of {len(PATTERN_TYPES) + 1} types):",
        figures(),
        BUDGETS,
    )


if __name__ == "__main__":
    main()
