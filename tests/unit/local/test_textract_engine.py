"""The offline Textract engine (insight_local.ai.textract) on the sample documents in samples/."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from pypdf import PdfWriter

from insight_local.ai.textract import (
    DocumentText,
    TextractError,
    detect_document_text,
    detect_pages,
    get_document_text_detection_response,
    paginate_blocks,
)
from tests.botocore_shapes import check_shape
from tests.minimal_pdf import write_pdf

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
TEXTRACT = botocore.session.get_session().get_service_model("textract")


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture(scope="module")
def invoice() -> DocumentText:
    return DocumentText.from_bytes(sample("invoice.pdf"))


@pytest.fixture(scope="module")
def report_pages() -> list[list[dict[str, Any]]]:
    return detect_pages(sample("report.pdf"))


def by_id(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {block["Id"]: block for block in blocks}


def children(block: dict[str, Any]) -> list[str]:
    return [i for rel in block.get("Relationships", []) if rel["Type"] == "CHILD" for i in rel["Ids"]]


def of_type(blocks: list[dict[str, Any]], block_type: str) -> list[dict[str, Any]]:
    return [b for b in blocks if b["BlockType"] == block_type]


# --------------------------------------------------------------------------- botocore shape checker


def output_shape(operation: str) -> Any:
    return TEXTRACT.operation_model(operation).output_shape


def test_the_shape_checker_rejects_unknown_keys_and_wrong_types() -> None:
    # Given a valid DetectDocumentText response
    shape = output_shape("DetectDocumentText")
    valid = {"DocumentMetadata": {"Pages": 1}, "Blocks": [], "DetectDocumentTextModelVersion": "1.0"}
    check_shape(valid, shape)
    # When it gains an unknown key, a wrong type or a bad enum value
    # Then the checker fails each time
    for broken in (
        {**valid, "Surprise": 1},
        {**valid, "DocumentMetadata": {"Pages": "1"}},
        {**valid, "Blocks": [{"BlockType": "PARAGRAPH"}]},
        {**valid, "Blocks": [{"BlockType": "WORD", "Confidence": "99"}]},
        {**valid, "Blocks": [{"BlockType": "WORD", "Geometry": {"BoundingBox": {"Width": 1}}}]},
    ):
        with pytest.raises(AssertionError):
            check_shape(broken, shape)


def test_detect_document_text_output_matches_the_botocore_shape() -> None:
    # Given the one-page invoice
    # When DetectDocumentText runs on it
    response = detect_document_text(sample("invoice.pdf"))
    # Then the response fits botocore's output shape and is JSON-serialisable
    check_shape(response, output_shape("DetectDocumentText"))
    assert response["DocumentMetadata"] == {"Pages": 1}
    assert response["DetectDocumentTextModelVersion"]
    json.dumps(response)


def test_get_document_text_detection_output_matches_the_botocore_shape(
    report_pages: list[list[dict[str, Any]]],
) -> None:
    # Given the three pages of the report, paged 50 blocks at a time
    shape = output_shape("GetDocumentTextDetection")
    first = get_document_text_detection_response(report_pages, max_results=50)
    # When the next page is fetched with the NextToken
    second = get_document_text_detection_response(report_pages, max_results=50, next_token=first["NextToken"])
    # Then both responses fit botocore's output shape
    for response in (first, second):
        check_shape(response, shape)
        assert response["JobStatus"] == "SUCCEEDED"
        assert response["DocumentMetadata"] == {"Pages": 3}
        assert len(response["Blocks"]) == 50
    assert first["Blocks"][0]["BlockType"] == "PAGE"
    # And the last page carries no NextToken
    everything = get_document_text_detection_response(report_pages, max_results=1000)
    check_shape(everything, shape)
    assert "NextToken" not in everything


# --------------------------------------------------------------------------- the invoice


def test_invoice_lines_carry_the_invoice_fields(invoice: DocumentText) -> None:
    # Given the invoice sample
    # When its text is detected
    lines = invoice.lines()
    # Then the LINE texts contain its fields, as printed
    text = "\n".join(lines)
    assert any("INV-2026-0042" in line for line in lines)
    assert "$1,234.50" in lines  # the total stands apart from its label, in its own column
    for expected in (
        "Northwind Traders Ltd",
        "Invoice date: March 14, 2026",
        "Due date: 2026-04-13",
        "Maria Anders",
        "E-mail: billing@northwind.example",
        "Phone: +1 206-555-0143",
        "Total due (USD)",
        "Thank you for your business, Maria!",
    ):
        assert expected in text
    # And the columns of the line items are separate LINEs
    assert "Chai tea, 10 boxes x 20 bags" in lines
    assert "180.00" in lines


def test_invoice_has_one_page_block_that_owns_every_line(invoice: DocumentText) -> None:
    # Given the invoice's blocks
    blocks = invoice.pages[0]
    # Then there is one PAGE block, first, whose children are exactly the LINE blocks in order
    pages = of_type(blocks, "PAGE")
    assert len(pages) == 1 and blocks[0] is pages[0]
    assert children(pages[0]) == [line["Id"] for line in of_type(blocks, "LINE")]
    assert {b["Page"] for b in blocks} == {1}


def test_every_line_is_its_words_joined_by_spaces(invoice: DocumentText) -> None:
    # Given the invoice's blocks
    blocks = invoice.pages[0]
    index = by_id(blocks)
    words = of_type(blocks, "WORD")
    claimed: list[str] = []
    # When each LINE's children are looked up
    for line in of_type(blocks, "LINE"):
        child_ids = children(line)
        assert child_ids, line["Text"]
        assert all(index[i]["BlockType"] == "WORD" for i in child_ids)
        # Then the LINE text is the WORD texts joined by single spaces
        assert line["Text"] == " ".join(index[i]["Text"] for i in child_ids)
        claimed += child_ids
    # And every WORD belongs to exactly one LINE, and no WORD holds whitespace
    assert sorted(claimed) == sorted(w["Id"] for w in words)
    assert all(w["Text"] and not any(ch.isspace() for ch in w["Text"]) for w in words)
    assert all(w["TextType"] == "PRINTED" and 99 <= w["Confidence"] <= 100 for w in words)


def test_geometry_is_normalised_and_consistent(invoice: DocumentText) -> None:
    # Given every block of the invoice
    for block in invoice.pages[0]:
        box = block["Geometry"]["BoundingBox"]
        polygon = block["Geometry"]["Polygon"]
        # Then the bounding box lies within the page, in ratios of the page size
        for value in (box["Left"], box["Top"], box["Width"], box["Height"]):
            assert 0.0 <= value <= 1.0
        assert box["Left"] + box["Width"] <= 1.0 + 1e-9 and box["Top"] + box["Height"] <= 1.0 + 1e-9
        assert box["Width"] > 0 and box["Height"] > 0
        # And the polygon has four corners, clockwise from the top-left, inside the bounding box
        assert len(polygon) == 4
        top_left, top_right, bottom_right, bottom_left = polygon
        assert top_left["X"] == pytest.approx(box["Left"]) and top_left["Y"] == pytest.approx(box["Top"])
        assert bottom_right["X"] == pytest.approx(box["Left"] + box["Width"])
        assert bottom_right["Y"] == pytest.approx(box["Top"] + box["Height"])
        assert top_right["Y"] == top_left["Y"] and bottom_left["X"] == top_left["X"]


def test_geometry_matches_the_layout_of_the_page(invoice: DocumentText) -> None:
    # Given the words of the invoice (a US Letter page, 612 x 792 points)
    words: dict[str, dict[str, float]] = {}
    for word in of_type(invoice.pages[0], "WORD"):
        words.setdefault(word["Text"], word["Geometry"]["BoundingBox"])  # the first occurrence
    # Then the letterhead is at the top left and the footer at the bottom
    assert words["Northwind"]["Left"] == pytest.approx(50 / 612, abs=1e-3)
    assert words["Northwind"]["Top"] < 0.06
    assert words["Tax"]["Top"] > 0.9
    # And the right-aligned amounts end at the same x (554 pt), so the glyph widths are real
    for amount in ("180.00", "264.00", "20.50", "1,159.50", "$1,234.50"):
        box = words[amount]
        assert box["Left"] + box["Width"] == pytest.approx(554 / 612, abs=1e-3), amount
    # And a 12 pt word is taller than a 10 pt one
    assert words["$1,234.50"]["Height"] > words["180.00"]["Height"]


def test_lines_are_in_reading_order(invoice: DocumentText) -> None:
    # Given the LINE blocks of the invoice, in the order returned
    boxes = [line["Geometry"]["BoundingBox"] for line in of_type(invoice.pages[0], "LINE")]
    # Then they go from top to bottom, and left to right within a row
    for before, after in itertools.pairwise(boxes):
        centre_before = before["Top"] + before["Height"] / 2
        centre_after = after["Top"] + after["Height"] / 2
        same_row = abs(centre_after - centre_before) < 0.5 * max(before["Height"], after["Height"])
        if same_row:
            assert after["Left"] > before["Left"]
        else:
            assert centre_after > centre_before


# --------------------------------------------------------------------------- the report


def test_report_has_three_pages_with_their_own_text(report_pages: list[list[dict[str, Any]]]) -> None:
    # Given the three-page report
    # When its pages are detected
    pages = report_pages
    # Then each page starts with its PAGE block, numbered 1..3, and has its own text
    assert len(pages) == 3
    for number, blocks in enumerate(pages, start=1):
        assert blocks[0]["BlockType"] == "PAGE"
        assert {b["Page"] for b in blocks} == {number}
        assert f"Page {number} of 3" in [b["Text"] for b in of_type(blocks, "LINE")]
    texts = [" ".join(b["Text"] for b in of_type(blocks, "LINE")) for blocks in pages]
    assert "Executive summary" in texts[0] and "Financial review" in texts[1] and "Outlook" in texts[2]
    assert "Amélie Laurent" in texts[2]  # WinAnsiEncoding beyond ASCII
    # And block Ids are unique across the document
    ids = [b["Id"] for blocks in pages for b in blocks]
    assert len(ids) == len(set(ids))


def test_detect_document_text_rejects_a_multi_page_document() -> None:
    # Given the three-page report
    # When the synchronous DetectDocumentText is asked to read it
    with pytest.raises(TextractError) as raised:
        detect_document_text(sample("report.pdf"))
    # Then it fails as Textract does for multi-page documents
    assert raised.value.code == "UnsupportedDocumentException"
    assert "3 pages" in raised.value.message


@pytest.mark.parametrize("max_results", [1, 7, 100, 1000, 5000])
def test_pagination_returns_every_block_exactly_once(
    report_pages: list[list[dict[str, Any]]], max_results: int
) -> None:
    # Given the blocks of the report
    expected = [b["Id"] for blocks in report_pages for b in blocks]
    # When they are fetched page by page, following NextToken
    seen: list[str] = []
    token: str | None = None
    calls = 0
    while True:
        chunk, token = paginate_blocks(report_pages, max_results, token)
        calls += 1
        assert 0 < len(chunk) <= min(max_results, 1000)
        seen += [b["Id"] for b in chunk]
        if token is None:
            break
        assert isinstance(token, str) and token
    # Then every block comes back once, in order, in as few calls as MaxResults allows
    assert seen == expected
    assert calls == -(-len(expected) // min(max_results, 1000))


def test_pagination_rejects_bad_parameters(report_pages: list[list[dict[str, Any]]]) -> None:
    # Given a token issued for the report and one for a different job
    _, token = paginate_blocks(report_pages, 10, None)
    other_job = detect_pages(sample("invoice.pdf"))
    # Then a bad MaxResults, a garbled token and another job's token are refused
    for max_results, next_token in ((0, None), (10, "not-a-token"), (10, token)):
        with pytest.raises(TextractError) as raised:
            paginate_blocks(other_job if next_token == token else report_pages, max_results, next_token)
        assert raised.value.code == "InvalidParameterException"


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("name", "code", "hint"),
    [
        ("bad/encrypted.pdf", "UnsupportedDocumentException", "password protected"),
        ("bad/truncated.pdf", "BadDocumentException", "truncated"),
        ("bad/not_a_png.png", "UnsupportedDocumentException", "unsupported document format"),
        ("bad/empty.pdf", "UnsupportedDocumentException", "empty"),
    ],
)
def test_bad_documents_raise_the_textract_error(name: str, code: str, hint: str) -> None:
    # Given a document Textract cannot read here
    document = sample(name)
    # When either operation runs on it
    for operation in (detect_document_text, detect_pages):
        with pytest.raises(TextractError) as raised:
            operation(document)
        # Then it fails with the AWS error code
        assert raised.value.code == code
        assert hint in raised.value.message


@pytest.mark.parametrize(
    "header",
    [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"MM\x00*"],
    ids=["png", "jpeg", "tiff", "tiff-big-endian"],
)
def test_a_damaged_image_is_a_bad_document(header: bytes) -> None:
    # Given an image by its magic bytes, whose data is garbage
    document = header + bytes(64)
    # When its text is detected
    with pytest.raises(TextractError) as raised:
        detect_document_text(document)
    # Then it fails as an unreadable document, not as an unsupported format
    assert raised.value.code == "BadDocumentException"
    assert "damaged" in raised.value.message
    # and the message says so in words, with no Python object in it ("<_io.BytesIO object at 0x...>")
    assert "<" not in raised.value.message and "0x" not in raised.value.message


def test_a_scanned_page_whose_image_holds_no_text_has_no_lines() -> None:
    # Given a page without a text layer that paints only an 8 x 8 grey image
    # When its text is detected
    response = detect_document_text(sample("bad/scanned_no_text.pdf"))
    # Then it is read as a scan (no error), and there is nothing to read on it
    assert [b["BlockType"] for b in response["Blocks"]] == ["PAGE"]


def test_a_pdf_with_only_an_owner_password_is_read() -> None:
    # Given the invoice encrypted with an empty user password (restrictions only)
    writer = PdfWriter(clone_from=io.BytesIO(sample("invoice.pdf")))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    # When its text is detected
    response = detect_document_text(buffer.getvalue())
    # Then it reads like the plain invoice
    assert "$1,234.50" in [b["Text"] for b in of_type(response["Blocks"], "LINE")]


def test_a_rotated_page_is_measured_as_displayed(invoice: DocumentText) -> None:
    # Given the invoice with its page turned 90 degrees clockwise (/Rotate 90)
    writer = PdfWriter(clone_from=io.BytesIO(sample("invoice.pdf")))
    writer.pages[0].rotate(90)
    buffer = io.BytesIO()
    writer.write(buffer)
    # When its text is detected
    rotated = detect_pages(buffer.getvalue())[0]
    # Then every word box is the upright box turned with the page
    upright = {w["Text"]: w["Geometry"]["BoundingBox"] for w in of_type(invoice.pages[0], "WORD")}
    turned = {w["Text"]: w["Geometry"]["BoundingBox"] for w in of_type(rotated, "WORD")}
    for word in ("Northwind", "INV-2026-0042", "$1,234.50"):
        before, after = upright[word], turned[word]
        assert after["Left"] == pytest.approx(1 - before["Top"] - before["Height"])
        assert after["Top"] == pytest.approx(before["Left"])
        assert after["Width"] == pytest.approx(before["Height"])
        assert after["Height"] == pytest.approx(before["Width"])


# --------------------------------------------------------------------------- content stream details


def tiny_pdf(content: bytes, extra_resources: bytes = b"", extra_objects: tuple[bytes, ...] = ()) -> bytes:
    """A one-page PDF (200 x 100 pt) with Helvetica as /F1 and the given content stream."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Resources << /Font << /F1 5 0 R >> "
        + extra_resources
        + b" >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        *extra_objects,
    ]
    return write_pdf(objects)


