"""Offline Amazon Textract text detection (DetectDocumentText / GetDocumentTextDetection).

The local mode has no network, so the Textract API is answered by this pure-Python engine. It
computes real answers from the document bytes and returns dicts in botocore's *output* shapes,
ready to be serialised by the moto backend:

* PDFs with a text layer: the page content streams are interpreted (text state, text and
  transformation matrices, ``Tj``/``TJ``/``'``/``"``, form XObjects) with pypdf parsing the file
  and decoding the fonts, so every glyph gets its real position and advance width. Glyphs are
  grouped into LINE blocks (same baseline, no wide horizontal gap) and WORD blocks (split on
  whitespace and on visible gaps), in reading order top to bottom, left to right.
* Images (PNG, JPEG, TIFF, each page of a multi-page TIFF) are read by OCR
  (:mod:`insight_local.ai.ocr`, PP-OCRv4 models shipped in the ``rapidocr-onnxruntime`` wheel):
  LINE and WORD blocks with the recogniser's confidence, in reading order (columns of prose
  read column by column).
* PDF pages without a text layer (scans) are read by OCR of the images they paint (image
  XObjects, also inside forms, and inline images), each placed on the page through the
  transformation matrix it was painted with.

Geometry follows Textract: ``BoundingBox`` and ``Polygon`` are ratios of the page (0..1) with the
origin at the top-left corner of the page as displayed (CropBox, ``/Rotate`` applied).

Errors (``TextractError.code`` is the AWS error code):

==============================================  ==================================
input                                           code
==============================================  ==================================
empty, or not PDF/PNG/JPEG/TIFF                 UnsupportedDocumentException
password-protected (encrypted) PDF              UnsupportedDocumentException
truncated or otherwise unreadable PDF           BadDocumentException
damaged or truncated image                      BadDocumentException
scanned page whose image cannot be decoded      UnsupportedDocumentException
(e.g. JBIG2), so cannot be rasterised
DetectDocumentText with more than one page      UnsupportedDocumentException
(PDF or multi-page TIFF)
DetectDocumentText with more than 10 MB         DocumentTooLargeException
bad MaxResults / NextToken when paginating      InvalidParameterException
==============================================  ==================================

Known limits: rotated text (other than through the page's ``/Rotate``) is skipped, Type 3 glyph
heights are estimated, right-to-left and vertical writing are laid out left to right, and text in
annotation appearance streams (filled form fields) is not read. OCR reads upright printed text;
a page that draws its text as vector paths without any image has no text to read here (there is
no rasteriser for vector graphics), and a page with a text layer is never OCR'd.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, IndirectObject

# Font decoding and metrics (encodings, ToUnicode CMaps, /Widths, standard-14 metrics) come from
# pypdf's Font class; it is not re-exported by pypdf.generic, hence the private module. pypdf is
# pinned exactly in requirements-dev.txt.
from pypdf.generic._font import Font

from insight_local.ai import ocr
from insight_local.ai.geometry import box_geometry

__all__ = [
    "DocumentText",
    "TextractError",
    "detect_document_text",
    "detect_pages",
    "get_document_text_detection_response",
    "paginate_blocks",
]

MODEL_VERSION = "1.0"
TEXT_LAYER_CONFIDENCE = 99.9  # a text layer is exact; Textract reports ~99.x for clean print
SYNC_MAX_BYTES = 10 * 1024 * 1024  # DetectDocumentText document size limit
MAX_RESULTS_LIMIT = 1000  # GetDocumentTextDetection MaxResults: default and maximum

# Layout thresholds, in ems of the (larger) font size of the glyphs compared.
_SAME_LINE_BASELINE = 0.5  # baselines closer than this belong to the same text line
_WORD_GAP = 0.2  # a visible gap wider than this separates words (no space glyph needed)
_LINE_GAP = 1.0  # a gap wider than this splits a text line into separate LINE blocks (columns)
_DUPLICATE_OFFSET = 0.1  # the same glyph painted again within this offset (fake bold) is dropped

_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_MAX_FORM_DEPTH = 8

_log = logging.getLogger(__name__)

Matrix = tuple[float, float, float, float, float, float]


class TextractError(Exception):
    """A Textract API error: ``code`` is the AWS error code, ``message`` its message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class DocumentText:
    """What the engine extracted from a document: the Blocks of each page.

    ``pages[i]`` holds the PAGE block of page ``i + 1`` followed by its LINE and WORD blocks; block
    Ids are unique across the whole document.
    """

    pages: list[list[dict[str, Any]]]
    aspects: list[float] = field(default_factory=list)  # each page's width / height, as displayed

    @classmethod
    def from_bytes(cls, document: bytes, *, max_pages: int | None = None) -> DocumentText:
        """Extract the text of ``document``; more than ``max_pages`` pages is unsupported."""
        kind = _sniff(document)
        if kind in ("png", "jpeg", "tiff"):
            frames = _image_frames(document)
            if max_pages is not None and len(frames) > max_pages:
                raise _too_many_pages(max_pages, len(frames))
            return cls(
                [_ocr_image(frame, number) for number, frame in enumerate(frames, start=1)],
                [frame.width / max(frame.height, 1) for frame in frames],
            )
        pages = _open_pdf(document)
        if max_pages is not None and len(pages) > max_pages:
            raise _too_many_pages(max_pages, len(pages))
        return cls(
            [_pdf_page_blocks(page, number) for number, page in enumerate(pages, start=1)],
            [_pdf_page_aspect(page) for page in pages],
        )

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return [block for page in self.pages for block in page]

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def lines(self, page: int | None = None) -> list[str]:
        """The LINE texts in reading order (of one page, numbered from 1, or of all pages)."""
        selected = self.pages if page is None else [self.pages[page - 1]]
        return [b["Text"] for blocks in selected for b in blocks if b["BlockType"] == "LINE"]


