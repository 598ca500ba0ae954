"""The offline Textract document analysis (insight_local.ai.textract_analysis): FORMS and TABLES,
on the invoice's PDF text layer and on an invoice image read by OCR."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from bench.inputs.text_images import INVOICE_ALIGNED_FIELDS, INVOICE_FIELDS, encode, invoice_page, text_page
from insight_local.ai.textract import TextractError, detect_pages
from insight_local.ai.textract_analysis import (
    analyze_document,
    analyze_pages,
    check_features,
    get_document_analysis_response,
)
from tests.botocore_shapes import check_shape

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
TEXTRACT = botocore.session.get_session().get_service_model("textract")
BOTH = frozenset({"FORMS", "TABLES"})


@lru_cache(maxsize=4)
def pdf_invoice(features: frozenset[str] = BOTH) -> dict[str, Any]:
    return analyze_document((SAMPLES / "invoice.pdf").read_bytes(), features)


@lru_cache(maxsize=1)
def image_invoice() -> dict[str, Any]:
    return analyze_document(encode(invoice_page().image), BOTH)


def index(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {block["Id"]: block for block in blocks}


def related(block: dict[str, Any], kind: str = "CHILD") -> list[str]:
    return [i for rel in block.get("Relationships", []) if rel["Type"] == kind for i in rel["Ids"]]


def text_of(block: dict[str, Any], blocks: dict[str, dict[str, Any]]) -> str:
    return " ".join(blocks[i]["Text"] for i in related(block))


def key_values(response: dict[str, Any]) -> dict[str, str]:
    blocks = index(response["Blocks"])
    pairs = {}
    for block in response["Blocks"]:
        if block["BlockType"] == "KEY_VALUE_SET" and block["EntityTypes"] == ["KEY"]:
            (value_id,) = related(block, "VALUE")
            value = blocks[value_id]
            assert value["BlockType"] == "KEY_VALUE_SET" and value["EntityTypes"] == ["VALUE"]
            pairs[text_of(block, blocks)] = text_of(value, blocks)
    return pairs


def tables(response: dict[str, Any]) -> list[list[list[str]]]:
    blocks = index(response["Blocks"])
    grids = []
    for table in (b for b in response["Blocks"] if b["BlockType"] == "TABLE"):
        cells = [blocks[i] for i in related(table)]
        assert all(cell["BlockType"] == "CELL" for cell in cells)
        rows, columns = max(c["RowIndex"] for c in cells), max(c["ColumnIndex"] for c in cells)
        assert len(cells) == rows * columns  # every cell is there, empty ones too
        grid = [[""] * columns for _ in range(rows)]
        for cell in cells:
            assert cell["RowSpan"] == cell["ColumnSpan"] == 1
            grid[cell["RowIndex"] - 1][cell["ColumnIndex"] - 1] = text_of(cell, blocks)
        grids.append(grid)
    return grids


# --------------------------------------------------------------------------- the PDF invoice (text layer)


def test_analyze_document_output_matches_the_botocore_shape() -> None:
    response = pdf_invoice()
    check_shape(response, TEXTRACT.operation_model("AnalyzeDocument").output_shape)
    assert response["DocumentMetadata"] == {"Pages": 1} and response["AnalyzeDocumentModelVersion"]


def test_forms_pair_each_label_with_its_value_on_the_pdf_invoice() -> None:
    # Given the invoice sample, analysed for FORMS
    pairs = key_values(pdf_invoice())
    # Then "Label: value" lines and the right-aligned totals are pairs, and nothing else is
    assert pairs == {
        "Invoice number:": "INV-2026-0042",
        "Invoice date:": "March 14, 2026",
        "Due date:": "2026-04-13",
        "E-mail:": "billing@northwind.example",
        "Phone:": "+1 206-555-0143",
        "Purchase order:": "PO-88417",
        "Subtotal": "1,159.50",
        "Shipping and handling": "75.00",
        "Total due (USD)": "$1,234.50",
    }


def test_tables_find_the_line_items_of_the_pdf_invoice() -> None:
    # Given the invoice sample, analysed for TABLES
    grids = tables(pdf_invoice())
    # Then its line items are one table, cell by cell, and the totals below are not in it
    assert grids == [
        [
            ["Description", "Qty", "Unit price", "Amount"],
            ["Chai tea, 10 boxes x 20 bags", "10", "18.00", "180.00"],
            ["Chef Anton's Cajun Seasoning, 48 jars", "12", "22.00", "264.00"],
            ["Grandma's Boysenberry Spread, 12 jars", "15", "25.00", "375.00"],
            ["Northwoods Cranberry Sauce, 12 jars", "8", "40.00", "320.00"],
            ["Aniseed Syrup, 12 bottles", "2", "10.25", "20.50"],
        ]
    ]


def test_table_cells_tile_the_table_and_the_header_is_marked() -> None:
    # Given the invoice's table
    blocks = pdf_invoice()["Blocks"]
    cells = [b for b in blocks if b["BlockType"] == "CELL"]
    (table,) = [b for b in blocks if b["BlockType"] == "TABLE"]
    # Then the header row is COLUMN_HEADER and no other cell is
    assert {c["RowIndex"] for c in cells if c.get("EntityTypes") == ["COLUMN_HEADER"]} == {1}
    assert all("EntityTypes" not in c for c in cells if c["RowIndex"] > 1)
    # And cells of a row share their top and height; cells of a column, their left and width
    for row in range(1, 7):
        tops = {round(c["Geometry"]["BoundingBox"]["Top"], 9) for c in cells if c["RowIndex"] == row}
        assert len(tops) == 1
    for column in range(1, 5):
        lefts = {round(c["Geometry"]["BoundingBox"]["Left"], 9) for c in cells if c["ColumnIndex"] == column}
        assert len(lefts) == 1
    # And the cells stay within the table, which lies between the header and the totals
    box = table["Geometry"]["BoundingBox"]
    assert 0.29 < box["Top"] < 0.31 and 0.45 < box["Top"] + box["Height"] < 0.47
    for cell in cells:
        inner = cell["Geometry"]["BoundingBox"]
        assert (
            box["Left"] - 1e-9 <= inner["Left"] and inner["Left"] + inner["Width"] <= box["Left"] + box["Width"] + 1e-9
        )


def test_the_page_lists_its_lines_tables_and_key_value_sets_as_children() -> None:
    blocks = pdf_invoice()["Blocks"]
    page = blocks[0]
    expected = [b["Id"] for b in blocks if b["BlockType"] in ("LINE", "TABLE", "KEY_VALUE_SET")]
    assert page["BlockType"] == "PAGE" and sorted(related(page)) == sorted(expected)
    # And the text blocks are those DetectDocumentText gives
    lines = [b["Text"] for b in blocks if b["BlockType"] == "LINE"]
    plain = detect_pages((SAMPLES / "invoice.pdf").read_bytes())[0]
    assert lines == [b["Text"] for b in plain if b["BlockType"] == "LINE"]


def test_only_the_requested_features_are_analysed() -> None:
    forms = pdf_invoice(frozenset({"FORMS"}))["Blocks"]
    table = pdf_invoice(frozenset({"TABLES"}))["Blocks"]
    assert {b["BlockType"] for b in forms} == {"PAGE", "LINE", "WORD", "KEY_VALUE_SET"}
    assert {b["BlockType"] for b in table} == {"PAGE", "LINE", "WORD", "TABLE", "CELL"}


# --------------------------------------------------------------------------- an invoice image (OCR)


def test_forms_and_tables_are_found_on_an_image_read_by_ocr() -> None:
    # Given an invoice drawn as an image, with known fields and line items
    response = image_invoice()
    check_shape(response, TEXTRACT.operation_model("AnalyzeDocument").output_shape)
    # Then its "Label: value" fields and its aligned label/value rows are pairs
    expected = {f"{label}:": value for label, value in INVOICE_FIELDS} | dict(INVOICE_ALIGNED_FIELDS)
    assert key_values(response) == expected
    # And its line items are a table with every cell in its row and column
    assert tables(response) == [invoice_page().table]


def test_prose_in_two_columns_is_neither_a_table_nor_a_form() -> None:
    # Given two columns of prose (rows of text aligned side by side, some with colons inside)
    page = text_page(columns=2, size=20, lines_per_column=5, width=1300, seed=5)
    # When it is analysed
    response = analyze_document(encode(page.image), BOTH)
    # Then it has no table and no label/value pair
    assert {b["BlockType"] for b in response["Blocks"]} == {"PAGE", "LINE", "WORD"}


# --------------------------------------------------------------------------- features, paging, errors


@pytest.mark.parametrize(
    ("features", "queries", "hint"),
    [
        (["LAYOUT"], None, "LAYOUT are not available in the offline Textract engine"),
        (["SIGNATURES", "FORMS"], None, "SIGNATURES are not available"),
        (["QUERIES"], {"Queries": [{"Text": "What is the total?"}]}, "QUERIES are not available"),
        (["QUERIES"], None, "QUERIES FeatureType must be used with QueriesConfig"),
        (["TABLES"], {"Queries": [{"Text": "What is the total?"}]}, "QueriesConfig must be used with QUERIES"),
        ([], None, "at least one"),
    ],
)
def test_features_the_engine_lacks_are_refused_with_a_clear_error(features: list[str], queries: Any, hint: str) -> None:
    with pytest.raises(TextractError) as raised:
        check_features(features, queries)
    assert raised.value.code == "InvalidParameterException"
    assert hint in raised.value.message


def test_get_document_analysis_pages_through_every_block() -> None:
    # Given a two-page analysis: the invoice image, then the PDF invoice's page
    pages = analyze_pages(encode(invoice_page().image), BOTH) + analyze_pages(
        (SAMPLES / "invoice.pdf").read_bytes(), BOTH
    )
    expected = [b["Id"] for page in pages for b in page]
    shape = TEXTRACT.operation_model("GetDocumentAnalysis").output_shape
    # When the result is fetched 40 blocks at a time, following NextToken
    seen, token, calls = [], None, 0
    while True:
        response = get_document_analysis_response(pages, 40, token)
        check_shape(response, shape)
        calls += 1
        seen += [b["Id"] for b in response["Blocks"]]
        token = response.get("NextToken")
        if token is None:
            break
    # Then every block comes back once, in order
    assert seen == expected and calls == -(-len(expected) // 40)


def test_analyze_document_refuses_more_than_one_page() -> None:
    from bench.inputs.text_images import scanned_pdf

    document = scanned_pdf([invoice_page().image, invoice_page().image])
    with pytest.raises(TextractError) as raised:
        analyze_document(document, BOTH)
    assert raised.value.code == "UnsupportedDocumentException" and "2 pages" in raised.value.message
