"""Step: check the upload is a document Insight accepts (type by magic bytes, size, pages)."""

from typing import Any

from chalicelib.document_workflow import validate_document
from chalicelib.models import DocumentExecution
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return validate_document(DocumentExecution.model_validate(event)).model_dump(mode="json")
