"""Images with and without faces, for the Rekognition engine's tests and benchmark.

Every picture comes from scikit-image's bundled data (``skimage/data`` inside its wheel: no
download, no pooch) or is drawn here, so what each one holds is known:

* :func:`astronaut`: Eileen Collins' NASA portrait, one frontal face (positive);
* :func:`cameraman`: a man at a camera, his face turned to the side (positive, grey);
* :func:`lfw_faces` / :func:`lfw_non_faces`: scikit-image's subset of Labeled Faces in the
  Wild, 100 face crops and 100 crops of other things, 25 x 25 grey pixels each, enlarged
  here to a size a detector sees (positives and negatives for the hit rate);
* :data:`NEGATIVES`: pictures without any human face: a cat (``chelsea``), a cup of coffee, a
  rocket, coins, bricks, grass, a scanned text page, a rendered text page and a gradient.

:func:`encode` turns pixels into PNG or JPEG bytes, optionally with an EXIF orientation tag
(the pixels are then stored rotated, as a camera stores them, so that a reader that applies
the tag sees the original picture).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

Pixels = NDArray[np.uint8]

# EXIF orientation -> the transpose that stores an upright picture so that applying the tag
# brings it back upright (6: "rotate 90 clockwise to display", so store it rotated 90 the other way).
_STORE_FOR_ORIENTATION = {
    1: None,
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}
_EXIF_ORIENTATION = 0x0112


def _rgb(pixels: NDArray[np.generic]) -> Pixels:
    array = np.asarray(pixels)
    if array.dtype != np.uint8:
        array = (np.clip(array.astype(np.float64), 0.0, 1.0) * 255).round().astype(np.uint8)
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    return np.ascontiguousarray(array[..., :3])


def _skimage(name: str) -> Pixels:
    import skimage.data

    return _rgb(getattr(skimage.data, name)())


def astronaut() -> Pixels:
    """512 x 512 RGB; her face is at about x 180..270, y 60..175."""
    return _skimage("astronaut")


def cameraman() -> Pixels:
    """512 x 512 grey as RGB; his face, turned to the side, is at about x 200..260, y 120..200."""
    return _skimage("camera")


def cat() -> Pixels:
    return _skimage("chelsea")


def coffee() -> Pixels:
    return _skimage("coffee")


def rocket() -> Pixels:
    return _skimage("rocket")


def coins() -> Pixels:
    return _skimage("coins")


def brick() -> Pixels:
    return _skimage("brick")


def grass() -> Pixels:
    return _skimage("grass")


def scanned_page() -> Pixels:
    return _skimage("page")


def text_page(width: int = 640, height: int = 480) -> Pixels:
    """Black sentences on white, drawn with Pillow's bundled font."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=22)
    lines = (
        "Quarterly report of the logistics division",
        "Revenue rose by 12.5 percent in the second quarter.",
        "Three new warehouses opened in Lyon, Porto and Gdansk.",
        "Energy use per order dropped by a fifth.",
        "The next meeting takes place on 9 June at 10:30.",
    )
    for index, line in enumerate(lines):
        draw.text((30, 40 + index * 60), line, fill="black", font=font)
    return np.asarray(image, dtype=np.uint8).copy()


def gradient(width: int = 640, height: int = 480) -> Pixels:
    """A smooth diagonal colour gradient: no structure at all."""
    x = np.linspace(0, 255, width)[None, :]
    y = np.linspace(0, 255, height)[:, None]
    red = np.broadcast_to(x, (height, width))
    green = np.broadcast_to(y, (height, width))
    blue = (red + green) / 2
    return np.stack([red, green, blue], axis=-1).astype(np.uint8)


NEGATIVES: dict[str, Callable[[], Pixels]] = {
    "cat": cat,
    "coffee": coffee,
    "rocket": rocket,
    "coins": coins,
    "brick": brick,
    "grass": grass,
    "scanned page": scanned_page,
    "text page": text_page,
    "gradient": gradient,
}

# How the 25 x 25 LFW crops are shown to a detector: enlarged 6 times (150 x 150) and framed
# with 40 pixels of their own border replicated, as a tight crop of a bigger photo would be.
LFW_SCALE = 6
LFW_FRAME = 40


@lru_cache(maxsize=1)
def _lfw() -> NDArray[np.float64]:
    import skimage.data

    path = Path(skimage.data.__file__).parent / "lfw_subset.npy"
    return np.asarray(np.load(path), dtype=np.float64)


def _lfw_picture(crop: NDArray[np.float64]) -> Pixels:
    grey = _rgb(crop)[..., 0]
    side = grey.shape[0] * LFW_SCALE
    enlarged = np.asarray(Image.fromarray(grey).resize((side, side), Image.Resampling.BICUBIC))
    framed = np.pad(enlarged, LFW_FRAME, mode="edge")
    return _rgb(framed)


def lfw_faces() -> list[Pixels]:
    """The subset's 100 faces (its first half)."""
    return [_lfw_picture(crop) for crop in _lfw()[:100]]


def lfw_non_faces() -> list[Pixels]:
    """The subset's 100 crops of other things (its second half)."""
    return [_lfw_picture(crop) for crop in _lfw()[100:]]


def encode(pixels: Pixels, image_format: str = "PNG", orientation: int = 1, quality: int = 92) -> bytes:
    """PNG or JPEG bytes of ``pixels``; a JPEG with ``orientation`` other than 1 stores the
    pixels turned and carries the EXIF tag that turns them back."""
    image = Image.fromarray(pixels)
    stored = _STORE_FOR_ORIENTATION[orientation]
    if stored is not None:
        image = image.transpose(stored)
    buffer = io.BytesIO()
    if image_format == "JPEG":
        exif = Image.Exif()
        if orientation != 1:
            exif[_EXIF_ORIENTATION] = orientation
        image.save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
    else:
        image.save(buffer, image_format)
    return buffer.getvalue()
