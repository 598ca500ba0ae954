"""The offline OCR (insight_local.ai.ocr) on images of known text drawn by bench/inputs/text_images.py."""

from __future__ import annotations

import difflib
import threading
from functools import cache, lru_cache

import pytest
from PIL import Image, ImageDraw, ImageOps

from bench.inputs.text_images import TextImage, font, invoice_page, text_page
from insight_local.ai import ocr

Box = tuple[float, float, float, float]


@cache
def prose(font_name: str) -> tuple[TextImage, ocr.OcrPage]:
    drawn = text_page(font_name=font_name, size=22, lines_per_column=4, width=1000, seed=3)
    return drawn, ocr.recognise(drawn.image)


@lru_cache(maxsize=1)
def two_columns() -> tuple[TextImage, ocr.OcrPage]:
    drawn = text_page(columns=2, size=20, lines_per_column=5, width=1300, title="Quarterly Report", seed=5)
    return drawn, ocr.recognise(drawn.image)


@lru_cache(maxsize=1)
def invoice() -> tuple[TextImage, ocr.OcrPage]:
    drawn = invoice_page()
    return drawn, ocr.recognise(drawn.image)


def iou(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def words_of(page: ocr.OcrPage) -> list[ocr.OcrWord]:
    return [word for line in page.lines for word in line.words]


# --------------------------------------------------------------------------- reading text


@pytest.mark.parametrize("font_name", ["sans", "serif", "mono"])
def test_the_drawn_words_come_back_in_order(font_name: str) -> None:
    # Given four lines of prose drawn in a font at 22 px
    drawn, page = prose(font_name)
    # When the OCR reads them (done once per font by the fixture)
    expected = [word.text for line in drawn.lines for word in line.words]
    got = [word.text for word in words_of(page)]
    # Then nearly every drawn word comes back, in the drawn order
    matcher = difflib.SequenceMatcher(a=expected, b=got, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    assert matched >= 0.95 * len(expected), (expected, got)
    # And there are as many lines as were drawn, each its words joined by spaces
    assert len(page.lines) == len(drawn.lines)
    for line in page.lines:
        assert line.text == " ".join(word.text for word in line.words)
        assert all(word.text and " " not in word.text for word in line.words)
        assert 50 <= line.confidence <= 100 and all(50 <= w.confidence <= 100 for w in line.words)


def test_word_boxes_lie_on_the_drawn_words() -> None:
    # Given the drawn words of the sans page and the words read back
    drawn, page = prose("sans")
    expected = [word for line in drawn.lines for word in line.words]
    got = words_of(page)
    matcher = difflib.SequenceMatcher(a=[w.text for w in expected], b=[w.text for w in got], autojunk=False)
    pairs = [
        (expected[block.a + k], got[block.b + k]) for block in matcher.get_matching_blocks() for k in range(block.size)
    ]
    assert len(pairs) >= 0.95 * len(expected)
    # Then every word read is where it was drawn: its box covers the drawn box closely
    for drawn_word, read_word in pairs:
        assert iou(drawn_word.box, read_word.box) > 0.7, (drawn_word, read_word)
    # And line boxes enclose their words
    for line in page.lines:
        for word in line.words:
            assert line.box[0] <= word.box[0] and word.box[2] <= line.box[2]
            assert line.box[1] <= word.box[1] and word.box[3] <= line.box[3]


def test_small_print_is_read_scaled_up_and_placed_in_the_pictures_pixels() -> None:
    # Given three lines drawn at 11 px (the recogniser loses most of it at that size)
    drawn = text_page(size=11, lines_per_column=3, width=700, seed=8)
    # When they are read
    page = ocr.recognise(drawn.image)
    # Then the text comes back nearly exactly
    read, expected = " ".join(page.text.split()), " ".join(drawn.text.split())
    assert difflib.SequenceMatcher(a=read, b=expected, autojunk=False).ratio() > 0.98, (read, expected)
    # And the boxes are in the picture's own pixels, on the drawn words
    assert (page.width, page.height) == drawn.size
    every = [w for line in drawn.lines for w in line.words]
    once = {w.text: w.box for w in every if sum(other.text == w.text for other in every) == 1}
    placed = [(once[w.text], w.box) for w in words_of(page) if w.text in once]
    assert len(placed) > 0.9 * len(once)
    assert all(iou(a, b) > 0.5 for a, b in placed), placed


def test_two_columns_are_read_column_by_column() -> None:
    # Given a title over two columns of prose whose lines sit side by side
    drawn, page = two_columns()
    left, right = drawn.columns
    # When the page is read
    read = [line.text for line in page.lines]

    def position(text: str) -> int:
        scores = [difflib.SequenceMatcher(a=text, b=candidate).ratio() for candidate in read]
        best = max(range(len(read)), key=scores.__getitem__)
        assert scores[best] > 0.9, (text, read)
        return best

    # Then the title comes first, then every line of the left column, then the right column
    order = [position(line.text) for line in drawn.lines]
    assert order == sorted(order) and len(set(order)) == len(order)
    assert max(position(line.text) for line in left) < min(position(line.text) for line in right)
    assert position(drawn.lines[0].text) == 0


def test_a_table_is_read_row_by_row() -> None:
    # Given the invoice, whose line items sit in aligned columns
    drawn, page = invoice()
    read = [line.text for line in page.lines]
    # Then each row of the table is read across, before the next row
    for row in drawn.table:
        start = read.index(row[0])
        assert read[start : start + len(row)] == row
    # And the "Label: value" lines are single lines
    assert "Invoice number: INV-2026-0042" in read


def test_a_blank_image_has_no_lines() -> None:
    page = ocr.recognise(Image.new("RGB", (320, 200), "white"))
    assert page.lines == () and (page.width, page.height) == (320, 200)


def test_a_small_image_and_light_text_on_dark_are_read() -> None:
    # Given a word in a small, very wide picture, and the same word in white on black
    small = Image.new("RGB", (240, 36), "white")
    ImageDraw.Draw(small).text((10, 6), "Harbor", font=font("sans", 20), fill="black")
    inverted = ImageOps.invert(small)
    # When both are read
    # Then the word comes back from both
    assert [line.text for line in ocr.recognise(small).lines] == ["Harbor"]
    assert [line.text for line in ocr.recognise(inverted).lines] == ["Harbor"]


def test_grey_and_transparent_images_are_read() -> None:
    # Given the word drawn on a grey-level image and on a transparent one
    grey = Image.new("L", (260, 60), 255)
    ImageDraw.Draw(grey).text((12, 16), "Invoice", font=font("serif", 24), fill=0)
    clear = Image.new("RGBA", (260, 60), (0, 0, 0, 0))
    ImageDraw.Draw(clear).text((12, 16), "Invoice", font=font("serif", 24), fill=(0, 0, 0, 255))
    # Then both read as on white paper
    assert [line.text for line in ocr.recognise(grey).lines] == ["Invoice"]
    assert [line.text for line in ocr.recognise(clear).lines] == ["Invoice"]


def test_the_engine_is_loaded_once_and_serves_threads() -> None:
    # Given the engine, and a page already read once
    assert ocr.engine() is ocr.engine()
    drawn, first = prose("serif")
    results: list[ocr.OcrPage] = []
    # When two threads read the same page at once
    threads = [threading.Thread(target=lambda: results.append(ocr.recognise(drawn.image))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then both get the same answer as the first reading
    assert results == [first, first]


# --------------------------------------------------------------------------- pure logic


def test_digits_read_as_letters_o_become_zeros() -> None:
    assert ocr._fix_digits("230,ooo") == "230,000"
    assert ocr._fix_digits("4.8o0") == "4.800"
    assert ocr._fix_digits("2O26") == "2026"
    # Words with other letters, or no digits, are left alone
    assert ocr._fix_digits("2nd") == "2nd"
    assert ocr._fix_digits("oO") == "oO"
    assert ocr._fix_digits("10:30") == "10:30"


def box_line(left: float, top: float, width: float, words: int, height: float = 10.0) -> tuple[Box, int]:
    return ((left, top, left + width, top + height), words)


def order(lines: list[tuple[Box, int]]) -> list[int]:
    indexed = list(enumerate(lines))
    ordered = ocr.order_lines(indexed, box=lambda item: item[1][0], words=lambda item: item[1][1])
    return [index for index, _ in ordered]


def test_order_lines_reads_prose_columns_one_after_the_other() -> None:
    # Given a title, two columns of four prose lines side by side, and a footer
    title = box_line(100, 0, 200, 3)
    left = [box_line(0, 30 + 15 * row, 180, 8) for row in range(4)]
    right = [box_line(220, 30 + 15 * row, 180, 8) for row in range(4)]
    footer = box_line(0, 120, 400, 9)
    lines = [footer, *right, title, *left]  # shuffled
    # When they are ordered
    ordered = order(lines)
    # Then: title, left column, right column, footer
    names = {0: "footer", 5: "title"} | {1 + i: f"R{i}" for i in range(4)} | {6 + i: f"L{i}" for i in range(4)}
    assert [names[i] for i in ordered] == ["title", "L0", "L1", "L2", "L3", "R0", "R1", "R2", "R3", "footer"]


def test_order_lines_reads_tables_and_short_columns_row_by_row() -> None:
    # Given three rows of a table: a description and two short numeric cells
    lines = []
    for row in range(3):
        lines += [box_line(0, 15 * row, 150, 4), box_line(250, 15 * row, 40, 1), box_line(350, 15 * row, 50, 1)]
    # Then they are read across each row
    assert order(lines) == list(range(9))


def test_order_lines_needs_three_rows_of_prose_to_see_columns() -> None:
    # Given two rows of two prose lines side by side (too few to be columns)
    lines = [box_line(0, 0, 180, 8), box_line(220, 0, 180, 8), box_line(0, 15, 180, 8), box_line(220, 15, 180, 8)]
    # Then they are read row by row
    assert order(lines) == [0, 1, 2, 3]
