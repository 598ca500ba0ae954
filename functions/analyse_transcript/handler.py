"""Step: Comprehend on the transcript (language, entities, key phrases, sentiment, PII), a
redacted copy, and the text of the spoken summary."""

from typing import Any

from chalicelib.media_workflow import analyse_transcript
from chalicelib.models import TranscriptAnalysisRequest
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return analyse_transcript(TranscriptAnalysisRequest.model_validate(event)).model_dump(mode="json")
