"""What Insight checks of an upload before analysing it: real type, pages, damage."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.documents import check_type, count_pages, sniff_media_type, text_from_blocks
from chalicelib.errors import InvalidDocument

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ALLOWED = ("application/pdf", "image/png", "image/jpeg", "image/tiff")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"II*\x00", "image/tiff"),
        (b"GIF89a", None),
        (b"hello", None),
    ],
)
def test_types_are_known_by_their_leading_bytes(head: bytes, media_type: str | None) -> None:
    assert sniff_media_type(head) == media_type


def test_a_file_that_is_not_what_it_was_declared_is_refused_with_both_types() -> None:
    with pytest.raises(InvalidDocument, match="is a PNG image but was uploaded as application/pdf"):
        check_type(PNG, "application/pdf", ALLOWED)


def test_a_text_file_named_png_is_refused() -> None:
    with pytest.raises(InvalidDocument, match="not one of the accepted types"):
        check_type((SAMPLES / "bad" / "not_a_png.png").read_bytes(), "image/png", ALLOWED)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InvalidDocument, match="empty"):
        check_type(b"", "application/pdf", ALLOWED)


def test_pages_of_the_samples() -> None:
    assert count_pages((SAMPLES / "invoice.pdf").read_bytes(), "application/pdf") == 1
    assert count_pages((SAMPLES / "report.pdf").read_bytes(), "application/pdf") == 3
    assert count_pages(PNG, "image/png") == 1


def test_an_encrypted_pdf_is_refused_as_password_protected() -> None:
    with pytest.raises(InvalidDocument, match="encrypted"):
        count_pages((SAMPLES / "bad" / "encrypted.pdf").read_bytes(), "application/pdf")


def test_a_truncated_pdf_is_refused_as_damaged() -> None:
    with pytest.raises(InvalidDocument, match="damaged or truncated"):
        count_pages((SAMPLES / "bad" / "truncated.pdf").read_bytes(), "application/pdf")


def test_lines_become_pages_of_text_in_order() -> None:
    blocks = [
        {"BlockType": "PAGE", "Page": 1},
        {"BlockType": "LINE", "Page": 2, "Text": "second page", "Confidence": 99.0},
        {"BlockType": "LINE", "Page": 1, "Text": "first", "Confidence": 98.5},
        {"BlockType": "WORD", "Page": 1, "Text": "first"},
        {"BlockType": "LINE", "Page": 1, "Text": "line", "Confidence": 97.0},
    ]
    document = text_from_blocks(blocks)
    assert document["text"] == "first\nline\n\nsecond page"
    assert [page["page"] for page in document["pages"]] == [1, 2]
