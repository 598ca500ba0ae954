"""What Insight knows about documents: their real type, their pages, their text."""

from __future__ import annotations

import io
from typing import Any

from chalicelib.errors import InvalidDocument

#: Leading bytes of each accepted type. The declared content type must agree with them.
MAGIC_NUMBERS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)

TYPE_NAMES = {
    "application/pdf": "a PDF document",
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/tiff": "a TIFF image",
}


def sniff_media_type(head: bytes) -> str | None:
    """The media type the bytes say they are, or None when they match no accepted type."""
    # PDF readers accept the header within the first KiB; so do we.
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    for magic, media_type in MAGIC_NUMBERS:
        if head.startswith(magic):
            return media_type
    return None


def check_type(data: bytes, declared: str, allowed: tuple[str, ...]) -> str:
    """The document's real media type, if it is one Insight accepts and agrees with ``declared``."""
    if not data:
        raise InvalidDocument("the file is empty (0 bytes)")
    actual = sniff_media_type(data[:1024])
    if actual is None or actual not in allowed:
        raise InvalidDocument(
            f"the file's content is not one of the accepted types ({', '.join(allowed)}); it was uploaded as {declared}"
        )
    if actual != declared:
        raise InvalidDocument(f"the file is {TYPE_NAMES.get(actual, actual)} but was uploaded as {declared}")
    return actual


def count_pages(data: bytes, media_type: str) -> int:
    """Pages in the document: a PDF's page tree; every accepted image is one page."""
    if media_type != "application/pdf":
        return 1
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InvalidDocument("the PDF is encrypted (password protected); upload it without a password")
        pages = len(reader.pages)
    except InvalidDocument:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as error:
        raise InvalidDocument(f"the PDF is damaged or truncated and cannot be read ({error})") from error
    if pages == 0:
        raise InvalidDocument("the PDF has no pages")
    return pages


def text_from_blocks(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """Textract's LINE blocks as pages of lines, and the document's text (lines by newline,
    pages by a blank line)."""
    pages: dict[int, list[dict[str, Any]]] = {}
    for block in blocks:
        if block.get("BlockType") != "LINE":
            continue
        geometry = block.get("Geometry", {}).get("BoundingBox")
        pages.setdefault(int(block.get("Page", 1)), []).append(
            {
                "text": block.get("Text", ""),
                "confidence": round(float(block.get("Confidence", 0.0)), 2),
                "bounding_box": geometry,
            }
        )
    ordered = [{"page": number, "lines": pages[number]} for number in sorted(pages)]
    text = "\n\n".join("\n".join(line["text"] for line in pages[number]) for number in sorted(pages))
    return {"pages": ordered, "text": text}
