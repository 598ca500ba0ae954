"""The README's commands work as written: what they upload is what they declare."""

from __future__ import annotations

import json
import re
from pathlib import Path

from chalicelib.models import UploadRequest

ROOT = Path(__file__).resolve().parents[2]
#: The JSON bodies of the README's ``curl -X POST .../uploads -d '...'`` commands.
UPLOAD_BODY = re.compile(r"-d '(\{\"file_name\".*?\})'", re.DOTALL)


def upload_requests() -> list[UploadRequest]:
    readme = (ROOT / "README.md").read_text()
    return [UploadRequest.model_validate(json.loads(body)) for body in UPLOAD_BODY.findall(readme)]


def test_the_readme_asks_for_upload_forms_that_fit_the_samples() -> None:
    # Given the upload requests the README tells a user to send
    requests = upload_requests()
    assert len(requests) >= 3
    for request in requests:
        # Then each names a file of samples/ (so the command can be followed as written)
        sample = ROOT / "samples" / request.file_name
        assert sample.is_file(), f"the README uploads {request.file_name}, which samples/ does not have"
        # and declares its size: the form's content-length-range is what S3 enforces (403 otherwise)
        assert request.size == sample.stat().st_size, (
            f"the README declares {request.file_name} as {request.size} bytes; it is {sample.stat().st_size}"
        )
