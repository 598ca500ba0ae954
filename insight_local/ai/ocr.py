"""Offline OCR for the Textract and Rekognition engines: text lines and words with pixel boxes.

The models are PaddleOCR's PP-OCRv4 text detector and recogniser, as ONNX files inside the
``rapidocr-onnxruntime`` wheel (a dev dependency, pinned exactly): nothing is downloaded, ever.
rapidocr's own pipeline is not used as is, only its two models and their pre/post-processing:

* detection runs at the image's own scale (pages over 2000 px are scaled down), because
  rapidocr's upscaling of every image to 736 px on its short side made detection slow and split
  lines apart; but a picture of small print (lines under 24 px) is read again scaled up to
  lines of about 36 px, and a line still under 32 px is scaled up before recognition (10 px text
  lost a third of its characters unscaled, under 1% scaled);
* each detected line is cropped with a margin of a fifth of its height before recognition: the
  recogniser drops spaces ("Pleasesendyour...") on the tight, perspective-warped crops that
  rapidocr makes, and keeps them on these;
* words come from the recognised text split at spaces; each word's box is measured on the
  image: the recogniser places every character at a column of its input, and the word edges
  are snapped to the ink (the blank columns between words), so boxes hug the drawn words;
* lines are put in reading order: top to bottom, with columns of prose (rows of several words
  on each side of a gutter, for three rows or more) read column by column, not across the
  gutter, and tables and label/value rows read row by row;
* the text is normalised (NFKC: full-width punctuation of the Chinese-trained model becomes
  ASCII) and ``o``/``O`` inside numbers become ``0`` ("230,ooo" -> "230,000").

The engine is loaded once, lazily, on first use; calls are serialised (onnxruntime already uses
every core for one call, and rapidocr's objects keep per-call state).

Known limits: upright text only (no rotated or vertical lines), printed Latin script (the model
also knows Chinese, and may answer with a Chinese character for an unusual glyph), no
handwriting. Word boxes are measured on the ink, so words that touch (no blank column between
them) are split where the recogniser's character positions put the boundary.
"""

from __future__ import annotations

import itertools
import math
import statistics
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from PIL import Image

__all__ = ["OcrLine", "OcrPage", "OcrWord", "engine", "group_rows", "order_lines", "recognise", "to_rgb"]

Box = tuple[float, float, float, float]  # left, top, right, bottom in pixels

MIN_LINE_SCORE = 0.5  # recogniser score under which a detection is dropped (rapidocr's default)
_CROP_MARGIN = 0.2  # of the line height, around each detected line before recognition
_SMALL_TEXT = 24.0  # pixels: a picture whose lines are lower than this (median) is scaled up
_SMALL_TEXT_TARGET = 36.0
_MAX_ENLARGE_PAGE = 3.0
_SMALL_LINE = 32.0  # pixels: detected lines lower than this are scaled up before recognition
_MAX_ENLARGE = 4.0
_PAD_RATIO = 8  # rapidocr's letterbox: images wider than 8:1 (or shorter than 64 px) are padded
_MIN_SIDE = 64

# Reading order: columns of prose.
_MIN_COLUMN_ROWS = 3  # rows a gutter must run through
_MIN_PROSE_WORDS = 3  # median words per line on each side of the gutter
_MIN_GUTTER = 1.0  # gutter width, in line heights


@dataclass(frozen=True)
class OcrWord:
    text: str
    confidence: float  # 0..100
    box: Box


@dataclass(frozen=True)
class OcrLine:
    text: str  # the words joined by single spaces
    confidence: float  # 0..100
    box: Box
    words: tuple[OcrWord, ...]


@dataclass(frozen=True)
class OcrPage:
    width: int
    height: int
    lines: tuple[OcrLine, ...]  # in reading order

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


# --------------------------------------------------------------------------- the engine


class _Engine:
    """rapidocr's detector and recogniser, loaded once."""

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        # det_limit_type "max": scale down pages over 2000 px, never scale up (see the docstring).
        self._ocr = RapidOCR(det_limit_type="max", use_cls=False)
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            boxes, _ = self._ocr.text_det(image)
        return [] if boxes is None else list(boxes)

    def recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float, list[Any]]]:
        if not crops:
            return []
        with self._lock:
            results, _ = self._ocr.text_rec(crops, True)
        return [(str(text), float(score), info) for text, score, info in results]


