"""Images as the image workflow's steps see them: the real type by magic bytes, the copy
Rekognition reads (WebP converted, over-large scaled within its limits) and thumbnails (no AWS)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from chalicelib import images
from chalicelib.errors import InvalidImage

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ALLOWED = ("image/jpeg", "image/png", "image/webp")


def encoded(image_format: str, size: tuple[int, int] = (512, 584), mode: str = "RGB", **options: object) -> bytes:
    photo = Image.open(SAMPLES / "astronaut.jpg").convert(mode).resize(size)
    buffer = io.BytesIO()
    photo.save(buffer, image_format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("image_format", "media_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_each_accepted_type_is_known_by_its_bytes(image_format: str, media_type: str) -> None:
    data = encoded(image_format)
    assert images.check_type(data[:16], media_type, ALLOWED) == media_type


@pytest.mark.parametrize(
    ("head", "declared", "reason"),
    [
        (b"", "image/png", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3", "image/png", "not an image of an accepted type"),
        (b"GIF89a\x01\x00\x01\x00", "image/png", "not an image of an accepted type"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/jpeg", "is a PNG image but was uploaded as image/jpeg"),
    ],
)
def test_bytes_that_are_not_the_declared_image_are_refused_with_why(head: bytes, declared: str, reason: str) -> None:
    with pytest.raises(InvalidImage, match=reason):
        images.check_type(head, declared, ALLOWED)


def test_a_jpeg_within_the_limits_is_analysed_as_it_is() -> None:
    data = (SAMPLES / "astronaut.jpg").read_bytes()
    prepared = images.prepare_for_analysis(data, "image/jpeg", max_side=4096, max_pixels=100_000_000)
    assert prepared.data is None and (prepared.width, prepared.height) == (512, 584)


def test_a_webp_is_analysed_through_a_jpeg_copy_and_a_transparent_one_through_a_png() -> None:
    # Given an opaque WebP and a WebP with transparency
    opaque = encoded("WEBP", quality=90)
    cut_out = Image.open(SAMPLES / "astronaut.jpg").convert("RGBA")
    cut_out.putalpha(Image.linear_gradient("L").resize(cut_out.size))
    buffer = io.BytesIO()
    cut_out.save(buffer, "WEBP", lossless=True)
    transparent = buffer.getvalue()
    # When each is prepared for Rekognition (which reads JPEG and PNG only)
    first = images.prepare_for_analysis(opaque, "image/webp", max_side=4096, max_pixels=100_000_000)
    second = images.prepare_for_analysis(transparent, "image/webp", max_side=4096, max_pixels=100_000_000)
    # Then each becomes a copy Rekognition reads, of the same size, saying what changed
    assert first.media_type == "image/jpeg" and first.data is not None and first.data[:3] == b"\xff\xd8\xff"
    assert second.media_type == "image/png" and second.data is not None and second.data[:4] == b"\x89PNG"
    assert (first.width, first.height) == (512, 584)
    assert first.changes == ["converted from WEBP"]


def test_an_over_large_image_is_scaled_to_fit_the_analysis_side() -> None:
    # Given a 6000 x 3000 PNG
    data = encoded("PNG", size=(6000, 3000))
    # When it is prepared with analysis side 4096
    prepared = images.prepare_for_analysis(data, "image/png", max_side=4096, max_pixels=100_000_000)
    # Then the copy fits, keeps the aspect ratio, is within Rekognition's bytes, and says so
    assert (prepared.width, prepared.height) == (4096, 2048)
    assert prepared.data is not None and len(prepared.data) <= images.ANALYSIS_MAX_BYTES
    assert Image.open(io.BytesIO(prepared.data)).size == (4096, 2048)
    assert any(change.startswith("scaled from 6000 x 3000") for change in prepared.changes)


def test_an_image_turned_by_its_exif_orientation_is_analysed_upright() -> None:
    # Given a WebP stored sideways with EXIF orientation 6 (turn 90 degrees clockwise)
    photo = Image.open(SAMPLES / "astronaut.jpg").convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    photo.save(buffer, "WEBP", exif=exif.tobytes())
    # When it is prepared
    prepared = images.prepare_for_analysis(buffer.getvalue(), "image/webp", max_side=4096, max_pixels=100_000_000)
    # Then the copy is upright: its sides swapped
    assert (prepared.width, prepared.height) == (584, 512)
    assert "turned upright by its EXIF orientation" in prepared.changes


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (encoded("PNG")[:400], "damaged or truncated"),
        (b"\xff\xd8\xff\xe0" + bytes(100), "not a readable JPEG"),
        (encoded("PNG", size=(40, 300)), "at least 80 pixels"),
    ],
)
def test_images_that_cannot_be_analysed_are_refused_with_why(data: bytes, reason: str) -> None:
    media_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    with pytest.raises(InvalidImage, match=reason):
        images.prepare_for_analysis(data, media_type, max_side=4096, max_pixels=100_000_000)


def test_too_many_pixels_are_refused_from_the_header_before_decoding() -> None:
    data = encoded("PNG", size=(2000, 1000))
    with pytest.raises(InvalidImage, match="over the limit of 1,000,000 pixels"):
        images.prepare_for_analysis(data, "image/png", max_side=4096, max_pixels=1_000_000)


def test_a_thumbnail_fits_its_side_keeps_the_aspect_ratio_and_is_a_jpeg() -> None:
    thumbnail = images.thumbnail(encoded("PNG", mode="RGBA"), "image/png", side=256, max_pixels=100_000_000)
    assert (thumbnail.width, thumbnail.height) == (224, 256)
    assert Image.open(io.BytesIO(thumbnail.data)).format == "JPEG"


def test_an_image_within_the_side_but_over_rekognitions_bytes_is_re_encoded_below_them() -> None:
    # Given a PNG of noise, 2800 x 2000 pixels, whose file is over Rekognition's 15 MB
    import numpy as np

    noise = np.random.default_rng(7).integers(0, 256, size=(2000, 2800, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG", compress_level=1)
    data = buffer.getvalue()
    assert len(data) > images.ANALYSIS_MAX_BYTES
    # When it is prepared for analysis
    prepared = images.prepare_for_analysis(data, "image/png", max_side=4096, max_pixels=100_000_000)
    # Then the copy keeps its size in pixels, fits in the bytes, and says it was re-encoded
    assert (prepared.width, prepared.height) == (2800, 2000)
    assert prepared.data is not None and len(prepared.data) <= images.ANALYSIS_MAX_BYTES
    assert prepared.media_type == "image/jpeg"
    assert any(change.startswith("re-encoded from") for change in prepared.changes), prepared.changes
