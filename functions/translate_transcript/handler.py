"""Step (one per language asked for): the redacted transcript translated by Translate, or why it cannot be."""

from typing import Any

from chalicelib.media_workflow import translate_transcript
from chalicelib.models import TranslationRequest
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return translate_transcript(TranslationRequest.model_validate(event)).model_dump(mode="json")