def detect_pages(document: bytes) -> list[list[dict[str, Any]]]:
    """Blocks (PAGE, LINE, WORD) for each page of ``document``, with ``Page`` numbers set."""
    return DocumentText.from_bytes(document).pages


def detect_document_text(document: bytes) -> dict[str, Any]:
    """The DetectDocumentText response for ``document`` (a single-page document)."""
    if len(document) > SYNC_MAX_BYTES:
        raise TextractError(
            "DocumentTooLargeException",
            f"The document is {len(document)} bytes; DetectDocumentText accepts up to {SYNC_MAX_BYTES} bytes.",
        )
    text = DocumentText.from_bytes(document, max_pages=1)
    return {
        "DocumentMetadata": {"Pages": text.page_count},
        "Blocks": text.blocks,
        "DetectDocumentTextModelVersion": MODEL_VERSION,
    }


def paginate_blocks(
    pages: list[list[dict[str, Any]]], max_results: int | None, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of GetDocumentTextDetection results: the Blocks and the NextToken (or None).

    ``max_results`` follows the API: at least 1, at most (and by default) 1000. The token is
    opaque; it is only valid for the same list of pages.
    """
    if max_results is None:
        max_results = MAX_RESULTS_LIMIT
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise TextractError("InvalidParameterException", f"MaxResults must be at least 1, got {max_results!r}.")
    max_results = min(max_results, MAX_RESULTS_LIMIT)
    blocks = [block for page in pages for block in page]
    start = 0 if next_token is None else _decode_token(next_token, blocks)
    end = min(start + max_results, len(blocks))
    return blocks[start:end], (_encode_token(end, blocks) if end < len(blocks) else None)


def get_document_text_detection_response(
    pages: list[list[dict[str, Any]]], max_results: int | None = None, next_token: str | None = None
) -> dict[str, Any]:
    """A GetDocumentTextDetection response for a SUCCEEDED job whose result is ``pages``."""
    return succeeded_job_response(pages, max_results, next_token, "DetectDocumentTextModelVersion")


def succeeded_job_response(
    pages: list[list[dict[str, Any]]], max_results: int | None, next_token: str | None, model_version_key: str
) -> dict[str, Any]:
    """A Get* response of a SUCCEEDED asynchronous job: a page of its blocks, with the API's
    own model version key."""
    blocks, token = paginate_blocks(pages, max_results, next_token)
    response: dict[str, Any] = {
        "DocumentMetadata": {"Pages": len(pages)},
        "JobStatus": "SUCCEEDED",
        "Blocks": blocks,
        model_version_key: MODEL_VERSION,
    }
    if token is not None:
        response["NextToken"] = token
    return response


# --------------------------------------------------------------------------- OCR


def _image_frames(document: bytes) -> list[Image.Image]:
    """The pages of an image document (one, or each page of a multi-page TIFF), decoded."""
    try:
        with Image.open(io.BytesIO(document)) as image:
            frames = []
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                frame = image.copy()
                frame.load()
                frames.append(frame)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        # Pillow names the stream it could not identify ("<_io.BytesIO object at 0x...>"): say it in words.
        why = "no decoder recognises its data" if isinstance(error, UnidentifiedImageError) else str(error)
        raise TextractError(
            "BadDocumentException", f"Unable to read the document: the image is damaged or truncated ({why})."
        ) from error
    return frames


def _ocr_image(image: Image.Image, number: int) -> list[dict[str, Any]]:
    """Blocks (PAGE, LINE, WORD) for one image page, by OCR."""
    page = ocr.recognise(image)
    width, height = float(page.width), float(page.height)

    def geometry(box: ocr.Box) -> dict[str, Any]:
        return box_geometry(box[0] / width, box[1] / height, box[2] / width, box[3] / height)

    return _ocr_blocks(page.lines, geometry, box_geometry(0.0, 0.0, 1.0, 1.0), number)


def _ocr_blocks(
    lines: Sequence[ocr.OcrLine],
    geometry: Callable[[ocr.Box], dict[str, Any]],
    page_geometry: dict[str, Any],
    number: int,
) -> list[dict[str, Any]]:
    """PAGE, LINE and WORD blocks of OCR'd lines (in reading order); ``geometry`` places a box."""
    page_block: dict[str, Any] = {
        "BlockType": "PAGE",
        "Geometry": page_geometry,
        "Id": str(uuid.uuid4()),
        "Page": number,
    }
    line_blocks: list[dict[str, Any]] = []
    word_blocks: list[dict[str, Any]] = []
    for line in lines:
        word_ids = []
        for word in line.words:
            word_ids.append(str(uuid.uuid4()))
            word_blocks.append(
                {
                    "BlockType": "WORD",
                    "Confidence": float(word.confidence),
                    "Text": word.text,
                    "TextType": "PRINTED",
                    "Geometry": geometry(word.box),
                    "Id": word_ids[-1],
                    "Page": number,
                }
            )
        line_blocks.append(
            {
                "BlockType": "LINE",
                "Confidence": float(line.confidence),
                "Text": line.text,
                "Geometry": geometry(line.box),
                "Id": str(uuid.uuid4()),
                "Relationships": [{"Type": "CHILD", "Ids": word_ids}],
                "Page": number,
            }
        )
    if line_blocks:
        page_block["Relationships"] = [{"Type": "CHILD", "Ids": [b["Id"] for b in line_blocks]}]
    return [page_block, *line_blocks, *word_blocks]


def _cannot_rasterise(number: int, reason: str) -> TextractError:
    return TextractError(
        "UnsupportedDocumentException",
        f"Request has unsupported document format: page {number} has no text layer and its scanned image "
        f"cannot be rasterised by the offline Textract engine ({reason}).",
    )


# --------------------------------------------------------------------------- document input


def _sniff(document: bytes) -> str:
    if not document:
        raise TextractError(
            "UnsupportedDocumentException", "Request has unsupported document format: the document is empty."
        )
    if document.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if document.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if document.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if b"%PDF-" in document[:1024]:  # PDF readers accept leading garbage before the header
        return "pdf"
    raise TextractError(
        "UnsupportedDocumentException",
        "Request has unsupported document format: documents must be PDF, PNG, JPEG or TIFF.",
    )


def _too_many_pages(limit: int, pages: int | None = None) -> TextractError:
    has = f" this document has {pages} pages" if pages is not None else " this document has more"
    return TextractError(
        "UnsupportedDocumentException",
        f"Request has unsupported document format: the synchronous operation accepts documents of at most "
        f"{limit} page;{has}. Use StartDocumentTextDetection for multi-page documents.",
    )


def _open_pdf(document: bytes) -> list[Any]:
    # A complete PDF ends with %%EOF (possibly followed by a little whitespace or junk); a file cut
    # short has none, and pypdf would otherwise try to recover whatever objects it can find.
    if b"%%EOF" not in document[-2048:]:
        raise TextractError(
            "BadDocumentException", "Unable to read the document: the PDF is truncated (no %%EOF marker)."
        )
    try:
        reader = PdfReader(io.BytesIO(document), strict=False)
        if reader.is_encrypted:
            try:  # an empty user password (only owner restrictions) can be opened and read
                opened = bool(reader.decrypt(""))
            except Exception:  # any failure (e.g. an unsupported handler) means we cannot open it
                opened = False
            if not opened:
                raise TextractError(
                    "UnsupportedDocumentException",
                    "Request has unsupported document format: the document is password protected.",
                )
        pages = list(reader.pages)
    except TextractError:
        raise
    except Exception as error:  # pypdf raises many types for damaged files
        raise TextractError("BadDocumentException", f"Unable to read the document: {error}") from error
    if not pages:
        raise TextractError("BadDocumentException", "Unable to read the document: the PDF has no pages.")
    return pages


# --------------------------------------------------------------------------- PDF text layer


@dataclass
class _Glyph:
    text: str
    x0: float  # user space: left and right edge, baseline, top and bottom (PDF y goes up)
    x1: float
    baseline: float
    top: float
    bottom: float
    size: float  # font size in user space units

    @property
    def blank(self) -> bool:
        return not self.text.strip()


@dataclass
class _FontInfo:
    font: Font | None
    width_scale: float = 0.001  # glyph space -> text space (FontMatrix for Type 3)
    ascent: float = 0.75  # ems above / below the baseline covered by the glyph boxes
    descent: float = -0.25

    @classmethod
    def load(cls, font_dict: DictionaryObject | None) -> _FontInfo:
        if font_dict is None:
            return cls(None)
        try:
            font = Font.from_font_resource(font_dict)
        except Exception:  # a broken font: fall back to generic metrics
            _log.debug("Cannot load font %r", font_dict.get("/BaseFont"), exc_info=True)
            return cls(None)
        info = cls(font)
        if font_dict.get("/Subtype") == "/Type3":
            matrix = font_dict.get("/FontMatrix")
            if isinstance(matrix, ArrayObject) and len(matrix) == 6 and float(matrix[0]) > 0:
                info.width_scale = float(matrix[0])
            return info
        descriptor = font.font_descriptor
        ascent, descent = float(descriptor.ascent or 0) / 1000, float(descriptor.descent or 0) / 1000
        if 0.4 <= ascent <= 1.3:
            info.ascent = ascent
        if -0.6 <= descent <= 0:
            info.descent = descent
        return info

    def decode(self, raw: bytes) -> list[tuple[str, float, bool]]:
        """(unicode text, width in text space units per unit font size, is a word-space code)."""
        font = self.font
        if font is None:
            return [(chr(b), 0.5, b == 32) for b in raw]
        if isinstance(font.encoding, str):  # named (multi-byte) encoding, as pypdf does
            try:
                decoded = raw.decode(font.encoding, "surrogatepass")
            except UnicodeDecodeError:
                decoded = raw.decode(font.encoding, "replace")
            except LookupError:
                decoded = raw.decode("latin-1")
            codes = list(decoded)
            single_byte = len(decoded) == len(raw)
        else:
            codes = [chr(b) for b in raw]
            decoded = "".join(font.encoding.get(b, chr(b)) for b in raw)
            single_byte = True
        default = font.character_widths.get("default", 500)
        glyphs = []
        for code, char in zip(codes, decoded, strict=True):
            width = font.space_width if code == font.space_char else font.character_widths.get(code, default)
            text = font.character_map.get(char, char)
            glyphs.append(
                (
                    text if isinstance(text, str) else str(text),
                    float(width) * self.width_scale,
                    single_byte and code == " ",
                )
            )
        return glyphs


@dataclass
class _State:
    ctm: Matrix = _IDENTITY
    font: _FontInfo | None = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scale: float = 1.0  # horizontal scaling, Tz / 100
    leading: float = 0.0
    rise: float = 0.0


def _mult(m: Matrix, n: Matrix) -> Matrix:
    """m x n for PDF matrices [a b c d e f]."""
    return (
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    )


def _matrix(operands: list[Any]) -> Matrix | None:
    try:
        values = tuple(float(v) for v in operands[:6])
    except (TypeError, ValueError):
        return None
    if len(values) != 6:
        return None
    return values[0], values[1], values[2], values[3], values[4], values[5]


def _number(operands: list[Any], index: int = 0, default: float = 0.0) -> float:
    try:
        return float(operands[index])
    except (IndexError, TypeError, ValueError):
        return default


def _raw_bytes(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        original = getattr(value, "original_bytes", None)
        return bytes(original) if original is not None else value.encode("latin-1", "replace")
    return None


@dataclass
class _Interpreter:
    """Runs a page's content streams and collects the glyphs painted (text state per ISO 32000-1 9.3)."""

    reader_pdf: Any
    glyphs: list[_Glyph] = field(default_factory=list)
    shown_text: bool = False  # text operators painted something (even if not upright)
    painted_image: bool = False
    # Images painted: (image XObject, or the index of an inline image of the page, and the CTM)
    images: list[tuple[Any, Matrix]] = field(default_factory=list)
    _inline_images: int = 0
    _fonts: dict[Any, _FontInfo] = field(default_factory=dict)

    def run(self, content: ContentStream, resources: DictionaryObject, ctm: Matrix, depth: int = 0) -> None:
        state = _State(ctm=ctm)
        stack: list[_State] = []
        tm = tlm = _IDENTITY
        for operands, operator in content.operations:
            if operator == b"q":
                stack.append(replace(state))
            elif operator == b"Q":
                if stack:
                    state = stack.pop()
            elif operator == b"cm":
                if (m := _matrix(operands)) is not None:
                    state.ctm = _mult(m, state.ctm)
            elif operator == b"BT":
                tm = tlm = _IDENTITY
            elif operator == b"Tf":
                state.font = self._font(resources, operands[0] if operands else None)
                state.size = _number(operands, 1, state.size)
            elif operator == b"Tc":
                state.char_spacing = _number(operands)
            elif operator == b"Tw":
                state.word_spacing = _number(operands)
            elif operator == b"Tz":
                state.scale = _number(operands, 0, 100.0) / 100
            elif operator == b"TL":
                state.leading = _number(operands)
            elif operator == b"Ts":
                state.rise = _number(operands)
            elif operator in (b"Td", b"TD"):
                tx, ty = _number(operands, 0), _number(operands, 1)
                if operator == b"TD":
                    state.leading = -ty
                tm = tlm = _mult((1.0, 0.0, 0.0, 1.0, tx, ty), tlm)
            elif operator == b"Tm":
                tm = tlm = _matrix(operands) or _IDENTITY
            elif operator == b"T*":
                tm = tlm = _mult((1.0, 0.0, 0.0, 1.0, 0.0, -state.leading), tlm)
            elif operator == b"Tj":
                tm = self._show(state, tm, operands[:1])
            elif operator == b"TJ":
                tm = self._show(state, tm, list(operands[0]) if operands and isinstance(operands[0], list) else [])
            elif operator in (b"'", b'"'):
                if operator == b'"':
                    state.word_spacing, state.char_spacing = _number(operands, 0), _number(operands, 1)
                tm = tlm = _mult((1.0, 0.0, 0.0, 1.0, 0.0, -state.leading), tlm)
                tm = self._show(state, tm, operands[-1:])
            elif operator == b"Do" and operands:
                self._do(resources, operands[0], state.ctm, depth)
            elif operator == b"INLINE IMAGE":
                self.painted_image = True
                if depth == 0:  # pypdf decodes the inline images of the page itself
                    self.images.append((self._inline_images, state.ctm))
                    self._inline_images += 1

    def _font(self, resources: DictionaryObject, name: Any) -> _FontInfo:
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else None
        reference = fonts.raw_get(name) if isinstance(fonts, DictionaryObject) and name in fonts else None
        key = (reference.idnum, reference.generation) if isinstance(reference, IndirectObject) else id(reference)
        if key not in self._fonts:
            font_dict = reference.get_object() if reference is not None else None
            self._fonts[key] = _FontInfo.load(font_dict if isinstance(font_dict, DictionaryObject) else None)
        return self._fonts[key]

    def _show(self, state: _State, tm: Matrix, items: list[Any]) -> Matrix:
        """Paint strings (and apply TJ adjustments); returns the advanced text matrix."""
        font = state.font or _FontInfo(None)
        size, scale = state.size, state.scale
        for item in items:
            raw = _raw_bytes(item)
            if raw is None:  # a TJ number: move left by thousandths of an em
                tm = _mult((1.0, 0.0, 0.0, 1.0, -_number([item]) / 1000 * size * scale, 0.0), tm)
                continue
            for text, width, word_space in font.decode(raw):
                advance = (width * size + state.char_spacing + (state.word_spacing if word_space else 0.0)) * scale
                self._paint(text, width * size * scale, font, state, tm)
                tm = _mult((1.0, 0.0, 0.0, 1.0, advance, 0.0), tm)
        return tm

    def _paint(self, text: str, width: float, font: _FontInfo, state: _State, tm: Matrix) -> None:
        text = "".join(ch if ch.isprintable() or ch.isspace() else "" for ch in text)
        if not text:
            return
        self.shown_text = True
        a, b, c, d, e, f = _mult(tm, state.ctm)
        # Upright text only: the baseline runs left to right and the glyphs point up.
        if a <= 0 or d <= 0 or abs(b) > 0.02 * a:
            return
        size = state.size * d
        if size <= 0:
            return
        x0 = e + state.rise * c
        baseline = f + state.rise * d
        self.glyphs.append(
            _Glyph(
                text=" " if text.isspace() else text,
                x0=x0,
                x1=x0 + width * a,
                baseline=baseline,
                top=baseline + font.ascent * size,
                bottom=baseline + font.descent * size,
                size=size,
            )
        )

    def _do(self, resources: DictionaryObject, name: Any, ctm: Matrix, depth: int) -> None:
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else None
        if not isinstance(xobjects, DictionaryObject) or name not in xobjects:
            return
        xobject = cast(DictionaryObject, xobjects[name].get_object())
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            self.painted_image = True
            self.images.append((xobject, ctm))
        elif subtype == "/Form" and depth < _MAX_FORM_DEPTH:
            matrix = _matrix(list(xobject.get("/Matrix", _IDENTITY)))
            form_resources = xobject.get("/Resources")
            if not isinstance(form_resources, DictionaryObject):
                form_resources = resources
            content = ContentStream(xobject, self.reader_pdf)
            self.run(content, form_resources, _mult(matrix or _IDENTITY, ctm), depth + 1)


def _pdf_page_blocks(page: Any, number: int) -> list[dict[str, Any]]:
    try:
        interpreter = _Interpreter(page.pdf)
        content = page.get_contents()
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else DictionaryObject()
        if content is not None:
            interpreter.run(content, resources, _IDENTITY)
        box = [float(v) for v in page.cropbox]
        rotation = int(page.rotation or 0) % 360
    except TextractError:
        raise
    except Exception as error:  # pypdf raises many types for damaged files
        raise TextractError("BadDocumentException", f"Unable to read page {number} of the document: {error}") from error
    frame = _PageFrame(box, rotation)
    if not interpreter.shown_text and interpreter.painted_image:
        return _scanned_page_blocks(page, number, interpreter.images, frame)
    lines = _layout([g for g in interpreter.glyphs if frame.contains(g)])
    return _page_blocks(lines, frame, number)


def _pdf_page_aspect(page: Any) -> float:
    try:
        frame = _PageFrame([float(v) for v in page.cropbox], int(page.rotation or 0) % 360)
    except Exception:  # the page was read already; a box pypdf cannot give is no reason to fail here
        return 1.0
    return frame.height / frame.width if frame.rotation in (90, 270) else frame.width / frame.height


_MIN_SCAN_SIDE = 16  # images smaller than this (pixels) hold no readable text


def _scanned_page_blocks(
    page: Any, number: int, images: list[tuple[Any, Matrix]], frame: _PageFrame
) -> list[dict[str, Any]]:
    """Blocks for a page without a text layer: OCR of each image it paints, placed on the page.

    Boxes are mapped from image pixels to PDF user space with the matrix the image was painted
    with (the unit square holds the image, its first row at the top), then ordered together."""
    placed: list[ocr.OcrLine] = []
    for source, ctm in images:
        image = _decode_image(page, number, source)
        width, height = image.size
        if min(width, height) < _MIN_SCAN_SIDE:
            continue

        def to_user(box: ocr.Box, width: int = width, height: int = height, ctm: Matrix = ctm) -> ocr.Box:
            # user space, flipped so that y grows downwards (reading order works top-down)
            corners = [_apply(ctm, x / width, 1 - y / height) for x in box[0::2] for y in box[1::2]]
            xs, ys = [c[0] for c in corners], [-c[1] for c in corners]
            return (min(xs), min(ys), max(xs), max(ys))

        for line in ocr.recognise(image).lines:
            words = tuple(replace(word, box=to_user(word.box)) for word in line.words)
            placed.append(replace(line, box=to_user(line.box), words=words))
    ordered = ocr.order_lines(placed, box=lambda line: line.box, words=lambda line: len(line.words))

    def geometry(box: ocr.Box) -> dict[str, Any]:
        return frame.geometry(box[0], -box[3], box[2], -box[1])

    page_geometry = frame.geometry(frame.box[0], frame.box[1], frame.box[2], frame.box[3])
    return _ocr_blocks(ordered, geometry, page_geometry, number)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])


