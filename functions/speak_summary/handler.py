"""Step: the summary read aloud by Polly's SynthesizeSpeech, an MP3 in the job's files."""

from typing import Any

from chalicelib.media_workflow import speak_summary
from chalicelib.models import SpeechRequest
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return speak_summary(SpeechRequest.model_validate(event)).model_dump(mode="json")
