"""Offline Amazon Textract document analysis (AnalyzeDocument / GetDocumentAnalysis): FORMS, TABLES.

The text comes from :mod:`insight_local.ai.textract` (a PDF's text layer, or OCR of images and
scans); this module finds the structure in its geometry, the same way for both:

* FORMS: a KEY_VALUE_SET pair (a KEY block with a VALUE relationship to a VALUE block, each with
  its WORDs as CHILD) for

  - "Label: value" on one line (the key ends with the first word ending in a colon, among the
    line's first five words; when nothing follows on the line, the value is the next text to its
    right on the same row, or empty);
  - a label with its value to its right, in two or more consecutive rows where the labels are
    aligned (left or right edges) and so are the values, a moderate gap (at most eight line
    heights) between them ("Subtotal   1,159.50" above "Total due   1,234.50"), the label at
    most five words and the value at most six (longer lines side by side are columns of prose).
    Lines inside a table are not taken for label/value pairs.

* TABLES: a TABLE block with a CELL block for every row and column (RowIndex, ColumnIndex from
  1, RowSpan and ColumnSpan 1, the WORDs of the cell as CHILD, empty cells without), found where
  consecutive rows share column positions: a row of three or more cells starts a table, and each
  following row (close below it) that fills at least all columns but one, each cell under
  exactly one column, continues it; at least two rows make a table, and cells of prose (a median
  over five words) do not. The first row is a COLUMN_HEADER when it is all words over a column
  holding numbers. Cells tile the table (their boundaries halfway between the columns and rows).

KEY_VALUE_SET and TABLE blocks are also CHILD of their PAGE, as in Textract's answers.

Errors: FeatureTypes QUERIES, SIGNATURES and LAYOUT need models that the offline engine does not
have: InvalidParameterException says so. Known limits: no merged cells (MERGED_CELL), table titles
or footers, no multi-line cells (a cell whose text wraps to a second line ends the table), no
selection elements (check boxes), no keys whose value sits below them.
"""

from __future__ import annotations

import itertools
import statistics
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from insight_local.ai import ocr
from insight_local.ai.geometry import box_geometry
from insight_local.ai.textract import SYNC_MAX_BYTES, DocumentText, TextractError, succeeded_job_response

__all__ = [
    "AVAILABLE_FEATURES",
    "analyse_page",
    "analyze_document",
    "analyze_pages",
    "check_features",
    "get_document_analysis_response",
]

MODEL_VERSION = "1.0"
AVAILABLE_FEATURES = frozenset({"FORMS", "TABLES"})
_ALL_FEATURES = AVAILABLE_FEATURES | {"QUERIES", "SIGNATURES", "LAYOUT"}

_KEY_MAX_WORDS = 5  # the colon of a "Label:" key is among a line's first words
_ALIGNED_MAX_GAP = 8.0  # line heights between an aligned label and its value
_LABEL_MAX_WORDS = 5  # an aligned label and its value are short; longer lines side by side are prose
_VALUE_MAX_WORDS = 6
_COLON_MAX_GAP = 24.0  # line heights between a "Label:" ending its line and a value to its right
_ALIGN_TOLERANCE = 0.6  # line heights: edges this close are aligned
_ROW_MAX_GAP = 2.5  # line heights between consecutive rows of a table or of a label/value group
_TABLE_MIN_COLUMNS = 3
_TABLE_MAX_WORDS = 5  # median words per cell over which aligned "cells" are columns of prose


def check_features(feature_types: Iterable[str], queries_config: Any = None) -> frozenset[str]:
    """The requested feature types, or the InvalidParameterException AnalyzeDocument answers."""
    features = frozenset(feature_types)
    if not features:
        raise TextractError("InvalidParameterException", "FeatureTypes must hold at least one feature type.")
    unknown = features - _ALL_FEATURES
    if unknown:
        raise TextractError("InvalidParameterException", f"Unknown FeatureTypes: {', '.join(sorted(unknown))}.")
    if queries_config is not None and "QUERIES" not in features:
        raise TextractError("InvalidParameterException", "QueriesConfig must be used with QUERIES FeatureType.")
    if "QUERIES" in features and queries_config is None:
        raise TextractError("InvalidParameterException", "QUERIES FeatureType must be used with QueriesConfig.")
    missing = sorted(features - AVAILABLE_FEATURES)
    if missing:
        raise TextractError(
            "InvalidParameterException",
            f"FeatureTypes {', '.join(missing)} are not available in the offline Textract engine (no model for "
            "them runs locally); only FORMS and TABLES are.",
        )
    return features