def _decode_image(page: Any, number: int, source: Any) -> Image.Image:
    """The PIL image of an image XObject, or of the page's inline image number ``source``."""
    try:
        # an inline image: pypdf decodes the page's inline images, named ~0~, ~1~... in their order
        image = page.images[f"~{source}~"].image if isinstance(source, int) else source.decode_as_image()
    except Exception as error:  # pypdf and Pillow raise many types for filters they cannot decode
        filters = source.get("/Filter") if isinstance(source, DictionaryObject) else "inline image"
        raise _cannot_rasterise(number, f"{filters}: {error}") from error
    if image is None:
        raise _cannot_rasterise(number, "the image's encoding is not supported")
    return cast(Image.Image, image)


@dataclass
class _PageFrame:
    """Maps PDF user space to Textract's normalised, top-left based page coordinates."""

    box: list[float]  # llx, lly, urx, ury of the CropBox
    rotation: int  # /Rotate: 0, 90, 180 or 270 (clockwise when displayed)

    def __post_init__(self) -> None:
        llx, lly, urx, ury = self.box
        self.box = [min(llx, urx), min(lly, ury), max(llx, urx), max(lly, ury)]
        self.width = max(self.box[2] - self.box[0], 1e-9)
        self.height = max(self.box[3] - self.box[1], 1e-9)

    def contains(self, glyph: _Glyph) -> bool:
        x = (glyph.x0 + glyph.x1) / 2
        y = (glyph.baseline + glyph.top) / 2
        return self.box[0] <= x <= self.box[2] and self.box[1] <= y <= self.box[3]

    def point(self, x: float, y: float) -> dict[str, float]:
        u = _clamp((x - self.box[0]) / self.width)
        v = _clamp((self.box[3] - y) / self.height)
        if self.rotation == 90:
            u, v = 1 - v, u
        elif self.rotation == 180:
            u, v = 1 - u, 1 - v
        elif self.rotation == 270:
            u, v = v, 1 - u
        return {"X": u, "Y": v}

    def geometry(self, left: float, bottom: float, right: float, top: float) -> dict[str, Any]:
        """Geometry of a PDF rectangle; the polygon runs clockwise from the text's top-left corner."""
        polygon = [self.point(left, top), self.point(right, top), self.point(right, bottom), self.point(left, bottom)]
        xs, ys = [p["X"] for p in polygon], [p["Y"] for p in polygon]
        return {
            "BoundingBox": {"Width": max(xs) - min(xs), "Height": max(ys) - min(ys), "Left": min(xs), "Top": min(ys)},
            "Polygon": polygon,
        }


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value)) if math.isfinite(value) else 0.0


