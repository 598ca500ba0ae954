"""What Insight knows about images: their real type, their size in pixels, the copy Rekognition
analyses, and thumbnails. Pillow is imported on first use (it is in the imaging layer only).

Rekognition reads JPEG and PNG only, up to 15 MB from S3 and 10,000 pixels a side. An upload
within those limits (and ``image_analysis_side``) is analysed as it is; any other (a WebP, an
over-large photo) is analysed through a copy: upright (its EXIF orientation applied), scaled
to fit, as a JPEG, or a PNG when it has transparency.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chalicelib.errors import InvalidImage

if TYPE_CHECKING:
    from PIL.Image import Image

#: Leading bytes of each accepted type; a WebP is a RIFF container of form type WEBP.
MAGIC_NUMBERS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
TYPE_NAMES = {"image/jpeg": "a JPEG image", "image/png": "a PNG image", "image/webp": "a WebP image"}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
#: What Rekognition reads, and its limits for an image in S3.
ANALYSABLE_TYPES = frozenset({"image/jpeg", "image/png"})
ANALYSIS_MAX_BYTES = 15_000_000  # "15 MB": read as decimal megabytes, the smaller
MIN_SIDE = 80
JPEG_QUALITY = 90
THUMBNAIL_QUALITY = 85


def sniff_image_type(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for magic, media_type in MAGIC_NUMBERS:
        if head.startswith(magic):
            return media_type
    return None


def check_type(head: bytes, declared: str, allowed: tuple[str, ...]) -> str:
    """The image's real type, if it is one Insight analyses and agrees with ``declared``."""
    if not head:
        raise InvalidImage("the file is empty (0 bytes)")
    actual = sniff_image_type(head)
    if actual is None or actual not in allowed:
        raise InvalidImage(
            f"the file's content is not an image of an accepted type ({', '.join(allowed)}); "
            f"it was uploaded as {declared}"
        )
    if actual != declared:
        raise InvalidImage(f"the file is {TYPE_NAMES[actual]} but was uploaded as {declared}")
    return actual


def open_image(data: bytes, media_type: str, max_pixels: int) -> Image:
    """The decoded image, or ``InvalidImage`` saying why it cannot be: damaged, truncated, or more
    pixels than ``max_pixels`` (checked from the header, before anything is decoded)."""
    from PIL import Image as PillowImage

    try:
        image = PillowImage.open(io.BytesIO(data), formats=(PILLOW_FORMATS[media_type],))
    except PillowImage.DecompressionBombError as error:
        raise InvalidImage(f"the image has too many pixels to decode ({error})") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidImage(f"the file is not a readable {PILLOW_FORMATS[media_type]} image ({error})") from error
    width, height = image.size
    if width * height > max_pixels:
        raise InvalidImage(f"the image is {width} x {height} pixels, over the limit of {max_pixels:,} pixels")
    try:
        image.load()  # the header is read; decode it all, so that a truncated file fails here
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidImage(f"the image is damaged or truncated and cannot be decoded ({error})") from error
    return image


@dataclass(frozen=True)
class PreparedImage:
    """The image as Rekognition will see it. ``data`` is None when the upload itself is analysed."""

    width: int
    height: int
    media_type: str
    data: bytes | None = None
    changes: list[str] = field(default_factory=list)


def _has_alpha(image: Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _encode(image: Image, media_type: str, quality: int = JPEG_QUALITY) -> bytes:
    buffer = io.BytesIO()
    if media_type == "image/png":
        image.save(buffer, format="PNG", optimize=False)
    else:
        image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def prepare_for_analysis(data: bytes, media_type: str, max_side: int, max_pixels: int) -> PreparedImage:
    """What Rekognition analyses for this upload: the upload itself when Rekognition reads it
    as it is, else an upright, scaled, re-encoded copy (see the module's doc)."""
    from PIL import ImageOps

    image = open_image(data, media_type, max_pixels)
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise InvalidImage(
            f"the image is {width} x {height} pixels; analysis needs at least {MIN_SIDE} pixels on each side"
        )
    too_large = max(width, height) > max_side or len(data) > ANALYSIS_MAX_BYTES
    if media_type in ANALYSABLE_TYPES and not too_large:
        return PreparedImage(width=width, height=height, media_type=media_type)
    changes = []
    upright = ImageOps.exif_transpose(image)
    if upright.size != image.size:
        changes.append("turned upright by its EXIF orientation")
    if media_type not in ANALYSABLE_TYPES:
        changes.append(f"converted from {PILLOW_FORMATS[media_type]}")
    if max(upright.size) > max_side:
        scale = max_side / max(upright.size)
        size = (max(1, round(upright.width * scale)), max(1, round(upright.height * scale)))
        changes.append(f"scaled from {upright.width} x {upright.height} to {size[0]} x {size[1]} pixels")
        upright = upright.resize(size, resample=3, reducing_gap=3.0)  # 3: bicubic
    target = "image/png" if _has_alpha(upright) else "image/jpeg"
    converted = upright.convert("RGBA" if target == "image/png" else "RGB")
    encoded = _encode(converted, target)
    quality = JPEG_QUALITY
    while len(encoded) > ANALYSIS_MAX_BYTES and target == "image/jpeg" and quality > 40:
        quality -= 15
        encoded = _encode(converted, target, quality)
    if len(encoded) > ANALYSIS_MAX_BYTES:
        raise InvalidImage(f"the image cannot be made smaller than Rekognition's {ANALYSIS_MAX_BYTES:,} bytes")
    if len(data) > ANALYSIS_MAX_BYTES and not any(change.startswith("scaled") for change in changes):
        changes.append(f"re-encoded from {len(data):,} to {len(encoded):,} bytes")
    return PreparedImage(
        width=converted.width, height=converted.height, media_type=target, data=encoded, changes=changes
    )


@dataclass(frozen=True)
class ThumbnailImage:
    data: bytes
    width: int
    height: int


def thumbnail(data: bytes, media_type: str, side: int, max_pixels: int) -> ThumbnailImage:
    """A JPEG of the image, upright, that fits in ``side`` x ``side`` pixels."""
    from PIL import Image as PillowImage
    from PIL import ImageOps

    image = open_image(data, media_type, max_pixels)
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((side, side), resample=PillowImage.Resampling.LANCZOS, reducing_gap=2.0)
    if _has_alpha(upright):
        flat = PillowImage.new("RGB", upright.size, (255, 255, 255))
        flat.paste(upright.convert("RGBA"), mask=upright.convert("RGBA").getchannel("A"))
        upright = flat
    encoded = _encode(upright.convert("RGB"), "image/jpeg", THUMBNAIL_QUALITY)
    return ThumbnailImage(data=encoded, width=upright.width, height=upright.height)