_engine: _Engine | None = None
_engine_lock = threading.Lock()


def engine() -> _Engine:
    """The OCR engine, loaded on first use (about a third of a second), once per process."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = _Engine()
    return _engine


# --------------------------------------------------------------------------- recognition


def to_rgb(image: Image.Image) -> Image.Image:
    """The image as RGB, transparent parts on white (as a page shows them)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        top = float(array.max()) or 1.0
        return Image.fromarray((array * (255.0 / top)).astype(np.uint8)).convert("RGB")
    return image.convert("RGB")


def recognise(image: Image.Image) -> OcrPage:
    """The text lines and words of ``image``, with pixel boxes, in reading order.

    A picture of small print (detected lines under 24 pixels high, at the median) is read again
    scaled up (Lanczos) to lines of about 36 pixels, at most three times: the detector and the
    recogniser both lose small print (10-pixel text: a third of the characters wrong unscaled, under
    1% scaled). Boxes are given in the picture's own pixels either way."""
    rgb = np.ascontiguousarray(np.asarray(to_rgb(image))[:, :, ::-1])  # the models take BGR
    height, width = rgb.shape[:2]
    boxes = _detect(rgb)
    line_height = statistics.median(box[3] - box[1] for box in boxes) if boxes else 0.0
    scale = min(_SMALL_TEXT_TARGET / line_height, _MAX_ENLARGE_PAGE) if 0 < line_height < _SMALL_TEXT else 1.0
    if scale > 1.0:
        size = (round(width * scale), round(height * scale))
        enlarged = Image.fromarray(np.ascontiguousarray(rgb[:, :, ::-1])).resize(size, Image.Resampling.LANCZOS)
        rgb = np.ascontiguousarray(np.asarray(enlarged)[:, :, ::-1])
        boxes = _detect(rgb)
    lines = _read(rgb, boxes)
    if scale > 1.0:
        lines = [_scaled(line, 1 / scale) for line in lines]
    ordered = order_lines(lines, box=lambda line: line.box, words=lambda line: len(line.words))
    return OcrPage(width, height, tuple(ordered))


def _detect(rgb: np.ndarray) -> list[Box]:
    """The boxes of the text lines the detector finds."""
    height, width = rgb.shape[:2]
    padded, (dx, dy) = _letterbox(rgb)
    boxes = []
    for quad in engine().detect(padded):
        left, top = float(quad[:, 0].min()) - dx, float(quad[:, 1].min()) - dy
        right, bottom = float(quad[:, 0].max()) - dx, float(quad[:, 1].max()) - dy
        left, top, right, bottom = max(left, 0.0), max(top, 0.0), min(right, width), min(bottom, height)
        if right - left >= 2 and bottom - top >= 2:
            boxes.append((left, top, right, bottom))
    return boxes


def _read(rgb: np.ndarray, boxes: list[Box]) -> list[OcrLine]:
    """The recognised lines in ``boxes``, split into words measured on the image."""
    height, width = rgb.shape[:2]
    gray = rgb.mean(axis=2)
    crops, frames = [], []
    for left, top, right, bottom in boxes:
        margin = _CROP_MARGIN * (bottom - top)
        x0, y0 = max(int(left - margin / 2), 0), max(int(top - margin), 0)
        x1, y1 = min(math.ceil(right + margin / 2), width), min(math.ceil(bottom + margin), height)
        crops.append(_enlarged(rgb[y0:y1, x0:x1], bottom - top))
        frames.append((x0, x1))
    lines = []
    for (text, score, info), box, frame in zip(engine().recognise(crops), boxes, frames, strict=True):
        if score < MIN_LINE_SCORE:
            continue
        line = _line(text, score, info, box, frame, gray)
        if line is not None:
            lines.append(line)
    return lines


