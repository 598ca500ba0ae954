"""Transcribe: batch transcription jobs, named by the caller, read from and written to S3."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.errors import NotFound, aws_error_code, service_call
from chalicelib.models import ObjectRef


@dataclass(frozen=True)
class TranscriptionStatus:
    status: str  # QUEUED, IN_PROGRESS, COMPLETED, FAILED
    failure_reason: str | None = None
    language_code: str | None = None


class Transcribe:
    def __init__(self, client: Any) -> None:
        self._transcribe = client

    def start(
        self, name: str, media: ObjectRef, media_format: str, output: ObjectRef, languages: tuple[str, ...]
    ) -> bool:
        """Start the job ``name`` on ``media``, its transcript written to ``output``. Returns
        False when a job of that name exists already (a repeated start): names are job ids."""
        request: dict[str, Any] = {
            "TranscriptionJobName": name,
            "Media": {"MediaFileUri": f"s3://{media.bucket}/{media.key}"},
            "MediaFormat": media_format,
            "OutputBucketName": output.bucket,
            "OutputKey": output.key,
        }
        if len(languages) == 1:
            request["LanguageCode"] = languages[0]
        else:
            request.update(IdentifyLanguage=True, LanguageOptions=list(languages))
        with service_call("Transcribe"):
            try:
                self._transcribe.start_transcription_job(**request)
            except Exception as error:
                if aws_error_code(error) == "ConflictException":
                    return False
                raise
        return True

    def status(self, name: str) -> TranscriptionStatus:
        with service_call("Transcribe"):
            try:
                job = self._transcribe.get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"]
            except Exception as error:
                if aws_error_code(error) in ("NotFoundException", "BadRequestException"):
                    raise NotFound(f"Transcribe has no job {name!r}") from error
                raise
        return TranscriptionStatus(
            status=str(job["TranscriptionJobStatus"]),
            failure_reason=job.get("FailureReason"),
            language_code=job.get("LanguageCode"),
        )
