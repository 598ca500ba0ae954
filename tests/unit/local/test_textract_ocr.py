"""The offline Textract engine on images and scans (insight_local.ai.textract through the OCR)."""

from __future__ import annotations

import binascii
import difflib
import zlib
from functools import lru_cache
from typing import Any

import botocore.session
import pytest
from PIL import Image

from bench.inputs.text_images import TextImage, encode, invoice_page, multipage_tiff, scanned_pdf, text_page
from insight_local.ai.textract import TextractError, detect_document_text, detect_pages
from tests.botocore_shapes import check_shape
from tests.minimal_pdf import write_pdf

TEXTRACT = botocore.session.get_session().get_service_model("textract")


@lru_cache(maxsize=1)
def letter() -> TextImage:
    return text_page(size=22, lines_per_column=4, width=1000, title="Notice to shareholders", seed=7)


@lru_cache(maxsize=1)
def invoice() -> TextImage:
    return invoice_page()


@lru_cache(maxsize=4)
def blocks_of(kind: str) -> list[dict[str, Any]]:
    """DetectDocumentText's blocks for the letter encoded as PNG or JPEG (read once)."""
    return list(detect_document_text(encode(letter().image, kind))["Blocks"])


def of_type(blocks: list[dict[str, Any]], block_type: str) -> list[dict[str, Any]]:
    return [b for b in blocks if b["BlockType"] == block_type]


def children(block: dict[str, Any]) -> list[str]:
    return [i for rel in block.get("Relationships", []) if rel["Type"] == "CHILD" for i in rel["Ids"]]


def similar(a: list[str], b: list[str]) -> float:
    return difflib.SequenceMatcher(a="\n".join(a), b="\n".join(b), autojunk=False).ratio()


def drawn_lines(image: TextImage) -> list[str]:
    return [line.text for line in image.lines]


# --------------------------------------------------------------------------- images


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_detect_document_text_reads_an_image(kind: str) -> None:
    # Given the letter as an image
    blocks = blocks_of(kind)
    # Then the response fits botocore's output shape, with one PAGE block that owns the lines
    check_shape(
        {"DocumentMetadata": {"Pages": 1}, "Blocks": blocks, "DetectDocumentTextModelVersion": "1.0"},
        TEXTRACT.operation_model("DetectDocumentText").output_shape,
    )
    page, lines, words = of_type(blocks, "PAGE"), of_type(blocks, "LINE"), of_type(blocks, "WORD")
    assert len(page) == 1 and children(page[0]) == [line["Id"] for line in lines]
    # And the LINE texts are the drawn lines, in order (a character or so may differ)
    assert similar([line["Text"] for line in lines], drawn_lines(letter())) > 0.98
    assert lines[0]["Text"] == "Notice to shareholders"
    # And each LINE is its WORDs joined by spaces, the WORDs printed text with OCR confidences
    index = {block["Id"]: block for block in blocks}
    for line in lines:
        assert line["Text"] == " ".join(index[i]["Text"] for i in children(line))
    assert all(w["TextType"] == "PRINTED" and 50 < w["Confidence"] <= 100 for w in words)
    assert sorted(i for line in lines for i in children(line)) == sorted(w["Id"] for w in words)


def test_image_geometry_is_where_the_words_were_drawn() -> None:
    # Given the letter's drawn words and the WORD blocks read from its PNG
    image = letter()
    width, height = image.size
    drawn = {word.text: word.box for line in image.lines for word in line.words}
    # Then every word read that was drawn once lies at its drawn place, in ratios of the image
    once = {text for text in drawn if sum(w.text == text for line in image.lines for w in line.words) == 1}
    checked = 0
    for word in of_type(blocks_of("png"), "WORD"):
        if word["Text"] not in once:
            continue
        left, top, right, bottom = drawn[word["Text"]]
        box = word["Geometry"]["BoundingBox"]
        assert box["Left"] == pytest.approx(left / width, abs=0.006)
        assert box["Top"] == pytest.approx(top / height, abs=0.01)
        assert box["Left"] + box["Width"] == pytest.approx(right / width, abs=0.006)
        assert box["Top"] + box["Height"] == pytest.approx(bottom / height, abs=0.01)
        polygon = word["Geometry"]["Polygon"]
        assert polygon[0] == {"X": box["Left"], "Y": box["Top"]}
        checked += 1
    assert checked >= 20


def test_a_multi_page_tiff_is_read_page_by_page() -> None:
    # Given a two-page TIFF: the letter, then the invoice
    document = multipage_tiff([letter().image, invoice().image])
    # When its pages are detected (as the asynchronous API does)
    pages = detect_pages(document)
    # Then each page has its own text and page number, and Ids are unique across pages
    assert len(pages) == 2
    for number, (blocks, image) in enumerate(zip(pages, (letter(), invoice()), strict=True), start=1):
        assert blocks[0]["BlockType"] == "PAGE" and {b["Page"] for b in blocks} == {number}
        assert similar([b["Text"] for b in of_type(blocks, "LINE")], drawn_lines(image)) > 0.97
    ids = [b["Id"] for blocks in pages for b in blocks]
    assert len(ids) == len(set(ids))
    # But the synchronous operation refuses it, as Textract does
    with pytest.raises(TextractError) as raised:
        detect_document_text(document)
    assert raised.value.code == "UnsupportedDocumentException" and "2 pages" in raised.value.message


