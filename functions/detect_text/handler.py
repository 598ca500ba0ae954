"""Step: synchronous Textract text detection of an image or one-page document."""

from typing import Any

from chalicelib.document_workflow import detect_text
from chalicelib.models import DocumentExecution
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return detect_text(DocumentExecution.model_validate(event)).model_dump(mode="json")
