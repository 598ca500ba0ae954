"""Step: start asynchronous Textract detection of a multi-page document; the workflow
waits on the task token until the completion notification resumes it."""

from typing import Any

from chalicelib.document_workflow import start_text_detection
from chalicelib.models import TextDetectionStart
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    start_text_detection(TextDetectionStart.model_validate(event))