_Word = list[_Glyph]
_Line = list[_Word]


def _layout(glyphs: list[_Glyph]) -> list[_Line]:
    """Group glyphs into lines of words, in reading order (top to bottom, left to right)."""
    bands: list[list[_Glyph]] = []
    anchor: _Glyph | None = None
    for glyph in sorted(glyphs, key=lambda g: (-g.baseline, g.x0)):
        tolerance = _SAME_LINE_BASELINE * min(anchor.size, glyph.size) if anchor is not None else -1.0
        if anchor is not None and anchor.baseline - glyph.baseline <= tolerance:
            bands[-1].append(glyph)
        else:
            bands.append([glyph])
            anchor = glyph
    lines: list[_Line] = []
    for band in bands:
        line: _Line = []
        word: _Word = []
        previous: _Glyph | None = None  # last visible glyph
        last_by_text: dict[str, _Glyph] = {}
        for glyph in sorted(band, key=lambda g: g.x0):
            if glyph.blank:
                if word:
                    line.append(word)
                    word = []
                continue
            twin = last_by_text.get(glyph.text)
            if (
                twin is not None
                and abs(glyph.x0 - twin.x0) < _DUPLICATE_OFFSET * glyph.size
                and abs(glyph.baseline - twin.baseline) < _DUPLICATE_OFFSET * glyph.size
            ):
                continue  # painted twice (fake bold, shadow)
            last_by_text[glyph.text] = glyph
            if previous is not None:
                gap = glyph.x0 - previous.x1
                em = max(previous.size, glyph.size)
                if gap > _LINE_GAP * em:
                    if word:
                        line.append(word)
                    if line:
                        lines.append(line)
                    line, word = [], []
                elif gap > _WORD_GAP * em and word:
                    line.append(word)
                    word = []
            word.append(glyph)
            previous = glyph
        if word:
            line.append(word)
        if line:
            lines.append(line)
    return lines


