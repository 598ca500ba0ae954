"""Step: Comprehend on the extracted text (language, entities, key phrases, sentiment, PII)."""

from typing import Any

from chalicelib.document_workflow import analyse_document_text
from chalicelib.models import TextToAnalyse
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = TextToAnalyse.model_validate(event)
    return analyse_document_text(request.job_id, request.extraction).model_dump(mode="json")
