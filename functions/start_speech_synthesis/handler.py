"""Step: a long summary read aloud by a Polly synthesis task; the workflow waits on the task
token until Polly's notification resumes it."""

from typing import Any

from chalicelib.media_workflow import start_speech_synthesis
from chalicelib.models import SpeechRequest
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    start_speech_synthesis(SpeechRequest.model_validate(event))
