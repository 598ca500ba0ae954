"""Which workflow an upload runs: its kind, from the declared content type unless it names one,
and the options only audio and video take (no AWS)."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidRequest
from chalicelib.models import JobKind, JobOptions, UploadRequest
from chalicelib.settings import Settings
from chalicelib.uploads import job_kind, job_options, size_limit

SETTINGS = Settings()


def request(content_type: str, **fields: object) -> UploadRequest:
    return UploadRequest.model_validate({"file_name": "f", "content_type": content_type, "size": 10, **fields})


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/pdf", JobKind.DOCUMENT),
        ("image/tiff", JobKind.DOCUMENT),
        ("image/jpeg", JobKind.IMAGE),
        ("image/png", JobKind.IMAGE),
        ("image/webp", JobKind.IMAGE),
        ("audio/mpeg", JobKind.MEDIA),
        ("video/mp4", JobKind.MEDIA),
        ("audio/wav", JobKind.MEDIA),
        ("audio/flac", JobKind.MEDIA),
        ("audio/ogg", JobKind.MEDIA),
        ("video/webm", JobKind.MEDIA),
    ],
)
def test_the_declared_content_type_decides_the_kind(content_type: str, kind: JobKind) -> None:
    assert job_kind(request(content_type), SETTINGS) is kind


def test_a_photographed_page_can_ask_to_be_read_as_a_document() -> None:
    assert job_kind(request("image/png", kind="DOCUMENT"), SETTINGS) is JobKind.DOCUMENT


@pytest.mark.parametrize(
    ("content_type", "fields", "reason"),
    [
        ("image/webp", {"kind": "DOCUMENT"}, "cannot be analysed as DOCUMENT"),
        ("application/pdf", {"kind": "MEDIA"}, "cannot be analysed as MEDIA"),
        ("image/gif", {}, "'image/gif' is not accepted"),
    ],
)
def test_a_kind_the_type_cannot_have_is_refused(content_type: str, fields: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidRequest, match=reason):
        job_kind(request(content_type, **fields), SETTINGS)


def test_translations_and_a_spoken_summary_are_for_audio_and_video_only() -> None:
    asked = request("audio/mpeg", translate_to=["es", "fr"], spoken_summary=True)
    assert job_options(asked, JobKind.MEDIA, SETTINGS) == JobOptions(translate_to=["es", "fr"], spoken_summary=True)
    with pytest.raises(InvalidRequest, match="audio and video uploads only"):
        job_options(request("image/png", translate_to=["es"]), JobKind.IMAGE, SETTINGS)
    with pytest.raises(InvalidRequest, match="over the limit of 1"):
        job_options(asked, JobKind.MEDIA, Settings(max_translations=1))


def test_language_codes_are_checked_and_named_once() -> None:
    with pytest.raises(ValueError, match="translate_to"):
        request("audio/mpeg", translate_to=["spanish"])
    with pytest.raises(ValueError, match="more than once"):
        request("audio/mpeg", translate_to=["es", "es"])


def test_media_has_its_own_size_limit() -> None:
    assert size_limit(JobKind.MEDIA, SETTINGS) == SETTINGS.max_media_bytes > SETTINGS.max_upload_bytes
    assert size_limit(JobKind.IMAGE, SETTINGS) == SETTINGS.max_upload_bytes
