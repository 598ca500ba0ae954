"""Images of known text, drawn with Pillow, for the OCR engine's tests and benchmark.

Every image comes with what was drawn on it: each line's text and pixel box, each word's
text and box, in reading order. The fonts are DejaVu Sans, Serif and Sans Mono, the TrueType
files that matplotlib ships in ``mpl-data/fonts/ttf`` (a dev dependency; matplotlib itself is
never imported, only its font files are read).

* :func:`text_page` draws prose in one or more columns (optionally under a full-width title);
* :func:`invoice_page` draws an invoice-like form: "Label: value" fields, fields whose value
  stands to the right of the label, and a table of line items, with the expected key/value
  pairs and table cells;
* :func:`scanned_pdf` wraps images into an image-only PDF (one page per image, no text layer),
  :func:`multipage_tiff` into one TIFF, :func:`encode` into PNG or JPEG bytes.
"""

from __future__ import annotations

import importlib.util
import io
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_FILES = {
    "sans": "DejaVuSans.ttf",
    "serif": "DejaVuSerif.ttf",
    "mono": "DejaVuSansMono.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
}

# Prose to draw: plain sentences with capitals, digits and punctuation, as a letter or a
# report has them. Words are drawn in this order and wrapped to the column width.
SENTENCES = (
    "The committee met on Tuesday, 14 March 2026, to review the budget for the coming year.",
    "Revenue rose by 12.5 percent while operating costs fell slightly in the second quarter.",
    "Three new warehouses opened in Lyon, Porto and Gdansk, adding 4,800 square metres of storage.",
    "Customers can now track every parcel online and receive a message when it is delivered.",
    "The board thanked the staff for their patience during the move to the new offices.",
    "A review of supplier contracts found savings of about 230,000 dollars over two years.",
    "Please send your comments on the draft plan to the finance team before the end of April.",
    "Our training programme reached 640 employees, twice as many as in the previous year.",
    "Energy use per order dropped by a fifth after the lighting and heating were replaced.",
    "The next meeting will take place on 9 June at the head office, starting at 10:30.",
    "Questions about this report may be addressed to the secretary of the committee.",
    "Sales in the northern region grew fastest, led by orders from small retail shops.",
)