def analyze_pages(
    document: bytes, features: frozenset[str], *, max_pages: int | None = None
) -> list[list[dict[str, Any]]]:
    """The Blocks of each page: the text's PAGE, LINE and WORD blocks, then the structure found."""
    text = DocumentText.from_bytes(document, max_pages=max_pages)
    aspects = text.aspects or [1.0] * text.page_count
    return [analyse_page(blocks, features, aspect) for blocks, aspect in zip(text.pages, aspects, strict=True)]


def analyze_document(document: bytes, features: frozenset[str]) -> dict[str, Any]:
    """The AnalyzeDocument response for ``document`` (a single-page document)."""
    if len(document) > SYNC_MAX_BYTES:
        raise TextractError(
            "DocumentTooLargeException",
            f"The document is {len(document)} bytes; AnalyzeDocument accepts up to {SYNC_MAX_BYTES} bytes.",
        )
    pages = analyze_pages(document, features, max_pages=1)
    return {
        "DocumentMetadata": {"Pages": len(pages)},
        "Blocks": [block for page in pages for block in page],
        "AnalyzeDocumentModelVersion": MODEL_VERSION,
    }


def get_document_analysis_response(
    pages: list[list[dict[str, Any]]], max_results: int | None = None, next_token: str | None = None
) -> dict[str, Any]:
    """A GetDocumentAnalysis response for a SUCCEEDED job whose result is ``pages``."""
    return succeeded_job_response(pages, max_results, next_token, "AnalyzeDocumentModelVersion")


# --------------------------------------------------------------------------- the page's text


@dataclass(frozen=True)
class _Word:
    block: dict[str, Any]
    box: ocr.Box  # in page heights: x = Left * aspect, y = Top


@dataclass(frozen=True)
class _Line:
    block: dict[str, Any]
    box: ocr.Box
    words: tuple[_Word, ...]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


def _box(block: dict[str, Any], aspect: float) -> ocr.Box:
    bounds = block["Geometry"]["BoundingBox"]
    left, top = bounds["Left"] * aspect, bounds["Top"]
    return (left, top, left + bounds["Width"] * aspect, top + bounds["Height"])


def _lines(blocks: list[dict[str, Any]], aspect: float) -> list[_Line]:
    by_id = {block["Id"]: block for block in blocks}
    lines = []
    for block in blocks:
        if block["BlockType"] != "LINE":
            continue
        ids = [i for relation in block.get("Relationships", []) if relation["Type"] == "CHILD" for i in relation["Ids"]]
        words = tuple(_Word(by_id[i], _box(by_id[i], aspect)) for i in ids if i in by_id)
        if words:
            lines.append(_Line(block, _box(block, aspect), words))
    return lines


def analyse_page(blocks: list[dict[str, Any]], features: frozenset[str], aspect: float) -> list[dict[str, Any]]:
    """The page's blocks followed by its KEY_VALUE_SET and/or TABLE and CELL blocks.

    ``blocks`` (one page: PAGE first, then LINE and WORD blocks) is not changed; the PAGE block is
    copied to list the new blocks among its children."""
    lines = _lines(blocks, aspect)
    tables = _tables(lines)
    number = blocks[0].get("Page", 1)
    added: list[dict[str, Any]] = []
    children: list[str] = []
    if "FORMS" in features:
        in_tables = {id(line) for table in tables for row in table.rows for line in row if line is not None}
        for key, value in _key_values(lines, in_tables):
            pair = _key_value_blocks(key, value, aspect, number)
            added += pair
            children += [block["Id"] for block in pair]
    if "TABLES" in features:
        for table in tables:
            table_blocks = table.blocks(aspect, number)
            added += table_blocks
            children.append(table_blocks[0]["Id"])
    page = dict(blocks[0])
    if children:
        line_ids = [i for relation in page.get("Relationships", []) for i in relation["Ids"]]
        page["Relationships"] = [{"Type": "CHILD", "Ids": line_ids + children}]
    return [page, *blocks[1:], *added]


def _geometry(box: ocr.Box, aspect: float) -> dict[str, Any]:
    return box_geometry(box[0] / aspect, box[1], box[2] / aspect, box[3])


def _union(boxes: Iterable[ocr.Box]) -> ocr.Box:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _confidence(words: Iterable[_Word]) -> float:
    values = [float(word.block.get("Confidence", 0.0)) for word in words]
    return round(statistics.fmean(values), 3) if values else 0.0


# --------------------------------------------------------------------------- FORMS


