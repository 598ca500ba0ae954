"""Step: start the Transcribe job named by the job id; the workflow waits on the task token
until the job's "Transcribe Job State Change" event resumes it."""

from typing import Any

from chalicelib.media_workflow import start_transcription
from chalicelib.models import TranscriptionStart
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    start_transcription(TranscriptionStart.model_validate(event))