def _scaled(line: OcrLine, factor: float) -> OcrLine:
    def box(b: Box) -> Box:
        return (b[0] * factor, b[1] * factor, b[2] * factor, b[3] * factor)

    words = tuple(OcrWord(word.text, word.confidence, box(word.box)) for word in line.words)
    return OcrLine(line.text, line.confidence, box(line.box), words)


def _enlarged(crop: np.ndarray, line_height: float) -> np.ndarray:
    """A line of small print scaled up (Lanczos) so that it is about 32 pixels high: the
    recogniser's own linear resize of a 12-pixel line to its 48-pixel input blurs it past reading."""
    scale = min(_SMALL_LINE / max(line_height, 1.0), _MAX_ENLARGE)
    if scale <= 1.05:
        return crop
    size = (max(round(crop.shape[1] * scale), 1), max(round(crop.shape[0] * scale), 1))
    enlarged = Image.fromarray(np.ascontiguousarray(crop[:, :, ::-1])).resize(size, Image.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(enlarged)[:, :, ::-1])


def _letterbox(image: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Pad very wide, very tall or tiny images with white so that the detector sees them whole."""
    height, width = image.shape[:2]
    pad_y = max(width // _PAD_RATIO, _MIN_SIDE) - height
    pad_x = max(height // _PAD_RATIO, _MIN_SIDE) - width
    pad_y, pad_x = max(pad_y, 0) // 2 + (1 if pad_y > 0 else 0), max(pad_x, 0) // 2 + (1 if pad_x > 0 else 0)
    if not pad_x and not pad_y:
        return image, (0, 0)
    padded = np.pad(image, ((pad_y, pad_y), (pad_x, pad_x), (0, 0)), constant_values=255)
    return padded, (pad_x, pad_y)


def _line(
    text: str, score: float, info: list[Any], box: Box, frame: tuple[int, int], gray: np.ndarray
) -> OcrLine | None:
    """A recognised line split into words, each measured on the image."""
    columns, _, column_lists, _, confidences = info
    positions = [int(c) for word_columns in column_lists for c in word_columns]
    x0, x1 = frame
    step = (x1 - x0) / max(float(columns), 1e-9)
    chars: list[_Char] = []
    for index, char in enumerate(text):
        x = x0 + (positions[index] + 0.5) * step if index < len(positions) else float(x1)
        confidence = float(confidences[index]) if index < len(confidences) else score
        for normalised in unicodedata.normalize("NFKC", char):
            chars.append((" " if normalised.isspace() else normalised, x, confidence))
    groups: list[list[_Char]] = [[]]
    for item in chars:
        if item[0] == " ":
            if groups[-1]:
                groups.append([])
        else:
            groups[-1].append(item)
    groups = [group for group in groups if group]
    if not groups:
        return None
    ink = _Ink(gray, box)
    groups = _split_at_spaces(groups, ink)
    limits = ink.word_limits([(group[0][1], group[-1][1]) for group in groups])
    words = []
    for group, (left, right) in zip(groups, limits, strict=True):
        word_text = _fix_digits("".join(c[0] for c in group))
        confidence = 100.0 * statistics.fmean(c[2] for c in group)
        words.append(OcrWord(word_text, round(min(confidence, 100.0), 3), ink.word_box(left, right)))
    line_box = (
        min(w.box[0] for w in words),
        min(w.box[1] for w in words),
        max(w.box[2] for w in words),
        max(w.box[3] for w in words),
    )
    confidence = round(min(100.0 * score, 100.0), 3)
    return OcrLine(" ".join(w.text for w in words), confidence, line_box, tuple(words))


_Char = tuple[str, float, float]  # (text, centre x, confidence)


def _split_at_spaces(groups: list[list[_Char]], ink: _Ink) -> list[list[_Char]]:
    """Split words at blank gaps as wide as a space where the recogniser read no space.

    A gap qualifies when it is at least 0.6 times the narrowest space the recogniser did read on
    the line and a quarter of the line's ink height (on a line without any space read: half its
    ink height), and at least twice as wide as every other gap between the word's letters (a
    letter gap of a small font can be as wide as a space). The cut goes between the two
    characters whose centres straddle the gap best."""
    spaces = [
        gap[1] - gap[0]
        for (*_, last), (first, *_) in itertools.pairwise(groups)
        if (gap := ink.widest_blank(last[1], first[1])) is not None
    ]
    base = max(0.6 * min(spaces), 0.25 * ink.height) if spaces else 0.5 * ink.height
    split: list[list[_Char]] = []
    for group in groups:
        runs = ink.blank_runs(group[0][1], group[-1][1])
        wide = [run for run in runs if run[1] - run[0] >= max(base, 2.0)]
        narrow = max((run[1] - run[0] for run in runs if run not in wide), default=0.0)
        cuts = set()
        for left, right in wide:
            if right - left >= 2 * narrow and len(group) > 1:
                centre = (left + right) / 2
                cuts.add(min(range(1, len(group)), key=lambda k: abs((group[k - 1][1] + group[k][1]) / 2 - centre)))
        start = 0
        for cut in sorted(cuts):
            split.append(group[start:cut])
            start = cut
        split.append(group[start:])
    return split


class _Ink:
    """The dark pixels of one detected line (Otsu threshold), to snap word edges to."""

    def __init__(self, gray: np.ndarray, box: Box) -> None:
        self.left, self.top = int(box[0]), int(box[1])
        self.right, self.bottom = max(math.ceil(box[2]), self.left + 1), max(math.ceil(box[3]), self.top + 1)
        region = gray[self.top : self.bottom, self.left : self.right].astype(np.float64)
        mask: npt.NDArray[np.bool_] = region < _otsu(region) if region.size else np.zeros((0, 0), dtype=bool)
        if mask.size and mask.mean() > 0.5:  # light text on a dark background
            mask = ~mask
        self.mask = mask
        columns = mask.any(axis=0) if mask.size else np.zeros(0, dtype=bool)
        self.columns: npt.NDArray[np.bool_] = np.asarray(columns, dtype=bool)

    def word_limits(self, spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """Left and right limits of each word, given the centres of its first and last characters:
        the boundary between two words is the widest blank run of columns between them."""
        limits = []
        start = float(self.left)
        for (_, last), (first, _) in itertools.pairwise(spans):
            gap = self.widest_blank(last, first)
            if gap is None:
                middle = (last + first) / 2
                gap = (middle, middle)
            limits.append((start, gap[0]))
            start = gap[1]
        limits.append((start, float(self.right)))
        return limits

    @property
    def height(self) -> float:
        rows = np.flatnonzero(self.mask.any(axis=1)) if self.mask.size else np.zeros(0)
        return float(rows[-1] - rows[0] + 1) if rows.size else float(self.bottom - self.top)

    def blank_runs(self, after: float, before: float) -> list[tuple[float, float]]:
        """Runs of blank columns between x = ``after`` and ``before`` (absolute pixels)."""
        lo, hi = max(math.ceil(after) - self.left, 0), min(int(before) - self.left, len(self.columns))
        runs: list[tuple[float, float]] = []
        run_start: int | None = None
        for index in range(lo, hi + 1):
            blank = index < hi and not self.columns[index]
            if blank and run_start is None:
                run_start = index
            elif not blank and run_start is not None:
                runs.append((float(run_start + self.left), float(index + self.left)))
                run_start = None
        return runs

    def widest_blank(self, after: float, before: float) -> tuple[float, float] | None:
        runs = self.blank_runs(after, before)
        return max(runs, key=lambda run: run[1] - run[0]) if runs else None

    def word_box(self, left: float, right: float) -> Box:
        lo, hi = max(int(left) - self.left, 0), min(math.ceil(right) - self.left, self.mask.shape[1])
        if hi > lo:
            inked = np.flatnonzero(self.columns[lo:hi])
            if inked.size:
                rows = np.flatnonzero(self.mask[:, lo + inked[0] : lo + inked[-1] + 1].any(axis=1))
                return (
                    float(self.left + lo + inked[0]),
                    float(self.top + rows[0]),
                    float(self.left + lo + inked[-1] + 1),
                    float(self.top + rows[-1] + 1),
                )
        return (max(left, self.left), float(self.top), max(min(right, self.right), left + 1), float(self.bottom))


def _otsu(values: np.ndarray) -> float:
    histogram = np.bincount(values.astype(np.uint8).ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    if total == 0:
        return 128.0
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(histogram)
    mean = np.cumsum(histogram * levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * weight / total - mean) ** 2 / (weight * (total - weight))
    between = np.nan_to_num(between)
    return float(np.argmax(between)) + 0.5


def _fix_digits(word: str) -> str:
    """'o'/'O' read inside a number are zeros: the only letters of a word that has digits."""
    letters = {c for c in word if c.isalpha()}
    if letters and letters <= {"o", "O"} and any(c.isdigit() for c in word):
        return word.replace("o", "0").replace("O", "0")
    return word


# --------------------------------------------------------------------------- reading order

T = TypeVar("T")


def order_lines(items: Sequence[T], *, box: Callable[[T], Box], words: Callable[[T], int]) -> list[T]:
    """``items`` (text lines) in reading order: rows top to bottom, each row left to right, but a
    run of rows split by a gutter with prose on both sides is read column by column."""
    rows = group_rows(list(items), box)
    ordered: list[T] = []
    index = 0
    while index < len(rows):
        section = _column_section(rows, index, box, words)
        if section is None:
            ordered += rows[index]
            index += 1
            continue
        end, gutter = section
        members = [item for row in rows[index:end] for item in row]
        left = [item for item in members if box(item)[2] <= gutter]
        right = [item for item in members if box(item)[2] > gutter]
        ordered += order_lines(left, box=box, words=words) + order_lines(right, box=box, words=words)
        index = end
    return ordered


def group_rows(items: list[T], box: Callable[[T], Box]) -> list[list[T]]:
    """Lines that overlap vertically by half the smaller height form a row."""
    rows: list[list[T]] = []
    spans: list[tuple[float, float]] = []
    for item in sorted(items, key=lambda i: ((box(i)[1] + box(i)[3]) / 2, box(i)[0])):
        _, top, _, bottom = box(item)
        if rows:
            row_top, row_bottom = spans[-1]
            overlap = min(bottom, row_bottom) - max(top, row_top)
            if overlap >= 0.5 * min(bottom - top, row_bottom - row_top):
                rows[-1].append(item)
                spans[-1] = (min(top, row_top), max(bottom, row_bottom))
                continue
        rows.append([item])
        spans.append((top, bottom))
    return [sorted(row, key=lambda i: box(i)[0]) for row in rows]


def _column_section(
    rows: list[list[T]], start: int, box: Callable[[T], Box], words: Callable[[T], int]
) -> tuple[int, float] | None:
    """The longest run of rows from ``start`` that a gutter splits into two columns of prose:
    (end row, exclusive; the gutter's x), or None."""
    found: tuple[int, float] | None = None
    for end in range(start + 2, len(rows) + 1):
        members = [item for row in rows[start:end] for item in row]
        gaps = _gaps([box(item) for item in members])
        if not gaps:
            break
        if end - start < _MIN_COLUMN_ROWS:
            continue
        height = statistics.median(box(item)[3] - box(item)[1] for item in members)
        best: tuple[float, float] | None = None
        for gap_left, gap_right in gaps:
            if gap_right - gap_left < _MIN_GUTTER * height:
                continue
            left = [words(item) for item in members if box(item)[2] <= gap_left]
            right = [words(item) for item in members if box(item)[0] >= gap_right]
            prose = (
                len(left) >= 2
                and len(right) >= 2
                and statistics.median(left) >= _MIN_PROSE_WORDS
                and statistics.median(right) >= _MIN_PROSE_WORDS
            )
            if prose and (best is None or gap_right - gap_left > best[1] - best[0]):
                best = (gap_left, gap_right)
        if best is not None:
            found = (end, (best[0] + best[1]) / 2)
    return found


def _gaps(boxes: list[Box]) -> list[tuple[float, float]]:
    """Vertical strips that no box crosses, between the leftmost and the rightmost box."""
    gaps = []
    reach: float | None = None
    for left, _, right, _ in sorted(boxes):
        if reach is not None and left > reach:
            gaps.append((reach, left))
        reach = right if reach is None else max(reach, right)
    return gaps