def _key_values(lines: list[_Line], in_tables: set[int]) -> list[tuple[list[_Word], list[_Word]]]:
    """(key words, value words) of each label/value pair on the page, top to bottom."""
    pairs: list[tuple[list[_Word], list[_Word]]] = []
    used: set[int] = set()
    rows = ocr.group_rows(lines, lambda line: line.box)
    for row in rows:
        for index, line in enumerate(row):
            if id(line) in used:
                continue
            colon = _colon_index(line)
            if colon is None:
                continue
            used.add(id(line))
            key, value = list(line.words[: colon + 1]), list(line.words[colon + 1 :])
            if not value and index + 1 < len(row):
                neighbour = row[index + 1]
                gap = neighbour.box[0] - line.box[2]
                free = id(neighbour) not in used and _colon_index(neighbour) is None
                if free and gap <= _COLON_MAX_GAP * line.height:
                    value = list(neighbour.words)
                    used.add(id(neighbour))
            pairs.append((key, value))
    pairs += _aligned_pairs(rows, used | in_tables)
    return sorted(pairs, key=lambda pair: (pair[0][0].box[1], pair[0][0].box[0]))


def _colon_index(line: _Line) -> int | None:
    """Index of the word ending the key of a "Label: value" line, or None."""
    for index, word in enumerate(line.words[:_KEY_MAX_WORDS]):
        text = word.block["Text"]
        if text.endswith(":") and any(ch.isalpha() for w in line.words[: index + 1] for ch in w.block["Text"]):
            return index
    return None


def _aligned_pairs(rows: list[list[_Line]], excluded: set[int]) -> list[tuple[list[_Word], list[_Word]]]:
    """Rows of two lines, a label and its value to the right, in groups of aligned rows."""
    candidates: list[tuple[_Line, _Line] | None] = []
    for row in rows:
        pair = None
        if len(row) == 2 and not {id(row[0]), id(row[1])} & excluded:
            label, value = row
            height = max(label.height, value.height)
            gap = value.box[0] - label.box[2]
            has_letters = any(ch.isalpha() for ch in label.block["Text"])
            short = len(label.words) <= _LABEL_MAX_WORDS and len(value.words) <= _VALUE_MAX_WORDS
            if has_letters and short and 0 < gap <= _ALIGNED_MAX_GAP * height:
                pair = (label, value)
        candidates.append(pair)
    pairs: list[tuple[list[_Word], list[_Word]]] = []
    group: list[tuple[_Line, _Line]] = []
    for candidate in [*candidates, None]:
        if candidate is not None and (not group or _continues(group[-1], candidate)):
            group.append(candidate)
            continue
        if len(group) >= 2:
            pairs += [(list(label.words), list(value.words)) for label, value in group]
        group = [candidate] if candidate is not None else []
    return pairs


def _continues(above: tuple[_Line, _Line], below: tuple[_Line, _Line]) -> bool:
    height = max(line.height for line in (*above, *below))
    close = below[0].box[1] - above[0].box[3] <= _ROW_MAX_GAP * height

    def aligned(a: _Line, b: _Line) -> bool:
        tolerance = _ALIGN_TOLERANCE * height
        return abs(a.box[0] - b.box[0]) <= tolerance or abs(a.box[2] - b.box[2]) <= tolerance

    return close and aligned(above[0], below[0]) and aligned(above[1], below[1])


def _key_value_blocks(key: list[_Word], value: list[_Word], aspect: float, number: int) -> list[dict[str, Any]]:
    key_id, value_id = str(uuid.uuid4()), str(uuid.uuid4())
    key_block: dict[str, Any] = {
        "BlockType": "KEY_VALUE_SET",
        "Confidence": _confidence(key + value),
        "Geometry": _geometry(_union(word.box for word in key), aspect),
        "Id": key_id,
        "Relationships": [
            {"Type": "VALUE", "Ids": [value_id]},
            {"Type": "CHILD", "Ids": [word.block["Id"] for word in key]},
        ],
        "EntityTypes": ["KEY"],
        "Page": number,
    }
    value_box = _union(word.box for word in value) if value else _empty_value_box(key)
    value_block: dict[str, Any] = {
        "BlockType": "KEY_VALUE_SET",
        "Confidence": _confidence(key + value),
        "Geometry": _geometry(value_box, aspect),
        "Id": value_id,
        "EntityTypes": ["VALUE"],
        "Page": number,
    }
    if value:
        value_block["Relationships"] = [{"Type": "CHILD", "Ids": [word.block["Id"] for word in value]}]
    return [key_block, value_block]


def _empty_value_box(key: list[_Word]) -> ocr.Box:
    """Where an empty value is: a sliver just right of its key."""
    _, top, right, bottom = _union(word.box for word in key)
    return (right, top, right + (bottom - top), bottom)


# --------------------------------------------------------------------------- TABLES