def _page_blocks(lines: list[_Line], frame: _PageFrame, number: int) -> list[dict[str, Any]]:
    page_block: dict[str, Any] = {
        "BlockType": "PAGE",
        "Geometry": frame.geometry(frame.box[0], frame.box[1], frame.box[2], frame.box[3]),
        "Id": str(uuid.uuid4()),
        "Page": number,
    }
    line_blocks: list[dict[str, Any]] = []
    word_blocks: list[dict[str, Any]] = []
    for line in lines:
        word_ids: list[str] = []
        word_texts: list[str] = []
        for word in line:
            word_id, word_text = str(uuid.uuid4()), "".join(g.text for g in word)
            word_blocks.append(
                {
                    "BlockType": "WORD",
                    "Confidence": TEXT_LAYER_CONFIDENCE,
                    "Text": word_text,
                    "TextType": "PRINTED",
                    "Geometry": frame.geometry(*_extent(word)),
                    "Id": word_id,
                    "Page": number,
                }
            )
            word_ids.append(word_id)
            word_texts.append(word_text)
        line_blocks.append(
            {
                "BlockType": "LINE",
                "Confidence": TEXT_LAYER_CONFIDENCE,
                "Text": " ".join(word_texts),
                "Geometry": frame.geometry(*_extent([g for word in line for g in word])),
                "Id": str(uuid.uuid4()),
                "Relationships": [{"Type": "CHILD", "Ids": word_ids}],
                "Page": number,
            }
        )
    if line_blocks:
        page_block["Relationships"] = [{"Type": "CHILD", "Ids": [b["Id"] for b in line_blocks]}]
    return [page_block, *line_blocks, *word_blocks]


def _extent(glyphs: list[_Glyph]) -> tuple[float, float, float, float]:
    return (
        min(g.x0 for g in glyphs),
        min(g.bottom for g in glyphs),
        max(g.x1 for g in glyphs),
        max(g.top for g in glyphs),
    )


# --------------------------------------------------------------------------- NextToken


def _fingerprint(blocks: list[dict[str, Any]]) -> str:
    first, last = (blocks[0].get("Id", ""), blocks[-1].get("Id", "")) if blocks else ("", "")
    return f"{len(blocks)}:{first}:{last}"


def _encode_token(offset: int, blocks: list[dict[str, Any]]) -> str:
    payload = json.dumps({"v": 1, "offset": offset, "of": _fingerprint(blocks)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode()


def _decode_token(token: str, blocks: list[dict[str, Any]]) -> int:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = payload["offset"]
        valid = (
            payload.get("v") == 1
            and payload.get("of") == _fingerprint(blocks)
            and isinstance(offset, int)
            and 0 < offset < len(blocks)
        )
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        valid = False
    if not valid:
        raise TextractError("InvalidParameterException", "The NextToken is not valid for this job.")
    return int(offset)
