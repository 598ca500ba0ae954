"""The offline OCR (Textract images and scans, Rekognition DetectText): how well it reads clean
printed text, and what the local AWS adds to the OCR's own time.

* character error rate (CER): pages of known prose drawn by ``bench.inputs.text_images`` in
  DejaVu Sans, Serif and Sans Mono at four sizes (12 to 30 px) in one column, and in two
  columns under a title, read by the OCR; the read text (lines in the OCR's reading order) against the drawn text
  (in reading order: a column after the other), both with whitespace collapsed to single spaces,
  by Levenshtein distance over the drawn text's length. Per case and over all cases (the sum of
  distances over the sum of lengths). Reading two columns across would cost far more than the
  budget, so the figure also checks the reading order.
* emulator overhead: DetectDocumentText on a PNG page and on a one-page scanned PDF, and
  DetectText on a JPEG, through boto3 -> moto's server -> the engine, divided by the OCR called
  directly (``insight_local.ai.ocr.recognise`` on the same picture) in this process, in the same
  run, each way timed in turn, best of five rounds.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from PIL import Image
from pypdf import PdfReader

from bench.inputs.text_images import TextImage, encode, scanned_pdf, text_page
from bench.measure import Budget, edit_distance, overhead, report
from insight_local.ai import ocr
from insight_local.server import LocalAWS

CER_BUDGET = 3.0  # percent, at most, per case and overall
OVERHEAD_BUDGET = 1.25  # times the OCR's own time, at most
ROUNDS = 5

FONTS = ("sans", "serif", "mono")
ONE_COLUMN_SIZES = (12, 16, 22, 30)
TWO_COLUMN_SIZE = 20


def normalise(text: str) -> str:
    return " ".join(text.split())


def cases() -> dict[str, TextImage]:
    pages = {}
    for seed, font_name in enumerate(FONTS):
        for size in ONE_COLUMN_SIZES:
            pages[f"{font_name} {size}px, 1 column"] = text_page(
                font_name=font_name, size=size, lines_per_column=6, width=1100, seed=seed + size
            )
        pages[f"{font_name} {TWO_COLUMN_SIZE}px, 2 columns"] = text_page(
            font_name=font_name,
            size=TWO_COLUMN_SIZE,
            columns=2,
            lines_per_column=6,
            width=1400,
            title="Annual Report 2026",
            seed=seed,
        )
    return pages


def character_error_rates() -> dict[str, float]:
    rates: dict[str, float] = {}
    errors = length = 0
    for name, page in cases().items():
        reference = normalise(page.text)
        read = normalise(ocr.recognise(page.image).text)
        distance = edit_distance(reference, read)
        rates[f"CER {name} (%)"] = 100 * distance / len(reference)
        errors += distance
        length += len(reference)
    rates["CER overall (%)"] = 100 * errors / length
    return rates


def _overhead(through: Callable[[], Any], picture: Image.Image) -> float:
    """Through moto over the OCR directly, timed in turn, best of ROUNDS each way."""
    return overhead([(lambda: ocr.recognise(picture), through)], ROUNDS)


def overheads() -> dict[str, float]:
    page = text_page(size=22, lines_per_column=5, width=1100, title="Minutes of the meeting", seed=11)
    png, jpeg, pdf = encode(page.image), encode(page.image, "jpeg", quality=92), scanned_pdf([page.image])
    # The OCR of the scanned PDF reads the page's image as the PDF stores it (Pillow writes JPEG).
    stored = next(iter(PdfReader(io.BytesIO(pdf)).pages[0].images)).image
    assert stored is not None, "pypdf decodes the scanned page's image"
    decoded = Image.open(io.BytesIO(jpeg)).convert("RGB")
    aws = LocalAWS().start()
    try:
        textract, rekognition = aws.client("textract"), aws.client("rekognition")
        textract.detect_document_text(Document={"Bytes": png})  # warm up: routes, the engine's models
        return {
            "Textract page (PNG) emulator overhead (x)": _overhead(
                lambda: textract.detect_document_text(Document={"Bytes": png}), page.image
            ),
            "Textract scanned PDF page emulator overhead (x)": _overhead(
                lambda: textract.detect_document_text(Document={"Bytes": pdf}), stored
            ),
            "Rekognition image (JPEG) emulator overhead (x)": _overhead(
                lambda: rekognition.detect_text(Image={"Bytes": jpeg}), decoded
            ),
        }
    finally:
        aws.stop()


def figures() -> dict[str, float]:
    return {**character_error_rates(), **overheads()}


def main() -> dict[str, float]:
    measured = figures()
    budgets: dict[str, Budget] = {
        name: (CER_BUDGET if name.startswith("CER") else OVERHEAD_BUDGET, "at most") for name in measured
    }
    return report("OCR offline (PP-OCRv4 from rapidocr-onnxruntime), on clean rendered text:", measured, budgets)


if __name__ == "__main__":
    main()