# --------------------------------------------------------------------------- scanned PDFs


def test_a_scanned_pdf_is_read_by_ocr() -> None:
    # Given an image-only PDF (as a scanner writes it) of the invoice and the letter
    pages = detect_pages(scanned_pdf([invoice().image, letter().image]))
    # Then both pages are read, and each image filling its page keeps its word positions
    assert len(pages) == 2
    for blocks, image in zip(pages, (invoice(), letter()), strict=True):
        assert similar([b["Text"] for b in of_type(blocks, "LINE")], drawn_lines(image)) > 0.97
    word = next(w for w in of_type(pages[0], "WORD") if w["Text"] == "INV-2026-0042")
    drawn = next(w.box for line in invoice().lines for w in line.words if w.text == "INV-2026-0042")
    width, height = invoice().size
    assert word["Geometry"]["BoundingBox"]["Left"] == pytest.approx(drawn[0] / width, abs=0.006)
    assert word["Geometry"]["BoundingBox"]["Top"] == pytest.approx(drawn[1] / height, abs=0.01)


def image_pdf(image: Image.Image, placement: tuple[float, float, float, float], *, encoding: str = "flate") -> bytes:
    """A one-page PDF (400 x 300 pt) painting ``image`` (grey) at x, y, width, height (points)."""
    grey = image.convert("L")
    x, y, w, h = placement
    content = b"q %g 0 0 %g %g %g cm /Im1 Do Q" % (w, h, x, y)
    header = b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8"
    header %= grey.size
    if encoding == "flate":
        data = zlib.compress(grey.tobytes())
        image_object = b"<< %s /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (header, len(data), data)
    elif encoding == "jbig2":  # a filter that cannot be decoded here
        data = b"\x00" * 64
        image_object = b"<< %s /Filter /JBIG2Decode /Length %d >>\nstream\n%s\nendstream" % (header, len(data), data)
    else:  # an inline image, hex-encoded, in the page's content stream
        image_object = b"<< /Length 0 >>\nstream\n\nendstream"
        hexed = binascii.hexlify(grey.tobytes()) + b">"
        content = b"q %g 0 0 %g %g %g cm BI /W %d /H %d /CS /G /BPC 8 /F /AHx ID\n%s\nEI Q" % (
            w,
            h,
            x,
            y,
            grey.width,
            grey.height,
            hexed,
        )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 300] /Resources << /XObject << /Im1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        image_object,
    ]
    return write_pdf(objects)


@lru_cache(maxsize=1)
def stamp() -> TextImage:
    return text_page(size=24, lines_per_column=1, width=700, seed=2)


@pytest.mark.parametrize("encoding", ["flate", "inline"])
def test_a_scan_placed_on_part_of_the_page_is_mapped_to_the_page(encoding: str) -> None:
    # Given a 400 x 300 pt page that paints a one-line scan into the rectangle x 100..300, y 200..250
    image = stamp()
    document = image_pdf(image.image, (100, 200, 200, 50), encoding=encoding)
    # When the page is read
    (blocks,) = detect_pages(document)
    (line,) = of_type(blocks, "LINE")
    # Then the text is read, and its box is the drawn box carried through the placement:
    # page x = 100 + 200 * px / width, page y from the top = 300 - 250 + 50 * py / height
    assert similar([line["Text"]], drawn_lines(image)) > 0.93
    left, top, right, bottom = image.lines[0].box
    width, height = image.size
    box = line["Geometry"]["BoundingBox"]
    assert box["Left"] == pytest.approx((100 + 200 * left / width) / 400, abs=0.005)
    assert box["Left"] + box["Width"] == pytest.approx((100 + 200 * right / width) / 400, abs=0.005)
    assert box["Top"] == pytest.approx((50 + 50 * top / height) / 300, abs=0.01)
    assert box["Top"] + box["Height"] == pytest.approx((50 + 50 * bottom / height) / 300, abs=0.01)


def test_a_scan_that_cannot_be_decoded_is_refused_clearly() -> None:
    # Given a page without text whose only image is JBIG2-encoded (no decoder here)
    document = image_pdf(stamp().image, (0, 0, 400, 300), encoding="jbig2")
    # When its text is detected
    with pytest.raises(TextractError) as raised:
        detect_document_text(document)
    # Then Textract's error says the page cannot be rasterised, and why
    assert raised.value.code == "UnsupportedDocumentException"
    assert "page 1" in raised.value.message and "cannot be rasterised" in raised.value.message
    assert "JBIG2Decode" in raised.value.message