@lru_cache(maxsize=1)
def font_directory() -> Path:
    """matplotlib's bundled TrueType fonts, found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError("matplotlib (a dev dependency that ships the DejaVu fonts) is not installed")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


@lru_cache(maxsize=32)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_directory() / FONT_FILES[name]), size)


Box = tuple[int, int, int, int]  # left, top, right, bottom, in pixels


@dataclass(frozen=True)
class DrawnWord:
    text: str
    box: Box


@dataclass(frozen=True)
class DrawnLine:
    text: str
    box: Box
    words: tuple[DrawnWord, ...]


@dataclass
class TextImage:
    """An image and the text drawn on it, line by line in reading order."""

    image: Image.Image
    lines: list[DrawnLine]
    columns: list[list[DrawnLine]] = field(default_factory=list)  # the lines of each column
    key_values: dict[str, str] = field(default_factory=dict)  # label (without colon) -> value
    table: list[list[str]] = field(default_factory=list)  # rows of cell texts, header first

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.image = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.image)

    def line(self, x: int, y: int, words: list[str], face: ImageFont.FreeTypeFont, *, right: bool = False) -> DrawnLine:
        """Draw words separated by single spaces with the baseline-free top at y (from x, or ending at x)."""
        text = " ".join(words)
        if right:
            x = x - round(face.getlength(text))
        drawn: list[DrawnWord] = []
        cursor = float(x)
        space = face.getlength(" ")
        for word in words:
            self.draw.text((round(cursor), y), word, font=face, fill="black")
            left, top, right_edge, bottom = self.draw.textbbox((round(cursor), y), word, font=face)
            drawn.append(DrawnWord(word, (round(left), round(top), round(right_edge), round(bottom))))
            cursor += face.getlength(word) + space
        box = (
            min(w.box[0] for w in drawn),
            min(w.box[1] for w in drawn),
            max(w.box[2] for w in drawn),
            max(w.box[3] for w in drawn),
        )
        return DrawnLine(text, box, tuple(drawn))


def _wrap(words: list[str], face: ImageFont.FreeTypeFont, width: int) -> list[list[str]]:
    lines: list[list[str]] = [[]]
    for word in words:
        candidate = " ".join([*lines[-1], word])
        if lines[-1] and face.getlength(candidate) > width:
            lines.append([word])
        else:
            lines[-1].append(word)
    return [line for line in lines if line]


def text_page(
    *,
    font_name: str = "sans",
    size: int = 22,
    columns: int = 1,
    lines_per_column: int = 10,
    width: int = 1100,
    title: str | None = None,
    seed: int = 0,
) -> TextImage:
    """Prose in ``columns`` columns of ``lines_per_column`` lines, under an optional title.

    The sentences start at a place chosen by ``seed`` so that different cases draw different text.
    """
    face = font(font_name, size)
    margin, gutter = 2 * size, 3 * size
    column_width = (width - 2 * margin - (columns - 1) * gutter) // columns
    pitch = round(size * 1.6)
    start = random.Random(seed).randrange(len(SENTENCES))
    words = " ".join(SENTENCES[start:] + SENTENCES[:start]).split()
    wrapped = _wrap(words * 3, face, column_width)[: columns * lines_per_column]
    top = margin + (2 * pitch if title else 0)
    height = top + lines_per_column * pitch + margin
    canvas = _Canvas(width, height)
    lines: list[DrawnLine] = []
    if title:
        title_face = font("sans-bold", round(size * 1.4))
        title_width = title_face.getlength(title)
        lines.append(canvas.line(round((width - title_width) / 2), margin, title.split(), title_face))
    drawn_columns: list[list[DrawnLine]] = []
    for column in range(columns):
        x = margin + column * (column_width + gutter)
        chunk = wrapped[column * lines_per_column : (column + 1) * lines_per_column]
        drawn_columns.append([canvas.line(x, top + row * pitch, words, face) for row, words in enumerate(chunk)])
        lines += drawn_columns[-1]
    return TextImage(canvas.image, lines, drawn_columns)


INVOICE_FIELDS = (
    ("Invoice number", "INV-2026-0042"),
    ("Invoice date", "March 14, 2026"),
    ("Customer", "Maria Anders"),
)
INVOICE_ALIGNED_FIELDS = (  # the value stands to the right of the label, without a colon
    ("Order reference", "PO-7781"),
    ("Payment terms", "30 days"),
)
INVOICE_TABLE = (
    ("Description", "Qty", "Unit price", "Amount"),
    ("Chai tea", "10", "18.00", "180.00"),
    ("Chang beer", "24", "11.00", "264.00"),
    ("Aniseed syrup", "2", "10.25", "20.50"),
    ("Ikura roe", "4", "31.00", "124.00"),
)


def invoice_page(*, font_name: str = "sans", size: int = 22, width: int = 1100) -> TextImage:
    """An invoice: a heading, "Label: value" fields, label/value pairs aligned in two columns,
    and a table of line items (text column left-aligned, number columns right-aligned)."""
    face, bold = font(font_name, size), font("sans-bold", round(size * 1.3))
    margin, pitch = 2 * size, round(size * 1.8)
    height = margin + pitch * (3 + len(INVOICE_FIELDS) + len(INVOICE_ALIGNED_FIELDS) + len(INVOICE_TABLE)) + margin
    canvas = _Canvas(width, height)
    y = margin
    lines = [canvas.line(margin, y, ["Northwind", "Traders"], bold)]
    y += 2 * pitch
    for label, value in INVOICE_FIELDS:
        lines.append(canvas.line(margin, y, f"{label}: {value}".split(), face))
        y += pitch
    value_x = margin + round(face.getlength("Order reference")) + 4 * size
    for label, value in INVOICE_ALIGNED_FIELDS:
        lines.append(canvas.line(margin, y, label.split(), face))
        lines.append(canvas.line(value_x, y, value.split(), face))
        y += pitch
    y += pitch
    # Columns: description from the margin, the numbers right-aligned at fixed x positions.
    right_edges = (None, margin + 16 * size, margin + 24 * size, margin + 32 * size)
    for row in INVOICE_TABLE:
        for cell, right_edge in zip(row, right_edges, strict=True):
            if right_edge is None:
                lines.append(canvas.line(margin, y, cell.split(), face))
            else:
                lines.append(canvas.line(right_edge, y, cell.split(), face, right=True))
        y += pitch
    key_values = dict(INVOICE_FIELDS) | dict(INVOICE_ALIGNED_FIELDS)
    return TextImage(canvas.image, lines, key_values=key_values, table=[list(row) for row in INVOICE_TABLE])


def encode(image: Image.Image, kind: str = "png", **options: object) -> bytes:
    """The image as PNG, JPEG or TIFF bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format={"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF"}[kind], **options)
    return buffer.getvalue()


def multipage_tiff(images: list[Image.Image]) -> bytes:
    """One TIFF holding each image as a page."""
    images = [image.copy() for image in images]  # Pillow keeps save options on appended images
    buffer = io.BytesIO()
    images[0].save(buffer, format="TIFF", save_all=True, append_images=images[1:], compression="tiff_adobe_deflate")
    return buffer.getvalue()


def scanned_pdf(images: list[Image.Image], dpi: float = 150.0) -> bytes:
    """An image-only PDF, one page per image at ``dpi`` (as a scanner writes it: no text layer)."""
    images = [image.copy() for image in images]  # Pillow keeps save options on appended images
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()