@dataclass
class _Table:
    rows: list[list[_Line | None]]  # rows of cells, one per column (None: empty)

    def column_spans(self) -> list[tuple[float, float]]:
        spans = []
        for column in range(len(self.rows[0])):
            cells = [row[column] for row in self.rows if row[column] is not None]
            spans.append((min(c.box[0] for c in cells if c), max(c.box[2] for c in cells if c)))
        return spans

    def row_spans(self) -> list[tuple[float, float]]:
        return [
            (min(c.box[1] for c in row if c is not None), max(c.box[3] for c in row if c is not None))
            for row in self.rows
        ]

    def blocks(self, aspect: float, number: int) -> list[dict[str, Any]]:
        xs = _boundaries(self.column_spans())
        ys = _boundaries(self.row_spans())
        header = self._has_header()
        filled = [line for row in self.rows for line in row if line is not None]
        confidence = _confidence(word for line in filled for word in line.words)  # the table's, and an empty cell's
        cells: list[dict[str, Any]] = []
        for row_index, row in enumerate(self.rows):
            for column_index, line in enumerate(row):
                box = (xs[column_index], ys[row_index], xs[column_index + 1], ys[row_index + 1])
                cell: dict[str, Any] = {
                    "BlockType": "CELL",
                    "Confidence": _confidence(line.words) if line is not None else confidence,
                    "RowIndex": row_index + 1,
                    "ColumnIndex": column_index + 1,
                    "RowSpan": 1,
                    "ColumnSpan": 1,
                    "Geometry": _geometry(box, aspect),
                    "Id": str(uuid.uuid4()),
                    "Page": number,
                }
                if line is not None:
                    cell["Relationships"] = [{"Type": "CHILD", "Ids": [word.block["Id"] for word in line.words]}]
                if header and row_index == 0:
                    cell["EntityTypes"] = ["COLUMN_HEADER"]
                cells.append(cell)
        table = {
            "BlockType": "TABLE",
            "Confidence": confidence,
            "Geometry": _geometry((xs[0], ys[0], xs[-1], ys[-1]), aspect),
            "Id": str(uuid.uuid4()),
            "Relationships": [{"Type": "CHILD", "Ids": [cell["Id"] for cell in cells]}],
            "EntityTypes": ["STRUCTURED_TABLE"],
            "Page": number,
        }
        return [table, *cells]

    def _has_header(self) -> bool:
        """The first row is words only, over a column whose other cells hold numbers."""

        def has_digit(line: _Line | None) -> bool:
            return line is not None and any(ch.isdigit() for ch in line.block["Text"])

        first = self.rows[0]
        if any(line is None or has_digit(line) for line in first):
            return False
        return any(any(has_digit(row[column]) for row in self.rows[1:]) for column in range(len(first)))


def _boundaries(spans: list[tuple[float, float]]) -> list[float]:
    """Edges of the cells: the outer edges of the spans, and halfway between neighbours."""
    edges = [spans[0][0]]
    for before, after in itertools.pairwise(spans):
        edges.append((before[1] + after[0]) / 2)
    edges.append(spans[-1][1])
    return edges


def _tables(lines: list[_Line]) -> list[_Table]:
    rows = ocr.group_rows(lines, lambda line: line.box)
    tables = []
    index = 0
    while index < len(rows):
        table = _table_from(rows, index) if len(rows[index]) >= _TABLE_MIN_COLUMNS else None
        if table is None:
            index += 1
            continue
        tables.append(table)
        index += len(table.rows)
    return tables


def _table_from(rows: list[list[_Line]], start: int) -> _Table | None:
    """The table whose first row is ``rows[start]``, or None."""
    columns = [(line.box[0], line.box[2]) for line in rows[start]]
    table_rows: list[list[_Line | None]] = [list(rows[start])]
    for row in rows[start + 1 :]:
        previous = [line for line in table_rows[-1] if line is not None]
        height = statistics.median(line.height for line in [*previous, *row])
        if min(line.box[1] for line in row) - max(line.box[3] for line in previous) > _ROW_MAX_GAP * height:
            break
        placed = _place(row, columns, 0.5 * height)
        if placed is None or sum(line is not None for line in placed) < max(2, len(columns) - 1):
            break
        table_rows.append(placed)
        for column, line in enumerate(placed):
            if line is not None:
                columns[column] = (min(columns[column][0], line.box[0]), max(columns[column][1], line.box[2]))
    if len(table_rows) < 2:
        return None
    words = [len(line.words) for row in table_rows for line in row if line is not None]
    if statistics.median(words) > _TABLE_MAX_WORDS:
        return None
    return _Table(table_rows)


def _place(row: list[_Line], columns: list[tuple[float, float]], tolerance: float) -> list[_Line | None] | None:
    """The row's lines by column (each under exactly one column, one per column), or None."""
    placed: list[_Line | None] = [None] * len(columns)
    for line in row:
        hits = [
            index
            for index, (left, right) in enumerate(columns)
            if line.box[0] <= right + tolerance and line.box[2] >= left - tolerance
        ]
        if len(hits) != 1 or placed[hits[0]] is not None:
            return None
        placed[hits[0]] = line
    return placed