def test_tj_gaps_split_words_and_wide_gaps_split_lines() -> None:
    # Given text whose words are separated by TJ offsets only, then a far-away column
    content = b"BT /F1 10 Tf 10 50 Td [(Net) -300 (amount)] TJ 120 0 Td (42.00) Tj ET"
    # When its text is detected
    blocks = detect_document_text(tiny_pdf(content))["Blocks"]
    # Then the TJ gap makes two words on one line and the column is a second line
    assert [b["Text"] for b in of_type(blocks, "LINE")] == ["Net amount", "42.00"]
    assert [b["Text"] for b in of_type(blocks, "WORD")] == ["Net", "amount", "42.00"]


def test_text_painted_twice_for_fake_bold_is_read_once() -> None:
    # Given a word painted twice, offset by a fraction of a point
    content = b"BT /F1 10 Tf 10 50 Td (Bold) Tj ET BT /F1 10 Tf 10.3 50 Td (Bold) Tj ET"
    # When its text is detected
    blocks = detect_document_text(tiny_pdf(content))["Blocks"]
    # Then it is one word
    assert [b["Text"] for b in of_type(blocks, "WORD")] == ["Bold"]


def test_text_in_a_scaled_form_xobject_is_placed_on_the_page() -> None:
    # Given a form XObject with text, drawn scaled 2x at (20, 30)
    form = b"BT /F1 10 Tf 0 0 Td (Stamp) Tj ET"
    form_object = (
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 100 20] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Length %d >>\nstream\n%s\nendstream" % (len(form), form)
    )
    document = tiny_pdf(b"q 2 0 0 2 20 30 cm /Fm1 Do Q", b"/XObject << /Fm1 6 0 R >>", (form_object,))
    # When its text is detected
    blocks = detect_document_text(document)["Blocks"]
    # Then the word is found where the form put it, at twice the size
    (word,) = of_type(blocks, "WORD")
    box = word["Geometry"]["BoundingBox"]
    assert word["Text"] == "Stamp"
    assert box["Left"] == pytest.approx(20 / 200)
    assert box["Width"] == pytest.approx(2 * 10 * (667 + 278 + 556 + 833 + 556) / 1000 / 200)
    assert box["Top"] + box["Height"] == pytest.approx((100 - (30 - 2 * 10 * 0.207)) / 100)


def test_a_blank_page_has_a_page_block_and_no_lines() -> None:
    # Given a page that paints nothing
    # When its text is detected
    response = detect_document_text(tiny_pdf(b"q Q"))
    # Then there is only the PAGE block, without children
    assert [b["BlockType"] for b in response["Blocks"]] == ["PAGE"]
    assert "Relationships" not in response["Blocks"][0]
